/**
 * The stored delay of a `CREATE_NEW_EXECUTION` retry, through the processor and the file store:
 * Kestra's executor stores an ExecutionDelay (RESTART_FAILED_FLOW) with the RETRIED execution
 * (ExecutorService) and, when it is due, replays it once (JdbcExecutor#executionDelaySend,
 * ExecutionService.replay). A job run twice, or a crash between creating the new execution and
 * removing the delay, makes no second execution and leaves nothing pending.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFlow } from '../../../src/flow/loader.js';
import { createFlowEngine, replayExecution } from '../../../src/runner/runner.js';
import type { StoredExecution } from '../../../src/server/executions/model.js';
import { ExecutionProcessor, type ExecutionJob } from '../../../src/server/executions/processor.js';
import { retryJobOf } from '../../../src/server/executions/service.js';
import type { FlowRecord } from '../../../src/server/flows/flow-repository.js';
import { FileExecutionStore } from '../../../src/server/store/file-store.js';

const SOURCE = `id: flaky
namespace: company.retry
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    retry: { behavior: CREATE_NEW_EXECUTION, type: constant, maxAttempt: 2, interval: PT0.1S }
`;

let dir: string;
let store: FileExecutionStore;
let processor: ExecutionProcessor;
let record: FlowRecord;
const scheduled: { job: ExecutionJob; retried: StoredExecution }[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pebbleflow-retry-'));
  store = new FileExecutionStore(join(dir, 'data'));
  const { engine } = await createFlowEngine({ env: {} });
  scheduled.length = 0;
  processor = new ExecutionProcessor({
    store,
    engine,
    storage: { dir: join(dir, 'storage') },
    workerId: 'test',
    scheduleRetry: async (job, retried) => {
      scheduled.push({ job, retried });
    },
  });
  const { flow } = checkFlow(SOURCE);
  record = {
    tenant: 'main',
    namespace: 'company.retry',
    id: 'flaky',
    revision: 1,
    source: SOURCE,
    deleted: false,
    updated: new Date().toISOString(),
    flow: { ...flow!, revision: 1 },
  };
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function retriedExecution(): Promise<StoredExecution> {
  const job: ExecutionJob = {
    tenant: 'main',
    executionId: 'first0000000000000000A',
    namespace: 'company.retry',
    flowId: 'flaky',
    revision: 1,
    source: SOURCE,
    inputs: {},
    labels: [],
  };
  const first = await processor.process(job, new AbortController().signal);
  expect(first?.state.current).toBe('RETRIED');
  return first!;
}

test('the RETRIED execution is stored with its delay and handed to the queue; its job creates the new execution once', async () => {
  const retried = await retriedExecution();
  const stored = (await store.get('main', retried.id)) as StoredExecution;
  expect(stored.delayedRetry).toEqual(retried.delayedRetry);
  expect(scheduled.map((s) => s.retried.id)).toEqual([retried.id]);
  // Pending across a restart: what a server start queues again.
  expect((await store.unfinished('main')).map((e) => e.id)).toEqual([retried.id]);
  const job = retryJobOf(stored, record)!;
  expect(job).toMatchObject({ executionId: stored.delayedRetry!.executionId, retryOf: retried.id, runAt: stored.delayedRetry!.date });
  const second = await processor.process(job, new AbortController().signal);
  expect(second?.state.current).toBe('FAILED');
  expect(second).toMatchObject({ id: job.executionId, parentId: retried.id, originalId: retried.id, metadata: { attemptNumber: 2 } });
  expect(((await store.get('main', retried.id)) as StoredExecution).delayedRetry).toBeUndefined();
  expect(await store.unfinished('main')).toEqual([]);
  // The same job again (BullMQ retried it, a start re-queued it): nothing new.
  expect((await processor.process(job, new AbortController().signal))?.id).toBe(job.executionId);
  expect((await store.search('main', { page: 1, size: 10 })).total).toBe(2);
});

test('a crash after the new execution was created and before the delay was removed: the job completes it', async () => {
  const retried = await retriedExecution();
  const stored = (await store.get('main', retried.id)) as StoredExecution;
  await store.create({ ...replayExecution(stored, stored.delayedRetry!.executionId), tenantId: 'main' });
  const done = await processor.process(retryJobOf(stored, record)!, new AbortController().signal);
  expect(done?.state.current).toBe('FAILED');
  expect(((await store.get('main', retried.id)) as StoredExecution).delayedRetry).toBeUndefined();
  expect((await store.search('main', { page: 1, size: 10 })).total).toBe(2);
});

test('a retry whose RETRIED execution was deleted meanwhile creates nothing', async () => {
  const retried = await retriedExecution();
  const stored = (await store.get('main', retried.id)) as StoredExecution;
  await store.delete('main', retried.id);
  expect(await processor.process(retryJobOf(stored, record)!, new AbortController().signal)).toBeUndefined();
  expect((await store.search('main', { page: 1, size: 10 })).total).toBe(0);
});
