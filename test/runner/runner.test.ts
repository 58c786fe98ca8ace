import { InputValidationError } from '../../src/flow/errors.js';
import { parseFlow } from '../../src/flow/loader.js';
import { MASK } from '../../src/runner/masking.js';
import { nextRetryDelay, runFlow } from '../../src/runner/runner.js';
import { FlowDisabledError } from '../../src/runner/types.js';
import { registerTaskType } from '../../src/tasks/registry.js';
import { messages, runYaml, taskStates } from '../support/flows.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

// An embedder's own task type: fails until its `succeedOn` attempt, honours the abort signal.
const attempts = new Map<string, number>();
registerTaskType({
  type: 'com.example.Flaky',
  properties: { succeedOn: { type: 'integer' }, sleepMs: { type: 'integer' } },
  async run(ctx) {
    const n = (attempts.get(ctx.task.id) ?? 0) + 1;
    attempts.set(ctx.task.id, n);
    const sleepMs = Number(ctx.task.properties.sleepMs ?? 0);
    if (sleepMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, sleepMs);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(ctx.signal.reason as Error);
        });
      });
    }
    if (n < Number(ctx.task.properties.succeedOn ?? 1)) throw new Error(`attempt ${n} failed`);
    return { outputs: { attempts: n } };
  },
});

