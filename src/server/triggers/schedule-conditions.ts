/**
 * How Kestra's Schedule looks for the ticks whose conditions hold (Schedule.java:
 * `truePreviousNextDateWithCondition`, used by `trueOutputWithCondition` for `trigger.next` and
 * `previous`, and by `nextEvaluationDate` for the trigger state's `nextExecutionDate`), and the
 * `trigger.date` the scheduler's first test of a tick sees (AbstractScheduler.computeSchedulable).
 *
 * Kestra tests tick after tick while the tick last tested lies before the current year + 10
 * (after the year − 10 backwards). Each test renders templates, so a condition that never holds
 * over a frequent cron would take hours; two things keep the same answer cheap:
 * - a failing condition whose result cannot change before some instant lets the search jump
 *   there: DayWeek, DayWeekInMonth, Weekend, PublicHoliday (and Or/Not of them) on `trigger.date`
 *   hold for a whole local day; DateTimeBetween on `trigger.date` fails up to `after` and from
 *   `before` on. Only when every condition tested before it is of these kinds too (their results,
 *   errors included, then cannot differ on the ticks skipped);
 * - what is left (an Expression on a frequent cron) is tested at most SEARCH_BUDGET times per
 *   search, then the search gives up as if past the ten years (logged).
 */
import { conditionsHold, parseZonedDateTime, type ConditionContext } from '../../flow/conditions.js';
import { CronSchedule, cronZone, type CronZone } from '../../flow/cron.js';
import {
  DATE_TIME_BETWEEN_CONDITION,
  DAY_WEEK_CONDITION,
  DAY_WEEK_IN_MONTH_CONDITION,
  NOT_CONDITION,
  OR_CONDITION,
  PUBLIC_HOLIDAY_CONDITION,
  TIME_BETWEEN_CONDITION,
  WEEKEND_CONDITION,
  type ConditionDefinition,
} from '../../flow/triggers.js';
import { systemZone } from '../../engine/builtins/kestra/dates.js';
import { JZonedDateTime } from '../../engine/values.js';
import type { ScheduleSpec } from './schedule.js';

/**
 * Condition tests one search may make before it gives up: as many ticks as pebbleflow looked at
 * before. The cost is mostly the cron's steps (about 2 ms a tick for a minutely cron here).
 */
export const SEARCH_BUDGET = 10_000;

/** The JVM's default zone, as Kestra's scheduler reads `nextExecutionDate` back (Jackson, `TimeZone.getDefault()`). */
function schedulerZone(): CronZone {
  return cronZone(systemZone().id());
}

const offsetAt = (zone: CronZone, ms: number): number => {
  const l = zone.toLocal(ms);
  return (Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s) - Math.floor(ms / 1000) * 1000) / 1000;
};

/**
 * `trigger.date` of the scheduler's first test of a tick: the trigger state's `nextExecutionDate`
 * as the JDBC scheduler reads it back from its database, a ZonedDateTime in the JVM's default zone
 * (JdbcMapper writes `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`; Jackson adjusts it to its context zone).
 */
export function schedulerDate(tickMs: number): JZonedDateTime {
  const zone = schedulerZone();
  const epochSecond = Math.floor(tickMs / 1000);
  return new JZonedDateTime(epochSecond, (tickMs - epochSecond * 1000) * 1_000_000, offsetAt(zone, tickMs), zone.id);
}

export interface SearchOptions {
  readonly spec: ScheduleSpec;
  /** The ScheduleConditions of the trigger's `conditions`, as Schedule.validateScheduleCondition tests them. */
  readonly conditions: readonly ConditionDefinition[];
  /** The condition context of a tick, its `trigger`/`schedule` = {date, next, previous}. */
  readonly contextOf: (variables: Record<string, string>) => ConditionContext;
  /** Called when the budget ran out. */
  readonly onBudget?: (tests: number) => void;
  /** Defaults to SEARCH_BUDGET. */
  readonly budget?: number;
  /** "Now", for the ten-year bound (tests). */
  readonly nowMs?: number;
}

const TRIGGER_DATE = /^\s*\{\{-?\s*trigger\.date\s*-?\}\}\s*$/;
const onTriggerDate = (c: ConditionDefinition): boolean =>
  c.properties.date === undefined ||
  c.properties.date === null ||
  (typeof c.properties.date === 'string' && TRIGGER_DATE.test(c.properties.date));
const constant = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && !v.includes('{'));

/** Whether a condition's result (or error) is the same for every tick of one local day (in the zone `trigger.date` prints in). */
function dayConstant(c: ConditionDefinition): boolean {
  switch (c.type) {
    case DAY_WEEK_CONDITION:
    case DAY_WEEK_IN_MONTH_CONDITION:
    case WEEKEND_CONDITION:
      return onTriggerDate(c);
    case PUBLIC_HOLIDAY_CONDITION:
      return onTriggerDate(c) && constant(c.properties.country) && constant(c.properties.subDivision);
    case OR_CONDITION:
    case NOT_CONDITION:
      return (c.conditions ?? []).length > 0 && (c.conditions ?? []).every(dayConstant);
    default:
      return false;
  }
}

const isBetween = (c: ConditionDefinition): boolean =>
  c.type === DATE_TIME_BETWEEN_CONDITION && onTriggerDate(c) && constant(c.properties.after) && constant(c.properties.before);

