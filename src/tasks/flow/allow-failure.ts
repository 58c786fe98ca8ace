/** `io.kestra.plugin.core.flow.AllowFailure`: its tasks in order; if one fails, the block ends WARNING and the flow goes on. */
import { defineTask } from '../definition.js';

export const allowFailureTask = defineTask({
  type: 'io.kestra.plugin.core.flow.AllowFailure',
  aliases: ['io.kestra.core.tasks.flows.AllowFailure'],
  title: 'Run `tasks`; a failure among them ends this task WARNING instead of failing the flow.',
  properties: {},
  children: { tasks: { required: true } },
  async run(ctx) {
    const state = await ctx.runChildren({ tasks: ctx.task.children.tasks ?? [] });
    return { state: state === 'FAILED' ? 'WARNING' : state };
  },
});
