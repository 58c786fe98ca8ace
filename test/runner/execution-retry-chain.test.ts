/**
 * Execution `metadata` and the `CREATE_NEW_EXECUTION` retry chain, as Kestra runs them:
 * - `Execution.ExecutionBuilder#prebuild` (core/src/main/java/io/kestra/core/models/executions/Execution.java)
 *   writes `metadata` (attemptNumber 1, originalCreatedDate) on every execution built; Subflow
 *   children are built the same way (ExecutableUtils.subflowExecution).
 * - `ExecutionService.restart` and `ExecutionService.replay` write `metadata.nextAttempt()`.
 * - A Subflow child ending RETRIED is terminated: JdbcExecutor sends the Subflow's result from the
 *   watcher keyed by the child's id (`subflowExecutionStorage`), `Subflow#createSubflowExecutionResult`
 *   with `ExecutableUtils.guessState` (RETRIED is not a failure: SUCCESS, outputs `state: RETRIED`);
 *   the replay keeps `trigger` (`Execution#childExecution`) and runs on its own.
 */
import { checkFlow } from '../../src/flow/loader.js';
import type { Flow } from '../../src/flow/model.js';
import { MemoryFlowRepository } from '../../src/flow/repository.js';
import { restartExecution, runExecution } from '../../src/runner/runner.js';
import { MemoryExecutionStore } from '../../src/runner/store.js';
import type { ScheduledRetry } from '../../src/runner/types.js';

function flowOf(source: string): Flow {
  const { flow, problems } = checkFlow(source);
  if (flow === undefined) throw new Error(problems.map((p) => p.message).join('; '));
  return flow;
}

const child = flowOf(`id: child
namespace: company.team
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    retry: { behavior: CREATE_NEW_EXECUTION, type: constant, maxAttempt: 2, interval: PT0.1S }
`);
const parent = flowOf(`id: parent
namespace: company.team
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.team
    flowId: child
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after
`);
const plain = flowOf(`id: plain
namespace: company.team
tasks:
  - { id: hello, type: io.kestra.plugin.core.log.Log, message: hi }
  - { id: boom, type: io.kestra.plugin.core.execution.Fail }
`);

test('every new execution carries metadata: attempt 1, created at its creation (a Subflow child too)', async () => {
  const store = new MemoryExecutionStore();
  const flows = new MemoryFlowRepository([child, parent]);
  const done = await runExecution(parent, { env: {}, flows, store });
  expect(done.execution.metadata).toEqual({ attemptNumber: 1, originalCreatedDate: done.execution.state.startDate });
  const firstChild = [...store.executions.values()].find((e) => e.flowId === 'child' && e.parentId === done.execution.id);
  expect(firstChild?.metadata).toEqual({ attemptNumber: 1, originalCreatedDate: firstChild?.state.startDate });
});

test('a restart counts one more attempt and keeps the creation date (ExecutionService.restart)', async () => {
  const failed = (await runExecution(plain, { env: {} })).execution;
  expect(failed.state.current).toBe('FAILED');
  const restarted = restartExecution(plain, failed);
  expect(restarted.metadata).toEqual({ attemptNumber: 2, originalCreatedDate: failed.state.startDate });
  expect(restartExecution(plain, { ...failed, metadata: restarted.metadata }).metadata?.attemptNumber).toBe(3);
});

test('a Subflow ends with its RETRIED child (SUCCESS, outputs state RETRIED); the retry runs on, linked by trigger', async () => {
  const store = new MemoryExecutionStore();
  const flows = new MemoryFlowRepository([child, parent]);
  const done = await runExecution(parent, { env: {}, flows, store });
  expect(done.execution.state.current).toBe('SUCCESS');
  const call = done.execution.taskRunList.find((t) => t.taskId === 'call');
  const children = [...store.executions.values()].filter((e) => e.flowId === 'child');
  const first = children.find((e) => e.parentId === done.execution.id);
  expect(call?.state.current).toBe('SUCCESS');
  expect(call?.outputs).toMatchObject({ executionId: first?.id, state: 'RETRIED' });
  // The call waited for the run, which waits for the chain it started in this process.
  expect(children.map((e) => e.state.current).sort()).toEqual(['FAILED', 'RETRIED']);
  const second = children.find((e) => e.parentId === first?.id);
  expect(second?.trigger).toEqual(first?.trigger);
  expect(second?.trigger?.variables).toMatchObject({ executionId: done.execution.id });
  expect(second?.metadata?.attemptNumber).toBe(2);
});

test('scheduleRetry: the run ends at the RETRIED execution and hands over the new one (id, date) before RETRIED is saved', async () => {
  const store = new MemoryExecutionStore();
  const seen: { retry: ScheduledRetry; stateThen: string | undefined }[] = [];
  const started = Date.now();
  const done = await runExecution(child, {
    env: {},
    store,
    scheduleRetry: (retry) => seen.push({ retry, stateThen: store.get(retry.executionId)?.state.current }),
  });
  expect(done.execution.state.current).toBe('RETRIED');
  expect(done.retried).toBeUndefined();
  expect(seen).toHaveLength(1);
  const [{ retry, stateThen }] = seen as [(typeof seen)[number]];
  expect(stateThen).not.toBe('RETRIED');
  expect(retry.executionId).toBe(done.execution.id);
  expect(retry.nextExecutionId).toMatch(/^\w{22}$/);
  expect(Date.parse(retry.date)).toBeGreaterThanOrEqual(started + 100);
  // Nothing else was created: the caller creates the new execution when the date comes.
  await new Promise((r) => setTimeout(r, 300));
  expect([...store.executions.keys()]).toEqual([done.execution.id]);
});
