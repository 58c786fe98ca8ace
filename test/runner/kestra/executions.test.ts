/**
 * Kestra's tests of executions that outlive one run, ported: Pause and resume
 * (core/src/test/java/io/kestra/plugin/core/flow/PauseTest.java), restart (core/src/test/java/io/kestra/core/runners/RestartCaseTest.java),
 * WaitFor (core/src/test/java/io/kestra/plugin/core/flow/WaitForCaseTest.java), Subflow (FlowCaseTest.java),
 * Resume (core/src/test/java/io/kestra/plugin/core/execution/ResumeTest.java) and flow concurrency
 * (core/src/test/java/io/kestra/core/runners/FlowConcurrencyCaseTest.java).
 */
import { jest } from '@jest/globals';
import type { Execution } from '../../../src/flow/execution.js';
import { MemoryExecutionStore } from '../../../src/runner/store.js';
import { restartExecution, resumeExecution, runExecution } from '../../../src/runner/runner.js';
import { first, flows, loadKestraFlow, run, runOne } from '../../support/kestra-flows.js';

jest.setTimeout(60_000);

const countHistory = (t: { state: string }[], state: string): number => t.filter((h) => h.state === state).length;

describe('PauseTest', () => {
  test('run: PAUSED until resumed, then SUCCESS', async () => {
    const paused = await runOne('pause.yaml');
    expect(paused.report.state).toBe('PAUSED');
    expect(paused.report.taskRuns[0]?.state).toBe('PAUSED');
    expect(paused.report.taskRuns).toHaveLength(1);
    const resumed = await resumeExecution(loadKestraFlow('pause.yaml'), paused.execution, { env: {}, flows });
    expect(resumed.report.state).toBe('SUCCESS');
    expect(resumed.report.executionId).toBe(paused.report.executionId);
  });

  test('runDelay, runDelayFromInput: resumes by itself', async () => {
    for (const file of ['pause-delay.yaml', 'pause-delay-from-input.yaml']) {
      const { report, execution } = await runOne(file);
      expect(report.state).toBe('SUCCESS');
      const histories = execution.taskRunList[0]!.state.histories;
      expect(countHistory(histories, 'PAUSED')).toBe(1);
      expect(countHistory(histories, 'RUNNING')).toBe(2);
      expect(report.taskRuns).toHaveLength(3);
    }
  });

  test('runParallelDelay', async () => {
    const r = await run('each-parallel-pause.yml');
    expect(r.state).toBe('SUCCESS');
    expect(r.taskRuns).toHaveLength(7);
  });

  test('runTimeout: FAILED once the timeout passed', async () => {
    const { report, execution } = await runOne('pause-timeout.yaml');
    expect(report.state).toBe('FAILED');
    const histories = execution.taskRunList[0]!.state.histories;
    expect(countHistory(histories, 'PAUSED')).toBe(1);
    expect(countHistory(histories, 'RUNNING')).toBe(1);
    expect(countHistory(histories, 'FAILED')).toBe(1);
    expect(report.taskRuns).toHaveLength(1);
  });

  test('runEmptyTasks', async () => {
    const paused = await runOne('pause_no_tasks.yaml');
    expect(paused.report.state).toBe('PAUSED');
    expect(paused.report.taskRuns[0]?.state).toBe('PAUSED');
    expect(paused.report.taskRuns).toHaveLength(1);
    const resumed = await resumeExecution(loadKestraFlow('pause_no_tasks.yaml'), paused.execution, { env: {} });
    expect(resumed.report.state).toBe('SUCCESS');
  });

  test('runOnResumeOptionalInputs', async () => {
    const paused = await runOne('pause_on_resume_optional.yaml');
    expect(paused.report.state).toBe('PAUSED');
    const resumed = await resumeExecution(loadKestraFlow('pause_on_resume_optional.yaml'), paused.execution, { env: {} });
    expect(resumed.report.state).toBe('SUCCESS');
    expect((first(resumed.report, 'last').outputs.values as Record<string, unknown>).asked).toBe('MISSING');
    // and with the input given on resume
    const again = await runOne('pause_on_resume_optional.yaml');
    const withInput = await resumeExecution(loadKestraFlow('pause_on_resume_optional.yaml'), again.execution, {
      env: {},
      resumeInputs: { asked: 'restarted' },
    });
    expect((first(withInput.report, 'last').outputs.values as Record<string, unknown>).asked).toBe('restarted');
  });
});

