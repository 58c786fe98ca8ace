/**
 * Flow `concurrency` in Redis mode with real processes: `pebbleflow server --redis` and two
 * `pebbleflow worker` processes that take one job at a time each, so the executions of one flow
 * land on both workers. Kestra counts a flow's running executions across its cluster
 * (ExecutorService.checkConcurrencyLimit): limit 1 with QUEUE runs them one after another, in
 * order, whichever worker has them; CANCEL ends the extra one CANCELLED. The limiter alone is
 * tested in redis-concurrency.test.ts.
 */
import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { project, spawnCli, startServer, until, type Child, type ServerChild } from './support/processes.js';
import { redisAvailable, startRedis, type RedisServer } from './support/redis.js';

jest.setTimeout(240_000);

const available = redisAvailable();
const describeRedis = available ? describe : describe.skip;

let redis: RedisServer;
let dir: ReturnType<typeof project>;
let server: ServerChild;
const children: Child[] = [];

const flow = (id: string, behavior: string, sleep: string): string => `id: ${id}
namespace: scale.conc
concurrency:
  limit: 1
  behavior: ${behavior}
tasks:
  - id: sleep
    type: io.kestra.plugin.core.flow.Sleep
    duration: ${sleep}
`;

beforeAll(async () => {
  if (!available) return;
  redis = await startRedis();
  dir = project();
  writeFileSync(join(dir.flows, 'queued.yml'), flow('queued', 'QUEUE', 'PT1S'));
  writeFileSync(join(dir.flows, 'cancelled.yml'), flow('cancelled', 'CANCEL', 'PT3S'));
  server = await startServer([dir.flows, '--port', '0', '--redis', redis.url], { cwd: dir.dir });
  children.push(server);
  const workers = [0, 1].map(() => {
    const worker = spawnCli(['worker', '--redis', redis.url, '--concurrency', '1', '--lock-duration', '3'], { cwd: dir.dir });
    children.push(worker);
    return worker;
  });
  for (const worker of workers)
    await until('the worker to be ready', () => (/pebbleflow worker \S+ ready/.test(worker.stdout()) ? true : undefined), 90_000);
});

afterAll(async () => {
  if (!available) return;
  for (const child of children) await child.stop('SIGKILL');
  await redis.stop();
  dir.cleanup();
});

const api = (path: string): string => `${server.url}/api/v1/main${path}`;
const get = async (id: string): Promise<ApiExecution> => (await getJson<ApiExecution>(api(`/executions/${id}`))).body;
const ended = (e: ApiExecution): boolean => ['SUCCESS', 'FAILED', 'KILLED', 'WARNING', 'CANCELLED'].includes(e.state.current);

/** From its first RUNNING state to its end (ms). */
function runningSpan(e: ApiExecution): [number, number] {
  const start = e.state.histories.find((h) => h.state === 'RUNNING');
  if (start === undefined || e.state.endDate === undefined) throw new Error(`execution ${e.id} never ran: ${JSON.stringify(e.state)}`);
  return [Date.parse(start.date), Date.parse(e.state.endDate)];
}

describeRedis('flow concurrency across Redis workers', () => {
  test('limit 1, QUEUE: three executions on two workers run one at a time, in order, and all end SUCCESS', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await postForm<ApiExecution>(api('/executions/scale.conc/queued'), {})).body.id);
    const done = await until(
      'the three executions to end',
      async () => {
        const list = await Promise.all(ids.map(get));
        return list.every(ended) ? list : undefined;
      },
      120_000,
      250,
    );
    for (const e of done) expect(e.state.current).toBe('SUCCESS');
    // Both workers ran some: the count was shared, not per worker.
    const workers = new Set(done.map((e) => e.taskRunList[0]?.attempts[0]?.workerId));
    expect(workers.size).toBe(2);
    // Two of them waited QUEUED, and went on once the one before ended.
    expect(done.filter((e) => e.state.histories.some((h) => h.state === 'QUEUED'))).toHaveLength(2);
    const spans = done.map(runningSpan).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    // The same for the task runs themselves.
    const tasks = done
      .map((e) => e.taskRunList[0]!.state)
      .map((s) => [Date.parse(s.startDate), Date.parse(s.endDate!)] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < tasks.length; i++) expect(tasks[i]![0]).toBeGreaterThanOrEqual(tasks[i - 1]![1]);
  });

  test('limit 1, CANCEL: an execution started while another runs on the other worker ends CANCELLED without running', async () => {
    const first = (await postForm<ApiExecution>(api('/executions/scale.conc/cancelled'), {})).body.id;
    await until('the first execution to run', async () => ((await get(first)).state.current === 'RUNNING' ? true : undefined));
    const second = (await postForm<ApiExecution>(api('/executions/scale.conc/cancelled'), {})).body.id;
    const cancelled = await until('the second execution to end', async () => {
      const e = await get(second);
      return ended(e) ? e : undefined;
    });
    expect(cancelled.state.current).toBe('CANCELLED');
    expect(cancelled.taskRunList).toHaveLength(0);
    const done = await until('the first execution to end', async () => {
      const e = await get(first);
      return ended(e) ? e : undefined;
    });
    expect(done.state.current).toBe('SUCCESS');
    // The slot was given back: a third one runs.
    const third = (await postForm<ApiExecution>(api('/executions/scale.conc/cancelled'), {})).body.id;
    const again = await until('the third execution to end', async () => {
      const e = await get(third);
      return ended(e) ? e : undefined;
    });
    expect(again.state.current).toBe('SUCCESS');
  });
});
