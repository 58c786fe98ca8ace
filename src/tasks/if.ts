import { ifTask } from '../flow/schema.js';
import { isTruthy } from './coerce.js';
import type { TaskPlugin } from './types.js';

/** `io.kestra.plugin.core.flow.If`: `then` when the condition is truthy, else `else`; `errors` on failure. */
export const ifPlugin: TaskPlugin = {
  ...ifTask,
  async run(ctx) {
    const truthy = isTruthy(await ctx.render(String(ctx.task.properties.condition)));
    ctx.log('DEBUG', `Condition is ${truthy ? 'true, running then' : 'false, running else'}`);
    const branch = truthy ? ctx.task.children.then : ctx.task.children.else;
    const state = await ctx.runTasks(branch ?? []);
    if (state === 'FAILED' && (ctx.task.children.errors?.length ?? 0) > 0) await ctx.runTasks(ctx.task.children.errors ?? []);
    return { state: state === 'SKIPPED' ? 'SUCCESS' : state === 'FAILED' || state === 'WARNING' ? state : 'SUCCESS' };
  },
};
