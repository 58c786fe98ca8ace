/**
 * Kestra's cron: the cron-utils definition its `Schedule` trigger builds (UNIX fields — minute,
 * hour, day of month, month, day of week — strict ranges, `withSeconds: true` adds a leading
 * seconds field; the nicknames @yearly @annually @monthly @weekly @daily @midnight @hourly), and
 * cron-utils' `ExecutionTime` semantics: when both day fields are restricted a day matching
 * either runs (union), only a literal `*` counts as unrestricted, local times that a DST gap
 * skips do not run, and an overlap runs once for schedules less frequent than hourly.
 *
 * Reference: `core/src/main/java/io/kestra/plugin/core/trigger/Schedule.java` (kestra-io/kestra)
 * and `model/time/SingleExecutionTime.java`, `FieldParser.java`, `ValidationFieldExpressionVisitor.java`
 * (jmrozanec/cron-utils).
 */
import { createRequire } from 'node:module';
import type * as JodaCore from '@js-joda/core';
import { PebbleflowError } from '../errors/pebbleflow-error.js';

export type CronErrorCode = 'INVALID_CRON';

/** A cron expression or time zone Kestra would refuse (its message). */
export class CronError extends PebbleflowError<CronErrorCode> {
  constructor(message: string) {
    super('INVALID_CRON', message);
  }
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day of month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: { JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12 },
};
// Kestra: withMondayDoWValue(1).withIntMapping(7, 0) — Sunday is 0 or 7.
const DAY_OF_WEEK: FieldSpec = { name: 'day of week', min: 0, max: 7, names: { MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6, SUN: 7 } };

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** A nickname's expression (`@daily` → `0 0 * * *`, with a leading `0` seconds field when `withSeconds`), or the text as given. */
export function expandNickname(text: string, withSeconds: boolean): string {
  const trimmed = text.trim();
  const expanded = NICKNAMES[trimmed.toLowerCase()];
  if (expanded === undefined) return trimmed;
  return withSeconds ? `0 ${expanded}` : expanded;
}

/** A parsed expression: the allowed values of each field. */
export interface CronExpression {
  readonly source: string;
  readonly withSeconds: boolean;
  readonly seconds: readonly boolean[];
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly daysOfMonth: readonly boolean[];
  readonly months: readonly boolean[];
  /** 0 = Sunday … 6 = Saturday. */
  readonly daysOfWeek: readonly boolean[];
  /** A literal `*` (cron-utils' `Always`): the other day field alone decides. */
  readonly dayOfMonthAlways: boolean;
  readonly dayOfWeekAlways: boolean;
  readonly everyHour: boolean;
}

function fail(detail: string): never {
  throw new CronError(`Failed to parse cron expression. ${detail}`);
}

function parseValue(text: string, spec: FieldSpec): number {
  const named = spec.names?.[text.toUpperCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text)) fail(`Invalid value. Expected some integer, found ${text}`);
  const value = Number(text);
  if (value < spec.min || value > spec.max) fail(`Value ${value} not in range [${spec.min}, ${spec.max}]`);
  return value;
}

