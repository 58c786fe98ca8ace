import { outputValuesTask } from '../flow/schema.js';
import type { TaskPlugin } from './types.js';

/** `io.kestra.plugin.core.output.OutputValues`: renders `values`, outputs them as `values`. */
export const outputValuesPlugin: TaskPlugin = {
  ...outputValuesTask,
  async run(ctx) {
    return { outputs: { values: await ctx.renderValue(ctx.task.properties.values ?? {}) } };
  },
};
