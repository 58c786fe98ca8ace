/**
 * `io.kestra.plugin.core.flow.If`: `then` when the condition is truthy, else `else`. The condition
 * is evaluated once and kept as the `evaluationResult` output (children see it as `parent.outputs`).
 */
import { defineTask } from '../definition.js';
import { isTruthy } from '../coerce.js';

export const ifTask = defineTask({
  type: 'io.kestra.plugin.core.flow.If',
  aliases: ['io.kestra.core.tasks.flows.If'],
  title: 'Run `then` when `condition` is truthy, `else` otherwise.',
  properties: {
    condition: {
      kind: 'any',
      required: true,
      schema: { type: ['string', 'boolean', 'number'] },
      description: 'Rendered, then read with Kestra truthiness.',
    },
  },
  outputs: { evaluationResult: { kind: 'boolean' } },
  children: { then: { required: true }, else: {} },
  async run(ctx) {
    const evaluationResult = isTruthy(await ctx.render(String(ctx.task.properties.condition)));
    ctx.setOutputs({ evaluationResult });
    const branch = (evaluationResult ? ctx.task.children.then : ctx.task.children.else) ?? [];
    return { state: await ctx.runChildren({ tasks: branch }), outputs: { evaluationResult } };
  },
});
