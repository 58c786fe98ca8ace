/**
 * What a trigger renders before it starts an execution — its `inputs` and `labels` — with the
 * flow's variables and the trigger's own output (`trigger.*`), secrets resolved in the flow's
 * namespace. Shared by the server (webhooks, Flow triggers, embedded schedules) and BullMQ
 * workers (schedules).
 */
import type { TriggerDefinition } from '../../flow/triggers.js';
import type { Label } from '../../runner/execution.js';
import type { FlowEngine } from '../../runner/types.js';
import type { CreateExecution } from '../executions/service.js';
import type { FlowRecord } from '../flows/flow-repository.js';
import { triggerUid } from '../store/types.js';
import { scheduleVariables, tickExecutionId, type ScheduleSpec } from './schedule.js';

export function triggerContext(record: FlowRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    flow: { id: record.id, namespace: record.namespace, revision: record.revision, tenantId: record.tenant },
    vars: record.flow.variables,
    labels: record.flow.labels,
    ...extra,
  };
}

const scopeOf = (record: FlowRecord): { tenant: string; namespace: string } => ({ tenant: record.tenant, namespace: record.namespace });

/** Trigger labels (list or map), rendered; a null value becomes empty (Kestra's LabelService). */
export async function triggerLabels(
  engine: FlowEngine,
  record: FlowRecord,
  t: TriggerDefinition,
  extra: Record<string, unknown> = {},
): Promise<Label[]> {
  const raw = t.properties.labels;
  const pairs: [string, unknown][] = Array.isArray(raw)
    ? raw.map((l: { key?: unknown; value?: unknown }) => [String(l.key), l.value])
    : raw !== null && typeof raw === 'object'
      ? Object.entries(raw)
      : [];
  const out: Label[] = [];
  for (const [key, value] of pairs) {
    const rendered =
      value === null || value === undefined ? '' : await engine.render(String(value), triggerContext(record, extra), scopeOf(record));
    out.push({ key, value: rendered });
  }
  return out;
}

export async function renderTriggerInputs(
  engine: FlowEngine,
  record: FlowRecord,
  inputs: unknown,
  extra: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) return {};
  return (await engine.renderValue(inputs, triggerContext(record, extra), scopeOf(record))) as Record<string, unknown>;
}

export async function renderKey(engine: FlowEngine, record: FlowRecord, key: unknown): Promise<string> {
  return (await engine.render(String(key), triggerContext(record), scopeOf(record))).trim();
}

/** The execution a Schedule tick starts: its id derived from the trigger and the tick (one per tick, whoever fires it). */
export async function scheduledExecution(
  engine: FlowEngine,
  record: FlowRecord,
  t: TriggerDefinition,
  spec: ScheduleSpec,
  tickMs: number,
): Promise<CreateExecution & { readonly id: string }> {
  const variables = scheduleVariables(spec, tickMs);
  const extra = { trigger: variables, schedule: variables };
  return {
    id: tickExecutionId(triggerUid({ tenantId: record.tenant, namespace: record.namespace, flowId: record.id, triggerId: t.id }), tickMs),
    inputs: await renderTriggerInputs(engine, record, t.properties.inputs, extra),
    labels: await triggerLabels(engine, record, t, extra),
    trigger: { id: t.id, type: t.declaredType, variables },
    scheduleDate: new Date(tickMs).toISOString(),
    variables: { schedule: variables },
  };
}
