/** `io.kestra.plugin.core.flow.Sequential`: its tasks one after the other; `errors` when one fails. */
import { defineTask } from '../definition.js';

export const sequentialTask = defineTask({
  type: 'io.kestra.plugin.core.flow.Sequential',
  aliases: ['io.kestra.core.tasks.flows.Sequential'],
  title: 'Run `tasks` one after the other; `errors` when one fails.',
  properties: {},
  children: { tasks: { required: true } },
  async run(ctx) {
    return { state: await ctx.runChildren({ tasks: ctx.task.children.tasks ?? [] }) };
  },
});
