/**
 * Cancellation reaches the whole subtree (issue 9): a flowable's timeout or end kills every
 * descendant still running, nothing starts after its parent ended, killed task runs end KILLED,
 * and the report is final once returned.
 */
import { jest } from '@jest/globals';
import { defineTask } from '../../src/tasks/definition.js';
import { createTaskRegistry } from '../../src/tasks/registry.js';
import { parseFlow } from '../../src/flow/loader.js';
import { runExecution, runFlow } from '../../src/runner/runner.js';
import { createEngine } from '../../src/pebbleflow-engine.js';
import type { RunReport } from '../../src/runner/types.js';

jest.setTimeout(60_000);

/** A task that records when it starts and ends, and honours (or ignores) its signal. */
const seen: string[] = [];
const waitTask = defineTask({
  type: 'com.example.Wait',
  properties: { ms: { kind: 'integer' }, ignoreSignal: { kind: 'boolean' } },
  async run(ctx) {
    seen.push(`start ${ctx.task.id}`);
    const ms = (await ctx.property<number>('ms')) ?? 0;
    const ignore = (await ctx.property<boolean>('ignoreSignal')) === true;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      if (!ignore)
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(ctx.signal.reason as Error);
        });
    });
    seen.push(`end ${ctx.task.id}`);
    return { outputs: { waited: ms } };
  },
});
const registry = createTaskRegistry([waitTask]);
const run = async (yaml: string, signal?: AbortSignal): Promise<RunReport> =>
  runFlow(parseFlow(yaml, { registry }), { env: {}, registry, ...(signal === undefined ? {} : { signal }) });
const states = (r: RunReport): Record<string, string> => Object.fromEntries(r.taskRuns.map((t) => [t.taskId, t.state]));

beforeEach(() => {
  seen.length = 0;
});

test("a Sequential's timeout kills its running child and starts nothing after it", async () => {
  const started = Date.now();
  const r = await run(`id: t
namespace: n
tasks:
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    timeout: PT0.2S
    tasks:
      - { id: slow, type: com.example.Wait, ms: 5000 }
      - { id: never, type: com.example.Wait, ms: 1 }
  - { id: after, type: com.example.Wait, ms: 1 }
`);
  expect(Date.now() - started).toBeLessThan(4000);
  expect(states(r)).toEqual({ seq: 'FAILED', slow: 'KILLED' });
  expect(r.taskRuns.find((t) => t.taskId === 'seq')?.error).toBe('Timeout after 00:00:00.200');
  expect(seen).toEqual(['start slow']);
  expect(r.state).toBe('FAILED');
});

test("an If's timeout kills a child that ignores its signal: the task run ends KILLED, the next child never starts", async () => {
  const r = await run(`id: t
namespace: n
tasks:
  - id: if
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    timeout: PT0.2S
    then:
      - { id: deaf, type: com.example.Wait, ms: 1500, ignoreSignal: true }
      - { id: next, type: com.example.Wait, ms: 1 }
`);
  expect(states(r)).toEqual({ if: 'FAILED', deaf: 'KILLED' });
  // The deaf task finishes in the background, but nothing it returns reaches the report.
  const frozen = JSON.stringify(r);
  await new Promise((resolve) => setTimeout(resolve, 1700));
  expect(seen).toEqual(['start deaf', 'end deaf']);
  expect(JSON.stringify(r)).toBe(frozen);
});

test('a failing Parallel branch ends the flowable; its siblings still running end KILLED', async () => {
  const r = await run(`id: t
namespace: n
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - { id: fail, type: io.kestra.plugin.core.execution.Fail }
      - { id: slow, type: com.example.Wait, ms: 5000 }
`);
  expect(states(r)).toEqual({ par: 'FAILED', fail: 'FAILED', slow: 'KILLED' });
});

test('a kill reaches nested loops: every running task run ends KILLED, finally still runs', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const r = await run(
    `id: t
namespace: n
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b]
    concurrencyLimit: 0
    tasks:
      - id: inner
        type: io.kestra.plugin.core.flow.Sequential
        tasks:
          - { id: slow, type: com.example.Wait, ms: 5000 }
finally:
  - { id: cleanup, type: com.example.Wait, ms: 1 }
`,
    controller.signal,
  );
  expect(r.state).toBe('KILLED');
  expect(r.taskRuns.map((t) => [t.taskId, t.value ?? '', t.state])).toEqual([
    ['each', '', 'KILLED'],
    ['inner', 'a', 'KILLED'],
    ['slow', '', 'KILLED'],
    ['inner', 'b', 'KILLED'],
    ['slow', '', 'KILLED'],
    ['cleanup', '', 'SUCCESS'],
  ]);
});

