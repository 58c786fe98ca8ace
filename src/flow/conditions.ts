/**
 * Kestra's core conditions, evaluated as `Condition.test(ConditionContext)` does: on an execution
 * (ExecutionStatus, ExecutionFlow, ExecutionNamespace, ExecutionLabels, ExecutionOutputs,
 * HasRetryAttempt), on the flow (the deprecated FlowCondition, FlowNamespaceCondition), on a date
 * (DateTimeBetween, DayWeek, DayWeekInMonth, TimeBetween, Weekend, PublicHoliday: `date` is
 * rendered, by default `{{ trigger.date }}`), on an expression (Expression) and on other conditions
 * (Not, Or).
 *
 * A condition that cannot be evaluated throws (a template that does not render, a date that does
 * not parse, a type pebbleflow does not know, a PublicHoliday country Jollyday has no calendar for); `conditionsValid` is
 * ConditionService.valid: such a condition is reported and counts as false. A Schedule treats a
 * throw differently (a FAILED execution), so it calls `conditionsHold`, which lets it through.
 *
 * Templates go through the caller's engine (`ConditionContext.render`): this module knows no engine.
 *
 * Reference: `core/src/main/java/io/kestra/plugin/core/condition/*.java`,
 * `core/src/main/java/io/kestra/core/services/ConditionService.java`,
 * `core/src/main/java/io/kestra/core/utils/DateUtils.java` in kestra-io/kestra.
 */
import { CronError, cronZone } from './cron.js';
import {
  DATE_TIME_BETWEEN_CONDITION,
  DAY_WEEK_CONDITION,
  DAY_WEEK_IN_MONTH_CONDITION,
  EXECUTION_FLOW_CONDITION,
  EXECUTION_LABELS_CONDITION,
  EXECUTION_NAMESPACE_CONDITION,
  EXECUTION_OUTPUTS_CONDITION,
  EXECUTION_STATUS_CONDITION,
  EXPRESSION_CONDITION,
  FLOW_CONDITION,
  FLOW_NAMESPACE_CONDITION,
  HAS_RETRY_ATTEMPT_CONDITION,
  NOT_CONDITION,
  OR_CONDITION,
  PUBLIC_HOLIDAY_CONDITION,
  SCHEDULE_CONDITION_TYPES,
  TIME_BETWEEN_CONDITION,
  WEEKEND_CONDITION,
  type ConditionDefinition,
  type TriggerCheckSink,
} from './triggers.js';
import { isTerminal, type Execution, type Label } from './execution.js';
import type { Flow, ListenerDefinition } from './model.js';

/** Kestra's `ConditionContext`: the flow, the execution when there is one, and what templates see. */
export interface ConditionContext {
  /** The flow whose trigger or listener holds the condition (FlowCondition, FlowNamespaceCondition test it). */
  readonly flow: { readonly id: string; readonly namespace: string };
  /** Absent for a Schedule: the Execution* conditions then throw, as Kestra's do. */
  readonly execution?: Execution;
  /** The run context's variables, with the condition context's own (`trigger` of a Schedule tick) over them. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Renders a template with the project's engine (secrets resolved in the flow's namespace). */
  readonly render: (template: string, variables: Readonly<Record<string, unknown>>) => Promise<string>;
}

/** Kestra's IllegalConditionEvaluation / InternalException: the condition cannot be evaluated. */
export class ConditionEvaluationError extends Error {
  override readonly name = 'ConditionEvaluationError';
}

const DEFAULT_DATE = '{{ trigger.date }}';
const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;

const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);

/** Expression and ExecutionOutputs: an empty or blank result, or `false`, is false. */
const truthy = (rendered: string): boolean => !(rendered.trim() === '' || rendered.trim() === 'false');

function executionOf(ctx: ConditionContext): Execution {
  if (ctx.execution === undefined) throw new ConditionEvaluationError('Invalid condition with null execution');
  return ctx.execution;
}

