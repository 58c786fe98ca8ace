/**
 * `CREATE_NEW_EXECUTION` retries in Redis mode: the worker that ran the RETRIED execution stores
 * the retry with it and queues its new execution as a delayed BullMQ job (Kestra's JdbcExecutor
 * stores an `ExecutionDelay` of type RESTART_FAILED_FLOW and replays the execution when it is due),
 * so neither that worker nor the server has to live through the delay. A Subflow ends with its
 * RETRIED child (ExecutableUtils.guessState), whose retry runs on its own.
 */
import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution, Paged } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { project, spawnCli, startServer, until, type Child, type ServerChild } from './support/processes.js';
import { redisAvailable, startRedis, type RedisServer } from './support/redis.js';

jest.setTimeout(240_000);

const available = redisAvailable();
const describeRedis = available ? describe : describe.skip;

type Execution = ApiExecution & {
  parentId?: string;
  originalId?: string;
  metadata?: { attemptNumber: number; originalCreatedDate: string };
};

let redis: RedisServer;
let dir: ReturnType<typeof project>;
const children: Child[] = [];

async function worker(): Promise<Child> {
  const child = spawnCli(['worker', '--redis', redis.url, '--concurrency', '4', '--lock-duration', '3'], { cwd: dir.dir });
  children.push(child);
  await until('the worker to be ready', () => (/pebbleflow worker \S+ ready/.test(child.stdout()) ? true : undefined), 90_000);
  return child;
}

async function server(): Promise<ServerChild> {
  const child = await startServer([dir.flows, '--port', '0', '--redis', redis.url], { cwd: dir.dir });
  children.push(child);
  return child;
}

async function ofFlow(base: string, flowId: string): Promise<Execution[]> {
  const { body } = await getJson<Paged<Execution>>(`${base}/api/v1/main/executions/search?namespace=scale.retry&flowId=${flowId}&size=50`);
  return body.results;
}

const ended = (e: Execution): boolean => !['CREATED', 'RUNNING', 'RESTARTED', 'QUEUED'].includes(e.state.current);

beforeAll(async () => {
  if (!available) return;
  redis = await startRedis();
  dir = project();
  const failing = (id: string, interval: string): string => `id: ${id}
namespace: scale.retry
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    retry: { behavior: CREATE_NEW_EXECUTION, type: constant, maxAttempt: 2, interval: ${interval} }
`;
  writeFileSync(join(dir.flows, 'slow-retry.yml'), failing('slow-retry', 'PT4S'));
  writeFileSync(join(dir.flows, 'child.yml'), failing('child', 'PT0.5S'));
  writeFileSync(
    join(dir.flows, 'parent.yml'),
    `id: parent
namespace: scale.retry
tasks:
  - { id: call, type: io.kestra.plugin.core.flow.Subflow, namespace: scale.retry, flowId: child }
`,
  );
});

afterAll(async () => {
  if (!available) return;
  for (const child of children) await child.stop('SIGKILL');
  await redis.stop();
  dir.cleanup();
});

describeRedis('CREATE_NEW_EXECUTION retries on Redis', () => {
  test('the new execution is a delayed job: the worker and the server may die during the delay', async () => {
    let api = await server();
    let w = await worker();
    const first = (await postForm<Execution>(`${api.url}/api/v1/main/executions/scale.retry/slow-retry?wait=true`, {})).body;
    expect(first.state.current).toBe('RETRIED');
    expect(first.metadata).toEqual({ attemptNumber: 1, originalCreatedDate: first.state.startDate });
    expect((await ofFlow(api.url, 'slow-retry')).map((e) => e.id)).toEqual([first.id]);
    expect(await w.stop('SIGKILL')).toBe('SIGKILL');
    expect(await api.stop('SIGKILL')).toBe('SIGKILL');
    api = await server();
    w = await worker();
    const chain = await until(
      'the chain to end',
      async () => {
        const all = await ofFlow(api.url, 'slow-retry');
        return all.length === 2 && all.every(ended) ? all : undefined;
      },
      30_000,
      200,
    );
    const second = chain.find((e) => e.id !== first.id)!;
    expect(second.state.current).toBe('FAILED');
    expect([second.parentId, second.originalId]).toEqual([first.id, first.id]);
    expect(second.metadata).toEqual({ attemptNumber: 2, originalCreatedDate: first.metadata?.originalCreatedDate });
    expect(Date.parse(second.state.startDate)).toBeGreaterThanOrEqual(Date.parse(first.state.endDate!) + 4000 - 100);
  });

  test('a Subflow ends with its RETRIED child; the child’s retry runs as its own delayed job', async () => {
    const api = await server();
    await worker();
    const parent = (await postForm<Execution>(`${api.url}/api/v1/main/executions/scale.retry/parent?wait=true`, {})).body;
    expect(parent.state.current).toBe('SUCCESS');
    const call = parent.taskRunList.find((t) => t.taskId === 'call')!;
    expect([call.state.current, call.outputs.state]).toEqual(['SUCCESS', 'RETRIED']);
    const all = await until('the child chain to end', async () => {
      const found = await ofFlow(api.url, 'child');
      return found.length === 2 && found.every(ended) ? found : undefined;
    });
    const retried = all.find((e) => e.id === call.outputs.executionId)!;
    const next = all.find((e) => e.id !== retried.id)!;
    expect([retried.state.current, next.state.current]).toEqual(['RETRIED', 'FAILED']);
    expect(next.parentId).toBe(retried.id);
    expect(next.trigger).toEqual(retried.trigger);
    expect(next.trigger?.variables?.executionId).toBe(parent.id);
  });
});
