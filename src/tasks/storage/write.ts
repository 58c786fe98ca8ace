/** `io.kestra.plugin.core.storage.Write`: stores `content` as a file of the task run; output `uri`. */
import { RunStorage } from '../../storage/run-storage.js';
import { defineTask } from '../definition.js';
import { requiredProperty } from './common.js';

export const writeTask = defineTask({
  type: 'io.kestra.plugin.core.storage.Write',
  title: 'Write `content` to a file in the internal storage; output `uri`.',
  properties: {
    content: { kind: 'string', required: true, description: 'The file content.' },
    extension: { kind: 'string', description: 'Appended to the generated file name, e.g. `.txt`.' },
  },
  outputs: { uri: { kind: 'string' } },
  async run(ctx) {
    const content = await requiredProperty<string>(ctx, 'content');
    const extension = (await ctx.property<string>('extension')) ?? '';
    return { outputs: { uri: await ctx.storage.putData(content, RunStorage.fileName(undefined, extension)) } };
  },
});
