import { returnTask } from '../flow/schema.js';
import type { TaskPlugin } from './types.js';

/** `io.kestra.plugin.core.debug.Return`: renders `format`, outputs it as `value`. */
export const returnPlugin: TaskPlugin = {
  ...returnTask,
  async run(ctx) {
    const format = ctx.task.properties.format;
    return { outputs: { value: format === undefined || format === null ? null : await ctx.render(String(format)) } };
  },
};
