/** `io.kestra.plugin.core.execution.UnsetVariables`: removes execution variables (dotted names reach into nested maps). */
import { asString } from '../coerce.js';
import { defineTask } from '../definition.js';

export const unsetVariablesTask = defineTask({
  type: 'io.kestra.plugin.core.execution.UnsetVariables',
  title: 'Remove execution variables.',
  properties: {
    variables: { kind: 'list', required: true },
    ignoreMissing: { kind: 'boolean', default: false },
  },
  async run(ctx) {
    const names = ((await ctx.property<unknown[]>('variables')) ?? []).map(asString);
    ctx.executionControl.unsetVariables(names, { ignoreMissing: (await ctx.property<boolean>('ignoreMissing')) ?? false });
  },
});
