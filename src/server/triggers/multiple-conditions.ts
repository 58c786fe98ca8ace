/**
 * Multiple conditions over a time window — a Flow trigger's `preconditions` and the deprecated
 * `MultipleCondition` — as Kestra's FlowTriggerService evaluates them on each execution state
 * change: the window the condition is in now (MultipleConditionStorageInterface.getOrCreate), the
 * results of this execution merged in (MultipleConditionWindow.with) and saved when not empty, the
 * condition met when every key of the window is true (MultipleCondition.test), a met window
 * deleted unless `resetOnSuccess: false`, and the windows that ended deleted.
 *
 * The window arithmetic and the evaluation of one window are pure (the file store applies them
 * under its lock; the Redis store runs the same steps as one Lua script). Times are UTC: Kestra
 * computes them in the JVM's zone, which is UTC in its images.
 *
 * Reference (kestra-io/kestra): `core/src/main/java/io/kestra/core/services/FlowTriggerService.java`,
 * `core/src/main/java/io/kestra/core/models/triggers/multipleflows/{MultipleCondition,MultipleConditionWindow,
 * MultipleConditionStorageInterface}.java`, `jdbc/src/main/java/io/kestra/jdbc/runner/AbstractJdbcMultipleConditionStorage.java`,
 * `core/src/main/java/io/kestra/plugin/core/trigger/Flow.java` (UpstreamFlowCondition, FilterCondition).
 */
import {
  MULTIPLE_CONDITION,
  multipleConditionSpec,
  preconditionsSpec,
  type ExecutionFilter,
  type MultipleConditionSpec,
  type TimeWindow,
  type UpstreamFlow,
  type WindowedCondition,
} from '../../flow/multiple-condition.js';
import { conditionSchema, type ConditionDefinition, type TriggerDefinition } from '../../flow/triggers.js';
import type { Execution } from '../../runner/execution.js';
import type { ConditionWindow, WindowEvaluation } from '../store/types.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The window that starts at `nowMs` (MultipleConditionStorageInterface.getOrCreate), in epoch ms.
 * DURATION_WINDOW (default 1 day) is aligned on the day, hour or minute boundary its length spans,
 * shifted by `windowAdvance`, and ends 1 ms before its length; SLIDING_WINDOW starts now;
 * DAILY_TIME_WINDOW is today's startTime..endTime; DAILY_TIME_DEADLINE today's midnight..deadline.
 */
export function windowBounds(tw: TimeWindow, nowMs: number): { start: number; end: number } {
  const now = Math.floor(nowMs / SECOND) * SECOND; // ZonedDateTime.now().withNano(0)
  const day = Math.floor(now / DAY) * DAY;
  switch (tw.type) {
    case 'DURATION_WINDOW': {
      const window = tw.window ?? DAY;
      // Duration.toDays/toHours/toMinutes truncate.
      const [days, hours, minutes] = [Math.trunc(window / DAY), Math.trunc(window / HOUR), Math.trunc(window / MINUTE)];
      let h = Math.floor((now - day) / HOUR);
      let m = Math.floor((now - day - h * HOUR) / MINUTE);
      let s = Math.floor((now - day - h * HOUR - m * MINUTE) / SECOND);
      if (days > 0) h = 0;
      if (hours > 0) m = 0;
      if (minutes > 0) {
        // now.withSecond(0).withMinute(0).plusMinutes(window.toMinutes() * (now.getMinute() / window.toMinutes()))
        s = 0;
        m = minutes * Math.floor(m / minutes);
      }
      const aligned = day + h * HOUR + m * MINUTE + s * SECOND;
      const start = aligned + (tw.windowAdvance ?? 0);
      return { start, end: start + window - 1 };
    }
    case 'SLIDING_WINDOW':
      return { start: now, end: now + (tw.window ?? DAY) };
    case 'DAILY_TIME_WINDOW':
      return { start: day + (tw.startTime ?? 0) * SECOND, end: day + (tw.endTime ?? 0) * SECOND };
    case 'DAILY_TIME_DEADLINE':
      return { start: day, end: day + (tw.deadline ?? 0) * SECOND };
  }
}

