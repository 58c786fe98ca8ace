/**
 * Kestra's retry tests, ported (core/src/test/java/io/kestra/plugin/core/flow/RetryCaseTest.java, run
 * by JdbcRunnerRetryTest): task, flow and flowable-parent retry policies, constant, exponential and
 * random delays, maxAttempt and maxDuration.
 */
import { jest } from '@jest/globals';
import { first, run, runOne } from '../../support/kestra-flows.js';

jest.setTimeout(60_000);

test('retrySuccess: warningOnRetry after 4 attempts', async () => {
  const r = await run('retry-success.yaml');
  expect(r.state).toBe('WARNING');
  expect(r.taskRuns).toHaveLength(1);
  expect(r.taskRuns[0]?.attempts).toHaveLength(4);
});

test('retrySuccessAtFirstAttempt', async () => {
  const r = await run('retry-success-first-attempt.yaml');
  expect(r.state).toBe('SUCCESS');
  expect(r.taskRuns).toHaveLength(1);
  expect(r.taskRuns[0]?.attempts).toHaveLength(1);
});

test('retryFailed: 5 attempts, then the errors branch', async () => {
  const r = await run('retry-failed.yaml');
  expect(r.taskRuns).toHaveLength(2);
  expect(r.taskRuns[0]?.attempts).toHaveLength(5);
  expect(r.state).toBe('FAILED');
});

test('retryRandom, retryExpo', async () => {
  for (const file of ['retry-random.yaml', 'retry-expo.yaml']) {
    const r = await run(file);
    expect([file, r.taskRuns.length, r.taskRuns[0]?.attempts.length, r.state]).toEqual([file, 1, 3, 'FAILED']);
  }
});

test('retryFail: the next task never runs', async () => {
  const r = await run('retry-fail.yaml');
  expect(r.taskRuns).toHaveLength(2);
  expect(r.taskRuns[0]?.attempts).toHaveLength(3);
  expect(r.state).toBe('FAILED');
});

test('retryFailedTaskDuration, retryFailedFlowDuration: maxDuration', async () => {
  const [task, flow] = await Promise.all([run('retry-failed-task-duration.yml'), run('retry-failed-flow-duration.yml')]);
  for (const r of [task, flow]) {
    expect(r.state).toBe('FAILED');
    expect(r.taskRuns[0]?.attempts).toHaveLength(3);
  }
});

test('retryFailedTaskAttempts, retryFailedFlowAttempts: maxAttempt', async () => {
  const [task, flow] = await Promise.all([run('retry-failed-task-attempts.yml'), run('retry-failed-flow-attempts.yml')]);
  for (const r of [task, flow]) {
    expect(r.state).toBe('FAILED');
    expect(r.taskRuns[0]?.attempts).toHaveLength(4);
  }
});

test('retryFlowable, retryFlowableChild, retryFlowableNestedChild: the child is retried', async () => {
  const [flowable, child, nested] = await Promise.all([
    run('retry-flowable.yaml'),
    run('retry-flowable-child.yaml'),
    run('retry-flowable-nested-child.yaml'),
  ]);
  expect(flowable.state).toBe('FAILED');
  expect(flowable.taskRuns[1]?.attempts).toHaveLength(3);
  expect(child.state).toBe('FAILED');
  expect(child.taskRuns[1]?.attempts).toHaveLength(3);
  expect(nested.state).toBe('FAILED');
  expect(nested.taskRuns[2]?.attempts).toHaveLength(3);
  // A flowable task run has no attempts of its own.
  expect(first(flowable, 'flowable').attempts).toHaveLength(0);
});

test('retryFlowableParallel', async () => {
  const r = await run('retry-flowable-parallel.yaml');
  expect(r.state).toBe('FAILED');
  expect(r.taskRuns[1]?.attempts.length).toBeGreaterThanOrEqual(2);
  expect(r.taskRuns[2]?.attempts.length).toBeGreaterThanOrEqual(2);
});

test('retrySubflow: a Subflow task is retried with the flow retry', async () => {
  const r = await run('retry-subflow.yaml');
  expect(r.state).toBe('FAILED');
  expect(r.taskRuns[0]?.attempts).toHaveLength(3);
});

/**
 * retryNewExecutionTaskDuration, retryNewExecutionTaskAttempts, retryNewExecutionFlowDuration,
 * retryNewExecutionFlowAttempts: `behavior: CREATE_NEW_EXECUTION` ends the execution RETRIED and
 * starts a new one, three executions in all; Kestra asserts the terminated states of the flow's
 * executions, `containsInAnyOrder(RETRIED, RETRIED, FAILED)`.
 */
test.each([
  'retry-new-execution-task-duration.yml',
  'retry-new-execution-task-attempts.yml',
  'retry-new-execution-flow-duration.yml',
  'retry-new-execution-flow-attempts.yml',
])('%s: three executions, RETRIED, RETRIED, FAILED', async (file) => {
  const result = await runOne(file);
  const chain = [...(result.retried ?? []), result];
  expect(chain.map((r) => r.execution.state.current).sort()).toEqual(['FAILED', 'RETRIED', 'RETRIED']);
  // In order: each new execution is Kestra's replay of the previous one.
  expect(chain.map((r) => r.execution.state.current)).toEqual(['RETRIED', 'RETRIED', 'FAILED']);
  const [a, b, c] = chain.map((r) => r.execution);
  expect(new Set([a?.id, b?.id, c?.id]).size).toBe(3);
  expect([b?.parentId, c?.parentId]).toEqual([a?.id, b?.id]);
  expect([a?.originalId, b?.originalId, c?.originalId]).toEqual([a?.id, a?.id, a?.id]);
  expect([a?.metadata?.attemptNumber, b?.metadata?.attemptNumber, c?.metadata?.attemptNumber]).toEqual([1, 2, 3]);
  // Kestra's Execution.builder() sets it on every execution; replay keeps it.
  expect(a?.metadata?.originalCreatedDate).toBe(a?.state.startDate);
  expect(c?.metadata?.originalCreatedDate).toBe(a?.state.startDate);
  // The failed task run of a retried execution ends RETRIED too; each execution ran it once.
  expect(chain.map((r) => [r.execution.taskRunList.length, r.execution.taskRunList[0]?.state.current])).toEqual([
    [1, 'RETRIED'],
    [1, 'RETRIED'],
    [1, 'FAILED'],
  ]);
  expect(result.execution.labels).toEqual(a?.labels);
});
