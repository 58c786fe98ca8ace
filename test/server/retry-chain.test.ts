/**
 * `CREATE_NEW_EXECUTION` retries in `pebbleflow server` (embedded mode), as Kestra's executor runs
 * them, and execution `metadata` in the API's JSON:
 * - ExecutorService (a failed task run with such a retry: the execution ends RETRIED, an
 *   `ExecutionDelay` of type RESTART_FAILED_FLOW is stored) and JdbcExecutor#executionDelaySend
 *   (when its date comes, `ExecutionService.replay` creates and queues the new execution): the
 *   delay is stored, not waited for in a running job, so it survives a restart of the server.
 * - ExecutionController#kill: RETRIED is terminated (State.Type#isTerminated): 409 without
 *   isOnKillCascade, else 202 and ExecutionService#kill leaves it as it is; the delay still creates
 *   the new execution.
 * - Execution.ExecutionBuilder#prebuild writes `metadata` on every execution; restart and replay
 *   write `metadata.nextAttempt()` (ExecutionService.restart / replay).
 * - A Subflow takes its RETRIED child's end (JdbcExecutor: the watcher keyed by the child's id;
 *   ExecutableUtils.guessState: SUCCESS); the replay keeps the child's `trigger`.
 */
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution, Paged } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';

jest.setTimeout(180_000);

type Execution = ApiExecution & {
  parentId?: string;
  originalId?: string;
  metadata?: { attemptNumber: number; originalCreatedDate: string };
};

let dir: ReturnType<typeof project>;
let server: ServerChild;

const api = (path: string): string => `${server.url}/api/v1/main${path}`;
const get = async (id: string): Promise<Execution> => (await getJson<Execution>(api(`/executions/${id}`))).body;
const ofFlow = async (flowId: string): Promise<Execution[]> =>
  (await getJson<Paged<Execution>>(api(`/executions/search?namespace=company.retry&flowId=${flowId}&size=50`))).body.results;
const ended = (e: Execution): boolean => !['CREATED', 'RUNNING', 'RESTARTED', 'QUEUED'].includes(e.state.current);

beforeAll(async () => {
  dir = project();
  writeFileSync(
    join(dir.flows, 'slow-retry.yml'),
    `id: slow-retry
namespace: company.retry
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    retry: { behavior: CREATE_NEW_EXECUTION, type: constant, maxAttempt: 2, interval: PT4S }
`,
  );
  writeFileSync(
    join(dir.flows, 'child.yml'),
    `id: child
namespace: company.retry
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    retry: { behavior: CREATE_NEW_EXECUTION, type: constant, maxAttempt: 2, interval: PT0.5S }
`,
  );
  writeFileSync(
    join(dir.flows, 'parent.yml'),
    `id: parent
namespace: company.retry
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.retry
    flowId: child
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after
`,
  );
  writeFileSync(
    join(dir.flows, 'broken.yml'),
    `id: broken
namespace: company.retry
tasks:
  - { id: boom, type: io.kestra.plugin.core.execution.Fail }
`,
  );
  writeFileSync(
    join(dir.flows, 'secret-child.yml'),
    `id: secret-child
namespace: company.retry
inputs:
  - { id: token, type: SECRET }
tasks:
  - id: first_time
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ execution.id == execution.originalId }}"
    retry: { behavior: CREATE_NEW_EXECUTION, type: constant, maxAttempt: 2, interval: PT0.5S }
  - id: digest
    type: io.kestra.plugin.core.output.OutputValues
    values:
      digest: "{{ inputs.token | sha256 }}"
`,
  );
  writeFileSync(
    join(dir.flows, 'secret-parent.yml'),
    `id: secret-parent
namespace: company.retry
inputs:
  - { id: token, type: SECRET }
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.retry
    flowId: secret-child
    inputs:
      token: "{{ inputs.token }}"
`,
  );
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
});

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

test('every execution carries metadata in the API; a restart counts one more attempt', async () => {
  const failed = (await postForm<Execution>(api('/executions/company.retry/broken?wait=true'), {})).body;
  expect(failed.state.current).toBe('FAILED');
  expect(failed.metadata).toEqual({ attemptNumber: 1, originalCreatedDate: failed.state.startDate });
  const restarted = await fetch(api(`/executions/${failed.id}/restart`), { method: 'POST' });
  expect(restarted.status).toBe(200);
  expect(((await restarted.json()) as Execution).metadata).toEqual({ attemptNumber: 2, originalCreatedDate: failed.state.startDate });
  const again = await until('the restarted execution to end', async () => {
    const e = await get(failed.id);
    return e.state.histories.some((h) => h.state === 'RESTARTED') && ended(e) ? e : undefined;
  });
  expect(again.metadata?.attemptNumber).toBe(2);
});