/**
 * MultipleConditionWindow.isValid: `now` within the window. Kestra compares nanosecond instants
 * with strict bounds, where `now` equal to a start aligned on the second is practically
 * impossible; at millisecond precision pebbleflow counts the start in, the end out.
 */
export const windowValid = (w: Pick<ConditionWindow, 'start' | 'end'>, now: string): boolean => w.start <= now && now < w.end;

/** The empty window a multiple condition of a flow starts at `nowMs`. */
export function freshWindow(
  owner: { tenantId: string; namespace: string; flowId: string },
  spec: Pick<MultipleConditionSpec, 'id' | 'timeWindow'>,
  nowMs: number,
): ConditionWindow {
  const { start, end } = windowBounds(spec.timeWindow, nowMs);
  return { ...owner, conditionId: spec.id, start: iso(start), end: iso(end), results: {} };
}

/**
 * One evaluation against the stored window: `next` is what to store (`null`: delete it;
 * `undefined`: leave the store as it is), `complete` whether the condition is met.
 *
 * - the stored window if still valid, else the fresh one (getOrCreate);
 * - nothing is recorded when that window is not valid now (a daily window outside its hours, a
 *   deadline passed) nor when its merged results are empty (FlowTriggerService filters both);
 * - met: every key is true in what is stored then — as MultipleCondition.test reads the store, an
 *   ended window not replaced yet still counts, as in Kestra until it is purged;
 * - a met window just saved is deleted unless `resetOnSuccess` is false.
 */
export function evaluateWindow(
  stored: ConditionWindow | undefined,
  e: WindowEvaluation,
): { next: ConditionWindow | null | undefined; complete: boolean } {
  const base = stored !== undefined && windowValid(stored, e.now) ? stored : e.fresh;
  let current = stored;
  let saved = false;
  if (windowValid(base, e.now)) {
    const results: Record<string, boolean> = { ...base.results };
    for (const key of e.matched) results[key] = true;
    if (Object.keys(results).length > 0) {
      current = { ...base, results };
      saved = true;
    }
  }
  const complete = e.keys.every((k) => current?.results[k] === true);
  if (!saved) return { next: undefined, complete };
  return { next: complete && e.resetOnSuccess ? null : current, complete };
}

/** MultipleConditionStorageInterface.expired: windows whose end is before `now`. */
export const windowExpired = (w: Pick<ConditionWindow, 'end'>, now: string): boolean => w.end < now;

// --- the conditions of a trigger ----------------------------------------------------------------------

/** A condition definition for a MultipleCondition's nested condition, as the loader resolves one. */
export function resolveCondition(raw: Record<string, unknown>): ConditionDefinition {
  const declaredType = String(raw.type);
  const def = conditionSchema(declaredType);
  const { type: _type, ...properties } = raw;
  return { type: def?.type ?? declaredType, declaredType, supported: def !== undefined, properties };
}

export const isMultipleCondition = (c: ConditionDefinition): boolean => c.type === MULTIPLE_CONDITION;

/** FlowTriggerService.flowTriggerMultipleConditions: the MultipleCondition conditions, then the preconditions. */
export function multipleConditionsOf(t: TriggerDefinition): MultipleConditionSpec[] {
  const legacy = t.conditions.filter(isMultipleCondition).map((c) => multipleConditionSpec(c, resolveCondition));
  const pre = preconditionsSpec(t.properties.preconditions);
  return pre === undefined ? legacy : [...legacy, pre];
}

