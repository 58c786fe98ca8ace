import { sequentialTask } from '../flow/schema.js';
import type { TaskPlugin } from './types.js';

/** `io.kestra.plugin.core.flow.Sequential`: its tasks in order; `errors` when one fails. */
export const sequentialPlugin: TaskPlugin = {
  ...sequentialTask,
  async run(ctx) {
    const state = await ctx.runTasks(ctx.task.children.tasks ?? []);
    if (state === 'FAILED' && (ctx.task.children.errors?.length ?? 0) > 0) await ctx.runTasks(ctx.task.children.errors ?? []);
    return { state: state === 'FAILED' || state === 'WARNING' ? state : 'SUCCESS' };
  },
};