/** One field: `*`, `a`, `a-b`, with an optional `/step`, comma-separated. */
function parseField(text: string, spec: FieldSpec): { values: boolean[]; always: boolean } {
  const values = new Array<boolean>(spec.max + 1).fill(false);
  if (text === '*') {
    for (let v = spec.min; v <= spec.max; v++) values[v] = true;
    return { values, always: true };
  }
  if (text.endsWith(',')) fail(`Invalid field value! Trailing commas not permitted! '${text}'`);
  for (const part of text.split(',')) {
    if (part === '') fail(`Invalid expression: ${text}`);
    const slash = part.indexOf('/');
    const range = slash < 0 ? part : part.slice(0, slash);
    let step = 1;
    if (slash >= 0) {
      const stepText = part.slice(slash + 1);
      if (stepText === '') fail(`Missing steps for expression: ${part}`);
      if (!/^\d+$/.test(stepText)) fail(`Invalid value. Expected some integer, found ${stepText}`);
      step = Number(stepText);
      if (!(step > 0 && step <= spec.max - spec.min + 1 && step <= spec.max))
        fail(`Period ${step} not in range [${spec.min}, ${spec.max}]`);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a, b, ...rest] = range.split('-');
      if (a === undefined || b === undefined || a === '' || b === '' || rest.length > 0) fail(`Missing values for range: ${range}`);
      from = parseValue(a, spec);
      to = parseValue(b, spec);
      if (from > to) fail(`Invalid range! [${from},${to}]`);
    } else {
      if (range === '?' || /[LW#]/i.test(range))
        fail(`Invalid chars in expression! Expression: ${range} Invalid chars: ${range.replace(/[\d*,/-]/g, '')}`);
      from = parseValue(range, spec);
      // `a/n` runs from a to the end of the range.
      to = slash >= 0 ? spec.max : from;
    }
    for (let v = from; v <= to; v += step) values[v] = true;
  }
  return { values, always: false };
}

/** Parses an expression as Kestra's Schedule does (`withSeconds` adds the leading seconds field). */
export function parseCron(expression: string, options: { withSeconds?: boolean } = {}): CronExpression {
  const withSeconds = options.withSeconds === true;
  const trimmed = expression.trim();
  if (trimmed === '') throw new CronError('Empty expression!');
  if (trimmed.startsWith('@') && NICKNAMES[trimmed.toLowerCase()] === undefined) throw new CronError(`Nickname ${trimmed} not supported!`);
  const text = expandNickname(trimmed, withSeconds);
  const parts = text.split(/\s+/);
  const expected = withSeconds ? 6 : 5;
  if (parts.length !== expected) throw new CronError(`Cron expression contains ${parts.length} parts but we expect one of [${expected}]`);
  const fields = withSeconds ? parts : ['0', ...parts];
  const [s, mi, h, dom, mo, dow] = fields as [string, string, string, string, string, string];
  const seconds = parseField(s, SECOND);
  const minutes = parseField(mi, MINUTE);
  const hours = parseField(h, HOUR);
  const daysOfMonth = parseField(dom, DAY_OF_MONTH);
  const months = parseField(mo, MONTH);
  const week = parseField(dow, DAY_OF_WEEK);
  const daysOfWeek = week.values.slice(0, 7);
  if (week.values[7] === true) daysOfWeek[0] = true;
  return {
    source: expression,
    withSeconds,
    seconds: seconds.values,
    minutes: minutes.values,
    hours: hours.values,
    daysOfMonth: daysOfMonth.values,
    months: months.values,
    daysOfWeek,
    dayOfMonthAlways: daysOfMonth.always,
    dayOfWeekAlways: week.always,
    everyHour: hours.values.every((v, i) => i > 23 || v),
  };
}

// ---------------------------------------------------------------------------------------------
// Local date-time arithmetic on plain numbers (fields in the schedule's zone).
// ---------------------------------------------------------------------------------------------

interface Local {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const daysInMonth = (y: number, mo: number): number => new Date(Date.UTC(y, mo, 0)).getUTCDate();
const dayOfWeek = (y: number, mo: number, d: number): number => new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
const localKey = (t: Local): number => Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, t.s);
const fromKey = (ms: number): Local => {
  const date = new Date(ms);
  return {
    y: date.getUTCFullYear(),
    mo: date.getUTCMonth() + 1,
    d: date.getUTCDate(),
    h: date.getUTCHours(),
    mi: date.getUTCMinutes(),
    s: date.getUTCSeconds(),
  };
};

function dayMatches(c: CronExpression, y: number, mo: number, d: number): boolean {
  const byMonth = c.daysOfMonth[d] === true;
  const byWeek = c.daysOfWeek[dayOfWeek(y, mo, d)] === true;
  if (c.dayOfMonthAlways && c.dayOfWeekAlways) return true;
  if (c.dayOfMonthAlways) return byWeek;
  if (c.dayOfWeekAlways) return byMonth;
  return byMonth || byWeek;
}

const first = (set: readonly boolean[], from: number, to: number): number => {
  for (let v = from; v <= to; v++) if (set[v] === true) return v;
  return -1;
};
const last = (set: readonly boolean[], from: number, to: number): number => {
  for (let v = from; v >= to; v--) if (set[v] === true) return v;
  return -1;
};

/** Years searched before a schedule is declared never-firing (cron-utils gives up after 100). */
const YEAR_HORIZON = 100;

/** The first local time at or after `t` that matches, or undefined. */
function nextLocal(c: CronExpression, start: Local): Local | undefined {
  const t = { ...start };
  const limit = start.y + YEAR_HORIZON;
  while (t.y <= limit) {
    const mo = first(c.months, t.mo, 12);
    if (mo < 0) {
      Object.assign(t, { y: t.y + 1, mo: 1, d: 1, h: 0, mi: 0, s: 0 });
      continue;
    }
    if (mo !== t.mo) Object.assign(t, { mo, d: 1, h: 0, mi: 0, s: 0 });
    const length = daysInMonth(t.y, t.mo);
    let d = t.d;
    while (d <= length && !dayMatches(c, t.y, t.mo, d)) d++;
    if (d > length) {
      Object.assign(t, t.mo === 12 ? { y: t.y + 1, mo: 1 } : { mo: t.mo + 1 }, { d: 1, h: 0, mi: 0, s: 0 });
      continue;
    }
    if (d !== t.d) Object.assign(t, { d, h: 0, mi: 0, s: 0 });
    const h = first(c.hours, t.h, 23);
    if (h < 0) {
      Object.assign(t, fromKey(Date.UTC(t.y, t.mo - 1, t.d + 1)));
      continue;
    }
    if (h !== t.h) Object.assign(t, { h, mi: 0, s: 0 });
    const mi = first(c.minutes, t.mi, 59);
    if (mi < 0) {
      Object.assign(t, fromKey(Date.UTC(t.y, t.mo - 1, t.d, t.h + 1)));
      continue;
    }
    if (mi !== t.mi) Object.assign(t, { mi, s: 0 });
    const s = first(c.seconds, t.s, 59);
    if (s < 0) {
      Object.assign(t, fromKey(Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi + 1)));
      continue;
    }
    t.s = s;
    return t;
  }
  return undefined;
}

