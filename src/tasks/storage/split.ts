/**
 * `io.kestra.plugin.core.storage.Split`: cuts a storage file into parts by `bytes`, `rows` or
 * `partitions` (Kestra's `StorageService.split`), streaming; output `uris`.
 */
import { defineTask } from '../definition.js';

export const splitTask = defineTask({
  type: 'io.kestra.plugin.core.storage.Split',
  aliases: ['io.kestra.core.tasks.storages.Split'],
  title: 'Split a storage file by bytes, rows or partitions; output `uris`.',
  properties: {
    from: { kind: 'string', required: true, description: 'A kestra:// URI.' },
    bytes: { kind: 'string', description: 'Largest part, e.g. `10MB`.' },
    partitions: { kind: 'integer', description: 'Number of parts, rows dealt round-robin.' },
    rows: { kind: 'integer', description: 'Rows per part.' },
    separator: { kind: 'string', default: '\n', description: 'Written after each row.' },
  },
  outputs: { uris: { kind: 'list' } },
  async run(ctx) {
    return (await import('./split-run.js')).runSplit(ctx);
  },
});