/** `Condition.test`: throws ConditionEvaluationError (or the engine's error) when it cannot be evaluated. */
export async function testCondition(condition: ConditionDefinition, ctx: ConditionContext): Promise<boolean> {
  if (!condition.supported) throw new ConditionEvaluationError(`condition type ${condition.declaredType} is not supported by pebbleflow`);
  const p = condition.properties;
  switch (condition.type) {
    case EXECUTION_STATUS_CONDITION: {
      const state = executionOf(ctx).state.current;
      const inList = list(p.in);
      const notIn = list(p.notIn);
      if (inList !== undefined && !inList.includes(state)) return false;
      if (notIn?.includes(state) === true) return false;
      return true;
    }
    case EXECUTION_FLOW_CONDITION: {
      const execution = executionOf(ctx);
      return execution.namespace === p.namespace && execution.flowId === p.flowId;
    }
    case EXECUTION_NAMESPACE_CONDITION: {
      const namespace = executionOf(ctx).namespace;
      const expected = String(p.namespace);
      const comparison = typeof p.comparison === 'string' ? p.comparison : p.prefix === true ? 'PREFIX' : 'EQUALS';
      if (comparison === 'PREFIX') return namespace.startsWith(expected);
      if (comparison === 'SUFFIX') return namespace.endsWith(expected);
      return namespace === expected;
    }
    case EXECUTION_LABELS_CONDITION: {
      const labels = executionOf(ctx).labels;
      return conditionLabels(p.labels).every((l) => labels.some((e) => e.key === l.key && e.value === l.value));
    }
    case EXECUTION_OUTPUTS_CONDITION: {
      const outputs = executionOf(ctx).outputs;
      if (outputs === undefined || Object.keys(outputs).length === 0) return false; // not rendered
      const trigger = ctx.variables.trigger;
      const variables = {
        ...ctx.variables,
        trigger: { ...(isMap(trigger) ? trigger : {}), outputs },
      };
      return truthy(await ctx.render(String(p.expression), variables));
    }
    case HAS_RETRY_ATTEMPT_CONDITION: {
      const inList = list(p.in);
      const notIn = list(p.notIn);
      return executionOf(ctx)
        .taskRunList.filter((r) => r.attempts.length > 1)
        .flatMap((r) => r.attempts)
        .some((a) => (inList === undefined || inList.includes(a.state.current)) && !(notIn?.includes(a.state.current) ?? false));
    }
    case FLOW_CONDITION:
      return ctx.flow.namespace === p.namespace && ctx.flow.id === p.flowId;
    case FLOW_NAMESPACE_CONDITION:
      return p.prefix === true ? ctx.flow.namespace.startsWith(String(p.namespace)) : ctx.flow.namespace === p.namespace;
    case EXPRESSION_CONDITION:
      return truthy(await ctx.render(String(p.expression), ctx.variables));
    case NOT_CONDITION: {
      for (const c of condition.conditions ?? []) if (await testCondition(c, ctx)) return false;
      return true;
    }
    case OR_CONDITION: {
      for (const c of condition.conditions ?? []) if (await testCondition(c, ctx)) return true;
      return false;
    }
    case DATE_TIME_BETWEEN_CONDITION: {
      const date = parseZonedDateTime(await renderDate(p, ctx));
      const after = typeof p.after === 'string' ? parseZonedDateTime(p.after) : undefined;
      const before = typeof p.before === 'string' ? parseZonedDateTime(p.before) : undefined;
      return between(date, after, before, compareInstants);
    }
    case TIME_BETWEEN_CONDITION: {
      // ZonedDateTime.toOffsetDateTime().toOffsetTime(): the time of day in the date's own offset.
      const date = parseZonedDateTime(await renderDate(p, ctx));
      const time: OffsetTime = { nanoOfDay: date.nanoOfDay, offsetSeconds: date.offsetSeconds };
      const after = typeof p.after === 'string' ? parseOffsetTime(p.after) : undefined;
      const before = typeof p.before === 'string' ? parseOffsetTime(p.before) : undefined;
      return between(time, after, before, compareOffsetTimes);
    }
    case DAY_WEEK_CONDITION:
      return dayOfWeek(parseLocalDate(await renderDate(p, ctx))) === p.dayOfWeek;
    case WEEKEND_CONDITION: {
      const day = dayOfWeek(parseLocalDate(await renderDate(p, ctx)));
      return day === 'SATURDAY' || day === 'SUNDAY';
    }
    case DAY_WEEK_IN_MONTH_CONDITION:
      return dayWeekInMonth(parseLocalDate(await renderDate(p, ctx)), String(p.dayOfWeek), String(p.dayInMonth));
    case PUBLIC_HOLIDAY_CONDITION:
      return publicHoliday(p, ctx);
    default:
      throw new ConditionEvaluationError(`condition type ${condition.declaredType} is not supported by pebbleflow`);
  }
}

