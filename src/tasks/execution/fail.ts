/** `io.kestra.plugin.core.execution.Fail`: fails (when `condition` renders truthy, if given). */
import { defineTask } from '../definition.js';
import { isTruthy } from '../coerce.js';
import { TaskError } from '../types.js';

export const failTask = defineTask({
  type: 'io.kestra.plugin.core.execution.Fail',
  aliases: ['io.kestra.core.tasks.executions.Fail'],
  title: 'Fail the execution (when `condition` is truthy, if given).',
  properties: {
    condition: {
      kind: 'any',
      schema: { type: ['string', 'boolean', 'number'] },
      description: 'Rendered; fails unless it is Kestra-falsy.',
    },
    errorMessage: { kind: 'string', default: 'Task failure' },
  },
  async run(ctx) {
    const condition = ctx.task.properties.condition;
    if (condition !== undefined && !isTruthy(await ctx.render(String(condition)))) return;
    throw new TaskError('FAIL_TASK', (await ctx.property<string>('errorMessage')) ?? 'Task failure');
  },
});
