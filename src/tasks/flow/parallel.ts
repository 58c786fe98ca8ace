/** `io.kestra.plugin.core.flow.Parallel`: its tasks at once, at most `concurrent` (0: no limit). */
import { defineTask } from '../definition.js';

export const parallelTask = defineTask({
  type: 'io.kestra.plugin.core.flow.Parallel',
  aliases: ['io.kestra.core.tasks.flows.Parallel'],
  title: 'Run `tasks` at the same time (at most `concurrent` at once; 0: no limit).',
  properties: {
    concurrent: { kind: 'integer', dynamic: false, default: 0, schema: { type: 'integer', minimum: 0 } },
  },
  children: { tasks: { required: true } },
  async run(ctx) {
    const concurrency = (await ctx.property<number>('concurrent')) ?? 0;
    return { state: await ctx.runChildren({ tasks: ctx.task.children.tasks ?? [], mode: 'parallel', concurrency }) };
  },
});
