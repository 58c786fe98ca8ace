/**
 * Flow `listeners` beyond Kestra's ListenersTest (test/runner/kestra/flowables.test.ts): what a
 * listener task sees, conditions, masking, and the ends after which listeners still run. Reference:
 * ExecutorService.handleListeners and ConditionService.findValidListeners in kestra-io/kestra.
 */
import { MASK } from '../../src/runner/masking.js';
import { registerTaskType } from '../../src/tasks/registry.js';
import { messages, runYaml, taskStates } from '../support/flows.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

registerTaskType({
  type: 'com.example.listeners.Slow',
  properties: {},
  async run(ctx) {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, 5000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(ctx.signal.reason as Error);
      });
    });
    return { outputs: {} };
  },
});

describe('flow listeners', () => {
  test("a listener task reads the main tasks' outputs; its logs mask secrets; the execution's end date stays", async () => {
    const canary = 'listener-canary-5d2e8b';
    const report = await runYaml(
      `id: l
namespace: n
listeners:
  - tasks:
      - id: notify
        type: io.kestra.plugin.core.log.Log
        message: "got {{ outputs.first.value }} key {{ secret('api_key') }} state {{ execution.state }}"
tasks:
  - { id: first, type: io.kestra.plugin.core.debug.Return, format: "v1" }
`,
      { env: { SECRET_API_KEY: b64(canary) } },
    );
    expect(report.state).toBe('SUCCESS');
    expect(messages(report)).toEqual([`notify INFO got v1 key ${MASK} state SUCCESS`]);
    expect(JSON.stringify(report)).not.toContain(canary);
    const notify = report.taskRuns[1]!;
    expect(notify.branch).toBe('listeners');
    expect(notify.depth).toBe(0);
    // The execution ended before its listeners ran (Kestra runs them once it is terminated).
    expect(Date.parse(notify.startDate)).toBeGreaterThanOrEqual(Date.parse(report.endDate));
    expect(report.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
  });

  test('conditions: all must hold on the ended execution; listeners run in the order written', async () => {
    const report = await runYaml(`id: l
namespace: company.team
listeners:
  - conditions:
      - { type: io.kestra.plugin.core.condition.ExecutionStatus, notIn: [SUCCESS] }
    tasks:
      - { id: not-success, type: io.kestra.plugin.core.log.Log, message: x }
  - conditions:
      - { type: io.kestra.core.models.conditions.types.ExecutionStatusCondition, in: [FAILED] }
      - { type: io.kestra.plugin.core.condition.ExecutionNamespace, namespace: company, comparison: PREFIX }
    tasks:
      - { id: b, type: io.kestra.plugin.core.log.Log, message: b }
  - conditions:
      - { type: io.kestra.plugin.core.condition.ExecutionFlow, namespace: company.team, flowId: other }
    tasks:
      - { id: other-flow, type: io.kestra.plugin.core.log.Log, message: x }
  - description: always
    tasks:
      - { id: c, type: io.kestra.plugin.core.log.Log, message: c }
tasks:
  - { id: boom, type: io.kestra.plugin.core.execution.Fail }
errors:
  - { id: handled, type: io.kestra.plugin.core.log.Log, message: handled }
`);
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns.map((t) => t.taskId)).toEqual(['boom', 'handled', 'not-success', 'b', 'c']);
  });

  test('a condition pebbleflow cannot evaluate is logged as Kestra logs a failed condition, and its listener does not run', async () => {
    const report = await runYaml(`id: l
namespace: n
listeners:
  - conditions:
      - { type: io.kestra.plugin.core.condition.PublicHoliday, country: ZZ, date: '2024-01-01' }
    tasks:
      - { id: never, type: io.kestra.plugin.core.log.Log, message: x }
  - tasks:
      - { id: always, type: io.kestra.plugin.core.log.Log, message: y }
tasks:
  - { id: a, type: io.kestra.plugin.core.debug.Return, format: a }
`);
    expect(report.state).toBe('SUCCESS');
    expect(report.taskRuns.map((t) => t.taskId)).toEqual(['a', 'always']);
    expect(messages(report)).toContain(
      "- WARN [namespace: n] [flow: l] [condition: io.kestra.plugin.core.condition.PublicHoliday] Evaluate Condition Failed with error 'Cannot instantiate configuration from URL 'null'. (no holiday calendar 'zz')'",
    );
  });

  test('Expression, ExecutionLabels, HasRetryAttempt and Not/Or render and read the ended execution: its outputs, labels, retried attempts', async () => {
    const report = await runYaml(`id: l
namespace: n
labels:
  team: data
listeners:
  - conditions:
      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ outputs.a.value == 'a' and execution.state == 'SUCCESS' and labels.team == 'data' }}"
    tasks:
      - { id: on-output, type: io.kestra.plugin.core.log.Log, message: x }
  - conditions:
      - { type: io.kestra.plugin.core.condition.Expression, expression: "{{ outputs.a.value == 'b' }}" }
    tasks:
      - { id: never-expression, type: io.kestra.plugin.core.log.Log, message: x }
  - conditions:
      - { type: io.kestra.plugin.core.condition.ExecutionLabels, labels: { team: data } }
      - type: io.kestra.plugin.core.condition.Or
        conditions:
          - { type: io.kestra.plugin.core.condition.ExecutionStatus, in: [FAILED] }
          - { type: io.kestra.plugin.core.condition.FlowCondition, namespace: n, flowId: l }
    tasks:
      - { id: on-labels, type: io.kestra.plugin.core.log.Log, message: x }
  - conditions:
      - { type: io.kestra.plugin.core.condition.ExecutionLabels, labels: [{ key: team, value: other }] }
    tasks:
      - { id: never-labels, type: io.kestra.plugin.core.log.Log, message: x }
  - conditions:
      - { type: io.kestra.plugin.core.condition.HasRetryAttempt, in: [FAILED] }
    tasks:
      - { id: never-retried, type: io.kestra.plugin.core.log.Log, message: x }
  - conditions:
      - type: io.kestra.plugin.core.condition.Not
        conditions:
          - { type: io.kestra.plugin.core.condition.HasRetryAttempt }
    tasks:
      - { id: not-retried, type: io.kestra.plugin.core.log.Log, message: x }
tasks:
  - { id: a, type: io.kestra.plugin.core.debug.Return, format: a }
`);
    expect(report.state).toBe('SUCCESS');
    expect(report.taskRuns.map((t) => t.taskId)).toEqual(['a', 'on-output', 'on-labels', 'not-retried']);
  });

  test('an Expression that does not render (strict variables) is logged with the error and counts as false', async () => {
    const report = await runYaml(`id: l
namespace: n
listeners:
  - conditions:
      - { type: io.kestra.plugin.core.condition.Expression, expression: "{{ nope.x }}" }
    tasks:
      - { id: never, type: io.kestra.plugin.core.log.Log, message: x }
tasks:
  - { id: a, type: io.kestra.plugin.core.debug.Return, format: a }
`);
    expect(report.taskRuns.map((t) => t.taskId)).toEqual(['a']);
    const warning = messages(report).find((m) => m.includes('Evaluate Condition Failed'));
    expect(warning).toMatch(
      /^- WARN \[namespace: n\] \[flow: l\] \[condition: io\.kestra\.plugin\.core\.condition\.Expression\] Evaluate Condition Failed with error '.*nope.*'$/,
    );
  });

  test('a killed execution runs its listeners (KILLED is terminated); it stays KILLED', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const report = await runYaml(
      `id: l
namespace: n
listeners:
  - conditions:
      - { type: io.kestra.plugin.core.condition.ExecutionStatus, in: [KILLED] }
    tasks:
      - { id: on-kill, type: io.kestra.plugin.core.log.Log, message: "{{ execution.state }}" }
tasks:
  - { id: slow, type: com.example.listeners.Slow }
`,
      { signal: controller.signal },
    );
    expect(report.state).toBe('KILLED');
    expect(taskStates(report)).toEqual({ slow: 'KILLED', 'on-kill': 'SUCCESS' });
    expect(messages(report)).toContain('on-kill INFO KILLED');
  });

  test('after an Exit the listeners still run, flowable ones with their children; a failing one fails alone', async () => {
    const report = await runYaml(`id: l
namespace: n
listeners:
  - tasks:
      - id: seq
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - { id: inner, type: io.kestra.plugin.core.log.Log, message: "{{ execution.state }}" }
          - { id: inner-fail, type: io.kestra.plugin.core.execution.Fail }
      - { id: after, type: io.kestra.plugin.core.log.Log, message: after }
tasks:
  - { id: exit, type: io.kestra.plugin.core.execution.Exit, state: WARNING }
  - { id: skipped, type: io.kestra.plugin.core.log.Log, message: never }
`);
    expect(report.state).toBe('WARNING');
    expect(taskStates(report)).toEqual({ exit: 'WARNING', seq: 'FAILED', inner: 'SUCCESS', 'inner-fail': 'FAILED', after: 'SUCCESS' });
    expect(messages(report)).toContain('inner INFO WARNING');
  });
});
