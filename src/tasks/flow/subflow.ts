/**
 * `io.kestra.plugin.core.flow.Subflow`: runs another flow, found by `namespace` and `flowId` (the
 * CLI looks in `--flows DIR`, default the flow file's folder), with rendered `inputs` and `labels`.
 * With `wait` (default) the task ends with the child: FAILED, WARNING, KILLED or PAUSED carry over
 * when `transmitFailed` (default), SUCCESS otherwise. Outputs `executionId`, `state` and the child
 * flow's `outputs`.
 */
import type { Label } from '../../flow/execution.js';
import { applyTaskAllowances } from '../coerce.js';
import { defineTask, type PropertyDefinition, type TaskRunContext } from '../definition.js';

/** The `labels` property of the tasks that start subflows: a map, or a list of `{key, value}`. */
export const SUBFLOW_LABELS_PROPERTY: PropertyDefinition = {
  dynamic: false,
  schema: {
    anyOf: [
      { type: 'object' },
      { type: 'array', items: { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: {} } } },
    ],
    'x-expected': 'a map, or a list of {key, value}',
  },
};

/**
 * The labels of a child execution, as Kestra's `ExecutableUtils.subflowExecution`: the execution's
 * labels with `inheritLabels` (else only its `system.` ones, the correlation id among them), then the
 * task's `labels`, keys and values rendered.
 */
export async function subflowLabels(ctx: TaskRunContext): Promise<Label[]> {
  const inheritLabels = (await ctx.property<boolean>('inheritLabels')) ?? false;
  const labels: Label[] = inheritLabels ? [...ctx.execution.labels] : ctx.execution.labels.filter((l) => l.key.startsWith('system.'));
  const rawLabels = ctx.task.properties.labels;
  const entries: [unknown, unknown][] = Array.isArray(rawLabels)
    ? rawLabels.map((l) => [(l as { key?: unknown }).key, (l as { value?: unknown }).value])
    : rawLabels !== null && typeof rawLabels === 'object'
      ? Object.entries(rawLabels)
      : [];
  for (const [key, value] of entries) labels.push({ key: await ctx.render(String(key)), value: await ctx.render(String(value)) });
  return labels;
}

export const subflowTask = defineTask({
  type: 'io.kestra.plugin.core.flow.Subflow',
  aliases: ['io.kestra.core.tasks.flows.Subflow', 'io.kestra.core.tasks.flows.Flow'],
  title: 'Run another flow (by namespace and id), wait for it and take its outputs.',
  properties: {
    namespace: { kind: 'string', required: true },
    flowId: { kind: 'string', required: true },
    revision: { kind: 'integer', dynamic: false, schema: { type: 'integer', minimum: 1 } },
    inputs: { kind: 'map', schema: { type: 'object' }, description: 'Rendered deeply, then read as the child flow inputs.' },
    labels: SUBFLOW_LABELS_PROPERTY,
    wait: { kind: 'boolean', dynamic: false, default: true },
    transmitFailed: { kind: 'boolean', dynamic: false, default: true },
    inheritLabels: { kind: 'boolean', dynamic: false, default: false },
    outputs: {
      kind: 'map',
      dynamic: false,
      schema: { type: 'object' },
      deprecated: true,
      description: 'Deprecated: declare `outputs` on the child flow.',
    },
    scheduleDate: { kind: 'string' },
  },
  outputs: { executionId: { kind: 'string' }, state: { kind: 'string' }, outputs: { kind: 'map' } },
  async run(ctx) {
    const namespace = (await ctx.property<string>('namespace')) ?? '';
    const flowId = (await ctx.property<string>('flowId')) ?? '';
    const wait = (await ctx.property<boolean>('wait')) ?? true;
    const transmitFailed = (await ctx.property<boolean>('transmitFailed')) ?? true;
    const labels = await subflowLabels(ctx);
    const revision = await ctx.property<number>('revision');
    const scheduleDate = await ctx.property<string>('scheduleDate');
    const result = await ctx.runSubflow({
      namespace,
      flowId,
      ...(revision === undefined ? {} : { revision }),
      inputs: (await ctx.property<Record<string, unknown>>('inputs')) ?? {},
      labels,
      wait,
      ...(scheduleDate === undefined ? {} : { scheduleDate }),
      ...(ctx.task.properties.outputs === undefined ? {} : { outputs: ctx.task.properties.outputs as Record<string, unknown> }),
    });
    if (!wait) return { outputs: { executionId: result.executionId } };
    const outputs: Record<string, unknown> = { executionId: result.executionId, state: result.state };
    if (result.outputs !== undefined) outputs.outputs = result.outputs;
    if (result.outputsError !== undefined) {
      // Kestra's Subflow: outputs that cannot be rendered fail the task (allowFailure applies).
      ctx.log('WARN', `Failed to extract outputs with the error: '${result.outputsError}'`);
      return { state: applyTaskAllowances('FAILED', ctx.task), outputs };
    }
    // Kestra's ExecutableUtils.guessState.
    const failedLike = ['FAILED', 'PAUSED', 'KILLED', 'WARNING'].includes(result.state);
    const state = transmitFailed && failedLike ? applyTaskAllowances(result.state, ctx.task) : 'SUCCESS';
    return { state, outputs };
  },
});
