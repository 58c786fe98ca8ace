/**
 * `io.kestra.plugin.core.flow.ForEach`: its tasks once per value, each child task run carrying the
 * value (`taskrun.value`). `concurrencyLimit` 1 (default) runs the values one after the other, 0 all
 * at once, n at most n values at once (each value's tasks in order).
 */
import { defineTask } from '../definition.js';
import { checkEachValues, EACH_VALUES_PROPERTY, runEach } from './each-values.js';

export const forEachTask = defineTask({
  type: 'io.kestra.plugin.core.flow.ForEach',
  title: 'Run `tasks` once per value of `values`, one value after the other or concurrently.',
  properties: {
    values: EACH_VALUES_PROPERTY,
    concurrencyLimit: {
      kind: 'integer',
      dynamic: false,
      default: 1,
      schema: { type: 'integer', minimum: 0 },
      description: '1: one value at a time; 0: all at once.',
    },
  },
  children: { tasks: { required: true } },
  check: (task, ctx) => checkEachValues(task, 'values', ctx),
  async run(ctx) {
    const limit = (await ctx.property<number>('concurrencyLimit')) ?? 1;
    return runEach(ctx, 'values', { mode: limit === 1 ? 'sequential' : 'groups', concurrency: limit });
  },
});
