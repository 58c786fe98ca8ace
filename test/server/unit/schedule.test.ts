/** What a Schedule decides after downtime (Kestra's recoverMissedSchedules) and its per-tick ids. */
import { CronSchedule } from '../../../src/flow/cron.js';
import { SCHEDULE_ON_DATES_TRIGGER, type TriggerDefinition } from '../../../src/flow/triggers.js';
import {
  bullPattern,
  DatesTicks,
  isTooLate,
  missedTicks,
  scheduleOfPattern,
  scheduleSpec,
  tickExecutionId,
  type ScheduleSpec,
} from '../../../src/server/triggers/schedule.js';

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

describe('ScheduleOnDates dates (DatesTicks)', () => {
  // core/src/test/java/io/kestra/plugin/core/trigger/ScheduleOnDatesTest.java
  const now = Date.now();
  const sec = (d: number): number => Math.floor(d / 1000) * 1000;
  const before = sec(now - 60_000);
  const after = sec(now + 60_000);
  const later = sec(now + 120_000);
  const first = sec(now - 120_000);

  test('next date after an existing trigger date; previous date before now (ScheduleOnDatesTest)', () => {
    const ticks = new DatesTicks([later, before, after], 'UTC');
    // shouldReturnNextDateWhenNextEvaluationDateAndAnExistingTriggerDate
    expect(ticks.next(now)?.getTime()).toBe(after);
    // shouldReturnPreviousDateWhenPreviousEvaluationDate
    expect(new DatesTicks([first, before, after], 'UTC').previous(now)?.getTime()).toBe(before);
    expect(ticks.next(later)).toBeUndefined();
    // truncated to the second, printed in its zone
    expect(new DatesTicks([Date.parse('2024-01-01T10:00:00.750Z')], 'Europe/Paris').format(Date.parse('2024-01-01T10:00:00Z'))).toBe(
      '2024-01-01T11:00:00+01:00',
    );
  });

  test('recoverMissedSchedules over dates: ALL from the earliest missed, LAST the latest, NONE none (SchedulerScheduleOnDatesTest)', () => {
    const earlier = sec(now - 2000);
    const justBefore = sec(now - 1000);
    const trigger = (recover: string): TriggerDefinition => ({
      id: 's',
      type: SCHEDULE_ON_DATES_TRIGGER,
      declaredType: SCHEDULE_ON_DATES_TRIGGER,
      supported: true,
      disabled: false,
      properties: { recoverMissedSchedules: recover, timezone: 'UTC' },
      conditions: [],
    });
    const dates = [earlier, justBefore, sec(now + 1000), sec(now + 2000)];
    const lastDate = now - 3 * 3600_000;
    // recoverALLMissing: the trigger's date becomes `earlier`, then `before` is next.
    expect(missedTicks(scheduleSpec(trigger('ALL'), dates), lastDate, now).ticks).toEqual([earlier, justBefore]);
    expect(missedTicks(scheduleSpec(trigger('LAST'), dates), lastDate, now).ticks).toEqual([justBefore]);
    expect(missedTicks(scheduleSpec(trigger('NONE'), dates), lastDate, now).ticks).toEqual([]);
    // A changed list of dates is a new schedule.
    expect(scheduleSpec(trigger('ALL'), dates).fingerprint).not.toBe(scheduleSpec(trigger('ALL'), dates.slice(1)).fingerprint);
    expect(() => scheduleSpec(trigger('ALL'))).toThrow('its dates were not rendered');
  });

  test('BullMQ pattern of dates round-trips', () => {
    const spec = scheduleSpec(
      {
        id: 's',
        type: SCHEDULE_ON_DATES_TRIGGER,
        declaredType: SCHEDULE_ON_DATES_TRIGGER,
        supported: true,
        disabled: false,
        properties: { timezone: 'UTC' },
        conditions: [],
      },
      [after, before],
    );
    const pattern = bullPattern({ properties: {} } as unknown as TriggerDefinition, spec);
    expect(pattern).toBe(`@dates ${before},${after}`);
    expect(scheduleOfPattern(pattern, 'UTC').next(before)?.getTime()).toBe(after);
    expect(scheduleOfPattern(pattern, 'UTC').next(after)).toBeUndefined();
  });
});
