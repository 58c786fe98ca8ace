/** The runner's public shapes: options, the report (what `pebbleflow run --json` prints) and events. */
import type { RenderScope } from '../engine/extension.js';
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { Execution, Label, StateType } from '../flow/execution.js';
import type { FlowRepository } from '../flow/repository.js';
import type { LogLevel } from '../flow/schema.js';
import type { TriggerToggleRequest, TriggerToggleResult } from '../tasks/definition.js';
import type { TaskRegistry } from '../tasks/registry.js';
import type { FetchLike } from '../tasks/types.js';
import type { ExecutionStore } from './store.js';
import type { ConcurrencyLimiter } from './concurrency.js';

/** An execution's state (Kestra's `State.Type`): SUCCESS, WARNING, FAILED, KILLED, PAUSED… */
export type ExecutionState = StateType;
/** A task run's state (Kestra's `State.Type`). */
export type TaskRunState = StateType;

/** What the runner needs of a template engine (pebbleflow's own, from `createEngine`, fits). */
export interface FlowEngine {
  render(template: string, context?: Readonly<Record<string, unknown>>, scope?: RenderScope): Promise<string>;
  renderValue(value: unknown, context?: Readonly<Record<string, unknown>>, scope?: RenderScope): Promise<unknown>;
}

export interface LogEntry {
  readonly executionId?: string;
  /** Absent for execution-level lines. */
  readonly taskId?: string;
  readonly taskRunId?: string;
  /** 0-based index of the attempt the line was written in (Kestra's `attemptNumber`). */
  readonly attemptNumber?: number;
  readonly level: LogLevel;
  /** Already masked. */
  readonly message: string;
  readonly timestamp: string;
}

export interface AttemptReport {
  readonly state: TaskRunState;
  readonly startDate: string;
  readonly endDate?: string;
  readonly workerId?: string;
}

export interface TaskRunReport {
  readonly id: string;
  readonly taskId: string;
  readonly type: string;
  /** The loop value, for ForEach/EachSequential/EachParallel children. */
  readonly value?: string;
  /** The flowable task run this one ran under. */
  readonly parentTaskRunId?: string;
  /** WaitFor's iteration. */
  readonly iteration?: number;
  /** 0 for top-level tasks, +1 per flowable level; `errors`/`finally` tasks are top level. */
  readonly depth: number;
  /** The child list it ran from: `tasks`, `errors`, `finally`, `afterExecution`, `then`, `cases`… */
  readonly branch: string;
  readonly state: TaskRunState;
  /** Every state the task run went through, oldest first (Kestra's `state.histories`). */
  readonly histories: readonly { readonly state: TaskRunState; readonly date: string }[];
  /** One per attempt (flowable task runs have none, as in Kestra). */
  readonly attempts: readonly AttemptReport[];
  readonly startDate: string;
  readonly endDate?: string;
  readonly durationMs?: number;
  /** Masked copy of the task run's outputs. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Masked failure message, when it failed. */
  readonly error?: string;
}

export interface RunReport {
  /** The flow id. */
  readonly id: string;
  readonly namespace: string;
  readonly tenant: string;
  readonly executionId: string;
  /** The execution that started this one (Subflow). */
  readonly parentExecutionId?: string;
  readonly state: ExecutionState;
  /** Every state the execution went through, oldest first (Kestra's `state.histories`). */
  readonly histories: readonly { readonly state: ExecutionState; readonly date: string }[];
  readonly startDate: string;
  readonly endDate: string;
  readonly durationMs: number;
  /** In creation order. */
  readonly taskRuns: readonly TaskRunReport[];
  /** Outputs by task id, nested by loop value as Kestra's `outputs` variable (masked). */
  readonly outputs: Readonly<Record<string, Record<string, unknown>>>;
  /** The flow's own `outputs:` (masked), when it declares some and the run did not fail. */
  readonly flowOutputs?: Readonly<Record<string, unknown>>;
  /** The execution's labels (flow labels, those set by Labels tasks, `system.correlationId`). */
  readonly labels: readonly Label[];
  readonly logs: readonly LogEntry[];
}

export type RunEvent =
  | { readonly type: 'task-start'; readonly taskRun: Readonly<TaskRunReport> }
  | { readonly type: 'task-end'; readonly taskRun: Readonly<TaskRunReport> }
  | { readonly type: 'task-state'; readonly taskRun: Readonly<TaskRunReport> }
  | { readonly type: 'execution-state'; readonly executionId: string; readonly state: ExecutionState }
  | { readonly type: 'log'; readonly log: LogEntry };

