/**
 * Runs one execution and reports every change: the bridge between the server (which stores and
 * streams Kestra-shaped executions) and the runner. Each task run's start and end, each attempt
 * (with the id of the worker that ran it) and each log line is saved as it happens, so the API,
 * the follow streams and `wait=true` see the run live.
 */
import type { Flow } from '../../flow/model.js';
import { isTerminal, type StateType, type TaskRun, type TaskRunAttempt } from '../../runner/execution.js';
import { runFlow } from '../../runner/runner.js';
import type { FlowEngine, TaskRunReport } from '../../runner/types.js';
import type { LogRecord } from '../store/types.js';
import { newState, withState, type StoredExecution } from './model.js';

export interface RunWork {
  readonly flow: Flow;
  readonly execution: StoredExecution;
  /** The process that runs it (`host:pid` for a worker, `server` in embedded mode). */
  readonly workerId: string;
  readonly engine: FlowEngine;
  readonly tenant: string;
  /** Decrypted SECRET input values, by input id. */
  readonly secretValues: Readonly<Record<string, string>>;
  /** Aborted to kill the execution. */
  readonly signal: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with every change; calls are made in order. */
  save(execution: StoredExecution): Promise<void>;
  log(record: LogRecord): void;
}

/** Runs an execution to its end and returns the final version (also saved). */
export async function runExecution(work: RunWork): Promise<StoredExecution> {
  const base = work.execution;
  let current: StoredExecution = { ...base, state: withState(base.state, 'RUNNING') };
  let chain: Promise<void> = work.save(current);
  const commit = (next: StoredExecution): void => {
    current = next;
    const snapshot = structuredClone(next);
    chain = chain.then(
      () => work.save(snapshot),
      () => work.save(snapshot),
    );
  };
  const runs = new Map<string, TaskRun>();
  const attempt = (state: StateType): TaskRunAttempt => ({ state: newState(state), workerId: work.workerId });
  const upsert = (run: TaskRun): void => {
    runs.set(run.id, run);
    const list = current.taskRunList.some((t) => t.id === run.id)
      ? current.taskRunList.map((t) => (t.id === run.id ? run : t))
      : [...current.taskRunList, run];
    commit({ ...current, taskRunList: list });
  };
  const onStart = (report: Readonly<TaskRunReport>): void => {
    upsert({
      id: report.id,
      executionId: base.id,
      tenantId: work.tenant,
      namespace: base.namespace,
      flowId: base.flowId,
      taskId: report.taskId,
      ...(report.parentTaskRunId === undefined ? {} : { parentTaskRunId: report.parentTaskRunId }),
      attempts: [attempt('RUNNING')],
      outputs: {},
      state: withState(newState('CREATED'), 'RUNNING'),
    });
  };
  const onEnd = (report: Readonly<TaskRunReport>): void => {
    const run = runs.get(report.id);
    if (run === undefined) return;
    const final: StateType = report.state === 'CREATED' || report.state === 'RUNNING' ? 'FAILED' : report.state;
    const attempts: TaskRunAttempt[] = [];
    for (let i = 1; i <= report.attempts; i++) {
      const a = attempt('RUNNING');
      attempts.push({ ...a, state: withState(a.state, i < report.attempts ? 'FAILED' : final) });
    }
    upsert({ ...run, attempts, outputs: report.outputs, state: withState(run.state, final) });
  };
  const secretInputs = work.execution.secretInputs === undefined ? {} : work.secretValues;
  let final: StateType;
  let flowOutputs: Record<string, unknown> | undefined;
  try {
    const report = await runFlow(work.flow, {
      inputs: { ...current.inputs, ...secretInputs },
      engine: work.engine,
      tenant: work.tenant,
      signal: work.signal,
      ...(work.env === undefined ? {} : { env: work.env }),
      onEvent: (event) => {
        if (event.type === 'task-start') onStart(event.taskRun);
        else if (event.type === 'task-end') onEnd(event.taskRun);
        else {
          const run = event.log.taskRunId === undefined ? undefined : runs.get(event.log.taskRunId);
          work.log({
            tenantId: work.tenant,
            namespace: base.namespace,
            flowId: base.flowId,
            executionId: base.id,
            ...(event.log.taskId === undefined ? {} : { taskId: event.log.taskId }),
            ...(event.log.taskRunId === undefined ? {} : { taskRunId: event.log.taskRunId }),
            ...(run === undefined ? {} : { attemptNumber: Math.max(0, run.attempts.length - 1) }),
            ...(base.trigger === undefined ? {} : { triggerId: base.trigger.id }),
            timestamp: event.log.timestamp,
            level: event.log.level,
            thread: work.workerId,
            message: event.log.message,
          });
        }
      },
    });
    final = work.signal.aborted ? 'KILLED' : report.state;
    flowOutputs = report.flowOutputs;
  } catch (e) {
    work.log({
      tenantId: work.tenant,
      namespace: base.namespace,
      flowId: base.flowId,
      executionId: base.id,
      timestamp: new Date().toISOString(),
      level: 'ERROR',
      thread: work.workerId,
      message: e instanceof Error ? e.message : String(e),
    });
    final = work.signal.aborted ? 'KILLED' : 'FAILED';
  }
  // Task runs left open by a kill end as KILLED.
  const list = current.taskRunList.map((t) => (isTerminal(t.state.current) ? t : { ...t, state: withState(t.state, 'KILLED') }));
  commit({
    ...current,
    taskRunList: list,
    ...(flowOutputs === undefined ? {} : { outputs: flowOutputs }),
    state: withState(current.state, final),
  });
  await chain;
  return current;
}
