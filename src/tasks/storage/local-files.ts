/**
 * `io.kestra.plugin.core.storage.LocalFiles` (deprecated in Kestra, still in many flows): writes
 * `inputs` into the working directory and stores the files matching the `outputs` globs; output `uris`.
 */
import { defineTask } from '../definition.js';

export const localFilesTask = defineTask({
  type: 'io.kestra.plugin.core.storage.LocalFiles',
  aliases: ['io.kestra.core.tasks.storages.LocalFiles'],
  title: 'Create files in the working directory (`inputs`) and store files from it (`outputs` globs); output `uris`.',
  properties: {
    inputs: {
      kind: 'any',
      schema: { anyOf: [{ type: 'object' }, { type: 'string' }], 'x-expected': 'a map of file names to contents, or a JSON object' },
      description: 'File name → content (a kestra:// URI is copied from the storage).',
    },
    outputs: {
      kind: 'list',
      schema: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] },
      description: 'Globs of files to store.',
    },
  },
  outputs: { uris: { kind: 'map' } },
  async run(ctx) {
    return (await import('./local-files-run.js')).runLocalFiles(ctx);
  },
});
