/**
 * Flow `checks` (Kestra 1.2+, FlowService.getFailedChecks as its docs and javadoc describe it):
 * asserted with the inputs before an execution exists. Only the boolean `true` passes; a condition
 * that cannot be evaluated blocks, styled ERROR, whatever it declares; when several fail, the most
 * restrictive behavior wins (BLOCK_EXECUTION, then FAIL_EXECUTION, then CREATE_EXECUTION).
 */
import { ExecutionBlockedError } from '../../src/flow/errors.js';
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import { MemoryExecutionStore } from '../../src/runner/store.js';
import { runYaml } from '../support/flows.js';

const guard = (behavior: string, style = 'ERROR'): string => `id: guarded
namespace: company.team
inputs:
  - id: name
    type: STRING
checks:
  - message: "Sorry, this flow can only be executed with 'Kestra'"
    condition: "{{ (inputs.name | upper) == 'KESTRA' }}"
    style: ${style}
    behavior: ${behavior}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: Hello {{ inputs.name }}
`;

async function blocked(run: Promise<unknown>): Promise<ExecutionBlockedError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExecutionBlockedError);
  return error as ExecutionBlockedError;
}

describe('flow checks', () => {
  test('a true condition lets the execution run', async () => {
    const r = await runYaml(guard('BLOCK_EXECUTION'), { inputs: { name: 'kestra' } });
    expect(r.state).toBe('SUCCESS');
    expect(r.logs.map((l) => l.message)).toEqual(['Hello kestra']);
  });

  test('BLOCK_EXECUTION: no execution is created, nothing is stored', async () => {
    const store = new MemoryExecutionStore();
    const e = await blocked(runYaml(guard('BLOCK_EXECUTION'), { inputs: { name: 'other' }, store }));
    expect(e.code).toBe('EXECUTION_BLOCKED');
    expect(e.checks).toEqual([
      { message: "Sorry, this flow can only be executed with 'Kestra'", style: 'ERROR', behavior: 'BLOCK_EXECUTION' },
    ]);
    expect(e.message).toBe("Execution blocked by the flow checks:\n  - Sorry, this flow can only be executed with 'Kestra'");
    expect([...store.executions.values()]).toHaveLength(0);
  });

  test('behavior defaults to BLOCK_EXECUTION and style to INFO', async () => {
    const yaml = guard('BLOCK_EXECUTION').replace(/ {4}style: ERROR\n {4}behavior: BLOCK_EXECUTION\n/, '');
    expect(parseFlow(yaml).checks).toEqual([
      {
        condition: "{{ (inputs.name | upper) == 'KESTRA' }}",
        message: "Sorry, this flow can only be executed with 'Kestra'",
        style: 'INFO',
        behavior: 'BLOCK_EXECUTION',
      },
    ]);
    expect((await blocked(runYaml(yaml, { inputs: { name: 'x' } }))).checks[0]?.style).toBe('INFO');
  });

  test('FAIL_EXECUTION: the execution is created FAILED, runs no task, and logs the message', async () => {
    const store = new MemoryExecutionStore();
    const r = await runYaml(guard('FAIL_EXECUTION'), { inputs: { name: 'other' }, store });
    expect(r.state).toBe('FAILED');
    expect(r.histories.map((h) => h.state)).toEqual(['CREATED', 'FAILED']);
    expect(r.taskRuns).toEqual([]);
    expect(r.logs.map((l) => [l.level, l.message])).toEqual([['ERROR', "Sorry, this flow can only be executed with 'Kestra'"]]);
    expect([...store.executions.values()].map((e) => e.state.current)).toEqual(['FAILED']);
  });

  test('CREATE_EXECUTION: the execution runs, the message is logged at its style level', async () => {
    const r = await runYaml(guard('CREATE_EXECUTION', 'WARNING'), { inputs: { name: 'other' } });
    expect(r.state).toBe('SUCCESS');
    expect(r.logs.map((l) => [l.level, l.message])).toEqual([
      ['WARN', "Sorry, this flow can only be executed with 'Kestra'"],
      ['INFO', 'Hello other'],
    ]);
  });

  test('only the boolean true passes: the string "true", a number, plain text fail the check', async () => {
    const flow = (condition: string): string => `id: strict
namespace: company.team
checks:
  - message: not true
    condition: "${condition}"
    behavior: FAIL_EXECUTION
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
`;
    expect((await runYaml(flow('{{ true }}'))).state).toBe('SUCCESS');
    expect((await runYaml(flow('{{ 1 == 1 }}'))).state).toBe('SUCCESS');
    for (const condition of ["{{ 'true' }}", '{{ 1 }}', 'true', '{{ false }}', '{{ null }}']) {
      expect([condition, (await runYaml(flow(condition))).state]).toEqual([condition, 'FAILED']);
    }
  });

  test('a condition that cannot be evaluated blocks, styled ERROR, whatever it declares', async () => {
    const yaml = `id: broken
namespace: company.team
checks:
  - message: needs a region
    condition: "{{ inputs.region == 'eu' }}"
    style: INFO
    behavior: CREATE_EXECUTION
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
`;
    const e = await blocked(runYaml(yaml));
    expect(e.checks).toHaveLength(1);
    expect(e.checks[0]).toMatchObject({ message: 'needs a region', style: 'ERROR', behavior: 'BLOCK_EXECUTION' });
    expect(e.checks[0]?.error).toMatch(/inputs/);
    expect(e.message).toContain('needs a region (the condition failed: ');
  });

  test('the most restrictive behavior of the failed checks wins', async () => {
    const flow = (a: string, b: string): string => `id: several
namespace: company.team
checks:
  - message: first
    condition: "{{ false }}"
    behavior: ${a}
  - message: passes
    condition: "{{ true }}"
    behavior: BLOCK_EXECUTION
  - message: second
    condition: "{{ 1 > 2 }}"
    behavior: ${b}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
`;
    const failed = await runYaml(flow('CREATE_EXECUTION', 'FAIL_EXECUTION'));
    expect(failed.state).toBe('FAILED');
    expect(failed.logs.map((l) => l.message)).toEqual(['first', 'second']);
    const e = await blocked(runYaml(flow('BLOCK_EXECUTION', 'FAIL_EXECUTION')));
    expect(e.checks.map((c) => c.message)).toEqual(['first', 'second']);
    expect((await runYaml(flow('CREATE_EXECUTION', 'CREATE_EXECUTION'))).state).toBe('SUCCESS');
  });

  test('checks see flow variables, labels and secrets; a secret in a failing condition stays masked', async () => {
    const token = 'tok-3f9a1c77e2b54d0a';
    const yaml = `id: secretive
namespace: company.team
labels:
  env: prod
checks:
  - message: prod only
    condition: "{{ labels.env == 'prod' and flow.namespace == 'company.team' }}"
  - message: the token must be a number
    condition: "{{ secret('TOKEN') | number }}"
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
`;
    const e = await blocked(runYaml(yaml, { env: { SECRET_TOKEN: Buffer.from(token).toString('base64') } }));
    expect(e.checks.map((c) => c.message)).toEqual(['the token must be a number']);
    // The engine's message quotes the value (`… is not a valid number`): the masker hides it.
    expect(e.checks[0]?.error).toContain('****** is not a valid number');
    expect(JSON.stringify(e.toJSON())).not.toContain(token);
    expect(e.message).not.toContain(token);
  });

  test('a Subflow whose child flow is blocked fails with the checks message', async () => {
    const child = parseFlow(guard('BLOCK_EXECUTION'));
    const parent = parseFlow(`id: parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: guarded
    inputs:
      name: nope
`);
    const r = await runFlow(parent, { env: {}, flows: { find: async () => child } });
    expect(r.state).toBe('FAILED');
    expect(r.taskRuns.map((t) => [t.taskId, t.state])).toEqual([['call', 'FAILED']]);
    expect(r.logs.map((l) => l.message).join('\n')).toContain("Sorry, this flow can only be executed with 'Kestra'");
  });

  test('the loader requires condition and message, and knows the behaviors and styles', () => {
    const bad = `id: bad
namespace: company.team
checks:
  - condition: "{{ true }}"
    behavior: STOP
    style: LOUD
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
`;
    expect(() => parseFlow(bad)).toThrow(/message[\s\S]*behavior|behavior[\s\S]*message/);
    try {
      parseFlow(bad);
    } catch (e) {
      const paths = (e as { problems: { path: string }[] }).problems.map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(['checks[0].behavior', 'checks[0].style']));
    }
  });
});
