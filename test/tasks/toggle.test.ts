/**
 * Toggle (`io.kestra.plugin.core.trigger.Toggle`): its declaration (Kestra's test flow loads; a
 * missing `trigger` is refused), the request it makes of the run's triggers (namespace and flowId
 * default to the current flow's, rendered; `enabled` default false), Kestra's failure messages, and
 * a local run, which has no triggers, failing clearly. The server side is `test/server/toggle.test.ts`.
 * Reference: `core/src/main/java/io/kestra/plugin/core/trigger/Toggle.java`, `ToggleTest.java`.
 */
import { checkFlow } from '../../src/flow/loader.js';
import { formatProblem } from '../../src/flow/errors.js';
import type { TriggerToggleRequest, TriggerToggleResult } from '../../src/tasks/definition.js';
import { loadKestraFlow, run } from '../support/kestra-flows.js';
import { messages, runYaml, taskStates } from '../support/flows.js';

function triggers(result: TriggerToggleResult = 'toggled'): {
  requests: TriggerToggleRequest[];
  toggle(r: TriggerToggleRequest): Promise<TriggerToggleResult>;
} {
  const requests: TriggerToggleRequest[] = [];
  return {
    requests,
    toggle: async (r) => {
      requests.push(r);
      return result;
    },
  };
}

test("Kestra's trigger-toggle.yaml loads (the old alias too); `trigger` is required", () => {
  const flow = loadKestraFlow('trigger-toggle.yaml');
  expect(flow.tasks[0]?.type).toBe('io.kestra.plugin.core.trigger.Toggle');
  const { problems } = checkFlow(
    'id: t\nnamespace: n\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.trigger.Toggle\n    enabled: true\n',
    {
      file: 'f.yaml',
    },
  );
  expect(problems.map(formatProblem)).toEqual(['f.yaml:4:5: Missing required property `trigger` (at tasks[0])']);
});

test('ToggleTest.toggle: the current flow trigger, enabled (Kestra: the saved trigger ends disabled: false)', async () => {
  const t = triggers();
  const report = await run('trigger-toggle.yaml', {}, { triggers: t });
  expect(report.state).toBe('SUCCESS');
  expect(report.taskRuns).toHaveLength(1);
  expect(t.requests).toEqual([{ namespace: 'io.kestra.tests.trigger', flowId: 'trigger-toggle', triggerId: 'schedule', enabled: true }]);
});

test('namespace, flowId and trigger are rendered; enabled defaults to false', async () => {
  const t = triggers();
  const report = await runYaml(
    `id: t
namespace: company.team
variables:
  target: other
tasks:
  - id: off
    type: io.kestra.plugin.core.trigger.Toggle
    namespace: "{{ flow.namespace }}.sub"
    flowId: "{{ vars.target }}"
    trigger: "{{ 'sched' ~ 'ule' }}"
`,
    { triggers: t },
  );
  expect(report.state).toBe('SUCCESS');
  expect(t.requests).toEqual([{ namespace: 'company.team.sub', flowId: 'other', triggerId: 'schedule', enabled: false }]);
});

test("Kestra's messages when the flow or the trigger is not found", async () => {
  const flow = `id: t
namespace: company.team
tasks:
  - { id: off, type: io.kestra.plugin.core.trigger.Toggle, flowId: gone, trigger: schedule }
`;
  const noFlow = await runYaml(flow, { triggers: triggers('flow-not-found') });
  expect(taskStates(noFlow)).toEqual({ off: 'FAILED' });
  expect(noFlow.taskRuns[0]?.error).toBe(
    'Unable to find flow company.team.gone. Make sure the flow exists and the current execution is authorized to access it.',
  );
  const noTrigger = await runYaml(flow, { triggers: triggers('trigger-not-found') });
  expect(noTrigger.taskRuns[0]?.error).toBe('Unable to find trigger schedule for the flow company.team.gone');
});

test('a local run has no triggers: the task fails saying they live in pebbleflow server', async () => {
  const report = await run('trigger-toggle.yaml');
  expect(report.state).toBe('FAILED');
  expect(report.taskRuns[0]?.error).toMatch(/triggers live in `pebbleflow server`/);
  expect(messages(report).join('\n')).toMatch(/pebbleflow run/);
});
