/**
 * `io.kestra.plugin.core.execution.Resume`: resumes a paused execution (by `executionId`, default
 * this one) with rendered `inputs` for its Pause's `onResume`. The CLI resumes executions it keeps
 * under `.pebbleflow/executions/`; embedders pass `executions` to `runFlow`.
 */
import { defineTask } from '../definition.js';

export const resumeTask = defineTask({
  type: 'io.kestra.plugin.core.execution.Resume',
  title: 'Resume a paused execution.',
  properties: {
    executionId: { kind: 'string', description: 'Default: the current execution.' },
    namespace: { kind: 'string', description: 'Accepted; executions are found by id.' },
    flowId: { kind: 'string', description: 'Accepted; executions are found by id.' },
    inputs: { kind: 'map', schema: { type: 'object' } },
  },
  async run(ctx) {
    const executionId = (await ctx.property<string>('executionId')) ?? ctx.execution.id;
    const inputs = (await ctx.property<Record<string, unknown>>('inputs')) ?? {};
    await ctx.resumeExecution({ executionId, inputs });
  },
});
