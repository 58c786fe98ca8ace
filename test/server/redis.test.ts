/**
 * Scale-out on Redis with BullMQ, every part a real process: `redis-server`, `pebbleflow server
 * --redis`, and `pebbleflow worker` processes. Two workers run 200 executions, each exactly once
 * (every task run's side effect counted at a local endpoint equals its attempts), while one worker
 * is killed with SIGKILL mid-run: its executions are continued by the other without running their
 * finished task runs again. A worker stopped with SIGTERM hands back what it cannot finish in its
 * grace period. Schedules fire once per tick however many servers and workers run.
 */
import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ApiExecution, Paged } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { startGate, type Gate } from './support/gate.js';
import { project, spawnCli, startServer, until, type Child, type ServerChild } from './support/processes.js';
import { redisAvailable, startRedis, type RedisServer } from './support/redis.js';
import { call, sdk } from './support/sdk.js';

jest.setTimeout(240_000);

const available = redisAvailable();
const describeRedis = available ? describe : describe.skip;

let redis: RedisServer;
let gate: Gate;
let dir: ReturnType<typeof project>;
const children: Child[] = [];

function worker(args: readonly string[] = []): Child {
  const child = spawnCli(['worker', '--redis', redis.url, '--concurrency', '8', '--lock-duration', '3', ...args], { cwd: dir.dir });
  children.push(child);
  return child;
}

async function ready(child: Child): Promise<void> {
  await until('the worker to be ready', () => (/pebbleflow worker \S+ ready/.test(child.stdout()) ? true : undefined), 90_000);
}

async function server(): Promise<ServerChild> {
  const child = await startServer([dir.flows, '--port', '0', '--redis', redis.url], { cwd: dir.dir });
  children.push(child);
  return child;
}

async function allExecutions(base: string, query = ''): Promise<ApiExecution[]> {
  const { body } = await getJson<Paged<ApiExecution>>(`${base}/api/v1/main/executions/search?size=10000${query}`);
  return body.results;
}

beforeAll(async () => {
  if (!available) return;
  redis = await startRedis();
  gate = await startGate();
  dir = project();
  writeFileSync(
    join(dir.flows, 'work.yml'),
    `id: work
namespace: scale.out
inputs:
  - id: n
    type: INT
tasks:
  - id: first
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hit/{{ execution.id }}-first
  - id: pause
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.4S
  - id: second
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hit/{{ execution.id }}-second
`,
  );
  writeFileSync(
    join(dir.flows, 'long.yml'),
    `id: long
namespace: scale.out
tasks:
  - id: first
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hit/{{ execution.id }}-first
  - id: pause
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT4S
  - id: second
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hit/{{ execution.id }}-second
`,
  );
  writeFileSync(join(dir.flows, 'tick.yml'), tickFlow(true));
});

afterAll(async () => {
  if (!available) return;
  for (const child of children) await child.stop('SIGKILL');
  await gate.close();
  await redis.stop();
  dir.cleanup();
});

/**
 * Nothing lost, nothing run twice: every task run ended SUCCESS once; a task run has a second
 * attempt only when a worker died during the first (that one ends KILLED), and its side effect
 * happened at least once and at most once per attempt — a finished attempt never ran again.
 */
function expectRunOnce(execution: ApiExecution): void {
  expect(execution.state.current).toBe('SUCCESS');
  expect(execution.taskRunList.map((t) => t.taskId)).toEqual(['first', 'pause', 'second']);
  for (const t of execution.taskRunList) {
    expect(t.state.current).toBe('SUCCESS');
    expect(t.attempts.map((a) => a.state.current)).toEqual([...t.attempts.slice(1).map(() => 'KILLED'), 'SUCCESS']);
    if (t.taskId === 'pause') continue;
    const hits = gate.hits(`${execution.id}-${t.taskId}`);
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(hits).toBeLessThanOrEqual(t.attempts.length);
  }
}