/** The last local time at or before `t` that matches, or undefined. */
function previousLocal(c: CronExpression, start: Local): Local | undefined {
  const t = { ...start };
  const limit = start.y - YEAR_HORIZON;
  const endOfDay = { h: 23, mi: 59, s: 59 };
  while (t.y >= limit) {
    const mo = last(c.months, t.mo, 1);
    if (mo < 0) {
      Object.assign(t, { y: t.y - 1, mo: 12, d: 31 }, endOfDay);
      continue;
    }
    if (mo !== t.mo) Object.assign(t, { mo, d: daysInMonth(t.y, mo) }, endOfDay);
    let d = Math.min(t.d, daysInMonth(t.y, t.mo));
    while (d >= 1 && !dayMatches(c, t.y, t.mo, d)) d--;
    if (d < 1) {
      Object.assign(t, fromKey(Date.UTC(t.y, t.mo - 1, 0, 23, 59, 59)));
      continue;
    }
    if (d !== t.d) Object.assign(t, { d }, endOfDay);
    const h = last(c.hours, t.h, 0);
    if (h < 0) {
      Object.assign(t, fromKey(Date.UTC(t.y, t.mo - 1, t.d, 0, 0, 0) - 1000));
      continue;
    }
    if (h !== t.h) Object.assign(t, { h, mi: 59, s: 59 });
    const mi = last(c.minutes, t.mi, 0);
    if (mi < 0) {
      Object.assign(t, fromKey(Date.UTC(t.y, t.mo - 1, t.d, t.h, 0, 0) - 1000));
      continue;
    }
    if (mi !== t.mi) Object.assign(t, { mi, s: 59 });
    const s = last(c.seconds, t.s, 0);
    if (s < 0) {
      Object.assign(t, fromKey(Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, 0) - 1000));
      continue;
    }
    t.s = s;
    return t;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Zones: UTC by arithmetic, any other IANA zone through js-joda's rules (loaded on first use).
// ---------------------------------------------------------------------------------------------

interface Joda {
  readonly ZoneId: typeof JodaCore.ZoneId;
  readonly LocalDateTime: typeof JodaCore.LocalDateTime;
  readonly Instant: typeof JodaCore.Instant;
}
let joda: Joda | undefined;
function loadJoda(): Joda {
  if (joda === undefined) {
    const require = createRequire(import.meta.url);
    const core = require('@js-joda/core') as typeof JodaCore;
    require('@js-joda/timezone');
    joda = { ZoneId: core.ZoneId, LocalDateTime: core.LocalDateTime, Instant: core.Instant };
  }
  return joda;
}

/** A time zone as the scheduler needs it: local fields of an instant, and the instants of a local time. */
export interface CronZone {
  readonly id: string;
  toLocal(epochMs: number): Local;
  /** 0 instants in a gap, 2 in an overlap (earliest first). */
  toInstants(local: Local): number[];
  /** The offset (ms) at an instant. */
  offsetAt(epochMs: number): number;
  /** Whether the offset may change in `(fromMs, toMs]`: false only when it surely does not. */
  mayChangeBetween(fromMs: number, toMs: number): boolean;
}

const UTC_IDS = new Set(['UTC', 'Z', 'GMT', 'Etc/UTC', 'Etc/GMT', 'UCT', 'Etc/UCT', 'Universal', 'Zulu']);

/** The zone for an IANA id (or offset such as `+02:00`); throws CronError for an unknown one. */
export function cronZone(id: string): CronZone {
  if (UTC_IDS.has(id)) {
    return {
      id,
      toLocal: (ms) => fromKey(Math.floor(ms / 1000) * 1000),
      toInstants: (l) => [localKey(l)],
      offsetAt: () => 0,
      mayChangeBetween: () => false,
    };
  }
  const j = loadJoda();
  let zone: JodaCore.ZoneId;
  try {
    zone = j.ZoneId.of(id);
  } catch {
    throw new CronError(`Invalid time zone \`${id}\`: expected an IANA time zone id such as Europe/Paris or UTC`);
  }
  const rules = zone.rules();
  const transitions = transitionInstants(rules);
  return {
    id,
    offsetAt: (ms) => rules.offset(j.Instant.ofEpochMilli(ms)).totalSeconds() * 1000,
    mayChangeBetween(fromMs, toMs) {
      if (rules.isFixedOffset()) return false;
      if (transitions === undefined) return true;
      // The first transition after fromMs (the list is sorted; its last entry is Infinity).
      let lo = 0;
      let hi = transitions.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (transitions[mid]! <= fromMs) lo = mid + 1;
        else hi = mid;
      }
      return lo < transitions.length && transitions[lo]! <= toMs;
    },
    toLocal(ms) {
      const ldt = j.LocalDateTime.ofInstant(j.Instant.ofEpochMilli(Math.floor(ms / 1000) * 1000), zone);
      return { y: ldt.year(), mo: ldt.monthValue(), d: ldt.dayOfMonth(), h: ldt.hour(), mi: ldt.minute(), s: ldt.second() };
    },
    toInstants(l) {
      const ldt: JodaCore.LocalDateTime = j.LocalDateTime.of(l.y, l.mo, l.d, l.h, l.mi, l.s);
      const base = localKey(l);
      return rules
        .validOffsets(ldt)
        .map((offset) => base - offset.totalSeconds() * 1000)
        .sort((a, b) => a - b);
    },
  };
}

