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
import type { TriggerDefinition } from '../../flow/triggers.js';

export type RecoverMissedSchedules = 'ALL' | 'LAST' | 'NONE';

export interface ScheduleSpec {
  readonly cron: CronSchedule;
  readonly withSeconds: boolean;
  readonly timezone: string;
  readonly recover: RecoverMissedSchedules;
  readonly lateMaximumDelayMs?: number;
  /** Changes when the cron, its precision or its zone change: a new schedule then starts afresh. */
  readonly fingerprint: string;
}

export function scheduleSpec(trigger: TriggerDefinition): ScheduleSpec {
  const p = trigger.properties;
  const withSeconds = p.withSeconds === true;
  const timezone = typeof p.timezone === 'string' ? p.timezone : defaultZoneId();
  const cronText = String(p.cron);
  const cron = CronSchedule.of(cronText, { withSeconds, timezone });
  const recover = p.recoverMissedSchedules === 'LAST' || p.recoverMissedSchedules === 'NONE' ? p.recoverMissedSchedules : 'ALL';
  const late = typeof p.lateMaximumDelay === 'string' ? parseDuration(p.lateMaximumDelay) : undefined;
  return {
    cron,
    withSeconds,
    timezone,
    recover,
    ...(late === undefined ? {} : { lateMaximumDelayMs: late }),
    fingerprint: `${cronText}|${withSeconds}|${timezone}`,
  };
}

/** A cron pattern whose field count says its precision (nicknames expanded): what a BullMQ scheduler stores. */
export function bullPattern(trigger: TriggerDefinition): string {
  const withSeconds = trigger.properties.withSeconds === true;
  const text = String(trigger.properties.cron);
  parseCron(text, { withSeconds });
  return expandNickname(text, withSeconds);
}

/** The schedule of a BullMQ pattern (6 fields: with seconds). */
export function scheduleOfPattern(pattern: string, timezone: string | undefined): CronSchedule {
  return CronSchedule.of(pattern, { withSeconds: pattern.trim().split(/\s+/).length === 6, timezone: timezone ?? defaultZoneId() });
}

/** `trigger.date`, `trigger.next`, `trigger.previous` of the tick at `tickMs`. */
export function scheduleVariables(spec: Pick<ScheduleSpec, 'cron'>, tickMs: number): Record<string, string> {
  const next = spec.cron.next(tickMs);
  const previous = spec.cron.previous(tickMs);
  return {
    date: spec.cron.format(tickMs),
    ...(next === undefined ? {} : { next: spec.cron.format(next) }),
    ...(previous === undefined ? {} : { previous: spec.cron.format(previous) }),
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
  const latest = spec.cron.previous(nowMs + 1);
  if (latest === undefined || latest.getTime() <= lastMs) return { ticks: [], capped: false };
  if (spec.recover === 'LAST') return { ticks: [latest.getTime()], capped: false };
  const ticks: number[] = [];
  for (let t: Date | undefined = latest; t !== undefined && t.getTime() > lastMs; t = spec.cron.previous(t)) {
    if (ticks.length === limit) return { ticks: ticks.reverse(), capped: true };
    ticks.push(t.getTime());
  }
  return { ticks: ticks.reverse(), capped: false };
}
