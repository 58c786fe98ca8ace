/**
 * Flow triggers over several flows in a time window, against a real server process (embedded
 * mode): a Flow trigger's `preconditions` on flows A and B, and the deprecated MultipleCondition.
 * Ported from kestra-io/kestra `core/src/test/java/io/kestra/core/runners/MultipleConditionTriggerCaseTest.java`
 * (trigger, failed, flowTriggerPreconditions) with its flows
 * `core/src/test/resources/flows/valids/{trigger-multiplecondition-*,flow-trigger-preconditions-*}.yaml`.
 * Where Kestra sleeps a second "to be sure that the trigger is not launching execution", this
 * waits until the window on disk holds the upstream's result, then checks nothing started.
 */
import { jest } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution, Paged } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';

jest.setTimeout(180_000);

let dir: ReturnType<typeof project>;
let server: ServerChild;

const returning = (id: string, namespace: string, extra = ''): string => `id: ${id}
namespace: ${namespace}
${extra}tasks:
  - id: only
    type: io.kestra.plugin.core.debug.Return
    format: "from parents: {{ execution.id }}"
`;

const write = (name: string, source: string): void => writeFileSync(join(dir.flows, `${name}.yml`), source);

beforeAll(async () => {
  dir = project();
  // The brief's case: C after A and B, default window (the day), resetOnSuccess (default true).
  write('a', returning('a', 'company.team'));
  write('b', returning('b', 'company.team'));
  write(
    'c',
    `id: c
namespace: company.team
tasks:
  - id: only
    type: io.kestra.plugin.core.log.Log
    message: "after {{ trigger.flowId }}"
triggers:
  - id: after-a-and-b
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: a-and-b
      flows:
        - namespace: company.team
          flowId: a
          states: [SUCCESS]
        - namespace: company.team
          flowId: b
          states: [SUCCESS]
`,
  );
  // Kestra's test flows, as written there.
  const trigger = 'io.kestra.tests.trigger';
  write('mc-a', returning('trigger-multiplecondition-flow-a', trigger));
  write('mc-b', returning('trigger-multiplecondition-flow-b', trigger));
  write(
    'mc-c',
    `id: trigger-multiplecondition-flow-c
namespace: ${trigger}
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
`,
  );
  write('mc-d', returning('trigger-multiplecondition-flow-d', trigger));
  write(
    'mc-listener',
    `id: trigger-multiplecondition-listener
namespace: ${trigger}
tasks:
  - id: only-listener
    type: io.kestra.plugin.core.debug.Return
    format: "childs"
triggers:
  - id: multiple-listen-flow
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - id: multiple
        type: io.kestra.plugin.core.condition.MultipleCondition
        window: P1D
        windowAdvance: P0D
        conditions:
          success:
            type: io.kestra.plugin.core.condition.ExecutionStatus
            in:
              - SUCCESS
          flow-a:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: ${trigger}
            flowId: trigger-multiplecondition-flow-a
          flow-b:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: ${trigger}
            flowId: trigger-multiplecondition-flow-b
`,
  );
  write(
    'mc-failed',
    `id: trigger-multiplecondition-failed
namespace: ${trigger}
tasks:
  - id: only-listener
    type: io.kestra.plugin.core.debug.Return
    format: "childs"
triggers:
  - id: multiple-listen-flow
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in:
          - SUCCESS
      - id: multiple
        type: io.kestra.plugin.core.condition.MultipleCondition
        window: P1D
        windowAdvance: P0D
        conditions:
          flow-a:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: ${trigger}
            flowId: trigger-multiplecondition-flow-d
          flow-b:
            type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: ${trigger}
            flowId: trigger-multiplecondition-flow-c
`,
  );
  const pre = 'io.kestra.tests.trigger.preconditions';
  write('pre-a', returning('flow-trigger-preconditions-flow-a', pre, 'labels:\n  some: label\n'));
  write('pre-b', returning('flow-trigger-preconditions-flow-b', pre));
  write(
    'pre-listen',
    `id: flow-trigger-preconditions-flow-listen
namespace: ${pre}
triggers:
  - id: flow
    type: io.kestra.plugin.core.trigger.Flow
    preconditions:
      id: flow
      flows:
        - namespace: ${pre}
          flowId: flow-trigger-preconditions-flow-a
          states: [SUCCESS, WARNING, FAILED]
        - namespace: ${pre}
          flowId: flow-trigger-preconditions-flow-b
          states: [SUCCESS]
      where:
        - id: flow1
          filters:
            - field: NAMESPACE
              type: STARTS_WITH
              value: io.kestra.tests.trigger
            - field: FLOW_ID
              type: EQUAL_TO
              value: flow-trigger-preconditions-flow-a
            - field: EXPRESSION
              type: IS_TRUE
              value: "{{labels.some == 'label'}}"
        - id: flow2
          filters:
            - field: NAMESPACE
              type: ENDS_WITH
              value: trigger.preconditions
            - field: FLOW_ID
              type: EQUAL_TO
              value: flow-trigger-preconditions-flow-b
tasks:
  - id: only
    type: io.kestra.plugin.core.debug.Return
    format: "It works"
`,
  );
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
});

afterAll(async () => {
  await server.stop();
  dir.cleanup();
});

async function run(namespace: string, flowId: string): Promise<ApiExecution> {
  const res = await postForm<ApiExecution>(`${server.url}/api/v1/main/executions/${namespace}/${flowId}?wait=true`, {});
  expect(res.status).toBe(200);
  return res.body;
}

