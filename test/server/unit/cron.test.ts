/**
 * Kestra's cron: the Schedule trigger's cron-utils definition and its ExecutionTime semantics.
 * Cases ported from `core/src/test/java/io/kestra/plugin/core/trigger/ScheduleTest.java`
 * (every minute / second, monthly with previous and next, conditions' Monday noon in Paris,
 * failed evaluation of `1 1 1 1 1`) and from cron-utils' own behaviour (day-field union, strict
 * ranges, nicknames, DST).
 */
import { CronError, CronSchedule, parseCron } from '../../../src/flow/cron.js';

const at = (iso: string): Date => new Date(iso);
const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('parsing as Kestra’s Schedule does', () => {
  test.each([
    ['61 * * * *', 'Failed to parse cron expression. Value 61 not in range [0, 59]'],
    ['* 24 * * *', 'Failed to parse cron expression. Value 24 not in range [0, 23]'],
    ['* * 0 * *', 'Failed to parse cron expression. Value 0 not in range [1, 31]'],
    ['* * * 13 *', 'Failed to parse cron expression. Value 13 not in range [1, 12]'],
    ['* * * * 8', 'Failed to parse cron expression. Value 8 not in range [0, 7]'],
    ['5-1 * * * *', 'Failed to parse cron expression. Invalid range! [5,1]'],
    ['*/0 * * * *', 'Failed to parse cron expression. Period 0 not in range [0, 59]'],
    ['* * * *', 'Cron expression contains 4 parts but we expect one of [5]'],
    ['* * * * * *', 'Cron expression contains 6 parts but we expect one of [5]'],
    ['@reboot', 'Nickname @reboot not supported!'],
    ['0 0 ? * MON', 'Failed to parse cron expression. Invalid chars in expression! Expression: ? Invalid chars: ?'],
    ['0 0 L * *', 'Failed to parse cron expression. Invalid chars in expression! Expression: L Invalid chars: L'],
    ['', 'Empty expression!'],
  ])('%j is refused: %s', (cron, message) => {
    expect(() => parseCron(cron)).toThrow(new CronError(message));
  });

  test('six fields with withSeconds, and only then', () => {
    expect(parseCron('*/5 * * * * *', { withSeconds: true }).seconds.filter(Boolean)).toHaveLength(12);
    expect(() => parseCron('* * * * *', { withSeconds: true })).toThrow('Cron expression contains 5 parts but we expect one of [6]');
  });

  test('names for months and days of week, 0 and 7 both Sunday', () => {
    const c = parseCron('0 0 * JAN-MAR sun,SAT');
    expect(c.months.slice(1)).toEqual([true, true, true, false, false, false, false, false, false, false, false, false]);
    expect(c.daysOfWeek).toEqual([true, false, false, false, false, false, true]);
    expect(parseCron('0 0 * * 7').daysOfWeek[0]).toBe(true);
  });
});

