/**
 * The core conditions (src/flow/conditions.ts), with the assertions of Kestra's own tests:
 * `core/src/test/java/io/kestra/plugin/core/condition/*Test.java` in kestra-io/kestra, each case
 * citing its test. Conditions are read through the loader (as a listener's), so the aliases and
 * the nesting of Not/Or are those of a real flow.
 */
import { conditionsValid, executionVariables, testCondition, type ConditionContext } from '../../src/flow/conditions.js';
import type { Execution, TaskRun } from '../../src/flow/execution.js';
import { checkFlow } from '../../src/flow/loader.js';
import { formatProblem } from '../../src/flow/errors.js';
import { createEngine } from '../../src/index.js';
import { conditionOf } from '../support/conditions.js';

const engine = createEngine();

/** TestsUtils.mockExecution: a CREATED execution of the mock flow. */
function mockExecution(over: Partial<Execution> = {}): Execution {
  return {
    id: 'exec1',
    originalId: 'exec1',
    namespace: 'io.kestra.unittest',
    flowId: 'mock',
    flowRevision: 1,
    taskRunList: [],
    inputs: {},
    labels: [],
    state: { current: 'CREATED', histories: [{ state: 'CREATED', date: '2024-01-01T00:00:00Z' }], startDate: '2024-01-01T00:00:00Z' },
    ...over,
  };
}

const flow = { id: 'mock', namespace: 'io.kestra.unittest' };

/** ConditionService.isValid(condition, flow, execution): the run variables of (flow, execution), a throw counting as false. */
function isValid(
  condition: Record<string, unknown>,
  execution: Execution | undefined = mockExecution(),
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  const ctx: ConditionContext = {
    flow,
    ...(execution === undefined ? {} : { execution }),
    variables: { ...(execution === undefined ? { flow } : executionVariables(flow, execution)), ...extra },
    render: (template, variables) => engine.render(template, variables),
  };
  return conditionsValid([conditionOf(condition)], ctx);
}

const DTB = 'io.kestra.plugin.core.condition.DateTimeBetween';
const iso = (ms: number): string => new Date(ms).toISOString();

