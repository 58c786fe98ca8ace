/**
 * Runs one stored execution with the runner and keeps the store up to date: the runner reports
 * every change of the execution and its task runs (and of the Subflow executions it starts), each
 * is written as it happens, in order, so the API, the follow streams and `wait=true` see the run
 * live — and a worker that dies leaves an execution another one continues without running its
 * finished task runs again. A stored execution is always continued (new ones are stored CREATED
 * by the API first), with SECRET inputs decrypted for the run and masked everywhere it writes.
 * A `CREATE_NEW_EXECUTION` retry is not run here: the RETRIED execution is written with its
 * `delayedRetry`, which the processor hands to the queue.
 */
import type { Flow } from '../../flow/model.js';
import type { FlowRepository as RunnerFlows } from '../../flow/repository.js';
import { clonePlain } from '../../runner/context.js';
import { isTerminal, type Execution } from '../../runner/execution.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import type { TriggerToggleRequest, TriggerToggleResult } from '../../tasks/definition.js';
import { resumeExecution, runExecution as continueExecution, type StorageDirs } from '../../runner/runner.js';
import type { ExecutionStore as RunnerStore } from '../../runner/store.js';
import type { ConcurrencyLimiter } from '../../runner/concurrency.js';
import type { FlowEngine, LogEntry, RunFlowOptions, ScheduledRetry } from '../../runner/types.js';
import type { LogRecord } from '../store/types.js';
import type { DelayedRetry, StoredExecution, SubflowWait } from './model.js';

export interface RunWork {
  readonly flow: Flow;
  readonly execution: StoredExecution;
  /** The process that runs it (`host:pid`). */
  readonly workerId: string;
  readonly engine: FlowEngine;
  /** The storage (files, KV store) and namespace files of the run. */
  readonly storage: StorageDirs;
  /** The task types the run may use (core and the config's plugins). */
  readonly registry?: TaskRegistry;
  readonly tenant: string;
  /** The server key for EncryptedString outputs (`server.encryptionKey`). */
  readonly encryptionKey?: string;
  /** Decrypted SECRET input values, by input id. */
  readonly secretValues: Readonly<Record<string, string>>;
  /**
   * Seals the SECRET inputs of an execution the run creates (a Subflow's child) as the API does for
   * its own: what its stored `secretInputs` holds, so a retry of it (or a restart) gets them back.
   */
  readonly sealSecrets?: (executionId: string, values: Readonly<Record<string, string>>) => Readonly<Record<string, string>>;
  /** The run is done with an execution's sealed SECRET inputs (the ones kept in memory are dropped). */
  readonly forgetSecrets?: (executionId: string) => void;
  /** Aborted to kill the execution. */
  readonly signal: AbortSignal;
  /** True once the process hands the execution back (shutdown): nothing more is saved. */
  readonly handingBack: () => boolean;
  /** Who counts flow `concurrency` slots (default: the runs of this process). */
  readonly concurrencyLimiter?: ConcurrencyLimiter;
  /** Inputs for a paused execution's Pause (`onResume`), when this run is a resume. */
  readonly resumeInputs?: Readonly<Record<string, unknown>>;
  /** Where Subflow tasks find their child flows. */
  readonly flows?: RunnerFlows;
  /** How a Resume task resumes an execution. */
  readonly resume?: (executionId: string, inputs: Readonly<Record<string, unknown>>) => Promise<void>;
  /** Other executions of the tenant, as stored (log.Fetch and the execution notifications read them by id). */
  readonly executions?: {
    find(executionId: string): Promise<StoredExecution | undefined>;
    logs(executionId: string): Promise<readonly LogRecord[]>;
  };
  /** How a Toggle task enables or disables a trigger. */
  readonly toggleTrigger?: (request: TriggerToggleRequest) => Promise<TriggerToggleResult>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly previousLogs?: readonly LogRecord[];
  /** Called with every change, in order. */
  save(execution: StoredExecution): Promise<void>;
  log(record: LogRecord): void;
}