/**
 * PublicHoliday: `HolidayManager.getInstance(ManagerParameters.create(country)).isHoliday(date, subDivision)`
 * over Jollyday 0.32.0's calendars (holidays.ts, loaded on the first one). `country` and
 * `subDivision` are rendered; without a country (or a blank one) Jollyday takes the JVM's default
 * locale's, here the render locale's (`{{ locale }}`, en_US: US). A calendar Jollyday does not have
 * cannot be evaluated.
 */
async function publicHoliday(p: Readonly<Record<string, unknown>>, ctx: ConditionContext): Promise<boolean> {
  const renderOptional = async (v: unknown): Promise<string | undefined> => (v == null ? undefined : ctx.render(String(v), ctx.variables));
  let country = await renderOptional(p.country);
  const subDivision = await renderOptional(p.subDivision);
  const date = parseLocalDate(await renderDate(p, ctx));
  if (country === undefined || country.trim() === '') country = (await ctx.render('{{ locale }}', ctx.variables)).split(/[_-]/)[1] ?? '';
  const { isPublicHoliday, HolidayCalendarError } = await import('./holidays.js');
  try {
    return isPublicHoliday(date, country, subDivision);
  } catch (e) {
    if (e instanceof HolidayCalendarError) throw new ConditionEvaluationError(e.message);
    throw e;
  }
}

function between<T>(value: T, after: T | undefined, before: T | undefined, compare: (a: T, b: T) => number): boolean {
  if (before !== undefined && after !== undefined) return compare(value, after) > 0 && compare(value, before) < 0;
  if (before !== undefined) return compare(value, before) < 0;
  if (after !== undefined) return compare(value, after) > 0;
  throw new ConditionEvaluationError('Invalid condition with no before nor after');
}

const renderDate = (p: Readonly<Record<string, unknown>>, ctx: ConditionContext): Promise<string> =>
  ctx.render(typeof p.date === 'string' ? p.date : DEFAULT_DATE, ctx.variables);

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** ExecutionLabels' `labels`: a map or a list of {key, value}; values compared as strings. */
function conditionLabels(raw: unknown): Label[] {
  if (Array.isArray(raw)) return raw.filter(isMap).map((l) => ({ key: String(l.key), value: String(l.value) }));
  if (isMap(raw)) return Object.entries(raw).map(([key, value]) => ({ key, value: String(value) }));
  return [];
}

/**
 * ConditionService.valid: every condition holds; one that cannot be evaluated is reported
 * (`onError`, for the "Evaluate Condition Failed" warning) and counts as false.
 */
export async function conditionsValid(
  conditions: readonly ConditionDefinition[],
  ctx: ConditionContext,
  onError?: (condition: ConditionDefinition, error: Error) => void,
): Promise<boolean> {
  for (const condition of conditions) {
    let holds: boolean;
    try {
      holds = await testCondition(condition, ctx);
    } catch (e) {
      onError?.(condition, e instanceof Error ? e : new Error(String(e)));
      holds = false;
    }
    if (!holds) return false;
  }
  return true;
}

/** ConditionService.areValid / isValid(List<ScheduleCondition>): every condition holds; a throw goes through. */
export async function conditionsHold(conditions: readonly ConditionDefinition[], ctx: ConditionContext): Promise<boolean> {
  for (const condition of conditions) if (!(await testCondition(condition, ctx))) return false;
  return true;
}

/** Whether a condition implements Kestra's `ScheduleCondition` (what Schedule.validateScheduleCondition keeps). */
export const isScheduleCondition = (condition: ConditionDefinition): boolean => SCHEDULE_CONDITION_TYPES.includes(condition.type);