describe('date conditions', () => {
  // DateTimeBetweenTest.valid
  test.each([
    [iso(Date.now()), undefined, '2013-09-08T16:19:12.000000+02:00', true],
    ['2013-09-08T16:19:12+02:00', undefined, iso(Date.now()), false],
    ['2013-09-08T16:19:12+02:00', '2013-09-08T16:20:12.000000+02:00', '2013-09-08T16:18:12.000000+02:00', true],
    ['2013-09-08T16:19:12+02:00', '2013-09-08T16:20:12.000000+02:00', undefined, true],
    ['{{ now() }}', iso(Date.now() + 3_600_000), iso(Date.now() - 3_600_000), true],
    ['{{ now() }}', iso(Date.now() - 3_600_000), undefined, false],
  ])('DateTimeBetween %s before %s after %s: %s', async (date, before, after, result) => {
    expect(await isValid({ type: DTB, date, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) })).toBe(
      result,
    );
  });

  test('DateTimeBetween compares instants, whatever the offsets; with neither bound it cannot be evaluated', async () => {
    expect(await isValid({ type: DTB, date: '2024-01-01T10:00:00+02:00', after: '2024-01-01T07:59:59Z' })).toBe(true);
    expect(await isValid({ type: DTB, date: '2024-01-01T10:00:00+02:00', after: '2024-01-01T08:00:00Z' })).toBe(false);
    // A bracketed zone keeps the instant (ZonedDateTime.parse).
    expect(await isValid({ type: DTB, date: '2024-01-01T09:00+01:00[Europe/Paris]', before: '2024-01-01T08:00:01Z' })).toBe(true);
    await expect(testCondition(conditionOf({ type: DTB, date: '2024-01-01T10:00:00Z' }), ctxOf())).rejects.toThrow(
      'Invalid condition with no before nor after',
    );
    // A date without an offset does not parse as a ZonedDateTime: the condition is false.
    expect(await isValid({ type: DTB, date: '2024-01-01T10:00:00', after: '2000-01-01T00:00:00Z' })).toBe(false);
  });

  // DayWeekTest.valid
  test.each([
    ['2013-09-08', 'SUNDAY', true],
    ['2013-09-08', 'MONDAY', false],
  ])('DayWeek %s %s: %s', async (date, dayOfWeek, result) => {
    expect(await isValid({ type: 'io.kestra.plugin.core.condition.DayWeek', date, dayOfWeek })).toBe(result);
  });

  // DayWeekInMonthTest.valid
  test.each([
    ['2021-04-01', 'MONDAY', 'FIRST', false],
    ['2021-04-05', 'MONDAY', 'FIRST', true],
    ['2021-04-01', 'THURSDAY', 'FIRST', true],
    ['2021-04-01', 'MONDAY', 'LAST', false],
    ['2021-04-26', 'MONDAY', 'LAST', true],
    ['2021-04-12', 'MONDAY', 'SECOND', true],
    ['2021-04-19', 'MONDAY', 'THIRD', true],
    ['2021-04-26', 'MONDAY', 'FOURTH', true],
    // beyond Kestra's cases: a month with five Fridays, and a date-time (its own local date)
    ['2024-03-29', 'FRIDAY', 'LAST', true],
    ['2024-03-22', 'FRIDAY', 'LAST', false],
    ['2024-03-22', 'FRIDAY', 'FOURTH', true],
    ['2024-03-01T23:30:00-05:00', 'FRIDAY', 'FIRST', true],
  ])('DayWeekInMonth %s %s %s: %s', async (date, dayOfWeek, dayInMonth, result) => {
    expect(await isValid({ type: 'io.kestra.core.models.conditions.types.DayWeekInMonthCondition', date, dayOfWeek, dayInMonth })).toBe(
      result,
    );
  });

  // TimeBetweenTest.valid
  test.each([
    ['2024-02-21T16:19:12+02:00', undefined, '16:19:11.000000+02:00', true],
    ['2024-02-21T16:19:12+02:00', undefined, '17:19:12.000000+02:00', false],
    ['2024-02-21T16:19:12+02:00', '16:20:12.000000+02:00', '16:18:12.000000+02:00', true],
    ['2024-02-21T16:19:12+02:00', '16:20:12.000000+02:00', undefined, true],
    ['2024-02-21T16:19:12+02:00', '16:18:12.000000+02:00', undefined, false],
    // OffsetTime compares instants on one nominal day: 16:19:12+02:00 is 14:19:12Z.
    ['2024-02-21T16:19:12+02:00', undefined, '14:19:11Z', true],
    ['2024-02-21T16:19:12+02:00', '14:19:12Z', undefined, false],
  ])('TimeBetween %s before %s after %s: %s', async (date, before, after, result) => {
    const condition = {
      type: 'io.kestra.plugin.core.condition.TimeBetween',
      date,
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
    };
    expect(await isValid(condition)).toBe(result);
  });

  // WeekendTest.valid
  test.each([
    ['2013-09-08', true],
    ['2013-09-07', true],
    ['{{ "2013-09-08T15:19:12.000000+02:00" | date("iso_local_date") }}', true],
    ['2013-09-09', false],
  ])('Weekend %s: %s', async (date, result) => {
    expect(await isValid({ type: 'io.kestra.plugin.core.condition.Weekend', date })).toBe(result);
  });

  test('by default the date is {{ trigger.date }}, read in its own offset', async () => {
    const weekend = { type: 'io.kestra.plugin.core.condition.Weekend' };
    // Saturday 00:30 in Paris is still Friday in UTC: the offset written is the one that counts.
    expect(await isValid(weekend, undefined, { trigger: { date: '2024-03-09T00:30:00+01:00' } })).toBe(true);
    expect(await isValid(weekend, undefined, { trigger: { date: '2024-03-08T23:30:00Z' } })).toBe(false);
    // No trigger date to render: the condition cannot be evaluated, so it is false.
    expect(await isValid(weekend)).toBe(false);
  });
});