describe('RestartCaseTest', () => {
  test('restartFailedThenSuccess', async () => {
    const flow = loadKestraFlow('restart_last_failed.yaml');
    const firstRun = await runOne('restart_last_failed.yaml');
    expect(firstRun.report.state).toBe('FAILED');
    expect(firstRun.report.taskRuns).toHaveLength(3);
    expect(firstRun.report.taskRuns[2]?.state).toBe('FAILED');
    const restarted = restartExecution(flow, firstRun.execution);
    expect(restarted.id).toBe(firstRun.execution.id);
    expect(restarted.parentId).toBeUndefined();
    expect(restarted.taskRunList).toHaveLength(3);
    expect(restarted.state.current).toBe('RESTARTED');
    const finished = await resumeExecution(flow, restarted, { env: {} });
    expect(finished.report.executionId).toBe(firstRun.execution.id);
    expect(finished.report.taskRuns).toHaveLength(4);
    expect(finished.report.taskRuns[2]?.attempts).toHaveLength(2);
    for (const t of finished.report.taskRuns) expect(t.state).toBe('SUCCESS');
  });

  test('restartFailedThenFailureWithGlobalErrors', async () => {
    const flow = loadKestraFlow('restart_always_failed.yaml');
    const firstRun = await runOne('restart_always_failed.yaml');
    expect(firstRun.report.state).toBe('FAILED');
    expect(firstRun.report.taskRuns).toHaveLength(2);
    expect(firstRun.report.taskRuns[0]?.state).toBe('FAILED');
    const restarted = restartExecution(flow, firstRun.execution);
    expect(restarted.taskRunList).toHaveLength(1);
    expect(restarted.state.current).toBe('RESTARTED');
    const finished = await resumeExecution(flow, restarted, { env: {} });
    expect(finished.report.taskRuns).toHaveLength(2);
    expect(finished.report.taskRuns[0]?.attempts).toHaveLength(2);
    expect(finished.report.state).toBe('FAILED');
  });

  test('restartFailedThenFailureWithLocalErrors', async () => {
    const flow = loadKestraFlow('restart_local_errors.yaml');
    const firstRun = await runOne('restart_local_errors.yaml');
    expect(firstRun.report.state).toBe('FAILED');
    expect(firstRun.report.taskRuns).toHaveLength(5);
    expect(firstRun.report.taskRuns[3]?.state).toBe('FAILED');
    const restarted = restartExecution(flow, firstRun.execution);
    expect(restarted.taskRunList).toHaveLength(4);
    const finished = await resumeExecution(flow, restarted, { env: {} });
    expect(finished.report.taskRuns).toHaveLength(5);
    expect(first(finished.report, 'failStep').attempts).toHaveLength(2);
    expect(finished.report.state).toBe('FAILED');
  });

  test('restartMultiple', async () => {
    const flow = loadKestraFlow('failed-first.yaml');
    const firstRun = await runOne('failed-first.yaml');
    expect(firstRun.report.taskRuns).toHaveLength(1);
    expect(firstRun.report.state).toBe('FAILED');
    let execution: Execution = firstRun.execution;
    for (let i = 0; i < 2; i++) {
      const restart = restartExecution(flow, execution);
      expect(restart.state.current).toBe('RESTARTED');
      const ended = await resumeExecution(flow, restart, { env: {} });
      expect(ended.report.state).toBe('FAILED');
      execution = ended.execution;
    }
  });
});