/** The conditions, and those nested in them (Not, Or), in the order written. */
export function flatConditions(conditions: readonly ConditionDefinition[]): ConditionDefinition[] {
  return conditions.flatMap((c) => [c, ...flatConditions(c.conditions ?? [])]);
}

/** The first condition, nested ones (Not, Or) included, whose type pebbleflow does not know. */
export const unsupportedCondition = (conditions: readonly ConditionDefinition[]): ConditionDefinition | undefined =>
  flatConditions(conditions).find((c) => !c.supported);

/** The message Kestra logs for a condition that throws (ConditionService.logException). */
export const conditionFailedMessage = (flow: { id: string; namespace: string }, condition: ConditionDefinition, error: Error): string =>
  `[namespace: ${flow.namespace}] [flow: ${flow.id}] [condition: ${condition.declaredType}] Evaluate Condition Failed with error '${error.message}'`;

/**
 * The variables of Kestra's `runContextFactory.of(flow, execution)` (RunVariables): the flow, its
 * `vars`, the execution (id, startDate, originalId), its inputs, task outputs and states, labels,
 * trigger variables and execution variables. What a condition on an execution renders with.
 */
export function executionVariables(
  flow: {
    readonly id: string;
    readonly namespace: string;
    readonly revision?: number;
    readonly tenantId?: string;
    readonly variables?: unknown;
  },
  execution: Execution,
): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  const tasks: Record<string, unknown> = {};
  for (const r of execution.taskRunList) {
    if (r.value === undefined) {
      if (r.outputs !== undefined && Object.keys(r.outputs).length > 0) outputs[r.taskId] = r.outputs;
      tasks[r.taskId] = { state: r.state.current };
    } else {
      if (r.outputs !== undefined && Object.keys(r.outputs).length > 0)
        ((outputs[r.taskId] ??= {}) as Record<string, unknown>)[r.value] = r.outputs;
      const map = isMap(tasks[r.taskId]) && !('state' in (tasks[r.taskId] as object)) ? (tasks[r.taskId] as Record<string, unknown>) : {};
      map[r.value] = { state: r.state.current };
      tasks[r.taskId] = map;
    }
  }
  const labels: Record<string, unknown> = {};
  for (const { key, value } of execution.labels) if (!(key in labels)) labels[key] = value;
  return {
    flow: {
      id: flow.id,
      namespace: flow.namespace,
      ...(flow.revision === undefined ? {} : { revision: flow.revision }),
      ...(flow.tenantId === undefined ? {} : { tenantId: flow.tenantId }),
    },
    ...(flow.variables === undefined ? {} : { vars: flow.variables }),
    execution: { id: execution.id, startDate: execution.state.startDate, originalId: execution.originalId },
    ...(Object.keys(outputs).length > 0 ? { outputs } : {}),
    ...(execution.taskRunList.length > 0 ? { tasks } : {}),
    inputs: execution.inputs,
    ...(execution.trigger?.variables === undefined ? {} : { trigger: execution.trigger.variables }),
    labels,
    ...(execution.variables ?? {}),
  };
}

/**
 * ConditionService.findValidListeners, for one listener: all its conditions hold on the execution
 * (one that cannot be evaluated is reported and counts as false).
 */
export function listenerHolds(
  listener: ListenerDefinition,
  ctx: ConditionContext,
  onError?: (condition: ConditionDefinition, error: Error) => void,
): Promise<boolean> {
  return conditionsValid(listener.conditions, ctx, onError);
}

/**
 * ConditionService.isTerminatedWithListeners: the execution ended and every task of the listeners
 * that hold on it has a task run that ended (what Kestra's `wait=true` and follow wait for).
 */
export async function endedWithListeners(flow: Flow, ctx: ConditionContext & { readonly execution: Execution }): Promise<boolean> {
  const execution = ctx.execution;
  if (!isTerminal(execution.state.current)) return false;
  const tasks = [];
  for (const l of flow.listeners) if (await listenerHolds(l, ctx)) tasks.push(...l.tasks);
  return tasks
    .filter((t) => !t.disabled)
    .every((t) => execution.taskRunList.some((r) => r.parentTaskRunId === undefined && r.taskId === t.id && isTerminal(r.state.current)));
}