/** The context of a condition on the mock execution, or (null) on none, as a Schedule's. */
function ctxOf(execution: Execution | null = mockExecution()): ConditionContext {
  return {
    flow,
    ...(execution === null ? {} : { execution }),
    variables: execution === null ? { flow } : executionVariables(flow, execution),
    render: (template, variables) => engine.render(template, variables),
  };
}

describe('Expression, Not, Or', () => {
  // ExpressionTest.valid / invalid
  test('Expression: a non-blank result other than false holds', async () => {
    expect(await isValid({ type: 'io.kestra.plugin.core.condition.Expression', expression: '{{ flow.id }}' })).toBe(true);
    expect(await isValid({ type: 'io.kestra.plugin.core.condition.Expression', expression: '{{ unknown is defined }}' })).toBe(false);
    expect(await isValid({ type: 'io.kestra.core.models.conditions.types.VariableCondition', expression: '  ' })).toBe(false);
    expect(await isValid({ type: 'io.kestra.plugin.core.condition.ExpressionCondition', expression: ' false ' })).toBe(false);
    expect(await isValid({ type: 'io.kestra.plugin.core.condition.Expression', expression: '{{ execution.id == "exec1" }}' })).toBe(true);
  });

  test('Expression: an undefined variable throws (strict), and ConditionService.valid counts it false, reporting it', async () => {
    const condition = conditionOf({ type: 'io.kestra.plugin.core.condition.Expression', expression: '{{ nope.x }}' });
    await expect(testCondition(condition, ctxOf())).rejects.toThrow();
    const errors: string[] = [];
    expect(await conditionsValid([condition], ctxOf(), (c, e) => errors.push(`${c.declaredType}: ${e.message}`))).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^io\.kestra\.plugin\.core\.condition\.Expression: /);
  });

  const sunday = (dayOfWeek: string): Record<string, unknown> => ({
    type: 'io.kestra.plugin.core.condition.DayWeek',
    date: '2013-09-08',
    dayOfWeek,
  });

  // NotTest.valid
  test.each([
    [[sunday('SUNDAY')], false],
    [[sunday('SATURDAY'), sunday('MONDAY')], true],
    [[sunday('SUNDAY'), sunday('MONDAY')], false],
  ])('Not %j: %s', async (conditions, result) => {
    expect(await isValid({ type: 'io.kestra.plugin.core.condition.Not', conditions })).toBe(result);
  });

  // OrTest.valid
  test.each([
    [[sunday('SUNDAY')], true],
    [[sunday('SATURDAY'), sunday('MONDAY')], false],
    [[sunday('SUNDAY'), sunday('MONDAY')], true],
  ])('Or %j: %s', async (conditions, result) => {
    expect(await isValid({ type: 'io.kestra.core.models.conditions.types.OrCondition', conditions })).toBe(result);
  });

  test("Not [PublicHoliday, Weekend]: a business day, by default on {{ trigger.date }} (Kestra's example)", async () => {
    const businessDay = {
      type: 'io.kestra.plugin.core.condition.Not',
      conditions: [
        { type: 'io.kestra.plugin.core.condition.PublicHoliday', country: 'FR' },
        { type: 'io.kestra.plugin.core.condition.Weekend' },
      ],
    };
    const at = (date: string): Promise<boolean> => isValid(businessDay, undefined, { trigger: { date } });
    expect(await at('2024-05-07T09:00:00+02:00')).toBe(true); // a Tuesday
    expect(await at('2024-05-08T09:00:00+02:00')).toBe(false); // Victoire 1945, a Wednesday
    expect(await at('2024-05-11T09:00:00+02:00')).toBe(false); // a Saturday
    // The local date in the offset written: Wednesday 00:30 in Paris is Tuesday in UTC.
    expect(await at('2024-05-08T00:30:00+02:00')).toBe(false);
    expect(await at('2024-05-07T22:30:00Z')).toBe(true);
  });
});

