/**
 * `io.kestra.plugin.core.storage.Reverse`: the lines of a storage file, last first, each followed by
 * `separator`. The file is copied to the working directory and read backwards by line offsets, so
 * memory does not grow with the file's size.
 */
import { defineTask } from '../definition.js';

export const reverseTask = defineTask({
  type: 'io.kestra.plugin.core.storage.Reverse',
  aliases: ['io.kestra.core.tasks.storages.Reverse'],
  title: 'Reverse the lines of a storage file; output `uri`.',
  properties: {
    from: { kind: 'string', required: true, description: 'A kestra:// URI.' },
    separator: { kind: 'string', default: '\n' },
    charset: { kind: 'string', default: 'UTF-8' },
  },
  outputs: { uri: { kind: 'string' } },
  async run(ctx) {
    return (await import('./reverse-run.js')).runReverse(ctx);
  },
});
