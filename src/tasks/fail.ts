import { failTask } from '../flow/schema.js';
import { isTruthy } from './coerce.js';
import { TaskError, type TaskPlugin } from './types.js';

/** `io.kestra.plugin.core.execution.Fail`: fails (when `condition` renders truthy, if given). */
export const failPlugin: TaskPlugin = {
  ...failTask,
  async run(ctx) {
    const { condition, errorMessage } = ctx.task.properties;
    if (condition !== undefined && !isTruthy(await ctx.render(String(condition)))) return;
    const message = errorMessage === undefined ? 'Task failure' : await ctx.render(String(errorMessage));
    throw new TaskError('FAIL_TASK', message);
  },
};