test('Exit KILLED stops a parallel branch; Exit WARNING lets running branches end but starts nothing else', async () => {
  const killed = await run(`id: t
namespace: n
tasks:
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - { id: exit, type: io.kestra.plugin.core.execution.Exit, state: KILLED }
      - { id: slow, type: com.example.Wait, ms: 5000 }
  - { id: after, type: com.example.Wait, ms: 1 }
`);
  expect(killed.state).toBe('KILLED');
  expect(states(killed)).toEqual({ par: 'KILLED', exit: 'KILLED', slow: 'KILLED' });
  const warning = await run(`id: t
namespace: n
tasks:
  - id: exit
    type: io.kestra.plugin.core.execution.Exit
    state: WARNING
  - { id: after, type: com.example.Wait, ms: 1 }
`);
  expect(warning.state).toBe('WARNING');
  expect(states(warning)).toEqual({ exit: 'WARNING' });
});

test('the report and the execution returned are not changed afterwards, even by a listener', async () => {
  const { report, execution } = await runExecution(
    parseFlow('id: t\nnamespace: n\ntasks: [{ id: a, type: io.kestra.plugin.core.debug.Return, format: x }]\n'),
    { env: {} },
  );
  const before = JSON.stringify({ report, execution });
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(JSON.stringify({ report, execution })).toBe(before);
  expect(report.taskRuns[0]?.attempts).toEqual([
    { state: 'SUCCESS', startDate: expect.any(String), endDate: expect.any(String), workerId: 'local' },
  ]);
});

test('execution.state inside errors and finally is the state the execution ends with', async () => {
  const r = await run(`id: t
namespace: n
tasks:
  - { id: boom, type: io.kestra.plugin.core.execution.Fail }
errors:
  - { id: onError, type: io.kestra.plugin.core.log.Log, message: "errors see {{ execution.state }}" }
finally:
  - { id: last, type: io.kestra.plugin.core.log.Log, message: "finally sees {{ execution.state }}" }
`);
  expect(r.logs.map((l) => l.message)).toEqual(['Task failure', 'errors see FAILED', 'finally sees FAILED']);
  const ok = await run(`id: t
namespace: n
tasks:
  - { id: fine, type: io.kestra.plugin.core.log.Log, message: "tasks see {{ execution.state }}" }
finally:
  - { id: last, type: io.kestra.plugin.core.log.Log, message: "finally sees {{ execution.state }}" }
`);
  expect(ok.logs.map((l) => l.message)).toEqual(['tasks see RUNNING', 'finally sees SUCCESS']);
});

test('a label made from a secret is masked like any other output', async () => {
  const canary = 'label-canary-77';
  const r = await runFlow(
    parseFlow(`id: t
namespace: n
tasks:
  - { id: l, type: io.kestra.plugin.core.execution.Labels, labels: { token: "{{ secret('k') }}" } }
`),
    { env: { SECRET_K: Buffer.from(canary).toString('base64') } },
  );
  expect(r.labels).toContainEqual({ key: 'token', value: '******' });
  expect(JSON.stringify(r)).not.toContain(canary);
});

describe('a CPU-bound template stops with its task (the evaluator checks the task run’s signal as it computes)', () => {
  // A billion iterations over small lists (a big range would hold the thread while it is built),
  // each calling tick(): once the run has returned, no more calls may come (the render stopped,
  // it does not go on in the background). Without the signal it would end at its own budget, with
  // LIMIT_EXCEEDED: the error and the state tell the two apart; the time bound only says "early".
  const BUSY = '{% for i in 1..1000 %}{% for j in 1..1000 %}{% for k in 1..1000 %}{% set x = tick() %}{% endfor %}{% endfor %}{% endfor %}';
  let ticks = 0;
  const engine = createEngine({ env: {}, extensions: [{ functions: { tick: { call: () => ++ticks } } }] });
  const runBusy = (yaml: string, signal?: AbortSignal): Promise<RunReport> =>
    runFlow(parseFlow(yaml, { registry }), { env: {}, registry, engine, ...(signal === undefined ? {} : { signal }) });
  const expectStopped = async (): Promise<void> => {
    const at = ticks;
    expect(at).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ticks).toBe(at);
  };

  test("at the task's timeout, long before the render's own limits", async () => {
    const started = Date.now();
    const r = await runBusy(`id: t
namespace: n
tasks:
  - id: busy
    type: io.kestra.plugin.core.debug.Return
    timeout: PT0.3S
    format: "${BUSY}"
  - { id: after, type: com.example.Wait, ms: 1 }
`);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(states(r)).toEqual({ busy: 'FAILED' });
    expect(r.taskRuns[0]?.error).toBe('Timeout after 00:00:00.300');
    expect(seen).toEqual([]);
    await expectStopped();
  });

  test('when the run is killed', async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const r = await runBusy(
      `id: t
namespace: n
tasks:
  - { id: busy, type: io.kestra.plugin.core.debug.Return, format: "${BUSY}" }
`,
      controller.signal,
    ).finally(() => clearTimeout(timer));
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.state).toBe('KILLED');
    expect(states(r)).toEqual({ busy: 'KILLED' });
    await expectStopped();
  });
});
