/** `io.kestra.plugin.core.storage.Delete`: deletes a storage file; outputs `uri` and `deleted`. */
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';
import { requiredProperty } from './common.js';

export const storageDeleteTask = defineTask({
  type: 'io.kestra.plugin.core.storage.Delete',
  aliases: ['io.kestra.core.tasks.storages.Delete'],
  title: 'Delete a storage file; outputs `uri` and `deleted`.',
  properties: {
    uri: { kind: 'string', required: true, description: 'A kestra:// URI of this namespace.' },
    errorOnMissing: { kind: 'boolean', default: false },
  },
  outputs: { uri: { kind: 'string' }, deleted: { kind: 'boolean' } },
  async run(ctx) {
    const uri = (await requiredProperty<string>(ctx, 'uri')).trim();
    const deleted = await ctx.storage.deleteFile(uri);
    if ((await ctx.property<boolean>('errorOnMissing')) === true && !deleted)
      throw new TaskError('FILE_NOT_FOUND', `Unable to find file '${uri}'`);
    return { outputs: { uri, deleted } };
  },
});
