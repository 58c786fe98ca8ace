/**
 * The loader checks a Flow trigger's `preconditions` and the deprecated MultipleCondition as Kestra
 * validates them (TimeWindowValidator, PreconditionFilterValidator, the properties' constraints),
 * each problem at its line and column.
 * Reference: kestra-io/kestra `core/src/main/java/io/kestra/core/validations/validator/{TimeWindow,PreconditionFilter}Validator.java`,
 * `core/src/main/java/io/kestra/plugin/core/trigger/Flow.java`, `core/src/main/java/io/kestra/plugin/core/condition/MultipleCondition.java`.
 */
import { formatProblem } from '../../src/flow/errors.js';
import { checkFlow } from '../../src/flow/loader.js';

const flow = (trigger: string): string => `id: c
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: after
    type: io.kestra.plugin.core.trigger.Flow
${trigger}`;

const problemsOf = (source: string): string[] => checkFlow(source, { file: 'f.yaml' }).problems.map(formatProblem);

test('valid preconditions over several flows, every window type, and a MultipleCondition load without problems', () => {
  for (const timeWindow of [
    '{ type: DURATION_WINDOW, window: PT6H, windowAdvance: PT6H }',
    '{ type: SLIDING_WINDOW, window: PT1H }',
    '{ type: DAILY_TIME_DEADLINE, deadline: "09:00:00" }',
    '{ type: DAILY_TIME_WINDOW, startTime: "06:00:00", endTime: "09:00" }',
  ])
    expect(
      problemsOf(
        flow(`    preconditions:
      id: a-and-b
      timeWindow: ${timeWindow}
      resetOnSuccess: false
      flows:
        - { namespace: company.team, flowId: a, states: [SUCCESS], labels: { env: prod } }
        - { namespace: company.team, flowId: b }
      where:
        - id: failures
          operand: OR
          filters:
            - { field: STATE, type: IN, values: [FAILED, WARNING] }
            - { field: EXPRESSION, type: IS_TRUE, value: "{{ labels.env == 'prod' }}" }
`),
      ),
    ).toEqual([]);
  expect(
    problemsOf(
      flow(`    conditions:
      - id: multiple
        type: io.kestra.core.models.conditions.types.MultipleCondition
        window: P1D
        windowAdvance: P0D
        conditions:
          flow-a:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
            flowId: a
`),
    ),
  ).toEqual([]);
});

test('a time window with properties its type does not take, or without those it needs, is refused at its line', () => {
  expect(
    problemsOf(
      flow(`    preconditions:
      id: p
      timeWindow:
        type: DAILY_TIME_DEADLINE
        window: PT1H
      flows:
        - namespace: company.team
`),
    ),
  ).toEqual([
    'f.yaml:13:9: Time window of type `DAILY_TIME_DEADLINE` must have a deadline. (at triggers[0].preconditions.timeWindow)',
    'f.yaml:14:17: Time window of type `DAILY_TIME_DEADLINE` cannot have a window. (at triggers[0].preconditions.timeWindow.window)',
  ]);
  expect(problemsOf(flow(`    preconditions:\n      id: p\n      timeWindow: { type: SLIDING_WINDOW, windowAdvance: PT1H }\n`))).toEqual([
    expect.stringContaining('Time window of type `SLIDING_WINDOW` cannot have a window advance.'),
  ]);
  expect(problemsOf(flow(`    preconditions:\n      id: p\n      timeWindow: { type: DAILY_TIME_WINDOW, startTime: "25:00" }\n`))).toEqual([
    expect.stringContaining('Time window of type `DAILY_TIME_WINDOW` must have an end time.'),
    expect.stringContaining('Invalid time `25:00`'),
  ]);
});

test('preconditions need an id; filters need the value or values their type takes; unknown properties are named', () => {
  const problems = problemsOf(
    flow(`    preconditions:
      flows:
        - flowId: a
      where:
        - id: w
          filters:
            - { field: STATE, type: EQUAL_TO }
            - { field: STATE, type: IN, value: FAILED }
      windw: PT1H
`),
  );
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/id/),
      expect.stringMatching(/namespace/),
      expect.stringContaining('`value` cannot be null for type EQUAL_TO'),
      expect.stringContaining('`value` must be null for type IN'),
      expect.stringContaining('Unknown property `windw`'),
    ]),
  );
});

test('a MultipleCondition needs an id and conditions; its time window and its conditions are checked', () => {
  const problems = problemsOf(
    flow(`    conditions:
      - type: io.kestra.plugin.core.condition.MultipleCondition
        timeWindow: { type: DAILY_TIME_WINDOW, deadline: "09:00" }
        conditions:
          flow-a:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
`),
  );
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/id/),
      expect.stringContaining('Time window of type `DAILY_TIME_WINDOW` cannot have a deadline.'),
      expect.stringMatching(/flowId.*\(at triggers\[0\]\.conditions\[0\]\.conditions\.flow-a/),
    ]),
  );
});