describe('execution conditions', () => {
  const labels = { type: 'io.kestra.plugin.core.condition.ExecutionLabels' };

  // ExecutionLabelsTest
  test('ExecutionLabels: every label must be on the execution', async () => {
    const one = [{ key: 'key', value: 'value' }];
    const two = [...one, { key: 'key2', value: 'value2' }];
    expect(await isValid({ ...labels, labels: one }, mockExecution({ labels: one }))).toBe(true); // valid
    expect(await isValid({ ...labels, labels: two }, mockExecution({ labels: two }))).toBe(true); // validMultiples
    expect(await isValid({ ...labels, labels: one }, mockExecution())).toBe(false); // invalid
    expect(await isValid({ ...labels, labels: two }, mockExecution({ labels: one }))).toBe(false); // invalidMultiples
    // The map form; values compared as strings.
    expect(
      await isValid({ ...labels, labels: { key: 'value', n: 1 } }, mockExecution({ labels: [...one, { key: 'n', value: '1' }] })),
    ).toBe(true);
  });

  // ExecutionOutputsTest
  test("ExecutionOutputs: the flow's outputs are trigger.outputs; none, and it is false without rendering", async () => {
    const outputs = { type: 'io.kestra.plugin.core.condition.ExecutionOutputs' };
    const withOutputs = mockExecution({ outputs: { test: 'value' } });
    expect(await isValid({ ...outputs, expression: "{{ trigger.outputs.test == 'value' }}" }, withOutputs)).toBe(true);
    expect(await isValid({ ...outputs, expression: '{{ unknown is defined }}' }, withOutputs)).toBe(false);
    expect(await testCondition(conditionOf({ ...outputs, expression: '{{ not evaluated }}' }), ctxOf())).toBe(false);
  });

  const attempt = (state: 'KILLED' | 'SUCCESS' | 'FAILED') => ({ state: { current: state, histories: [], startDate: '' } });
  const taskRun = (attempts: ReturnType<typeof attempt>[]): TaskRun => ({
    id: 'tr',
    executionId: 'exec1',
    namespace: 'n',
    flowId: 'f',
    taskId: 't',
    attempts,
    outputs: {},
    state: attempts.at(-1)!.state,
  });

  // HasRetryAttemptTest
  test('HasRetryAttempt: an attempt in the listed states of a task run that was retried', async () => {
    const retried = mockExecution({ taskRunList: [taskRun([attempt('KILLED'), attempt('SUCCESS')])] });
    const type = 'io.kestra.plugin.core.condition.HasRetryAttempt';
    expect(await isValid({ type, in: ['KILLED'] }, retried)).toBe(true); // test
    expect(await isValid({ type, in: ['FAILED'] }, retried)).toBe(false); // test
    expect(await isValid({ type }, mockExecution({ taskRunList: [taskRun([attempt('KILLED')])] }))).toBe(false); // onlyOne
    expect(await isValid({ type, notIn: ['KILLED', 'SUCCESS'] }, retried)).toBe(false);
  });

  test('FlowCondition and FlowNamespaceCondition test the flow, not the execution', async () => {
    const other = mockExecution({ namespace: 'elsewhere', flowId: 'other' });
    expect(
      await isValid(
        { type: 'io.kestra.core.models.conditions.types.FlowCondition', namespace: 'io.kestra.unittest', flowId: 'mock' },
        other,
      ),
    ).toBe(true);
    expect(
      await isValid({ type: 'io.kestra.plugin.core.condition.FlowCondition', namespace: 'io.kestra.unittest', flowId: 'x' }, other),
    ).toBe(false);
    expect(
      await isValid({ type: 'io.kestra.plugin.core.condition.FlowNamespaceCondition', namespace: 'io.kestra', prefix: true }, other),
    ).toBe(true);
    expect(await isValid({ type: 'io.kestra.plugin.core.condition.FlowNamespaceCondition', namespace: 'io.kestra' }, other)).toBe(false);
  });

  test('without an execution (a Schedule), the execution conditions cannot be evaluated', async () => {
    for (const c of [
      { type: 'io.kestra.plugin.core.condition.ExecutionStatus', in: ['SUCCESS'] },
      { type: 'io.kestra.plugin.core.condition.ExecutionLabels', labels: { a: 'b' } },
      { type: 'io.kestra.plugin.core.condition.HasRetryAttempt' },
    ])
      await expect(testCondition(conditionOf(c), ctxOf(null))).rejects.toThrow('Invalid condition with null execution');
  });
});

