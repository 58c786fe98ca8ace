/** `io.kestra.plugin.core.storage.Size`: the size of a storage file; output `size`. */
import { defineTask } from '../definition.js';
import { requiredProperty } from './common.js';

export const sizeTask = defineTask({
  type: 'io.kestra.plugin.core.storage.Size',
  aliases: ['io.kestra.core.tasks.storages.Size'],
  title: 'The size in bytes of a storage file; output `size`.',
  properties: { uri: { kind: 'string', required: true, description: 'A kestra:// URI.' } },
  outputs: { size: { kind: 'integer' } },
  async run(ctx) {
    const uri = await requiredProperty<string>(ctx, 'uri');
    return { outputs: { size: (await ctx.storage.stat(uri.trim())).size } };
  },
});