async function executionsOf(flowId: string): Promise<ApiExecution[]> {
  const { body } = await getJson<Paged<ApiExecution>>(`${server.url}/api/v1/main/executions/search?size=100&flowId=${flowId}`);
  return body.results;
}

/** The stored windows of the tenant (the file store keeps them beside the trigger states). */
function windows(): { flowId: string; conditionId: string; results: Record<string, boolean> }[] {
  const file = join(dir.dir, '.pebbleflow', 'windows', 'main.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ReturnType<typeof windows>) : [];
}

/** Waits until the server recorded `key` in the window `conditionId` of `flowId`: the upstream was evaluated. */
async function recorded(flowId: string, conditionId: string, key: string): Promise<void> {
  await until(`${flowId}/${conditionId} to record ${key}`, () =>
    windows().some((w) => w.flowId === flowId && w.conditionId === conditionId && w.results[key] === true) ? true : undefined,
  );
}

test('C waits for A and B: A alone starts nothing; B then starts C once; A again alone starts nothing; B again starts it again', async () => {
  const a1 = await run('company.team', 'a');
  expect(a1.state.current).toBe('SUCCESS');
  await recorded('c', 'a-and-b', 'condition_1');
  expect(await executionsOf('c')).toEqual([]);

  // The window survives a restart of the server.
  await server.stop();
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  expect(windows().find((w) => w.flowId === 'c')?.results).toEqual({ condition_1: true });

  const b1 = await run('company.team', 'b');
  const [c1] = await until('C to start', async () => {
    const list = await executionsOf('c');
    return list.length > 0 ? list : undefined;
  });
  expect(c1!.trigger).toMatchObject({
    id: 'after-a-and-b',
    type: 'io.kestra.plugin.core.trigger.Flow',
    variables: { executionId: b1.id, flowId: 'b', namespace: 'company.team', state: 'SUCCESS' },
  });
  // Met and reset: the window is gone.
  expect(windows().some((w) => w.flowId === 'c')).toBe(false);

  await run('company.team', 'a');
  await recorded('c', 'a-and-b', 'condition_1');
  expect(await executionsOf('c')).toHaveLength(1);

  await run('company.team', 'b');
  await until('C to start a second time', async () => ((await executionsOf('c')).length === 2 ? true : undefined));
});

// MultipleConditionTriggerCaseTest.trigger
test('MultipleCondition: flow A then flow B start the listener once, with B as its trigger', async () => {
  const trigger = 'io.kestra.tests.trigger';
  await run(trigger, 'trigger-multiplecondition-flow-a');
  await recorded('trigger-multiplecondition-listener', 'multiple', 'flow-a');
  expect(await executionsOf('trigger-multiplecondition-listener')).toEqual([]);
  const b = await run(trigger, 'trigger-multiplecondition-flow-b');
  const ended = await until('the listener to succeed', async () => {
    const list = await executionsOf('trigger-multiplecondition-listener');
    return list.some((e) => e.state.current === 'SUCCESS') ? list : undefined;
  });
  expect(ended).toHaveLength(1);
  expect(ended[0]!.taskRunList).toHaveLength(1);
  expect(ended[0]!.trigger?.variables).toMatchObject({ executionId: b.id, namespace: trigger, flowId: 'trigger-multiplecondition-flow-b' });
});

// MultipleConditionTriggerCaseTest.failed: the FAILED flow C never reaches the window (its trigger
// also requires SUCCESS outside the MultipleCondition), so flow D alone does not start the listener.
test('MultipleCondition: an upstream filtered out by the trigger’s other conditions is not recorded', async () => {
  const trigger = 'io.kestra.tests.trigger';
  expect((await run(trigger, 'trigger-multiplecondition-flow-c')).state.current).toBe('FAILED');
  const d = await run(trigger, 'trigger-multiplecondition-flow-d');
  expect(d.state.current).toBe('SUCCESS');
  await recorded('trigger-multiplecondition-failed', 'multiple', 'flow-a');
  expect(windows().find((w) => w.flowId === 'trigger-multiplecondition-failed')?.results).toEqual({ 'flow-a': true });
  expect(await executionsOf('trigger-multiplecondition-failed')).toEqual([]);
});

// MultipleConditionTriggerCaseTest.flowTriggerPreconditions: flows, and where filters with an EXPRESSION on labels.
test('preconditions with flows and where filters: A twice then B start the listener', async () => {
  const pre = 'io.kestra.tests.trigger.preconditions';
  await run(pre, 'flow-trigger-preconditions-flow-a');
  await run(pre, 'flow-trigger-preconditions-flow-a');
  await recorded('flow-trigger-preconditions-flow-listen', 'flow', 'condition_3_flow1');
  expect(windows().find((w) => w.flowId === 'flow-trigger-preconditions-flow-listen')?.results).toEqual({
    condition_1: true,
    condition_3_flow1: true,
  });
  expect(await executionsOf('flow-trigger-preconditions-flow-listen')).toEqual([]);
  await run(pre, 'flow-trigger-preconditions-flow-b');
  const listened = await until('the listener to succeed', async () => {
    const list = await executionsOf('flow-trigger-preconditions-flow-listen');
    return list.find((e) => e.state.current === 'SUCCESS');
  });
  expect(listened.taskRunList).toHaveLength(1);
});
