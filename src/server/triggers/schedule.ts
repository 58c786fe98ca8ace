/**
 * Kestra's `Schedule` trigger, the parts both the embedded scheduler and a BullMQ worker need:
 * the cron in its zone, the dates an execution sees (`trigger.date`, `next`, `previous`, printed
 * in the trigger's zone as Kestra's Jackson does), `lateMaximumDelay`, the missed ticks to run
 * after downtime (`recoverMissedSchedules`: ALL by default, LAST, NONE), and one deterministic
 * execution id per tick, so however many processes see a tick, one execution exists for it.
 * Reference: `core/src/main/java/io/kestra/plugin/core/trigger/Schedule.java`,
 * `core/src/main/java/io/kestra/core/schedulers/AbstractScheduler.java`.
 */
import { createHash } from 'node:crypto';
import { CronSchedule, defaultZoneId, expandNickname, parseCron } from '../../flow/cron.js';
import { parseDuration } from '../../flow/duration.js';
import { SCHEDULE_ON_DATES_TRIGGER, type TriggerDefinition } from '../../flow/triggers.js';

export type RecoverMissedSchedules = 'ALL' | 'LAST' | 'NONE';

/** The instants a schedule fires at: a cron's ticks, or ScheduleOnDates' list of dates. */
export interface TickSource {
  /** The first tick strictly after `after`. */
  next(after: Date | number): Date | undefined;
  /** The last tick strictly before `before`. */
  previous(before: Date | number): Date | undefined;
  /** The instant as Kestra prints it in the schedule's zone. */
  format(instant: Date | number): string;
}

/**
 * ScheduleOnDates' ticks: its `dates` (rendered by the server when it arms the trigger), sorted,
 * truncated to the second as Kestra's `nextDate` does, in the trigger's `timezone`.
 */
export class DatesTicks implements TickSource {
  readonly dates: readonly number[];
  private readonly zone: CronSchedule;

  constructor(dates: readonly number[], timezone: string) {
    this.dates = [...new Set(dates.map((d) => Math.floor(d / 1000) * 1000))].sort((a, b) => a - b);
    // Only its zone's printing is used: the cron itself never ticks.
    this.zone = CronSchedule.of('* * * * *', { timezone });
  }

  next(after: Date | number): Date | undefined {
    const ms = typeof after === 'number' ? after : after.getTime();
    const found = this.dates.find((d) => d > ms);
    return found === undefined ? undefined : new Date(found);
  }

  previous(before: Date | number): Date | undefined {
    const ms = typeof before === 'number' ? before : before.getTime();
    const found = this.dates.findLast((d) => d < ms);
    return found === undefined ? undefined : new Date(found);
  }

  format(instant: Date | number): string {
    return this.zone.format(instant);
  }
}

export interface ScheduleSpec {
  readonly ticks: TickSource;
  /** ScheduleOnDates: its executions carry no `trigger` variables (Kestra's generateScheduledExecution with an empty map). */
  readonly onDates?: true;
  readonly withSeconds: boolean;
  readonly timezone: string;
  readonly recover: RecoverMissedSchedules;
  readonly lateMaximumDelayMs?: number;
  /** Changes when the cron, its precision or its zone change: a new schedule then starts afresh. */
  readonly fingerprint: string;
}

/**
 * The spec of a Schedule, or of a ScheduleOnDates whose `dates` were rendered to `dates` (epoch
 * ms): rendering needs the flow's context, which `renderScheduleDates` (rendering.ts) has.
 */
export function scheduleSpec(trigger: TriggerDefinition, dates?: readonly number[]): ScheduleSpec {
  const p = trigger.properties;
  if (trigger.type === SCHEDULE_ON_DATES_TRIGGER) {
    if (dates === undefined) throw new Error(`ScheduleOnDates trigger ${trigger.id}: its dates were not rendered`);
    const timezone = typeof p.timezone === 'string' ? p.timezone : defaultZoneId();
    const ticks = new DatesTicks(dates, timezone);
    const recover = p.recoverMissedSchedules === 'LAST' || p.recoverMissedSchedules === 'NONE' ? p.recoverMissedSchedules : 'ALL';
    return { ticks, onDates: true, withSeconds: true, timezone, recover, fingerprint: `dates:${ticks.dates.join(',')}|${timezone}` };
  }
  const withSeconds = p.withSeconds === true;
  const timezone = typeof p.timezone === 'string' ? p.timezone : defaultZoneId();
  const cronText = String(p.cron);
  const cron = CronSchedule.of(cronText, { withSeconds, timezone });
  const recover = p.recoverMissedSchedules === 'LAST' || p.recoverMissedSchedules === 'NONE' ? p.recoverMissedSchedules : 'ALL';
  const late = typeof p.lateMaximumDelay === 'string' ? parseDuration(p.lateMaximumDelay) : undefined;
  return {
    ticks: cron,
    withSeconds,
    timezone,
    recover,
    ...(late === undefined ? {} : { lateMaximumDelayMs: late }),
    fingerprint: `${cronText}|${withSeconds}|${timezone}`,
  };
}

