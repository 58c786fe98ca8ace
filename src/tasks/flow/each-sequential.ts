/** `io.kestra.plugin.core.flow.EachSequential` (deprecated for ForEach): its tasks for each value, one after the other. */
import { defineTask } from '../definition.js';
import { checkEachValues, EACH_VALUES_PROPERTY, runEach } from './each-values.js';

export const eachSequentialTask = defineTask({
  type: 'io.kestra.plugin.core.flow.EachSequential',
  aliases: ['io.kestra.core.tasks.flows.EachSequential'],
  title: 'Run `tasks` for each value of `value`, one after the other (deprecated: use ForEach).',
  properties: { value: EACH_VALUES_PROPERTY },
  children: { tasks: { required: true } },
  check: (task, ctx) => checkEachValues(task, 'value', ctx),
  run: (ctx) => runEach(ctx, 'value', { mode: 'sequential' }),
});