/** Runs (or continues, or resumes) an execution; resolves to its last version (terminal, PAUSED, or as handed back). */
export async function runExecution(work: RunWork): Promise<StoredExecution> {
  const main = work.execution;
  const secretIds = Object.keys(main.secretInputs ?? {});
  let chain: Promise<void> = Promise.resolve();
  let last: StoredExecution = main;
  // Executions this run saves (its own and the Subflow executions it starts): what their log lines need.
  const known = new Map<string, { namespace: string; flowId: string; trigger?: Execution['trigger'] }>();
  // The runner reports each change synchronously, several per task run: they are gathered and
  // written once per turn of the event loop (one copy, one write), in order.
  const dirty = new Map<string, Readonly<Execution>>();
  // CREATE_NEW_EXECUTION retries the runner handed over (this execution's, its Subflows'): each is
  // written with its execution's RETRIED state, in the same write, for the queue to pick up.
  const retries = new Map<string, DelayedRetry>();
  // The sealed SECRET inputs of the executions this run created (Subflow children), by id.
  const sealed = new Map<string, Readonly<Record<string, string>>>();
  const withRetry = (e: StoredExecution): StoredExecution => {
    const retry = e.state.current === 'RETRIED' ? retries.get(e.id) : undefined;
    return retry === undefined ? e : { ...e, delayedRetry: retry };
  };
  // Subflow executions task runs wait for (the runner's `subflowWaits`), by execution: written with
  // every version of that execution until the task run ends, so a restart loses none of them.
  const waits = new Map<string, Record<string, SubflowWait>>();
  if (main.subflowWaits !== undefined) waits.set(main.id, { ...main.subflowWaits });
  const withWaits = (e: StoredExecution): StoredExecution => {
    const { subflowWaits: _old, ...rest } = e;
    const of = waits.get(e.id);
    if (of === undefined) return rest;
    for (const taskRunId of Object.keys(of)) {
      const taskRun = e.taskRunList.find((t) => t.id === taskRunId);
      // Ended (it took its children's results), or gone (a restart removed it): no longer waiting.
      if (taskRun === undefined || isTerminal(taskRun.state.current)) delete of[taskRunId];
    }
    if (Object.keys(of).length === 0) {
      waits.delete(e.id);
      return rest;
    }
    return { ...rest, subflowWaits: { ...of } };
  };
  let pendingFlush: Promise<void> | undefined;
  const flushDirty = (): Promise<void> => {
    pendingFlush = undefined;
    if (work.handingBack()) {
      dirty.clear();
      return chain;
    }
    for (const execution of dirty.values()) {
      // clonePlain, not structuredClone: maps keep their Java key order (a non-enumerable symbol).
      const copy = clonePlain(execution) as StoredExecution;
      const childSecrets = copy.id === main.id ? undefined : sealed.get(copy.id);
      const stored: StoredExecution = withWaits(
        withRetry(
          copy.id === main.id
            ? { ...copy, ...(main.secretInputs === undefined ? {} : { secretInputs: main.secretInputs }), tenantId: work.tenant }
            : { ...copy, ...(childSecrets === undefined ? {} : { secretInputs: childSecrets }), tenantId: work.tenant },
        ),
      );
      // A child that ended for good (not RETRIED with a retry to come) needs them no more.
      if (
        childSecrets !== undefined &&
        isTerminal(stored.state.current) &&
        stored.state.current !== 'PAUSED' &&
        stored.delayedRetry === undefined
      ) {
        sealed.delete(copy.id);
        work.forgetSecrets?.(copy.id);
      }
      if (stored.id === main.id) last = stored;
      chain = chain.then(
        () => work.save(stored),
        () => work.save(stored),
      );
    }
    dirty.clear();
    return chain;
  };
  const store: RunnerStore = {
    save(execution) {
      known.set(execution.id, {
        namespace: execution.namespace,
        flowId: execution.flowId,
        ...(execution.trigger === undefined ? {} : { trigger: execution.trigger }),
      });
      if (work.handingBack()) return;
      dirty.set(execution.id, execution);
      // The runner waits for this before it starts a task's attempt (write-ahead).
      pendingFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flushDirty);
      return pendingFlush;
    },
    log(entry: LogEntry) {
      if (work.handingBack()) return;
      const executionId = entry.executionId ?? main.id;
      const of = known.get(executionId) ?? main;
      const trigger = of.trigger;
      work.log({
        tenantId: work.tenant,
        namespace: of.namespace,
        flowId: of.flowId,
        executionId,
        ...(entry.taskId === undefined ? {} : { taskId: entry.taskId }),
        ...(entry.taskRunId === undefined ? {} : { taskRunId: entry.taskRunId }),
        ...(entry.attemptNumber === undefined ? {} : { attemptNumber: entry.attemptNumber }),
        ...(trigger === undefined ? {} : { triggerId: trigger.id }),
        timestamp: entry.timestamp,
        level: entry.level,
        thread: work.workerId,
        message: entry.message,
      });
    },
    async flush() {
      await (pendingFlush ?? flushDirty());
    },
    secretInputs(executionId, values) {
      if (executionId === main.id || work.sealSecrets === undefined) return;
      sealed.set(executionId, work.sealSecrets(executionId, values));
    },
  };
  const { secretInputs: _sealed, subflowWaits: _waits, ...execution } = main;
  const secrets = Object.fromEntries(secretIds.flatMap((id) => (work.secretValues[id] === undefined ? [] : [[id, work.secretValues[id]]])));
  const options = {
    engine: work.engine,
    storage: work.storage.dir,
    ...(work.storage.namespaceFiles === undefined ? {} : { namespaceFiles: work.storage.namespaceFiles }),
    tenant: work.tenant,
    ...(work.registry === undefined ? {} : { registry: work.registry }),
    signal: work.signal,
    ...(work.concurrencyLimiter === undefined ? {} : { concurrencyLimiter: work.concurrencyLimiter }),
    workerId: work.workerId,
    store,
    execution,
    runInputs: { ...execution.inputs, ...secrets },
    sensitiveValues: Object.values(secrets),
    ...(work.flows === undefined ? {} : { flows: work.flows }),
    executions: {
      ...(work.resume === undefined ? {} : { resume: work.resume }),
      ...(work.executions === undefined ? {} : executionsOf(work.executions)),
    },
    ...(work.toggleTrigger === undefined ? {} : { triggers: { toggle: work.toggleTrigger } }),
    ...(work.env === undefined ? {} : { env: work.env }),
    ...(work.encryptionKey === undefined ? {} : { encryptionKey: work.encryptionKey }),
    ...(work.previousLogs === undefined ? {} : { previousLogs: work.previousLogs.map(toLogEntry) }),
    // Called before the RETRIED state is reported: the retry is known when that state is written.
    scheduleRetry: (retry: ScheduledRetry) => retries.set(retry.executionId, { executionId: retry.nextExecutionId, date: retry.date }),
    subflowWaits: {
      ...(main.subflowWaits === undefined
        ? {}
        : { waiting: Object.fromEntries(Object.entries(main.subflowWaits).map(([taskRunId, w]) => [taskRunId, w.children])) }),
      wait: (executionId: string, taskRunId: string, children: readonly string[], waiting: readonly string[]) => {
        let of = waits.get(executionId);
        if (of === undefined) waits.set(executionId, (of = {}));
        of[taskRunId] = { children: [...children], waiting: [...waiting] };
      },
    },
  };
  const result =
    work.resumeInputs !== undefined && execution.state.current === 'PAUSED'
      ? await resumeExecution(work.flow, execution, { ...options, resumeInputs: work.resumeInputs })
      : await continueExecution(work.flow, options);
  await (pendingFlush ?? flushDirty());
  if (work.handingBack()) return last;
  return withWaits(
    withRetry({
      ...result.execution,
      tenantId: work.tenant,
      ...(main.secretInputs === undefined ? {} : { secretInputs: main.secretInputs }),
    }),
  );
}

/** The store's executions as the runner reads them: without their sealed SECRET inputs; logs only of a known execution. */
function executionsOf(store: NonNullable<RunWork['executions']>): NonNullable<RunFlowOptions['executions']> {
  return {
    find: async (executionId) => {
      const found = await store.find(executionId);
      if (found === undefined) return undefined;
      const { secretInputs: _sealed, ...execution } = found;
      return execution;
    },
    logs: async (executionId) =>
      (await store.find(executionId)) === undefined ? undefined : (await store.logs(executionId)).map(toLogEntry),
  };
}

function toLogEntry(r: LogRecord): LogEntry {
  return {
    executionId: r.executionId,
    ...(r.taskId === undefined ? {} : { taskId: r.taskId }),
    ...(r.taskRunId === undefined ? {} : { taskRunId: r.taskRunId }),
    ...(r.attemptNumber === undefined ? {} : { attemptNumber: r.attemptNumber }),
    level: r.level,
    message: r.message,
    timestamp: r.timestamp,
  };
}