/** How a BullMQ scheduler's pattern carries ScheduleOnDates' dates: `@dates ms,ms,…`. */
const DATES_PATTERN = '@dates ';

/**
 * A cron pattern whose field count says its precision (nicknames expanded): what a BullMQ
 * scheduler stores; for ScheduleOnDates, its dates (`@dates ms,ms,…`).
 */
export function bullPattern(trigger: TriggerDefinition, spec?: ScheduleSpec): string {
  if (spec?.ticks instanceof DatesTicks) return `${DATES_PATTERN}${spec.ticks.dates.join(',')}`;
  const withSeconds = trigger.properties.withSeconds === true;
  const text = String(trigger.properties.cron);
  parseCron(text, { withSeconds });
  return expandNickname(text, withSeconds);
}

/** The schedule of a BullMQ pattern (6 fields: with seconds; `@dates …`: ScheduleOnDates'). */
export function scheduleOfPattern(pattern: string, timezone: string | undefined): TickSource {
  if (pattern.startsWith(DATES_PATTERN))
    return new DatesTicks(pattern.slice(DATES_PATTERN.length).split(',').filter(Boolean).map(Number), timezone ?? defaultZoneId());
  return CronSchedule.of(pattern, { withSeconds: pattern.trim().split(/\s+/).length === 6, timezone: timezone ?? defaultZoneId() });
}

/** `trigger.date`, `trigger.next`, `trigger.previous` of the tick at `tickMs`. */
export function scheduleVariables(spec: Pick<ScheduleSpec, 'ticks'>, tickMs: number): Record<string, string> {
  const next = spec.ticks.next(tickMs);
  const previous = spec.ticks.previous(tickMs);
  return {
    date: spec.ticks.format(tickMs),
    ...(next === undefined ? {} : { next: spec.ticks.format(next) }),
    ...(previous === undefined ? {} : { previous: spec.ticks.format(previous) }),
  };
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** One id per (trigger, tick): a second process that sees the tick finds the execution already there. */
export function tickExecutionId(uid: string, tickMs: number): string {
  const digest = createHash('sha256').update(`${uid}@${tickMs}`).digest();
  let out = '';
  for (let i = 0; i < 22; i++) out += BASE62[digest[i]! % 62];
  return out;
}

/** Ticks past `lateMaximumDelay` are skipped (Kestra's handleMaxDelay). */
export function isTooLate(spec: ScheduleSpec, tickMs: number, nowMs: number): boolean {
  return spec.lateMaximumDelayMs !== undefined && tickMs + spec.lateMaximumDelayMs < nowMs;
}

/**
 * The ticks after `lastMs` up to `nowMs` that the policy says to run, oldest first. ALL keeps at
 * most `limit` (the most recent ones; `capped` says older ones were left out).
 */
export function missedTicks(spec: ScheduleSpec, lastMs: number, nowMs: number, limit = 10_000): { ticks: number[]; capped: boolean } {
  if (spec.recover === 'NONE') return { ticks: [], capped: false };
  const latest = spec.ticks.previous(nowMs + 1);
  if (latest === undefined || latest.getTime() <= lastMs) return { ticks: [], capped: false };
  if (spec.recover === 'LAST') return { ticks: [latest.getTime()], capped: false };
  const ticks: number[] = [];
  for (let t: Date | undefined = latest; t !== undefined && t.getTime() > lastMs; t = spec.ticks.previous(t)) {
    if (ticks.length === limit) return { ticks: ticks.reverse(), capped: true };
    ticks.push(t.getTime());
  }
  return { ticks: ticks.reverse(), capped: false };
}
