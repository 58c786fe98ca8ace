/**
 * `afterExecution` (Kestra's docs, workflow-components/afterexecution): tasks that run once the
 * execution finished, whatever its final state, and see it as `execution.state`; what they do never
 * changes that state. "Finished" includes an Exit, an SLA and a kill ending it.
 */
import { runYaml } from '../support/flows.js';

const after = `afterExecution:
  - id: onSuccess
    type: io.kestra.plugin.core.log.Log
    runIf: "{{ execution.state == 'SUCCESS' }}"
    message: success
  - id: always
    type: io.kestra.plugin.core.log.Log
    message: ended {{ execution.state }}
`;

const messages = (r: { logs: readonly { message: string }[] }): string[] => r.logs.map((l) => l.message);
const states = (r: { taskRuns: readonly { taskId: string; state: string }[] }): string[][] => r.taskRuns.map((t) => [t.taskId, t.state]);

describe('afterExecution', () => {
  test('runs after a successful execution, which it sees as SUCCESS', async () => {
    const r = await runYaml(`id: a
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
${after}`);
    expect(r.state).toBe('SUCCESS');
    expect(messages(r)).toEqual(['hello', 'success', 'ended SUCCESS']);
  });

  test('runs after a failure, after `errors`; a failing afterExecution task leaves the state as it was', async () => {
    const r = await runYaml(`id: b
namespace: company.team
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
errors:
  - id: handle
    type: io.kestra.plugin.core.log.Log
    message: handled
${after}  - id: breaks
    type: io.kestra.plugin.core.execution.Fail
`);
    expect(r.state).toBe('FAILED');
    expect(messages(r)).toContain('handled');
    expect(messages(r).slice(-2)).toEqual(['ended FAILED', 'Task failure']);
    expect(states(r)).toContainEqual(['breaks', 'FAILED']);
    expect(states(r)).toContainEqual(['onSuccess', 'SKIPPED']);
  });

  test('runs after an Exit ended the execution, in the state the Exit chose', async () => {
    const r = await runYaml(`id: c
namespace: company.team
tasks:
  - id: bye
    type: io.kestra.plugin.core.execution.Exit
    state: WARNING
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: never
${after}`);
    expect(r.state).toBe('WARNING');
    expect(messages(r)).toEqual(['ended WARNING']);
    expect(states(r)).toEqual([
      ['bye', 'WARNING'],
      ['onSuccess', 'SKIPPED'],
      ['always', 'SUCCESS'],
    ]);
  });

  test('runs after an SLA failed the execution', async () => {
    const r = await runYaml(`id: d
namespace: company.team
sla:
  - id: quick
    type: MAX_DURATION
    behavior: FAIL
    duration: PT0.2S
tasks:
  - id: slow
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT5S
${after}`);
    expect(r.state).toBe('FAILED');
    expect(messages(r).slice(-1)).toEqual(['ended FAILED']);
  });

  test('runs after a kill', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await runYaml(
      `id: e
namespace: company.team
tasks:
  - id: slow
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT5S
${after}`,
      { signal: controller.signal },
    );
    expect(r.state).toBe('KILLED');
    expect(messages(r).slice(-1)).toEqual(['ended KILLED']);
  });
});
