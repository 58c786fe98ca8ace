/** `io.kestra.plugin.core.flow.EachSequential` (deprecated for ForEach): its tasks for each value, one after the other. */
import { defineTask } from '../definition.js';
import { checkEachValues, eachItems, resolveEachValues } from './each-values.js';

export const eachSequentialTask = defineTask({
  type: 'io.kestra.plugin.core.flow.EachSequential',
  aliases: ['io.kestra.core.tasks.flows.EachSequential'],
  title: 'Run `tasks` for each value of `value`, one after the other (deprecated: use ForEach).',
  properties: {
    value: {
      required: true,
      dynamic: false,
      schema: { anyOf: [{ type: 'array' }, { type: 'string' }], 'x-expected': 'a list, a JSON list or an expression' },
    },
  },
  children: { tasks: { required: true } },
  check: (task, ctx) => checkEachValues(task, 'value', ctx),
  async run(ctx) {
    const values = await resolveEachValues(ctx, ctx.task.properties.value, 'value');
    const items = eachItems(values, ctx.task.children.tasks ?? []);
    if (items.length === 0) return { state: 'SUCCESS' };
    return { state: await ctx.runChildren({ tasks: items, mode: 'sequential' }) };
  },
});
