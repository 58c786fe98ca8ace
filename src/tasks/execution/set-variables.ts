/** `io.kestra.plugin.core.execution.SetVariables`: merges rendered `variables` into the execution's; later tasks read them as `vars.*`. */
import { defineTask } from '../definition.js';

export const setVariablesTask = defineTask({
  type: 'io.kestra.plugin.core.execution.SetVariables',
  title: 'Set execution variables (read as `vars.*`).',
  properties: {
    variables: {
      kind: 'map',
      required: true,
      schema: { anyOf: [{ type: 'object' }, { type: 'string' }], 'x-expected': 'a map (or an expression)' },
    },
    overwrite: { kind: 'boolean', default: true },
  },
  async run(ctx) {
    const variables = (await ctx.property<Record<string, unknown>>('variables')) ?? {};
    ctx.executionControl.setVariables(variables, { overwrite: (await ctx.property<boolean>('overwrite')) ?? true });
  },
});