describe('WaitForCaseTest', () => {
  test('waitfor, waitforMaxIterations, waitforMaxDuration, waitforNoSuccess', async () => {
    const [ok, maxIterations, maxDuration, noSuccess] = await Promise.all([
      run('waitfor.yaml'),
      run('waitfor-max-iterations.yaml'),
      run('waitfor-max-duration.yaml'),
      run('waitfor-no-success.yaml'),
    ]);
    expect(ok.state).toBe('SUCCESS');
    expect(ok.taskRuns[0]?.outputs).toBeDefined();
    expect(maxIterations.state).toBe('FAILED');
    expect(maxDuration.state).toBe('FAILED');
    expect(noSuccess.state).toBe('SUCCESS');
  });

  test('waitforMultipleTasks, waitforMultipleTasksFailed', async () => {
    const ok = await run('waitfor-multiple-tasks.yaml');
    expect(ok.state).toBe('SUCCESS');
    expect((ok.taskRuns.at(-1)?.outputs.values as Record<string, unknown>).count).toBe('4');
    const failed = await run('waitfor-multiple-tasks-failed.yaml');
    expect(failed.state).toBe('FAILED');
    expect(failed.taskRuns.at(-1)?.attempts).toHaveLength(1);
  });
});

describe('FlowCaseTest: Subflow', () => {
  const store = new MemoryExecutionStore();
  const child = (parentId: string): Execution => {
    const found = [...store.executions.values()].find((e) => e.parentId === parentId && e.flowId === 'switch');
    if (found === undefined) throw new Error('no child execution');
    return found;
  };

  test('waitSuccess, waitFailed, invalidOutputs (labels inherited)', async () => {
    for (const [input, fromState, triggerState, count, outputs] of [
      ['OK', 'SUCCESS', 'SUCCESS', 2, 'default > amazing'],
      ['THIRD', 'FAILED', 'FAILED', 4, 'Error Trigger ! error-t1'],
      ['FIRST', 'FAILED', 'SUCCESS', 2, undefined],
    ] as const) {
      const { report, execution } = await runOne(
        'task-flow.yaml',
        { string: input },
        { store, labels: [{ key: 'mainFlowExecutionLabel', value: 'execFoo' }] },
      );
      const triggered = child(execution.id);
      expect(report.taskRuns).toHaveLength(1);
      expect(report.taskRuns[0]?.attempts).toHaveLength(1);
      expect(report.taskRuns[0]?.attempts[0]?.state).toBe(fromState);
      expect(report.state).toBe(fromState);
      if (outputs !== undefined) expect((report.taskRuns[0]?.outputs.outputs as Record<string, string>).extracted).toContain(outputs);
      expect(report.taskRuns[0]?.outputs.executionId).toBe(triggered.id);
      if (outputs !== undefined) expect(report.taskRuns[0]?.outputs.state).toBe(triggered.state.current);
      expect(triggered.trigger?.type).toBe('io.kestra.plugin.core.flow.Subflow');
      expect(triggered.trigger?.variables).toMatchObject({
        executionId: execution.id,
        flowId: execution.flowId,
        namespace: execution.namespace,
      });
      expect(triggered.taskRunList).toHaveLength(count);
      expect(triggered.state.current).toBe(triggerState);
      expect(triggered.labels).toHaveLength(5);
      expect(triggered.labels).toEqual(
        expect.arrayContaining([
          { key: 'system.correlationId', value: execution.id },
          { key: 'mainFlowExecutionLabel', value: 'execFoo' },
          { key: 'mainFlowLabel', value: 'flowFoo' },
          { key: 'launchTaskLabel', value: 'launchFoo' },
          { key: 'switchFlowLabel', value: 'switchFoo' },
        ]),
      );
    }
  });

  test('noLabels', async () => {
    const { report, execution } = await runOne('task-flow-inherited-labels.yaml', { string: 'OK' }, { store });
    const triggered = child(execution.id);
    expect(report.state).toBe('SUCCESS');
    expect(triggered.taskRunList).toHaveLength(2);
    expect(triggered.labels).toHaveLength(3);
    expect(triggered.labels).toEqual(
      expect.arrayContaining([
        { key: 'system.correlationId', value: execution.id },
        { key: 'launchTaskLabel', value: 'launchFoo' },
        { key: 'switchFlowLabel', value: 'switchFoo' },
      ]),
    );
  });
});