/**
 * What Jackson checks when Kestra reads a flow: DateTimeBetween's `after`/`before` are
 * ZonedDateTimes, TimeBetween's OffsetTimes (a value that does not parse refuses the flow).
 */
export function checkConditionSemantics(
  type: string,
  raw: Readonly<Record<string, unknown>>,
  path: readonly (string | number)[],
  sink: TriggerCheckSink,
): void {
  const check = (parse: (text: string) => unknown, expected: string): void => {
    for (const key of ['after', 'before']) {
      const value = raw[key];
      if (typeof value !== 'string') continue;
      try {
        parse(value);
      } catch (e) {
        if (!(e instanceof ConditionEvaluationError)) throw e;
        sink.invalid(`Invalid ${key} '${value}': expected ${expected}`, [...path, key]);
      }
    }
  };
  if (type === DATE_TIME_BETWEEN_CONDITION)
    check(parseZonedDateTime, 'an ISO 8601 date-time with its offset, such as 2024-01-01T08:30:00Z');
  if (type === TIME_BETWEEN_CONDITION) check(parseOffsetTime, 'an ISO 8601 time with its offset, such as 16:19:12+02:00');
}

// ---------------------------------------------------------------------------------------------
// java.time, as the date conditions parse and compare
// ---------------------------------------------------------------------------------------------

/** A parsed `ZonedDateTime`: its instant, and its local date and time in its own offset. */
export interface ZonedDateTime {
  readonly epochSecond: number;
  readonly nano: number;
  readonly y: number;
  readonly mo: number;
  readonly d: number;
  readonly nanoOfDay: number;
  readonly offsetSeconds: number;
}

interface OffsetTime {
  readonly nanoOfDay: number;
  readonly offsetSeconds: number;
}

interface LocalDate {
  readonly y: number;
  readonly mo: number;
  readonly d: number;
}

const TIME = String.raw`(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?`;
const OFFSET = String.raw`([Zz]|[+-]\d{2}:\d{2}(?::\d{2})?)`;
const ZONED_RE = new RegExp(String.raw`^([+-]?\d{4,9})-(\d{2})-(\d{2})[Tt]${TIME}${OFFSET}(?:\[([^\]]+)\])?$`);
const OFFSET_TIME_RE = new RegExp(String.raw`^${TIME}${OFFSET}$`);
const LOCAL_DATE_RE = /^([+-]?\d{4,9})-(\d{2})-(\d{2})$/;

const daysInMonth = (y: number, mo: number): number => new Date(Date.UTC(y, mo, 0)).getUTCDate();

