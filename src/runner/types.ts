/** The runner's public shapes: options, the report (what `pebbleflow run --json` prints) and events. */
import type { RenderScope } from '../engine/extension.js';
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { LogLevel } from '../flow/schema.js';
import type { FetchLike } from '../tasks/types.js';

export type ExecutionState = 'SUCCESS' | 'WARNING' | 'FAILED';
export type TaskRunState = 'CREATED' | 'RUNNING' | 'SUCCESS' | 'WARNING' | 'FAILED' | 'SKIPPED';

/** What the runner needs of a template engine (pebbleflow's own, from `createEngine`, fits). */
export interface FlowEngine {
  render(template: string, context?: Readonly<Record<string, unknown>>, scope?: RenderScope): Promise<string>;
  renderValue(value: unknown, context?: Readonly<Record<string, unknown>>, scope?: RenderScope): Promise<unknown>;
}

export interface LogEntry {
  /** Absent for execution-level lines. */
  readonly taskId?: string;
  readonly taskRunId?: string;
  readonly level: LogLevel;
  /** Already masked. */
  readonly message: string;
  readonly timestamp: string;
}

export interface TaskRunReport {
  readonly id: string;
  readonly taskId: string;
  readonly type: string;
  /** The flowable task run this one ran under (If, Sequential). */
  readonly parentTaskRunId?: string;
  /** 0 for top-level tasks, +1 per flowable level; `errors`/`finally` tasks are top level. */
  readonly depth: number;
  /** `tasks`, `errors` or `finally` for top-level runs; the child list name (`then`…) for nested ones. */
  readonly branch: string;
  state: TaskRunState;
  attempts: number;
  startDate: string;
  endDate?: string;
  durationMs?: number;
  /** Masked copy of the task's outputs. */
  outputs: Record<string, unknown>;
  /** Masked failure message, when it failed. */
  error?: string;
}

export interface RunReport {
  readonly id: string;
  readonly namespace: string;
  readonly tenant: string;
  readonly executionId: string;
  state: ExecutionState;
  readonly startDate: string;
  endDate: string;
  durationMs: number;
  readonly taskRuns: TaskRunReport[];
  /** Outputs by task id (masked). */
  readonly outputs: Record<string, Record<string, unknown>>;
  /** The flow's own `outputs:` (masked), when it declares some and the run did not fail. */
  flowOutputs?: Record<string, unknown>;
  readonly logs: LogEntry[];
}

export type RunEvent =
  | { readonly type: 'task-start'; readonly taskRun: Readonly<TaskRunReport> }
  | { readonly type: 'task-end'; readonly taskRun: Readonly<TaskRunReport> }
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
  /** Called with each (masked) log line as it is written. */
  readonly onLog?: (entry: LogEntry) => void;
  /** Task starts and ends, and log lines, as they happen (for live output). */
  readonly onEvent?: (event: RunEvent) => void;
  /** Cancels the run: the running task is aborted, the rest are not started. */
  readonly signal?: AbortSignal;
  /** An engine to reuse across runs (keeps its token cache); it must already have `secret()`/`credential()`. */
  readonly engine?: FlowEngine;
  /** Environment for `envs.*` (`ENV_` variables) and `SECRET_*` (default: `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Exposed as `globals.*`. */
  readonly globals?: Readonly<Record<string, unknown>>;
}

export type FlowDisabledErrorCode = 'FLOW_DISABLED';

export class FlowDisabledError extends PebbleflowError<FlowDisabledErrorCode> {
  constructor(namespace: string, id: string) {
    super('FLOW_DISABLED', `Flow ${namespace}.${id} is disabled (disabled: true); enable it to run it`);
  }
}
