/** `io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles`: deletes every file of this execution; output `uris`. */
import { defineTask } from '../definition.js';

export const purgeCurrentExecutionFilesTask = defineTask({
  type: 'io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles',
  aliases: ['io.kestra.core.tasks.storages.PurgeExecution', 'io.kestra.plugin.core.storage.PurgeExecution'],
  title: "Delete this execution's files (inputs, outputs, triggers); output `uris`.",
  properties: {},
  outputs: { uris: { kind: 'list' } },
  async run(ctx) {
    return { outputs: { uris: await ctx.storage.deleteExecutionFiles() } };
  },
});