/** Whether a condition renders nothing (a date written out, `expression: "false"`): the same result on every tick. */
const tickConstant = (c: ConditionDefinition): boolean =>
  // A date condition without `date` reads `{{ trigger.date }}`.
  (!DATE_TYPES.has(c.type) || typeof c.properties.date === 'string') &&
  !/\{[{%]/.test(JSON.stringify(c.properties)) &&
  (c.conditions ?? []).every(tickConstant);
const DATE_TYPES = new Set([
  DAY_WEEK_CONDITION,
  DAY_WEEK_IN_MONTH_CONDITION,
  WEEKEND_CONDITION,
  PUBLIC_HOLIDAY_CONDITION,
  DATE_TIME_BETWEEN_CONDITION,
  TIME_BETWEEN_CONDITION,
]);

/** Whether a condition's result changes only at instants skip() can tell. */
const skippable = (c: ConditionDefinition): boolean => tickConstant(c) || dayConstant(c) || isBetween(c);

/** The instant in epoch ms of a DateTimeBetween bound. */
function boundMs(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const z = parseZonedDateTime(text);
  return z.epochSecond * 1000 + Math.floor(z.nano / 1e6);
}

/**
 * Where the search may go on from a tick at which `failing` does not hold, every tick between
 * failing too: the last tick to count as tested and the next candidate; `done` when no later
 * (earlier) tick can hold.
 */
function skip(
  failing: ConditionDefinition,
  cron: CronSchedule,
  tick: number,
  forward: boolean,
): { readonly done: true } | { readonly done: false; readonly lastFailing: number } {
  if (tickConstant(failing)) return { done: true };
  if (isBetween(failing)) {
    const after = boundMs(failing.properties.after);
    const before = boundMs(failing.properties.before);
    // It fails at or before `after`, and at or after `before`.
    if (after !== undefined && tick <= after) {
      if (!forward) return { done: true };
      const last = cron.previous(after + 1)?.getTime();
      return { done: false, lastFailing: last === undefined ? tick : Math.max(last, tick) };
    }
    if (forward) return { done: true };
    const first = before === undefined ? undefined : cron.next(before - 1)?.getTime();
    return { done: false, lastFailing: first === undefined ? tick : Math.min(first, tick) };
  }
  // The rest of the local day: from its start (backward), up to the next day's start (forward).
  const l = cron.zone.toLocal(tick);
  return { done: false, lastFailing: forward ? dayStart(cron.zone, l.y, l.mo, l.d + 1) - 1 : dayStart(cron.zone, l.y, l.mo, l.d) };
}

/** The first instant of a local day (its midnight, or the end of a gap that swallows it). */
function dayStart(zone: CronZone, y: number, mo: number, d: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  const day = { y: date.getUTCFullYear(), mo: date.getUTCMonth() + 1, d: date.getUTCDate() };
  for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
    const instants = zone.toInstants({ ...day, h: Math.floor(minutes / 60), mi: minutes % 60, s: 0 });
    if (instants.length > 0) return instants[0]!;
  }
  throw new Error(`No start of day ${day.y}-${day.mo}-${day.d} in ${zone.id}`);
}

/**
 * The conditions over the ticks from `fromMs` on (excluded): the first tick whose conditions hold,
 * forward or backward, within Kestra's ten years; undefined when none does (or the budget ran
 * out). Throws when a condition cannot be evaluated, as Kestra's InternalException goes up.
 */
export async function trueDateWithCondition(options: SearchOptions, fromMs: number, forward: boolean): Promise<number | undefined> {
  const { spec, conditions } = options;
  const cron = spec.ticks;
  const budget = options.budget ?? SEARCH_BUDGET;
  const nowYear = schedulerZone().toLocal(options.nowMs ?? Date.now()).y;
  const zone = cron instanceof CronSchedule ? cron.zone : cronZone(spec.timezone);
  const inBounds = (ms: number): boolean => {
    const y = zone.toLocal(ms).y;
    return forward ? y < nowYear + 10 : y > nowYear - 10;
  };
  const skipAll = cron instanceof CronSchedule && conditions.every(skippable);
  let tested = fromMs;
  // The tick after (before) the one tested, when known: a cron step costs more than a test.
  let known: number | undefined;
  let testedIsTick = false;
  let tests = 0;
  while (inBounds(tested)) {
    const candidate = known ?? (forward ? cron.next(tested) : cron.previous(tested))?.getTime();
    if (candidate === undefined) return undefined;
    if (tests++ >= budget) {
      options.onBudget?.(budget);
      return undefined;
    }
    // Other timers and requests get their turn during a long search.
    if (tests % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    const further = (forward ? cron.next(candidate) : cron.previous(candidate))?.getTime();
    const back = testedIsTick ? tested : (forward ? cron.previous(candidate) : cron.next(candidate))?.getTime();
    const [next, previous] = forward ? [further, back] : [back, further];
    const variables: Record<string, string> = {
      date: cron.format(candidate),
      ...(next === undefined ? {} : { next: cron.format(next) }),
      ...(previous === undefined ? {} : { previous: cron.format(previous) }),
    };
    const failing = await firstFailing(conditions, options.contextOf(variables));
    if (failing === undefined) return candidate;
    if (skipAll) {
      const step = skip(failing, cron, candidate, forward);
      if (step.done) return undefined;
      // Years only grow (shrink) over the ticks skipped: the bound is checked on the last one.
      if (step.lastFailing !== candidate) {
        tested = step.lastFailing;
        known = undefined;
        testedIsTick = false;
        continue;
      }
    }
    tested = candidate;
    known = further;
    testedIsTick = true;
    if (further === undefined) return undefined;
  }
  return undefined;
}

/** The first condition that does not hold (allMatch's order), or undefined when all hold. */
async function firstFailing(conditions: readonly ConditionDefinition[], ctx: ConditionContext): Promise<ConditionDefinition | undefined> {
  for (const c of conditions) if (!(await conditionsHold([c], ctx))) return c;
  return undefined;
}
