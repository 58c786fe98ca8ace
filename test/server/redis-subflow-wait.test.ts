/**
 * Redis mode: a waited subflow execution that pauses leaves the parent RUNNING (its Subflow task run
 * RUNNING) on the worker; resuming the child through a server makes a worker end it, and its end
 * (read by a server from the states stream) queues the parent again, which takes the child's
 * outputs. Reference: Kestra's `ExecutorService.java` (SubflowExecutionResult),
 * `plugin/core/flow/Subflow.java` (`createSubflowExecutionResult`); the embedded-mode version is
 * subflow-wait.test.ts.
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

beforeAll(async () => {
  if (!available) return;
  redis = await startRedis();
  dir = project();
  writeFileSync(
    join(dir.flows, 'child.yml'),
    `id: child
namespace: scale.sub
tasks:
  - id: approve
    type: io.kestra.plugin.core.flow.Pause
outputs:
  - id: answer
    type: INT
    value: 42
`,
  );
  writeFileSync(
    join(dir.flows, 'parent.yml'),
    `id: parent
namespace: scale.sub
tasks:
  - id: sub
    type: io.kestra.plugin.core.flow.Subflow
    namespace: scale.sub
    flowId: child
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.sub.outputs.answer }}"
`,
  );
  server = await startServer([dir.flows, '--port', '0', '--redis', redis.url], { cwd: dir.dir });
  children.push(server);
  const worker = spawnCli(['worker', '--redis', redis.url, '--concurrency', '4', '--lock-duration', '3'], { cwd: dir.dir });
  children.push(worker);
  await until('the worker to be ready', () => (/pebbleflow worker \S+ ready/.test(worker.stdout()) ? true : undefined), 90_000);
});

afterAll(async () => {
  if (!available) return;
  for (const child of children) await child.stop('SIGKILL');
  await redis.stop();
  dir.cleanup();
});

describeRedis('Subflow waiting for a paused child on Redis', () => {
  test('the parent stays RUNNING, and ends with the child outputs once the child is resumed', async () => {
    const api = (path: string): string => `${server.url}/api/v1/main${path}`;
    const get = async (id: string): Promise<ApiExecution> => (await getJson<ApiExecution>(api(`/executions/${id}`))).body;
    const parent = (await postForm<ApiExecution>(api('/executions/scale.sub/parent'), {})).body;
    const child = await until('the paused child', async () => {
      const found = (await getJson<{ results: ApiExecution[] }>(api(`/executions/search?triggerExecutionId=${parent.id}`))).body.results;
      return found.find((c) => c.state.current === 'PAUSED');
    });
    await new Promise((r) => setTimeout(r, 1000));
    const waiting = await get(parent.id);
    expect(waiting.state.current).toBe('RUNNING');
    expect(waiting.taskRunList.find((t) => t.taskId === 'sub')?.state.current).toBe('RUNNING');
    expect((await postForm(api(`/executions/${child.id}/resume`), {})).status).toBe(204);
    const done = await until('the parent to succeed', async () => {
      const e = await get(parent.id);
      return e.state.current === 'SUCCESS' ? e : undefined;
    });
    expect(done.taskRunList.find((t) => t.taskId === 'sub')?.outputs).toEqual({
      executionId: child.id,
      state: 'SUCCESS',
      outputs: { answer: 42 },
    });
    expect(done.taskRunList.find((t) => t.taskId === 'after')?.outputs).toEqual({ value: '42' });
  });
});