/** Nested conditions pebbleflow cannot evaluate (the trigger does not fire, as with any unsupported condition). */
export function unsupportedNested(specs: readonly MultipleConditionSpec[]): ConditionDefinition | undefined {
  for (const spec of specs)
    for (const c of spec.conditions)
      if (c.kind === 'condition' && (!c.condition.supported || isMultipleCondition(c.condition))) return c.condition;
  return undefined;
}

/** Flow.UpstreamFlowCondition. */
export function upstreamHolds(upstream: UpstreamFlow, execution: Execution): boolean {
  if (upstream.namespace !== undefined && execution.namespace !== upstream.namespace) return false;
  if (upstream.flowId !== undefined && execution.flowId !== upstream.flowId) return false;
  if (upstream.states !== undefined && !upstream.states.includes(execution.state.current)) return false;
  if (upstream.labels !== undefined)
    return Object.entries(upstream.labels).every(([k, v]) => execution.labels.some((l) => l.key === k && l.value === String(v)));
  return true;
}

/** TruthUtils.isTruthy. */
const truthy = (v: string | undefined): boolean => v !== undefined && !['false', '0', '-0', ''].includes(v);

/**
 * Flow.FilterCondition: the filters joined by `operand` (AND by default). An EXPRESSION field is
 * its `value` rendered (`render`) against the upstream execution.
 */
export async function filterHolds(
  filter: ExecutionFilter,
  execution: Execution,
  render: (expression: string) => Promise<string>,
): Promise<boolean> {
  const test = async (f: ExecutionFilter['filters'][number]): Promise<boolean> => {
    const value =
      f.field === 'FLOW_ID'
        ? execution.flowId
        : f.field === 'NAMESPACE'
          ? execution.namespace
          : f.field === 'STATE'
            ? execution.state.current
            : f.field === 'EXPRESSION'
              ? await render(f.value ?? '')
              : undefined;
    switch (f.type) {
      case 'EQUAL_TO':
        return f.value === value;
      case 'NOT_EQUAL_TO':
        return f.value !== value;
      case 'IN':
        return (f.values ?? []).includes(value as string);
      case 'NOT_IN':
        return !(f.values ?? []).includes(value as string);
      case 'IS_TRUE':
        return truthy(value);
      case 'IS_FALSE':
        return !truthy(value);
      case 'IS_NULL':
        return value === undefined;
      case 'IS_NOT_NULL':
        return value !== undefined;
      case 'STARTS_WITH':
        return value !== undefined && value.startsWith(f.value ?? '');
      case 'ENDS_WITH':
        return value !== undefined && value.endsWith(f.value ?? '');
      case 'REGEX':
        return value !== undefined && new RegExp(`^(?:${f.value ?? ''})$`).test(value);
      case 'CONTAINS':
        return value !== undefined && value.includes(f.value ?? '');
      default:
        return false;
    }
  };
  for (const f of filter.filters) {
    const ok = await test(f);
    if (filter.operand === 'OR' ? ok : !ok) return ok; // anyMatch / allMatch short-circuit
  }
  return filter.operand !== 'OR';
}

/**
 * The keys of the conditions an execution satisfies (ConditionService.isValid on each: one that
 * throws counts as false).
 */
export async function matchedKeys(
  spec: MultipleConditionSpec,
  execution: Execution,
  render: (expression: string) => Promise<string>,
  /** Tests one of its own conditions (ExecutionStatus, ExecutionFlow…) on the execution: the flow's condition evaluator. */
  test: (condition: ConditionDefinition) => Promise<boolean>,
): Promise<string[]> {
  const holds = async (c: WindowedCondition): Promise<boolean> => {
    try {
      if (c.kind === 'upstream') return upstreamHolds(c.upstream, execution);
      if (c.kind === 'filter') return await filterHolds(c.filter, execution, render);
      return c.condition.supported && !isMultipleCondition(c.condition) && (await test(c.condition));
    } catch {
      return false;
    }
  };
  const out: string[] = [];
  for (const c of spec.conditions) if (await holds(c)) out.push(c.key);
  return out;
}
