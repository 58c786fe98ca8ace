/**
 * `io.kestra.plugin.core.flow.EachParallel` (deprecated for ForEach): every task for every value at
 * once (as Kestra resolves them, each value's tasks run in parallel too), at most `concurrent`.
 */
import { defineTask } from '../definition.js';
import { checkEachValues, EACH_VALUES_PROPERTY, runEach } from './each-values.js';

export const eachParallelTask = defineTask({
  type: 'io.kestra.plugin.core.flow.EachParallel',
  aliases: ['io.kestra.core.tasks.flows.EachParallel'],
  title: 'Run `tasks` for each value of `value`, all at once (deprecated: use ForEach with concurrencyLimit).',
  properties: {
    value: EACH_VALUES_PROPERTY,
    concurrent: { kind: 'integer', dynamic: false, default: 0, schema: { type: 'integer', minimum: 0 }, description: '0: no limit.' },
  },
  children: { tasks: { required: true } },
  check: (task, ctx) => checkEachValues(task, 'value', ctx),
  run: async (ctx) => runEach(ctx, 'value', { mode: 'parallel', concurrency: (await ctx.property<number>('concurrent')) ?? 0 }),
});