test('the retry is a stored delay: a kill of the RETRIED execution does not stop it, a server restart keeps it', async () => {
  const first = (await postForm<Execution>(api('/executions/company.retry/slow-retry?wait=true'), {})).body;
  expect(first.state.current).toBe('RETRIED');
  // Meanwhile: the RETRIED execution as Kestra serves it (no trace of the delay), and no new one yet.
  const read = await getJson<Record<string, unknown>>(api(`/executions/${first.id}`));
  expect(Object.keys(read.body)).not.toContain('delayedRetry');
  expect((await ofFlow('slow-retry')).map((e) => e.id)).toEqual([first.id]);
  // Kestra's kill: with the default isOnKillCascade, 202 (the event goes out, a terminated execution
  // stays as it is: ExecutionService#kill), without it 409; the delay is not touched either way.
  expect((await fetch(api(`/executions/${first.id}/kill?isOnKillCascade=false`), { method: 'DELETE' })).status).toBe(409);
  expect((await fetch(api(`/executions/${first.id}/kill`), { method: 'DELETE' })).status).toBe(202);
  expect((await get(first.id)).state.current).toBe('RETRIED');
  // The server dies during the delay; the next one creates the new execution when the date comes.
  expect(await server.stop('SIGKILL')).toBe('SIGKILL');
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  const chain = await until(
    'the chain to end',
    async () => {
      const all = await ofFlow('slow-retry');
      return all.length === 2 && all.every(ended) ? all : undefined;
    },
    30_000,
    200,
  );
  const second = chain.find((e) => e.id !== first.id)!;
  expect(second.state.current).toBe('FAILED');
  expect(second.parentId).toBe(first.id);
  expect(second.originalId).toBe(first.id);
  expect(second.metadata).toEqual({ attemptNumber: 2, originalCreatedDate: first.metadata?.originalCreatedDate });
  // Created when the retry's date came (the failed attempt's end plus PT4S), not before.
  const failedAt = Date.parse(first.taskRunList[0]!.state.endDate ?? first.state.endDate!);
  expect(Date.parse(second.state.startDate)).toBeGreaterThanOrEqual(failedAt + 4000 - 50);
  expect((await get(first.id)).state.current).toBe('RETRIED');
});

test('a Subflow ends with its RETRIED child; the retry of the child runs on its own, linked by its trigger', async () => {
  const parent = (await postForm<Execution>(api('/executions/company.retry/parent?wait=true'), {})).body;
  expect(parent.state.current).toBe('SUCCESS');
  const call = parent.taskRunList.find((t) => t.taskId === 'call')!;
  expect(call.state.current).toBe('SUCCESS');
  expect(call.outputs.state).toBe('RETRIED');
  const children = await until('the child chain to end', async () => {
    const all = await ofFlow('child');
    return all.length === 2 && all.every(ended) ? all : undefined;
  });
  const retried = children.find((e) => e.id === call.outputs.executionId)!;
  const next = children.find((e) => e.id !== retried.id)!;
  expect([retried.state.current, next.state.current]).toEqual(['RETRIED', 'FAILED']);
  expect(retried.parentId).toBe(parent.id);
  expect(next.parentId).toBe(retried.id);
  expect(next.trigger).toEqual(retried.trigger);
  expect(next.trigger?.variables?.executionId).toBe(parent.id);
  // The parent did not change after it ended.
  expect((await get(parent.id)).state.current).toBe('SUCCESS');
});

test("a Subflow child's SECRET inputs are kept sealed, so the retry of the child runs with their values", async () => {
  const token = 's3cr3t-child-token';
  const parent = (await postForm<Execution>(api('/executions/company.retry/secret-parent?wait=true'), { token })).body;
  expect(parent.state.current).toBe('SUCCESS');
  const children = await until('the child chain to end', async () => {
    const all = await ofFlow('secret-child');
    return all.length === 2 && all.every(ended) ? all : undefined;
  });
  const next = children.find((e) => e.parentId !== parent.id)!;
  expect(next.state.current).toBe('SUCCESS');
  const digest = next.taskRunList.find((t) => t.taskId === 'digest')?.outputs.values as Record<string, unknown>;
  expect(digest['digest']).toBe(createHash('sha256').update(token).digest('hex'));
  // Never in clear in what the API shows.
  for (const e of [parent, ...children]) expect(JSON.stringify(await get(e.id))).not.toContain(token);
  expect(children.every((e) => e.inputs?.['token'] === '******')).toBe(true);
});
