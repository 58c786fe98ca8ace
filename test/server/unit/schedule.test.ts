/** What a Schedule decides after downtime (Kestra's recoverMissedSchedules) and its per-tick ids. */
import { CronSchedule } from '../../../src/flow/cron.js';
import { isTooLate, missedTicks, tickExecutionId, type ScheduleSpec } from '../../../src/server/triggers/schedule.js';

const spec = (recover: ScheduleSpec['recover'], late?: number): ScheduleSpec => ({
  ticks: CronSchedule.of('0 * * * *', { timezone: 'UTC' }),
  withSeconds: false,
  timezone: 'UTC',
  recover,
  fingerprint: 'x',
  ...(late === undefined ? {} : { lateMaximumDelayMs: late }),
});
const ms = (iso: string): number => Date.parse(iso);

test('ALL runs every missed tick oldest first; LAST only the latest; NONE none', () => {
  const last = ms('2024-01-01T10:00:00Z');
  const now = ms('2024-01-01T13:30:00Z');
  expect(missedTicks(spec('ALL'), last, now).ticks.map((t) => new Date(t).toISOString())).toEqual([
    '2024-01-01T11:00:00.000Z',
    '2024-01-01T12:00:00.000Z',
    '2024-01-01T13:00:00.000Z',
  ]);
  expect(missedTicks(spec('LAST'), last, now).ticks.map((t) => new Date(t).toISOString())).toEqual(['2024-01-01T13:00:00.000Z']);
  expect(missedTicks(spec('NONE'), last, now).ticks).toEqual([]);
  expect(missedTicks(spec('ALL'), now, now)).toEqual({ ticks: [], capped: false });
});

test('a long backlog is capped to its most recent ticks', () => {
  const { ticks, capped } = missedTicks(spec('ALL'), ms('2020-01-01T00:00:00Z'), ms('2024-01-01T00:00:00Z'), 5);
  expect(capped).toBe(true);
  expect(ticks.map((t) => new Date(t).toISOString())).toEqual([
    '2023-12-31T20:00:00.000Z',
    '2023-12-31T21:00:00.000Z',
    '2023-12-31T22:00:00.000Z',
    '2023-12-31T23:00:00.000Z',
    '2024-01-01T00:00:00.000Z',
  ]);
});

test('lateMaximumDelay skips ticks that are too late', () => {
  expect(isTooLate(spec('ALL', 60_000), ms('2024-01-01T10:00:00Z'), ms('2024-01-01T10:00:59Z'))).toBe(false);
  expect(isTooLate(spec('ALL', 60_000), ms('2024-01-01T10:00:00Z'), ms('2024-01-01T10:01:01Z'))).toBe(true);
  expect(isTooLate(spec('ALL'), 0, Date.now())).toBe(false);
});

test('one execution id per (trigger, tick): Kestra-shaped, stable, distinct', () => {
  const a = tickExecutionId('main_ns_flow_t', 1000);
  expect(a).toMatch(/^[0-9A-Za-z]{22}$/);
  expect(tickExecutionId('main_ns_flow_t', 1000)).toBe(a);
  expect(tickExecutionId('main_ns_flow_t', 2000)).not.toBe(a);
  expect(tickExecutionId('main_ns_flow_u', 1000)).not.toBe(a);
});