/**
 * The instants at which a zone's offset changes, sorted: @js-joda/timezone keeps them as
 * `_tzdbInfo.untils` (moment-timezone's packed data) and does not implement `nextTransition`.
 * Undefined when the rules are not that shape: every search then takes the general path.
 */
function transitionInstants(rules: JodaCore.ZoneRules): readonly number[] | undefined {
  const untils = (rules as unknown as { _tzdbInfo?: { untils?: unknown } })._tzdbInfo?.untils;
  if (!Array.isArray(untils) || untils.some((u) => typeof u !== 'number')) return undefined;
  for (let i = 1; i < untils.length; i++) if ((untils[i] as number) < (untils[i - 1] as number)) return undefined;
  return untils as number[];
}

/** The process's zone (`TZ` first), as Kestra defaults to the JVM's. */
export function defaultZoneId(): string {
  const tz = process.env['TZ']?.replace(/^:/, '');
  if (tz !== undefined && tz !== '') return tz;
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const HOUR_MS = 3_600_000;
/** How far past the first candidate to look for an earlier instant (DST overlaps are at most a few hours). */
const OVERLAP_WINDOW_MS = 3 * HOUR_MS;

/** A cron expression in a zone: `next`/`previous` as cron-utils' `nextExecution`/`lastExecution`. */
export class CronSchedule {
  readonly expression: CronExpression;
  readonly zone: CronZone;

  constructor(expression: CronExpression, zone: CronZone) {
    this.expression = expression;
    this.zone = zone;
  }

  static of(cron: string, options: { withSeconds?: boolean; timezone?: string } = {}): CronSchedule {
    return new CronSchedule(parseCron(cron, options), cronZone(options.timezone ?? defaultZoneId()));
  }

  /** Instants of one local time, with an overlap's repeat dropped for schedules less frequent than hourly. */
  private instants(local: Local): number[] {
    const all = this.zone.toInstants(local);
    return all.length > 1 && !this.expression.everyHour ? all.slice(0, 1) : all;
  }

  /** The first firing strictly after `after` (whole seconds), or undefined when there is none. */
  next(after: Date | number): Date | undefined {
    const after_ = typeof after === 'number' ? after : after.getTime();
    // No offset change around `after` and up to the first match after it: local times and instants
    // map one to one, so that match is the answer (the general path below handles DST).
    const offset = this.zone.offsetAt(after_);
    const local = nextLocal(this.expression, fromKey(Math.floor((after_ + offset) / 1000) * 1000 + 1000));
    if (local !== undefined) {
      const candidate = localKey(local) - offset;
      if (!this.zone.mayChangeBetween(after_ - OVERLAP_WINDOW_MS, candidate + OVERLAP_WINDOW_MS)) return new Date(candidate);
    }
    return this.nextAcrossOffsetChanges(after_);
  }

  private nextAcrossOffsetChanges(after_: number): Date | undefined {
    // Start an overlap's length early: a local time before `after` may map to an instant after it.
    let cursor = this.zone.toLocal(after_ - OVERLAP_WINDOW_MS);
    let best: number | undefined;
    let firstLocal: number | undefined;
    for (let guard = 0; guard < 100_000; guard++) {
      const local = nextLocal(this.expression, cursor);
      if (local === undefined) break;
      const key = localKey(local);
      if (firstLocal !== undefined && key > firstLocal + OVERLAP_WINDOW_MS) break;
      for (const instant of this.instants(local)) {
        if (instant > after_ && (best === undefined || instant < best)) {
          best = instant;
          firstLocal ??= key;
        }
      }
      cursor = fromKey(key + 1000);
    }
    return best === undefined ? undefined : new Date(best);
  }

  /** The last firing strictly before `before`, or undefined when there is none. */
  previous(before: Date | number): Date | undefined {
    const before_ = typeof before === 'number' ? before : before.getTime();
    const offset = this.zone.offsetAt(before_);
    const local = previousLocal(this.expression, fromKey(Math.ceil((before_ + offset) / 1000) * 1000 - 1000));
    if (local !== undefined) {
      const candidate = localKey(local) - offset;
      if (!this.zone.mayChangeBetween(candidate - OVERLAP_WINDOW_MS, before_ + OVERLAP_WINDOW_MS)) return new Date(candidate);
    }
    return this.previousAcrossOffsetChanges(before_);
  }

  private previousAcrossOffsetChanges(before_: number): Date | undefined {
    let cursor = this.zone.toLocal(before_ + OVERLAP_WINDOW_MS);
    let best: number | undefined;
    let firstLocal: number | undefined;
    for (let guard = 0; guard < 100_000; guard++) {
      const local = previousLocal(this.expression, cursor);
      if (local === undefined) break;
      const key = localKey(local);
      if (firstLocal !== undefined && key < firstLocal - OVERLAP_WINDOW_MS) break;
      for (const instant of this.instants(local)) {
        if (instant < before_ && (best === undefined || instant > best)) {
          best = instant;
          firstLocal ??= key;
        }
      }
      cursor = fromKey(key - 1000);
    }
    return best === undefined ? undefined : new Date(best);
  }

  /** Java's ISO_OFFSET_DATE_TIME of an instant in this zone (`2024-01-01T08:00:00+01:00`, `…Z` for UTC), as Kestra prints `trigger.date`. */
  format(instant: Date | number): string {
    const ms = typeof instant === 'number' ? instant : instant.getTime();
    const l = this.zone.toLocal(ms);
    const offsetMinutes = Math.round((localKey(l) - Math.floor(ms / 1000) * 1000) / 60_000);
    const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
    const date = `${pad(l.y, 4)}-${pad(l.mo)}-${pad(l.d)}T${pad(l.h)}:${pad(l.mi)}:${pad(l.s)}`;
    if (offsetMinutes === 0) return `${date}Z`;
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    return `${date}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }
}