function validDate(y: number, mo: number, d: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

function parseOffset(text: string): number | undefined {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const [h, m, s = '0'] = text.slice(1).split(':');
  const hh = Number(h);
  const mm = Number(m);
  const ss = Number(s);
  if (hh > 18 || mm > 59 || ss > 59) return undefined;
  const total = hh * 3600 + mm * 60 + ss;
  return total > 18 * 3600 ? undefined : sign * total;
}

function parseTime(h: string, mi: string, s: string | undefined, f: string | undefined): number | undefined {
  const hh = Number(h);
  const mm = Number(mi);
  const ss = s === undefined ? 0 : Number(s);
  if (hh > 23 || mm > 59 || ss > 59) return undefined;
  const nanos = f === undefined ? 0 : Number(f.padEnd(9, '0'));
  return ((hh * 60 + mm) * 60 + ss) * 1e9 + nanos;
}

const parseError = (kind: string, text: string): ConditionEvaluationError =>
  new ConditionEvaluationError(`Text '${text}' could not be parsed as ${kind}`);

/** `ZonedDateTime.parse` (ISO_ZONED_DATE_TIME): an offset is required; a `[zone]` after it moves the offset to the zone's. */
export function parseZonedDateTime(text: string): ZonedDateTime {
  const m = ZONED_RE.exec(text);
  if (m === null) throw parseError('a date-time with an offset (ISO 8601)', text);
  const [, ys, mos, ds, h, mi, s, f, off, zone] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const nanoOfDay = parseTime(h!, mi!, s, f);
  const offsetSeconds = parseOffset(off!);
  if (!validDate(y, mo, d) || nanoOfDay === undefined || offsetSeconds === undefined)
    throw parseError('a date-time with an offset (ISO 8601)', text);
  const nano = nanoOfDay % 1e9;
  const epochSecond = Date.UTC(y, mo - 1, d) / 1000 + Math.floor(nanoOfDay / 1e9) - offsetSeconds;
  if (zone === undefined) return { epochSecond, nano, y, mo, d, nanoOfDay, offsetSeconds };
  // ZonedDateTime.from keeps the instant and takes the zone's offset at it.
  let local;
  try {
    local = cronZone(zone).toLocal(epochSecond * 1000);
  } catch (e) {
    if (e instanceof CronError) throw parseError('a date-time with an offset (ISO 8601)', text);
    throw e;
  }
  const zoned = Date.UTC(local.y, local.mo - 1, local.d, local.h, local.mi, local.s) / 1000;
  return {
    epochSecond,
    nano,
    y: local.y,
    mo: local.mo,
    d: local.d,
    nanoOfDay: ((local.h * 60 + local.mi) * 60 + local.s) * 1e9 + nano,
    offsetSeconds: zoned - epochSecond,
  };
}

/** `OffsetTime.parse` (ISO_OFFSET_TIME). */
export function parseOffsetTime(text: string): OffsetTime {
  const m = OFFSET_TIME_RE.exec(text);
  const nanoOfDay = m === null ? undefined : parseTime(m[1]!, m[2]!, m[3], m[4]);
  const offsetSeconds = m === null ? undefined : parseOffset(m[5]!);
  if (nanoOfDay === undefined || offsetSeconds === undefined) throw parseError('a time with an offset (ISO 8601)', text);
  return { nanoOfDay, offsetSeconds };
}

/** DateUtils.parseLocalDate: an ISO local date, else the local date of a zoned date-time (in its own offset). */
export function parseLocalDate(text: string): LocalDate {
  const m = LOCAL_DATE_RE.exec(text);
  if (m !== null) {
    const date = { y: Number(m[1]), mo: Number(m[2]), d: Number(m[3]) };
    if (validDate(date.y, date.mo, date.d)) return date;
  }
  const zoned = parseZonedDateTime(text);
  return { y: zoned.y, mo: zoned.mo, d: zoned.d };
}

const compareInstants = (a: ZonedDateTime, b: ZonedDateTime): number => a.epochSecond - b.epochSecond || a.nano - b.nano;

/** OffsetTime.compareTo's instant part: the time of day less the offset, on the same nominal day. */
const compareOffsetTimes = (a: OffsetTime, b: OffsetTime): number =>
  a.nanoOfDay - a.offsetSeconds * 1e9 - (b.nanoOfDay - b.offsetSeconds * 1e9);

function dayOfWeek(date: LocalDate): string {
  const utcDay = new Date(Date.UTC(date.y, date.mo - 1, date.d)).getUTCDay(); // 0 = Sunday
  return DAYS[(utcDay + 6) % 7]!;
}

/** DayWeekInMonth: the date is the first (second, third, fourth) or last such weekday of its month. */
function dayWeekInMonth(date: LocalDate, day: string, which: string): boolean {
  const target = DAYS.indexOf(day as (typeof DAYS)[number]);
  const firstOfMonth = DAYS.indexOf(dayOfWeek({ y: date.y, mo: date.mo, d: 1 }) as (typeof DAYS)[number]);
  const first = 1 + ((target - firstOfMonth + 7) % 7);
  let computed: number;
  if (which === 'FIRST') computed = first;
  else if (which === 'SECOND') computed = first + 7;
  else if (which === 'THIRD') computed = first + 14;
  else if (which === 'FOURTH') computed = first + 21;
  else if (which === 'LAST') computed = first + 7 * Math.floor((daysInMonth(date.y, date.mo) - first) / 7);
  else throw new ConditionEvaluationError('Invalid dayInMonth');
  return computed === date.d;
}