describeRedis('two workers on Redis', () => {
  test('200 executions, one worker killed with SIGKILL mid-run: every one SUCCESS, nothing lost, nothing run twice', async () => {
    const api = await server();
    const a = worker();
    const b = worker();
    await Promise.all([ready(a), ready(b)]);
    const ids: string[] = [];
    for (let n = 0; n < 200; n++) {
      const res = await postForm<ApiExecution>(`${api.url}/api/v1/main/executions/scale.out/work`, { n: String(n) });
      expect(res.status).toBe(200);
      ids.push(res.body.id);
    }
    // Kill worker A while it is visibly in the middle of executions.
    const workerA = `${hostname()}:${a.pid}`;
    await until(
      'worker A to be mid-run',
      async () =>
        (await allExecutions(api.url, '&flowId=work&state=RUNNING')).some((e) =>
          e.taskRunList.some((t) => t.state.current === 'RUNNING' && t.attempts.some((x) => x.workerId === workerA)),
        )
          ? true
          : undefined,
      60_000,
      20,
    );
    await a.stop('SIGKILL');

    const done = await until(
      'all 200 executions to end',
      async () => {
        const list = await allExecutions(api.url, '&flowId=work');
        return list.length === 200 && list.every((e) => ['SUCCESS', 'FAILED', 'KILLED', 'WARNING'].includes(e.state.current))
          ? list
          : undefined;
      },
      180_000,
      250,
    );
    expect(new Set(done.map((e) => e.id))).toEqual(new Set(ids));
    for (const e of done) expectRunOnce(e);
    // The kill did interrupt something: some executions were finished by worker B after A started them.
    const continued = done.filter((e) => {
      const workers = new Set(e.taskRunList.flatMap((t) => t.attempts.map((x) => x.workerId)));
      return workers.has(workerA) && workers.size > 1;
    });
    expect(continued.length).toBeGreaterThan(0);
    await b.stop();
    await api.stop();
  });

  test('SIGTERM: the worker stops taking work, and hands back what does not finish in its grace period', async () => {
    const api = await server();
    const leaving = worker(['--grace', '1']);
    await ready(leaving);
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) ids.push((await postForm<ApiExecution>(`${api.url}/api/v1/main/executions/scale.out/long`, {})).body.id);
    await until('the worker to be in the sleeps', async () => {
      const running = await allExecutions(api.url, '&flowId=long&state=RUNNING');
      return running.length === 4 && running.every((e) => e.taskRunList.some((t) => t.taskId === 'pause')) ? true : undefined;
    });
    const code = await leaving.stop('SIGTERM');
    expect(code).toBe(0);
    expect(leaving.stderr()).toMatch(/handing running executions back/);
    // Nothing ran them in the meantime…
    for (const id of ids)
      expect((await getJson<ApiExecution>(`${api.url}/api/v1/main/executions/${id}`)).body.state.current).not.toBe('SUCCESS');
    // …until another worker takes them over, without running their first task again.
    const next = worker();
    await ready(next);
    for (const id of ids) {
      const e = await until('the handed-back execution to finish', async () => {
        const { body } = await getJson<ApiExecution>(`${api.url}/api/v1/main/executions/${id}`);
        return body.state.current === 'SUCCESS' ? body : undefined;
      });
      expectRunOnce(e);
      expect(gate.hits(`${id}-first`)).toBe(1);
    }
    await next.stop();
    await api.stop();
  });

  test('a per-second schedule fires once per tick with two servers and two workers (BullMQ job schedulers)', async () => {
    writeFileSync(join(dir.flows, 'tick.yml'), tickFlow(false));
    const one = await server();
    const two = await server();
    const w1 = worker();
    const w2 = worker();
    await Promise.all([ready(w1), ready(w2)]);
    const ticks = await until(
      'six ticks',
      async () => {
        const list = await allExecutions(one.url, '&flowId=tick&state=SUCCESS');
        return list.length >= 6 ? list : undefined;
      },
      60_000,
      250,
    );
    // Stop firing, then look at everything that fired once it settles: the workers started after the
    // servers, so the first job recovers the ticks missed meanwhile (ALL), one execution at a time,
    // which under load can still be going on when six ticks have succeeded.
    writeFileSync(join(dir.flows, 'tick.yml'), tickFlow(true));
    let count = -1;
    let stableSince = Date.now();
    const all = await until(
      'the schedule to settle (missed ticks recovered, nothing more fired)',
      async () => {
        const list = await allExecutions(two.url, '&flowId=tick');
        if (list.length !== count) {
          count = list.length;
          stableSince = Date.now();
          return undefined;
        }
        return Date.now() - stableSince >= 3000 ? list : undefined;
      },
      120_000,
      500,
    );
    expect(all.length).toBeGreaterThanOrEqual(ticks.length);
    const dates = all.map((e) => String(e.trigger?.variables?.date)).sort();
    expect(new Set(dates).size).toBe(dates.length);
    const seconds = dates.map((d) => Date.parse(d) / 1000);
    for (const s of seconds) expect(Number.isInteger(s)).toBe(true);
    // Consecutive ticks: once per second, none skipped while the schedule ran.
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!).toBe(1);
    for (const e of all) {
      const previous = Date.parse(String(e.trigger?.variables?.previous));
      const next = Date.parse(String(e.trigger?.variables?.next));
      expect(next - previous).toBe(2000);
    }
    const { data } = await call<Paged<ApiExecution>>(sdk(one.url).executions, 'searchExecutions', 1, 100, 'main', { flowId: 'tick' });
    expect(data.total).toBe(all.length);
    for (const c of [w1, w2, one, two]) await c.stop();
  });
});

describeRedis('the KV store on a worker', () => {
  // KVStoreService.get with NamespaceService: a namespace exists when some flow's namespace starts
  // with it. Workers have no flows folder: the servers publish the namespaces that have flows.
  test("a namespace exists for a worker's run when a flow of the servers' folder is in it, stored or not", async () => {
    writeFileSync(
      join(dir.flows, 'kv_other.yml'),
      `id: kv_other
namespace: kv.writer
inputs:
  - id: ns
    type: STRING
tasks:
  - id: set
    type: io.kestra.plugin.core.kv.Set
    namespace: "{{ inputs.ns }}"
    key: k
    value: v
`,
    );
    writeFileSync(
      join(dir.flows, 'kv_target.yml'),
      'id: never_run\nnamespace: kv.target.team\ntasks:\n  - { id: log, type: io.kestra.plugin.core.log.Log, message: x }\n',
    );
    const api = await server();
    const w = worker();
    await ready(w);
    const run = async (ns: string): Promise<ApiExecution> => {
      const created = await postForm<ApiExecution>(`${api.url}/api/v1/main/executions/kv.writer/kv_other`, { ns });
      expect(created.status).toBe(200);
      return until(
        `the execution into ${ns} to end`,
        async () => {
          const { body } = await getJson<ApiExecution>(`${api.url}/api/v1/main/executions/${created.body.id}`);
          return ['SUCCESS', 'FAILED'].includes(body.state.current) ? body : undefined;
        },
        60_000,
        100,
      );
    };
    expect((await run('kv.target')).state.current).toBe('SUCCESS');
    expect((await run('kv.nowhere')).state.current).toBe('FAILED');
    await w.stop();
    await api.stop();
  });
});

function tickFlow(disabled: boolean): string {
  return `id: tick
namespace: scale.out
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "tick {{ trigger.date }}"
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
    disabled: ${disabled}
`;
}