export interface RunFlowOptions {
  /** Raw input values by id: strings (as typed on a command line) or typed values. */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** The project config (object or path to `pebbleflow.yaml`); without one, `secret()` reads `SECRET_*` env variables. */
  readonly config?: string | object;
  /** Tenant for secrets and credentials (default: the config's `tenant`, else `main`). */
  readonly tenant?: string;
  /** Used by Request tasks and token requests alike (default: Node's global fetch). */
  readonly fetch?: FetchLike;
  /**
   * The server key for EncryptedString outputs (Request's `encryptBody`): Base64 of a 16, 24 or
   * 32-byte AES key, Kestra's `kestra.encryption.secret-key` (default: the config's
   * `server.encryptionKey`, resolved when the run starts).
   */
  readonly encryptionKey?: string;
  /** Why the config's `server.encryptionKey` could not be resolved (set by the runner). */
  readonly encryptionKeyError?: string;
  /** Called with each (masked) log line as it is written. */
  readonly onLog?: (entry: LogEntry) => void;
  /** Task starts, state changes and ends, execution states and log lines, as they happen (for live output). */
  readonly onEvent?: (event: RunEvent) => void;
  /** Kills the run: running task runs end KILLED, nothing else starts, `finally` still runs; the execution ends KILLED. */
  readonly signal?: AbortSignal;
  /** An engine to reuse across runs (keeps its token cache); it must already have `secret()`/`credential()`. */
  readonly engine?: FlowEngine;
  /** Environment for `envs.*` (`ENV_` variables) and `SECRET_*` (default: `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The storage folder (files, KV store); default: the config's `storage`, else `.pebbleflow/storage` in `cwd`. */
  readonly storage?: string;
  /** The namespace files folder (`<dir>/<namespace>/…`); default: the config's `namespaceFiles`, else inside the storage. */
  readonly namespaceFiles?: string;
  /** Where relative FILE input paths start (default: the process's working directory). */
  readonly cwd?: string;
  /** Exposed as `globals.*`. */
  readonly globals?: Readonly<Record<string, unknown>>;
  /** The task types the flow may use (default: the default registry). */
  readonly registry?: TaskRegistry;
  /** Told about every change of the execution and its task runs (default: nothing is kept). */
  readonly store?: ExecutionStore;
  /** Where Subflow finds child flows by namespace and id. */
  readonly flows?: FlowRepository;
  /** How a Resume task resumes a paused execution (the CLI resumes those it keeps; without it Resume fails). */
  readonly executions?: {
    resume?(executionId: string, inputs: Readonly<Record<string, unknown>>): Promise<void>;
    /** An execution by id, as kept (masked): what SlackExecution and the other execution notifications report with `executionId`. */
    find?(executionId: string): Promise<Execution | undefined>;
    /** An execution's log lines, as kept (masked): what log.Fetch reads with `executionId`; undefined for an unknown execution. */
    logs?(executionId: string): Promise<readonly LogEntry[] | undefined>;
  };
  /**
   * The triggers of the flows a Toggle task may enable or disable: `pebbleflow server` gives its
   * trigger engine; without it (`pebbleflow run`) Toggle fails.
   */
  readonly triggers?: {
    toggle(request: TriggerToggleRequest): Promise<TriggerToggleResult>;
  };
  /** Written on each attempt (`workerId`); default `local`. */
  readonly workerId?: string;
  /** Labels added to the execution (after the flow's). */
  readonly labels?: readonly Label[];
  /** Use this execution id instead of a new one (the server assigns ids before queuing). */
  readonly executionId?: string;
  /**
   * End the run PAUSED at a Pause with a `delay` or `timeout` too, instead of waiting in-process
   * (a server that schedules the resume itself). Default false.
   */
  readonly suspendTimedPauses?: boolean;
  /**
   * Who counts the flow `concurrency` slots (default: the runs of this process); `pebbleflow run`
   * passes a `FileConcurrencyLimiter` over its data folder, shared by every process using it.
   */
  readonly concurrencyLimiter?: ConcurrencyLimiter;
  /**
   * Hands the new execution of a `CREATE_NEW_EXECUTION` retry to the caller instead of waiting out
   * the delay and running it here (a server queues it, as Kestra's executor queues a delayed
   * restart). Called synchronously when an execution of the run (its own or a Subflow's) is about
   * to end RETRIED, before that state is saved; the run then ends at the RETRIED execution.
   * Without it (`pebbleflow run`), the chain runs in this call.
   */
  readonly scheduleRetry?: (retry: ScheduledRetry) => void;
  /**
   * Hands a waited subflow execution that does not end in this run (it paused, or waits for a
   * subflow of its own) to the caller, as Kestra's executor does: the Subflow (or ForEachItem
   * `_items`) task run stays RUNNING, the run ends with the execution RUNNING (PAUSED when a Pause
   * of its own paused too), and a later run of the execution, once the child ended, gives the task
   * run the child's end state and outputs (see `SubflowWaits`). Without it (`pebbleflow run`), the
   * task run takes the child's PAUSED state.
   */
  readonly subflowWaits?: SubflowWaits;
}

/** The subflow executions task runs wait for, across runs of an execution (`RunFlowOptions.subflowWaits`). */
export interface SubflowWaits {
  /**
   * What the execution being continued waited for when its last run ended: task run id → the ids of
   * the child executions that task run made, in the order it made them (a ForEachItem's batches).
   * Such a task run, found RUNNING, takes these executions back instead of making new ones.
   */
  readonly waiting?: Readonly<Record<string, readonly string[]>>;
  /**
   * Called synchronously when a task run of an execution of the run (its own, or a Subflow's run in
   * this process) starts to wait for its children, before that is saved: all the executions it
   * made (`childIds`, in order) and those not over yet (`waitingFor`). Called again, with more,
   * when another of its children does not end either.
   */
  wait(executionId: string, taskRunId: string, childIds: readonly string[], waitingFor: readonly string[]): void;
}

/** The delayed restart a `CREATE_NEW_EXECUTION` retry asks for (Kestra's `ExecutionDelay` of type `RESTART_FAILED_FLOW`). */
export interface ScheduledRetry {
  /** The execution that ends RETRIED. */
  readonly executionId: string;
  /** The id its new execution (Kestra's replay) is created with. */
  readonly nextExecutionId: string;
  /** ISO-8601: when the new execution is created and starts. */
  readonly date: string;
}

export type FlowDisabledErrorCode = 'FLOW_DISABLED';

export class FlowDisabledError extends PebbleflowError<FlowDisabledErrorCode> {
  constructor(namespace: string, id: string) {
    super('FLOW_DISABLED', `Flow ${namespace}.${id} is disabled (disabled: true); enable it to run it`);
  }
}
