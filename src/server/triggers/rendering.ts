/**
 * What a trigger renders before it starts an execution — its `inputs` and `labels` — with the
 * flow's variables and the trigger's own output (`trigger.*`), secrets resolved in the flow's
 * namespace. Shared by the server (webhooks, Flow triggers, embedded schedules) and BullMQ
 * workers (schedules).
 */
import { conditionsHold, isScheduleCondition, parseZonedDateTime, type ConditionContext } from '../../flow/conditions.js';
import type { TriggerDefinition } from '../../flow/triggers.js';
import type { Label } from '../../runner/execution.js';
import type { FlowEngine } from '../../runner/types.js';
import type { CreateExecution } from '../executions/service.js';
import type { FlowRecord } from '../flows/flow-repository.js';
import { triggerUid } from '../store/types.js';
import { scheduleVariables, tickExecutionId, type ScheduleSpec } from './schedule.js';
import { schedulerDate, trueDateWithCondition, type SearchOptions } from './schedule-conditions.js';

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

/**
 * The execution a Schedule tick starts: its id derived from the trigger and the tick (one per tick,
 * whoever fires it). Undefined when the trigger's conditions do not hold on the tick (Kestra skips
 * it: the scheduler's next date is the next tick whose conditions hold); FAILED, nothing run, when
 * they cannot be evaluated (a template that does not render), as Kestra's scheduler emits.
 *
 * As Kestra does, the conditions are tested twice: the scheduler first tests every condition
 * (`scheduleConditions` included) with `trigger.date` alone, a ZonedDateTime (AbstractScheduler:
 * `areValid`), then Schedule.evaluate tests the `conditions` that are ScheduleConditions with
 * `trigger` and `schedule` = {date, next, previous}; the execution's `next` and `previous` are then
 * the nearest ticks whose conditions hold (`trueOutputWithCondition`). When those cannot be found
 * (a condition fails to evaluate on another tick) Kestra's evaluation fails: no execution.
 */
export async function scheduledExecution(
  engine: FlowEngine,
  record: FlowRecord,
  t: TriggerDefinition,
  spec: ScheduleSpec,
  tickMs: number,
  log: (line: string) => void = () => undefined,
): Promise<(CreateExecution & { readonly id: string }) | undefined> {
  const id = tickExecutionId(
    triggerUid({ tenantId: record.tenant, namespace: record.namespace, flowId: record.id, triggerId: t.id }),
    tickMs,
  );
  if (spec.onDates === true) return datesExecution(engine, record, t, spec, tickMs, id, log);
  let variables: Record<string, string> = scheduleVariables(spec, tickMs);
  if (t.conditions.length > 0) {
    const search = searchOptions(engine, record, t, spec, log);
    try {
      if (!(await conditionsHold(t.conditions, scheduleConditionContext(engine, record, { date: schedulerDate(tickMs) }))))
        return undefined;
      if (!(await conditionsHold(search.conditions, search.contextOf(variables)))) return undefined;
    } catch (e) {
      log(`pebbleflow: ${record.namespace}.${record.id} Unable to evaluate the Schedule trigger '${t.id}': ${(e as Error).message}`);
      return { id, failed: true };
    }
    try {
      const next = await cachedSearch(record, t, search, tickMs, true);
      const previous = await cachedSearch(record, t, search, tickMs, false);
      variables = {
        date: spec.ticks.format(tickMs),
        ...(next === undefined ? {} : { next: spec.ticks.format(next) }),
        ...(previous === undefined ? {} : { previous: spec.ticks.format(previous) }),
      };
    } catch (e) {
      log(`pebbleflow: ${record.namespace}.${record.id} trigger ${t.id}: evaluation failed: ${(e as Error).message}`);
      return undefined;
    }
  }
  const extra = { trigger: variables, schedule: variables };
  return {
    id,
    inputs: await renderTriggerInputs(engine, record, t.properties.inputs, extra),
    labels: await triggerLabels(engine, record, t, extra),
    trigger: { id: t.id, type: t.declaredType, variables },
    scheduleDate: new Date(tickMs).toISOString(),
    variables: { schedule: variables },
  };
}

/**
 * Schedule.nextEvaluationDate after the tick at `tickMs` (the trigger state's `nextExecutionDate`):
 * with conditions, the next tick whose ScheduleConditions hold within ten years; without, or when
 * none is found or they cannot be evaluated (Kestra then warns), the next cron tick.
 */
export async function scheduleNextDate(
  engine: FlowEngine,
  record: FlowRecord,
  t: TriggerDefinition,
  spec: ScheduleSpec,
  tickMs: number,
  log: (line: string) => void = () => undefined,
): Promise<number | undefined> {
  if (spec.onDates !== true && t.conditions.length > 0) {
    try {
      const next = await cachedSearch(record, t, searchOptions(engine, record, t, spec, log), tickMs, true);
      if (next !== undefined) return next;
    } catch {
      log(
        `pebbleflow: ${record.namespace}.${record.id} Unable to evaluate the conditions for the next evaluation date for trigger '${t.id}', conditions will not be evaluated`,
      );
    }
  }
  return spec.ticks.next(tickMs)?.getTime();
}