describe('next and previous (cron-utils ExecutionTime)', () => {
  test('every minute and every second (ScheduleTest.everyMinute / everySecond)', () => {
    const minute = CronSchedule.of('* * * * *', { timezone: 'UTC' });
    expect(iso(minute.next(at('2024-03-01T10:00:00Z')))).toBe('2024-03-01T10:01:00.000Z');
    expect(iso(minute.previous(at('2024-03-01T10:00:00Z')))).toBe('2024-03-01T09:59:00.000Z');
    expect(iso(minute.next(at('2024-03-01T10:00:30Z')))).toBe('2024-03-01T10:01:00.000Z');
    const second = CronSchedule.of('* * * * * *', { withSeconds: true, timezone: 'UTC' });
    expect(iso(second.next(at('2024-03-01T10:00:00.500Z')))).toBe('2024-03-01T10:00:01.000Z');
    expect(iso(second.previous(at('2024-03-01T10:00:00.500Z')))).toBe('2024-03-01T10:00:00.000Z');
  });

  test('monthly: next and previous a month apart (ScheduleTest.success)', () => {
    const monthly = CronSchedule.of('0 0 1 * *', { timezone: 'UTC' });
    const date = at('2024-02-01T00:00:00Z');
    expect(iso(monthly.next(date))).toBe('2024-03-01T00:00:00.000Z');
    expect(iso(monthly.previous(date))).toBe('2024-01-01T00:00:00.000Z');
  });

  test('Monday noon in Paris (ScheduleTest.conditions): printed with the offset of the zone', () => {
    const s = CronSchedule.of('0 12 * * 1', { timezone: 'Europe/Paris' });
    const date = at('2021-08-02T10:00:00Z');
    expect(s.format(date)).toBe('2021-08-02T12:00:00+02:00');
    expect(s.format(s.next(date)!)).toBe('2021-08-09T12:00:00+02:00');
    expect(s.format(s.previous(date)!)).toBe('2021-07-26T12:00:00+02:00');
    expect(CronSchedule.of('0 12 * * 1', { timezone: 'UTC' }).format(date)).toBe('2021-08-02T10:00:00Z');
  });

  test('`1 1 1 1 1`: both day fields restricted — either one matches (union), as cron-utils for unix', () => {
    const s = CronSchedule.of('1 1 1 1 1', { timezone: 'UTC' });
    // 1 January 2024 is a Monday; then the Mondays of January.
    let t = at('2023-12-31T00:00:00Z');
    const hits: string[] = [];
    for (let i = 0; i < 5; i++) hits.push(iso((t = s.next(t)!))!);
    expect(hits).toEqual([
      '2024-01-01T01:01:00.000Z',
      '2024-01-08T01:01:00.000Z',
      '2024-01-15T01:01:00.000Z',
      '2024-01-22T01:01:00.000Z',
      '2024-01-29T01:01:00.000Z',
    ]);
    expect(iso(s.next(at('2024-01-29T02:00:00Z')))).toBe('2025-01-01T01:01:00.000Z');
  });

  test('`*/1` counts as restricted (only a literal `*` leaves the other day field alone)', () => {
    const s = CronSchedule.of('0 0 */1 * MON', { timezone: 'UTC' });
    expect(iso(s.next(at('2024-06-04T12:00:00Z')))).toBe('2024-06-05T00:00:00.000Z');
  });

  test('nicknames, with and without seconds', () => {
    expect(iso(CronSchedule.of('@hourly', { timezone: 'UTC' }).next(at('2024-01-01T10:30:00Z')))).toBe('2024-01-01T11:00:00.000Z');
    expect(iso(CronSchedule.of('@weekly', { timezone: 'UTC' }).next(at('2024-01-01T10:30:00Z')))).toBe('2024-01-07T00:00:00.000Z');
    expect(iso(CronSchedule.of('@yearly', { withSeconds: true, timezone: 'UTC' }).next(at('2024-01-01T10:30:00Z')))).toBe(
      '2025-01-01T00:00:00.000Z',
    );
  });

  test('a date that never comes: no next (February 30th)', () => {
    expect(CronSchedule.of('0 0 30 2 *', { timezone: 'UTC' }).next(at('2024-01-01T00:00:00Z'))).toBeUndefined();
  });

  test('DST: a local time the spring gap skips does not run that day; the autumn overlap runs once when less frequent than hourly', () => {
    const daily = CronSchedule.of('30 2 * * *', { timezone: 'Europe/Paris' });
    expect(iso(daily.next(at('2024-03-30T12:00:00Z')))).toBe('2024-04-01T00:30:00.000Z');
    expect(iso(daily.next(at('2024-10-26T12:00:00Z')))).toBe('2024-10-27T00:30:00.000Z');
    expect(iso(daily.next(at('2024-10-27T00:30:00Z')))).toBe('2024-10-28T01:30:00.000Z');
    const hourly = CronSchedule.of('30 * * * *', { timezone: 'Europe/Paris' });
    const seen: string[] = [];
    let t = at('2024-10-26T23:00:00Z');
    for (let i = 0; i < 4; i++) seen.push(hourly.format((t = hourly.next(t)!)));
    expect(seen).toEqual([
      '2024-10-27T01:30:00+02:00',
      '2024-10-27T02:30:00+02:00',
      '2024-10-27T02:30:00+01:00',
      '2024-10-27T03:30:00+01:00',
    ]);
  });

  test('an unknown zone is refused', () => {
    expect(() => CronSchedule.of('* * * * *', { timezone: 'Mars/Olympus' })).toThrow(CronError);
  });
});

describe('the fast path away from offset changes gives what the general search gives', () => {
  // next/previous take a shortcut when the zone's offset cannot change near the answer; checked
  // here against the general search (the one that handles gaps and overlaps) around every DST
  // change of several zones (30-minute DST, a skipped day, no DST at all) and at random instants.
  const general = (s: CronSchedule) =>
    s as unknown as { nextAcrossOffsetChanges(ms: number): Date | undefined; previousAcrossOffsetChanges(ms: number): Date | undefined };
  const zones = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Apia', 'America/Sao_Paulo', 'UTC'];
  const crons: [string, boolean][] = [
    ['* * * * *', false],
    ['30 * * * *', false],
    ['30 2 * * *', false],
    ['0 0 1 * *', false],
    ['*/20 * * * * *', true],
  ];
  // Around the DST changes of 2011 (Apia skipped 30 December) and 2024, and some random instants.
  const instants: number[] = [];
  for (const day of [
    '2011-03-13',
    '2011-03-27',
    '2011-10-02',
    '2011-11-06',
    '2011-12-29',
    '2011-12-31',
    '2024-03-31',
    '2024-04-07',
    '2024-10-06',
    '2024-10-27',
    '2024-11-03',
  ])
    for (let h = -4; h <= 30; h += 0.75) instants.push(Date.parse(`${day}T00:00:00Z`) + h * 3_600_000 + 7_250);
  let seed = 42;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 40; i++) instants.push(Date.parse('2000-01-01T00:00:00Z') + Math.floor(random() * 40 * 365 * 86_400_000));

  test.each(zones)('%s', (zone) => {
    for (const [cron, withSeconds] of crons) {
      const s = CronSchedule.of(cron, { timezone: zone, withSeconds });
      for (const t of instants) {
        expect([cron, new Date(t).toISOString(), s.next(t)?.toISOString()]).toEqual([
          cron,
          new Date(t).toISOString(),
          general(s).nextAcrossOffsetChanges(t)?.toISOString(),
        ]);
        expect([cron, new Date(t).toISOString(), s.previous(t)?.toISOString()]).toEqual([
          cron,
          new Date(t).toISOString(),
          general(s).previousAcrossOffsetChanges(t)?.toISOString(),
        ]);
      }
    }
  });
});
