/**
 * `io.kestra.plugin.core.storage.LocalFiles` (deprecated in Kestra, still in many flows): writes
 * `inputs` into the working directory and stores the files matching the `outputs` globs; output `uris`.
 */
import { storeOutputFiles, writeInputFiles } from '../../scripts/script-task.js';
import { asRecord } from '../coerce.js';
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';
import { withWorkingDir } from './common.js';

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
    const rawInputs = await ctx.property<unknown>('inputs');
    const outputs = ((await ctx.property<unknown[]>('outputs')) ?? []).map(String);
    return withWorkingDir(ctx, async (wd) => {
      if (rawInputs !== undefined && rawInputs !== null) {
        const files: Record<string, string> = {};
        let entries: Record<string, unknown>;
        try {
          entries = asRecord(rawInputs, 'inputs');
        } catch {
          throw new TaskError('INVALID_PROPERTY', `Invalid \`inputs\` properties with type '${typeof rawInputs}'`);
        }
        for (const [name, value] of Object.entries(entries))
          if (value !== null && value !== undefined) files[name] = typeof value === 'string' ? value : JSON.stringify(value);
        await writeInputFiles(
          { storage: ctx.storage, signal: ctx.signal, render: (t, e) => ctx.render(t, e), log: (l, m) => ctx.log(l, m) },
          wd,
          files,
        );
      }
      return { outputs: { uris: await storeOutputFiles(ctx.storage, wd, outputs) } };
    });
  },
});