describe('runFlow', () => {
  test('context: flow, execution, task, taskrun, inputs, vars (raw), labels, envs, globals', async () => {
    const report = await runYaml(
      `id: ctx
namespace: company.team
labels: { team: data }
inputs:
  - { id: who, type: STRING }
  - { id: nested.n, type: INT, defaults: 3 }
variables:
  raw: "{{ inputs.who }}"
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{ flow.id }}|{{ flow.namespace }}|{{ flow.tenantId }}|{{ execution.id == taskrun.id }}|{{ task.id }}|{{ task.type }}|{{ taskrun.attemptsCount }}|{{ inputs.who }}|{{ inputs.nested.n + 1 }}|{{ vars.raw }}|{{ labels.team }}|{{ envs.region }}|{{ globals.g }}"
`,
      { inputs: { who: 'ada' }, env: { ENV_REGION: 'eu', OTHER: 'x' }, globals: { g: 'G' }, tenant: 't1' },
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.show).toEqual({
      value: 'ctx|company.team|t1|false|show|io.kestra.plugin.core.debug.Return|0|ada|4|{{ inputs.who }}|data|eu|G',
    });
    expect(report.executionId).toMatch(/^[0-9A-Za-z]{22}$/);
  });

  test('outputs of earlier tasks, If then/else, Sequential, OutputValues and flow outputs', async () => {
    const report = await runYaml(`id: o
namespace: n
tasks:
  - { id: first, type: io.kestra.plugin.core.debug.Return, format: "42" }
  - id: branch
    type: io.kestra.plugin.core.flow.If
    condition: "{{ outputs.first.value == '41' }}"
    then:
      - { id: yes, type: io.kestra.plugin.core.log.Log, message: "yes" }
    else:
      - id: seq
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - { id: vals, type: io.kestra.plugin.core.output.OutputValues, values: { "k{{ 1 }}": "{{ outputs.first.value }}", n: 1 } }
outputs:
  - { id: answer, type: INT, value: "{{ outputs.vals['values'].k1 }}" }
`);
    expect(report.state).toBe('SUCCESS');
    expect(taskStates(report)).toEqual({ first: 'SUCCESS', branch: 'SUCCESS', seq: 'SUCCESS', vals: 'SUCCESS' });
    expect(report.outputs.vals).toEqual({ values: { k1: '42', n: 1 } });
    expect(report.flowOutputs).toEqual({ answer: 42 });
    expect(report.taskRuns.find((t) => t.taskId === 'vals')).toMatchObject({ depth: 2, branch: 'tasks' });
  });

  test('runIf, disabled, allowFailure: SKIPPED, no task run (as in Kestra), WARNING, and the run goes on', async () => {
    const report = await runYaml(`id: s
namespace: n
tasks:
  - { id: skipped, type: io.kestra.plugin.core.log.Log, message: never, runIf: "{{ 1 == 2 }}" }
  - { id: off, type: io.kestra.plugin.core.log.Log, message: never, disabled: true }
  - { id: soft, type: io.kestra.plugin.core.execution.Fail, allowFailure: true, errorMessage: soft fail }
  - { id: after, type: io.kestra.plugin.core.log.Log, message: "after {{ tasks.soft.state }}" }
`);
    expect(taskStates(report)).toEqual({ skipped: 'SKIPPED', soft: 'WARNING', after: 'SUCCESS' });
    expect(report.state).toBe('WARNING');
    expect(messages(report)).toEqual(['soft ERROR soft fail', 'after INFO after WARNING']);
  });

  test('a failure stops the flow, runs errors, then finally; the execution is FAILED', async () => {
    const report = await runYaml(`id: f
namespace: n
tasks:
  - { id: ok, type: io.kestra.plugin.core.log.Log, message: ok }
  - { id: boom, type: io.kestra.plugin.core.execution.Fail, condition: "{{ true }}" }
  - { id: never, type: io.kestra.plugin.core.log.Log, message: never }
errors:
  - { id: onError, type: io.kestra.plugin.core.log.Log, message: "handling {{ tasks.boom.state }}" }
finally:
  - { id: cleanup, type: io.kestra.plugin.core.log.Log, message: cleanup }
`);
    expect(report.state).toBe('FAILED');
    expect(taskStates(report)).toEqual({ ok: 'SUCCESS', boom: 'FAILED', onError: 'SUCCESS', cleanup: 'SUCCESS' });
    expect(report.taskRuns.find((t) => t.taskId === 'boom')?.error).toBe('Task failure');
    expect(messages(report)).toEqual(['ok INFO ok', 'boom ERROR Task failure', 'onError INFO handling FAILED', 'cleanup INFO cleanup']);
  });

  test('a failing child fails its flowable, which runs its own errors branch', async () => {
    const report = await runYaml(`id: f
namespace: n
tasks:
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - { id: bad, type: io.kestra.plugin.core.debug.Return, format: "{{ nope }}" }
    errors:
      - { id: local, type: io.kestra.plugin.core.log.Log, message: local handler }
`);
    expect(report.state).toBe('FAILED');
    expect(taskStates(report)).toEqual({ seq: 'FAILED', bad: 'FAILED', local: 'SUCCESS' });
    expect(report.taskRuns.find((t) => t.taskId === 'bad')?.error).toMatch(/nope/);
  });

  // Kestra logs each failed attempt's error, and warningOnRetry applies once more than one attempt failed before (Worker.java).
  test('retry: constant interval until success; warningOnRetry; exhausted attempts fail', async () => {
    attempts.clear();
    const report = await runYaml(`id: r
namespace: n
tasks:
  - { id: flaky, type: com.example.Flaky, succeedOn: 3, retry: { type: constant, interval: PT0.01S, maxAttempt: 5, warningOnRetry: true } }
  - { id: hopeless, type: com.example.Flaky, succeedOn: 9, retry: { type: constant, interval: PT0.01S, maxAttempt: 2 } }
`);
    expect(taskStates(report)).toEqual({ flaky: 'WARNING', hopeless: 'FAILED' });
    expect(report.outputs.flaky).toEqual({ attempts: 3 });
    expect(report.taskRuns.map((t) => t.attempts.length)).toEqual([3, 2]);
    expect(report.taskRuns.map((t) => t.attempts.map((a) => a.state))).toEqual([
      ['FAILED', 'FAILED', 'SUCCESS'],
      ['FAILED', 'FAILED'],
    ]);
    expect(messages(report)).toEqual([
      'flaky ERROR attempt 1 failed',
      'flaky ERROR attempt 2 failed',
      'hopeless ERROR attempt 1 failed',
      'hopeless ERROR attempt 2 failed',
    ]);
  });

  // Kestra's Exponential.nextRetryDate: interval × delayFactor × (attempts − 1), capped at maxInterval (so the first retry is immediate).
  test('retry delays: exponential with cap, maxDuration, maxAttempts (and the older maxAttempt)', () => {
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    // n attempts that all started and ended at t0.
    const last = (n: number) =>
      Array.from({ length: n }, () => ({
        state: {
          current: 'FAILED' as const,
          startDate: new Date(t0).toISOString(),
          histories: [{ state: 'FAILED' as const, date: new Date(t0).toISOString() }],
        },
      }));
    const policy = { type: 'exponential' as const, interval: 'PT1S', delayFactor: 2, maxInterval: 'PT3S', maxAttempts: 10 };
    expect([1, 2, 3, 4].map((n) => nextRetryDelay(policy, last(n), t0))).toEqual([0, 2000, 3000, 3000]);
    const late = [
      {
        state: {
          current: 'FAILED' as const,
          startDate: new Date(t0).toISOString(),
          histories: [{ state: 'FAILED' as const, date: new Date(t0 + 1500).toISOString() }],
        },
      },
    ];
    expect(nextRetryDelay({ type: 'constant', interval: 'PT1S', maxDuration: 'PT2S' }, late, t0 + 1500)).toBeUndefined();
    expect(nextRetryDelay({ type: 'constant', interval: 'PT1S', maxDuration: 'PT3S' }, late, t0 + 1500)).toBe(1000);
    expect(nextRetryDelay({ type: 'constant', interval: 'PT1S', maxAttempt: 2 }, last(2), t0)).toBeUndefined();
    expect(nextRetryDelay({ type: 'constant', interval: 'PT1S', maxAttempts: 2 }, last(2), t0)).toBeUndefined();
    expect(nextRetryDelay({ type: 'constant', interval: 'PT1S', maxAttempts: 3 }, last(2), t0)).toBe(1000);
  });

  test('timeout aborts the task', async () => {
    attempts.clear();
    const started = Date.now();
    const report = await runYaml(`id: t
namespace: n
tasks:
  - { id: slow, type: com.example.Flaky, sleepMs: 5000, timeout: PT0.1S }
`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(taskStates(report)).toEqual({ slow: 'FAILED' });
    // Kestra's TimeoutExceededException text.
    expect(report.taskRuns[0]?.error).toBe('Timeout after 00:00:00.100');
  });

  test('an outside AbortSignal kills the run: the running task run and the execution end KILLED, nothing else starts', async () => {
    attempts.clear();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const report = await runYaml(
      `id: t
namespace: n
tasks:
  - { id: slow, type: com.example.Flaky, sleepMs: 5000 }
  - { id: next, type: io.kestra.plugin.core.log.Log, message: never }
`,
      { signal: controller.signal },
    );
    expect(report.state).toBe('KILLED');
    expect(taskStates(report)).toEqual({ slow: 'KILLED' });
    expect(report.taskRuns[0]?.error).toBe('Execution killed');
  });

  test('secrets and SECRET inputs are masked in logs, errors and report outputs, but tasks see the value', async () => {
    const canary = 'canary-7f3a9c-secret';
    const pw = 'input-canary-42xq';
    const report = await runYaml(
      `id: m
namespace: n
inputs:
  - { id: pw, type: SECRET }
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message:
      - "raw {{ secret('api_key') }} input {{ inputs.pw }}"
      - "b64 {{ secret('api_key') | base64encode }} url {{ ('a b&' ~ secret('api_key')) | urlencode }}"
      - "json {{ {'k': secret('api_key') ~ '\\"q'} }}"
  - { id: ret, type: io.kestra.plugin.core.debug.Return, format: "{{ secret('api_key') }}" }
  - { id: check, type: io.kestra.plugin.core.log.Log, message: "same: {{ outputs.ret.value == secret('api_key') }}" }
  - { id: fail, type: io.kestra.plugin.core.execution.Fail, errorMessage: "failed with {{ inputs.pw }} / {{ outputs.ret.value }}" }
`,
      { inputs: { pw }, env: { SECRET_API_KEY: b64(canary) } },
    );
    const everything = JSON.stringify(report);
    expect(everything).not.toContain(canary);
    expect(everything).not.toContain(pw);
    expect(everything).not.toContain(b64(canary));
    expect(messages(report)).toEqual([
      `log INFO raw ${MASK} input ${MASK}`,
      `log INFO b64 ${MASK} url a+b%26${MASK}`,
      `log INFO json {"k":"${MASK}\\"q"}`,
      'check INFO same: true',
      `fail ERROR failed with ${MASK} / ${MASK}`,
    ]);
    expect(report.outputs.ret).toEqual({ value: MASK });
  });

  test('bad inputs throw InputValidationError before any task runs; disabled flows are refused', async () => {
    const flow = parseFlow(
      'id: i\nnamespace: n\ninputs: [{ id: n, type: INT }]\ntasks: [{ id: t, type: io.kestra.plugin.core.log.Log, message: x }]\n',
    );
    await expect(runFlow(flow, { inputs: { n: 'x' }, env: {} })).rejects.toBeInstanceOf(InputValidationError);
    await expect(runFlow({ ...flow, disabled: true }, { env: {} })).rejects.toBeInstanceOf(FlowDisabledError);
  });

  test('onLog and onEvent stream as tasks run', async () => {
    const events: string[] = [];
    await runYaml('id: e\nnamespace: n\ntasks: [{ id: t, type: io.kestra.plugin.core.log.Log, message: hi }]\n', {
      onEvent: (e) => {
        if (e.type === 'log') events.push(`log:${e.log.message}`);
        else if (e.type === 'execution-state') events.push(`execution:${e.state}`);
        else events.push(`${e.type}:${e.taskRun.taskId}:${e.taskRun.state}`);
      },
      onLog: (l) => events.push(`onLog:${l.message}`),
    });
    expect(events).toEqual([
      'execution:RUNNING',
      'task-start:t:CREATED',
      'task-state:t:RUNNING',
      'onLog:hi',
      'log:hi',
      'task-end:t:SUCCESS',
      'execution:SUCCESS',
    ]);
  });
});
