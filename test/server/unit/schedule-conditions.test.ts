/**
 * A Schedule's conditions as Kestra's scheduler tests them: the first test of a tick sees
 * `trigger.date` as a ZonedDateTime in the JVM's zone; `trigger.next`/`previous` are the nearest
 * ticks whose conditions hold within ten years; the trigger's next evaluation date is the next
 * tick whose conditions hold.
 * Reference: `core/src/test/java/io/kestra/plugin/core/trigger/ScheduleTest.java` (conditions,
 * impossibleNextConditions), `core/src/test/java/io/kestra/core/schedulers/SchedulerConditionTest.java`,
 * `core/src/main/java/io/kestra/plugin/core/trigger/Schedule.java` (truePreviousNextDateWithCondition,
 * nextEvaluationDate), `core/src/main/java/io/kestra/core/schedulers/AbstractScheduler.java`
 * (computeSchedulable: `trigger.date` = the stored nextExecutionDate, read back by Jackson in
 * `TimeZone.getDefault()`).
 */
import { parseFlow } from '../../../src/flow/loader.js';
import { createEngine } from '../../../src/index.js';
import type { FlowRecord } from '../../../src/server/flows/flow-repository.js';
import { scheduleNextDate, scheduledExecution } from '../../../src/server/triggers/rendering.js';
import { scheduleSpec } from '../../../src/server/triggers/schedule.js';

const engine = createEngine();
const savedTz = process.env['TZ'];
beforeAll(() => (process.env['TZ'] = 'Europe/Paris'));
afterAll(() => (savedTz === undefined ? delete process.env['TZ'] : (process.env['TZ'] = savedTz)));

function scheduleOf(trigger: string): { record: FlowRecord; t: FlowRecord['flow']['triggers'][number] } {
  const flow = parseFlow(`id: conditioned
namespace: company.cron
tasks:
  - { id: t, type: io.kestra.plugin.core.log.Log, message: x }
triggers:
  - id: schedule
    type: io.kestra.plugin.core.trigger.Schedule
${trigger}`);
  const record: FlowRecord = {
    tenant: 'main',
    namespace: 'company.cron',
    id: 'conditioned',
    revision: Math.floor(Math.random() * 1e9),
    source: '',
    deleted: false,
    updated: '',
    flow,
  };
  return { record, t: flow.triggers[0]! };
}

const ms = (iso: string): number => Date.parse(iso);
const nowYear = new Date().getFullYear();

test('ScheduleTest.conditions: next and previous are the first Mondays around the tick', async () => {
  const { record, t } = scheduleOf(`    cron: "0 12 * * 1"
    timezone: Europe/Paris
    conditions:
      - { type: io.kestra.plugin.core.condition.DayWeekInMonth, dayOfWeek: MONDAY, dayInMonth: FIRST, date: "{{ trigger.date }}" }`);
  const spec = scheduleSpec(t);
  const execution = await scheduledExecution(engine, record, t, spec, ms('2021-08-02T12:00:00+02:00'));
  const vars = execution!.trigger!.variables as Record<string, string>;
  expect(ms(vars['date']!)).toBe(ms('2021-08-02T12:00:00+02:00'));
  expect(ms(vars['next']!)).toBe(ms('2021-09-06T12:00:00+02:00'));
  expect(ms(vars['previous']!)).toBe(ms('2021-07-05T12:00:00+02:00'));
  // Schedule.nextEvaluationDate: the next tick whose conditions hold, not the next Monday.
  expect(await scheduleNextDate(engine, record, t, spec, ms('2021-08-02T12:00:00+02:00'))).toBe(ms('2021-09-06T12:00:00+02:00'));
});

test('ScheduleTest.impossibleNextConditions: no next, the previous Monday', async () => {
  const { record, t } = scheduleOf(`    cron: "0 12 * * 1"
    timezone: Europe/Paris
    conditions:
      - { type: io.kestra.plugin.core.condition.DateTimeBetween, before: "2021-08-03T12:00:00+02:00", date: "{{ trigger.date }}" }`);
  const spec = scheduleSpec(t);
  const execution = await scheduledExecution(engine, record, t, spec, ms('2021-08-02T12:00:00+02:00'));
  const vars = execution!.trigger!.variables as Record<string, string>;
  expect(ms(vars['previous']!)).toBe(ms('2021-07-26T12:00:00+02:00'));
  expect(vars).not.toHaveProperty('next');
  // Nothing holds later: the next evaluation date is the next cron tick (Kestra's fallback).
  expect(await scheduleNextDate(engine, record, t, spec, ms('2021-08-02T12:00:00+02:00'))).toBe(ms('2021-08-09T12:00:00+02:00'));
});