describe('the loader checks the conditions', () => {
  const problems = (conditions: string): string[] =>
    checkFlow(
      `id: f
namespace: n
tasks:
  - { id: t, type: io.kestra.plugin.core.log.Log, message: x }
triggers:
  - id: s
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 11 * * 1"
    conditions:
${conditions}`,
      { file: 'f.yaml' },
    ).problems.map(formatProblem);

  test('required and unknown properties, enums and dates, nested ones included, with their positions', () => {
    expect(
      problems(`      - type: io.kestra.plugin.core.condition.DayWeekInMonth
        dayOfWeek: MONDAY
        dayInMonth: FIFTH
      - type: io.kestra.plugin.core.condition.Not
        conditions:
          - type: io.kestra.plugin.core.condition.DayWeek
            day: MONDAY
      - type: io.kestra.plugin.core.condition.DateTimeBetween
        after: "2024-01-01T08:30:00"
      - type: io.kestra.plugin.core.condition.TimeBetween
        before: "25:00:00Z"
      - type: io.kestra.plugin.core.condition.Or
        conditions: []
      - type: io.kestra.plugin.core.condition.Expression
`),
    ).toEqual([
      'f.yaml:12:21: Invalid value `FIFTH` for `dayInMonth`: expected one of FIRST, LAST, SECOND, THIRD, FOURTH (at triggers[0].conditions[0].dayInMonth)',
      'f.yaml:15:13: Missing required property `dayOfWeek` (at triggers[0].conditions[1].conditions[0])',
      'f.yaml:16:13: Unknown property `day` (did you mean `date`?) (at triggers[0].conditions[1].conditions[0].day)',
      "f.yaml:18:16: Invalid after '2024-01-01T08:30:00': expected an ISO 8601 date-time with its offset, such as 2024-01-01T08:30:00Z (at triggers[0].conditions[2].after)",
      "f.yaml:20:17: Invalid before '25:00:00Z': expected an ISO 8601 time with its offset, such as 16:19:12+02:00 (at triggers[0].conditions[3].before)",
      'f.yaml:22:21: `conditions` must not be empty (at triggers[0].conditions[4].conditions)',
      'f.yaml:23:9: Missing required property `expression` (at triggers[0].conditions[5])',
    ]);
  });

  test('valid conditions load, Not and Or with their own conditions, PublicHoliday among them', () => {
    const loaded = checkFlow(`id: f
namespace: n
tasks:
  - { id: t, type: io.kestra.plugin.core.log.Log, message: x }
triggers:
  - id: s
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 11 * * *"
    conditions:
      - type: io.kestra.plugin.core.condition.Not
        conditions:
          - type: io.kestra.plugin.core.condition.PublicHoliday
            country: FR
          - type: io.kestra.plugin.core.condition.Weekend
      - type: io.kestra.plugin.core.condition.DateTimeBetween
        after: "2024-01-01T08:30:00Z"
      - type: io.kestra.plugin.core.condition.TimeBetween
        after: "16:19:12+02:00"
`);
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    const [not] = loaded.flow!.triggers[0]!.conditions;
    expect(not).toMatchObject({ type: 'io.kestra.plugin.core.condition.Not', supported: true, properties: {} });
    expect(not!.conditions!.map((c) => [c.type, c.supported])).toEqual([
      ['io.kestra.plugin.core.condition.PublicHoliday', true],
      ['io.kestra.plugin.core.condition.Weekend', true],
    ]);
  });
});