function searchOptions(
  engine: FlowEngine,
  record: FlowRecord,
  t: TriggerDefinition,
  spec: ScheduleSpec,
  log: (line: string) => void,
): SearchOptions {
  return {
    spec,
    // Schedule.validateScheduleCondition: the `conditions` (not `scheduleConditions`) that are ScheduleConditions.
    conditions: t.conditions.filter((c) => c.scheduleConditions !== true && isScheduleCondition(c)),
    contextOf: (v) => scheduleConditionContext(engine, record, { trigger: v, schedule: v }),
    onBudget: (tests) =>
      log(
        `pebbleflow: ${record.namespace}.${record.id} trigger ${t.id}: no tick whose conditions hold among the ${tests} tested; searched no further`,
      ),
  };
}

/**
 * Searches done lately: a fired tick's `trigger.next` is also the trigger's next evaluation date,
 * and a search that spends its budget costs about a second.
 */
const searches = new Map<string, number | undefined>();
const SEARCHES_KEPT = 256;

async function cachedSearch(
  record: FlowRecord,
  t: TriggerDefinition,
  options: SearchOptions,
  fromMs: number,
  forward: boolean,
): Promise<number | undefined> {
  // The year matters: the ten-year bound moves with it.
  const key = JSON.stringify([
    record.tenant,
    record.namespace,
    record.id,
    record.revision,
    t.id,
    options.spec.fingerprint,
    fromMs,
    forward,
    new Date().getUTCFullYear(),
  ]);
  if (searches.has(key)) return searches.get(key);
  const found = await trueDateWithCondition(options, fromMs, forward);
  if (searches.size >= SEARCHES_KEPT) searches.delete(searches.keys().next().value!);
  searches.set(key, found);
  return found;
}

/**
 * ScheduleOnDates.evaluate: the execution of one of its dates, with the conditions tested as the
 * scheduler does before it evaluates (with `trigger.date`); Kestra gives it no `trigger`
 * variables (generateScheduledExecution with an empty map) and renders `inputs` and `labels`
 * with the flow's variables only.
 */
async function datesExecution(
  engine: FlowEngine,
  record: FlowRecord,
  t: TriggerDefinition,
  spec: ScheduleSpec,
  tickMs: number,
  id: string,
  log: (line: string) => void,
): Promise<(CreateExecution & { readonly id: string }) | undefined> {
  if (t.conditions.length > 0) {
    try {
      const date = spec.ticks.format(tickMs);
      if (!(await conditionsHold(t.conditions, scheduleConditionContext(engine, record, { date })))) return undefined;
    } catch (e) {
      log(`pebbleflow: ${record.namespace}.${record.id} Unable to evaluate the ScheduleOnDates trigger '${t.id}': ${(e as Error).message}`);
      return { id, failed: true };
    }
  }
  return {
    id,
    inputs: await renderTriggerInputs(engine, record, t.properties.inputs, {}),
    labels: await triggerLabels(engine, record, t),
    trigger: { id: t.id, type: t.declaredType, variables: {} },
    scheduleDate: new Date(tickMs).toISOString(),
  };
}

/**
 * ScheduleOnDates' `dates` (Kestra's `runContext.render(dates).asList(ZonedDateTime.class)`): a
 * list whose items are rendered, or an expression that renders to a JSON list; each item an ISO
 * 8601 date-time with its offset (and optionally `[zone]`). Epoch milliseconds.
 */
export async function renderScheduleDates(engine: FlowEngine, record: FlowRecord, t: TriggerDefinition): Promise<number[]> {
  const raw = t.properties.dates;
  let items: unknown;
  if (typeof raw === 'string') {
    const text = await engine.render(raw, triggerContext(record), scopeOf(record));
    try {
      items = JSON.parse(text);
    } catch {
      items = [text];
    }
  } else {
    items = await engine.renderValue(raw, triggerContext(record), scopeOf(record));
  }
  if (!Array.isArray(items)) throw new Error(`ScheduleOnDates trigger ${t.id}: \`dates\` must be a list of dates`);
  return items.map((item) => {
    if (item instanceof Date) return item.getTime();
    try {
      return parseZonedDateTime(String(item).trim()).epochSecond * 1000;
    } catch {
      throw new Error(`ScheduleOnDates trigger ${t.id}: invalid date '${String(item)}': expected an ISO 8601 date-time with its offset`);
    }
  });
}

/** The condition context of a Schedule: no execution; the flow's variables with `trigger` (and `schedule`) over them. */
function scheduleConditionContext(engine: FlowEngine, record: FlowRecord, extra: Record<string, unknown>): ConditionContext {
  const trigger = 'trigger' in extra ? extra : { trigger: extra };
  return {
    flow: record,
    variables: triggerContext(record, trigger),
    render: (template, variables) => engine.render(template, variables, scopeOf(record)),
  };
}