test("the scheduler's first test sees trigger.date as a ZonedDateTime in the JVM's zone", async () => {
  // The first test has only trigger.date; Schedule.evaluate's has next too (and ISO strings).
  const { record, t } = scheduleOf(`    cron: "0 3 * * *"
    timezone: America/New_York
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.next is defined ? true : (trigger.date ~ '') == '2024-01-01T09:00+01:00[Europe/Paris]' and (trigger.date | date('yyyy')) == '2024' }}"`);
  const execution = await scheduledExecution(engine, record, t, scheduleSpec(t), ms('2024-01-01T03:00:00-05:00'));
  expect(execution).toBeDefined();
  expect((execution!.trigger!.variables as Record<string, string>)['date']).toBe('2024-01-01T03:00:00-05:00');
});

test('a minutely cron: the first Monday of a month is found, however many ticks away', async () => {
  const { record, t } = scheduleOf(`    cron: "* * * * *"
    timezone: Europe/Paris
    conditions:
      - { type: io.kestra.plugin.core.condition.DayWeekInMonth, dayOfWeek: MONDAY, dayInMonth: FIRST }`);
  const spec = scheduleSpec(t);
  const started = performance.now();
  // 2024-01-01 was a Monday: its last minute; the next first Monday is 2024-02-05, 50 000 minutes on.
  const tick = ms('2024-01-01T23:59:00+01:00');
  const execution = await scheduledExecution(engine, record, t, spec, tick);
  const vars = execution!.trigger!.variables as Record<string, string>;
  expect(ms(vars['next']!)).toBe(ms('2024-02-05T00:00:00+01:00'));
  expect(ms(vars['previous']!)).toBe(ms('2024-01-01T23:58:00+01:00'));
  expect(await scheduleNextDate(engine, record, t, spec, tick)).toBe(ms('2024-02-05T00:00:00+01:00'));
  // From 2023-12-04 23:59 the previous first Monday is a month back.
  const before = await scheduledExecution(engine, record, t, spec, ms('2023-12-04T00:00:00+01:00'));
  expect(ms((before!.trigger!.variables as Record<string, string>)['previous']!)).toBe(ms('2023-11-06T23:59:00+01:00'));
  expect(performance.now() - started).toBeLessThan(5_000);
});

test('ten years ahead: found up to the first tick tested past the bound, absent beyond', async () => {
  const bound = nowYear + 10;
  const within = scheduleOf(`    cron: "0 12 * * *"
    timezone: Europe/Paris
    conditions:
      - { type: io.kestra.plugin.core.condition.DateTimeBetween, after: "${bound}-01-01T00:00:00+01:00" }`);
  const from = Date.now();
  // The last tick failing is in year now + 9: the next one (in now + 10) is still tested.
  expect(await scheduleNextDate(engine, within.record, within.t, scheduleSpec(within.t), from)).toBe(ms(`${bound}-01-01T12:00:00+01:00`));
  const beyond = scheduleOf(`    cron: "0 12 * * *"
    timezone: Europe/Paris
    conditions:
      - { type: io.kestra.plugin.core.condition.DateTimeBetween, after: "${bound}-01-02T00:00:00+01:00" }`);
  const spec = scheduleSpec(beyond.t);
  // Not found: the next cron tick.
  expect(await scheduleNextDate(engine, beyond.record, beyond.t, spec, from)).toBe(spec.ticks.next(from)!.getTime());
});

test('a condition that never holds on a minutely cron is given up after a budget, not for hours', async () => {
  const { record, t } = scheduleOf(`    cron: "* * * * *"
    conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ trigger.next is not defined or (trigger.date | date('yyyy')) == '${nowYear + 9}' }}"`);
  const spec = scheduleSpec(t);
  const lines: string[] = [];
  const tick = spec.ticks.previous(Date.now())!.getTime();
  const started = performance.now();
  const execution = await scheduledExecution(engine, record, t, spec, tick, (l) => lines.push(l));
  const elapsed = performance.now() - started;
  expect(execution).toBeUndefined();
  expect(elapsed).toBeLessThan(15_000);
  const searchStarted = performance.now();
  const next = await scheduleNextDate(engine, record, t, spec, tick, (l) => lines.push(l));
  const searched = performance.now() - searchStarted;
  expect(next).toBe(spec.ticks.next(tick)!.getTime());
  expect(lines.join('\n')).toContain('no tick whose conditions hold among the 10000 tested; searched no further');
  // Measured: about 1 s, the renders (38 s before cron steps took the fast path); the event loop is yielded every 200 tests.
  expect(searched).toBeLessThan(30_000);
});