test('ResumeTest: a Resume task resumes another paused execution', async () => {
  const store = new MemoryExecutionStore();
  const pauseFlow = loadKestraFlow('pause.yaml');
  const paused = await runOne('pause.yaml', {}, { store });
  const resumedRuns: Promise<unknown>[] = [];
  const executions = {
    resume: async (executionId: string, inputs: Readonly<Record<string, unknown>>): Promise<void> => {
      const saved = store.get(executionId);
      if (saved === undefined) throw new Error(`No execution found for execution id ${executionId}`);
      resumedRuns.push(resumeExecution(pauseFlow, saved, { env: {}, store, resumeInputs: inputs }));
    },
  };
  const resume = await run('resume-execution.yaml', { executionId: paused.execution.id }, { store, executions });
  expect(resume.state).toBe('SUCCESS');
  await Promise.all(resumedRuns);
  expect(store.get(paused.execution.id)?.state.current).toBe('SUCCESS');
});

describe('FlowConcurrencyCaseTest (runs of one process)', () => {
  const startAndWaitRunning = async (file: string) => {
    let running!: () => void;
    const started = new Promise<void>((resolve) => (running = resolve));
    const result = runExecution(loadKestraFlow(file), {
      env: {},
      onEvent: (e) => {
        if (e.type === 'execution-state' && e.state === 'RUNNING') running();
      },
    });
    await started;
    // Wrapped: returning the promise itself from an async function would wait for the whole run.
    return { result };
  };

  test('flowConcurrencyCancel, flowConcurrencyFail', async () => {
    for (const [file, state] of [
      ['flow-concurrency-cancel.yml', 'CANCELLED'],
      ['flow-concurrency-fail.yml', 'FAILED'],
    ] as const) {
      const first1 = await startAndWaitRunning(file);
      const second = await runOne(file);
      expect(second.report.state).toBe(state);
      expect((await first1.result).report.state).toBe('SUCCESS');
    }
  });

  test('flowConcurrencyQueue: the second waits QUEUED, then runs', async () => {
    const first1 = await startAndWaitRunning('flow-concurrency-queue.yml');
    const second = await runOne('flow-concurrency-queue.yml');
    expect((await first1.result).report.state).toBe('SUCCESS');
    expect(second.report.state).toBe('SUCCESS');
    expect(second.execution.state.histories.map((h) => h.state).slice(0, 3)).toEqual(['CREATED', 'QUEUED', 'RUNNING']);
  });

  test('a QUEUED execution killed ends KILLED without running (it used to wait for its slot regardless)', async () => {
    const first1 = await startAndWaitRunning('flow-concurrency-queue.yml');
    const controller = new AbortController();
    const second = runExecution(loadKestraFlow('flow-concurrency-queue.yml'), {
      env: {},
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'execution-state' && e.state === 'QUEUED') controller.abort();
      },
    });
    const killed = (await second).execution;
    expect(killed.state.histories.map((h) => h.state)).toEqual(['CREATED', 'QUEUED', 'KILLED']);
    expect(killed.taskRunList).toEqual([]);
    expect((await first1.result).report.state).toBe('SUCCESS');
  });

  test('a QUEUED execution continued (its process stopped while it waited) waits in line again, never over the limit', async () => {
    const first1 = await startAndWaitRunning('flow-concurrency-queue.yml');
    let queued: Execution | undefined;
    const controller = new AbortController();
    await runExecution(loadKestraFlow('flow-concurrency-queue.yml'), {
      env: {},
      signal: controller.signal,
      store: {
        save: (e) => {
          if (e.state.current === 'QUEUED' && queued === undefined) {
            queued = JSON.parse(JSON.stringify(e)) as Execution;
            controller.abort();
          }
        },
      },
    });
    expect(queued?.state.current).toBe('QUEUED');
    const continued = await runExecution(loadKestraFlow('flow-concurrency-queue.yml'), { env: {}, execution: queued! });
    expect(continued.report.state).toBe('SUCCESS');
    // It ran only once the first had ended (the first frees its slot after its end).
    const firstEnd = (await first1.result).execution.state.endDate!;
    const dateOf = (state: string): string => continued.execution.state.histories.find((h) => h.state === state)!.date;
    expect(Date.parse(dateOf('RUNNING'))).toBeGreaterThanOrEqual(Date.parse(firstEnd));
  });
});
