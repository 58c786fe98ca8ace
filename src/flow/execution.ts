/**
 * Kestra's execution model as plain data: an execution is a list of task runs, each with a state
 * history and attempts; flowable task runs are the parents of their children's task runs
 * (`parentTaskRunId`), and a loop child carries the loop `value`. These are the shapes the runner
 * keeps, the store persists, and the server's API returns (Kestra's JSON field names).
 *
 * Reference: `core/src/main/java/io/kestra/core/models/executions/{Execution,TaskRun,TaskRunAttempt}.java`
 * and `core/src/main/java/io/kestra/core/models/flows/State.java` in kestra-io/kestra.
 */

/** Kestra's `State.Type`. */
export const STATE_TYPES = [
  'CREATED',
  'RUNNING',
  'PAUSED',
  'RESTARTED',
  'KILLING',
  'SUCCESS',
  'WARNING',
  'FAILED',
  'KILLED',
  'CANCELLED',
  'QUEUED',
  'RETRYING',
  'RETRIED',
  'SKIPPED',
] as const;
export type StateType = (typeof STATE_TYPES)[number];

/** States an execution or task run never leaves (Kestra's `State.Type#isTerminated`). */
export const TERMINAL_STATES: ReadonlySet<StateType> = new Set<StateType>([
  'SUCCESS',
  'WARNING',
  'FAILED',
  'KILLED',
  'CANCELLED',
  'RETRIED',
  'SKIPPED',
]);

export function isTerminal(state: StateType): boolean {
  return TERMINAL_STATES.has(state);
}

export interface StateHistory {
  readonly state: StateType;
  /** ISO-8601 instant. */
  readonly date: string;
}

/** Kestra's `State`: the current state and every change, oldest first. */
export interface State {
  current: StateType;
  histories: StateHistory[];
  /** First history date (ISO-8601). */
  startDate: string;
  /** Set once terminal (ISO-8601). */
  endDate?: string;
  /** ISO-8601 duration from start to end (or to now while running), as Kestra serialises it (`PT0.012S`). */
  duration?: string;
}

export interface TaskRunAttempt {
  state: State;
  /** The process that ran the attempt (the server's workers fill it; `local` for the CLI). */
  workerId?: string;
}

export interface TaskRun {
  readonly id: string;
  readonly executionId: string;
  readonly tenantId?: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly taskId: string;
  /** The flowable task run this one runs under. */
  readonly parentTaskRunId?: string;
  /** The loop value for ForEach/EachSequential/EachParallel children (a string, as in Kestra). */
  readonly value?: string;
  /** Kestra's `iteration` (ForEachItem, loops with restarts). */
  iteration?: number;
  attempts: TaskRunAttempt[];
  /**
   * Present, even when empty, on every task run but one (Kestra's worker always gives a map): absent
   * like Kestra's null where its executor never sets any (ForEachItem's `<id>_items` without batches).
   */
  outputs?: Record<string, unknown>;
  state: State;
}

export interface Label {
  readonly key: string;
  readonly value: string;
}

/** What started an execution (Kestra's `ExecutionTrigger`). */
export interface ExecutionTrigger {
  readonly id: string;
  readonly type: string;
  readonly variables?: Record<string, unknown>;
}

export interface Execution {
  readonly id: string;
  readonly tenantId?: string;
  readonly namespace: string;
  readonly flowId: string;
  flowRevision: number;
  /** In creation order. */
  taskRunList: TaskRun[];
  inputs: Record<string, unknown>;
  /** The flow's own `outputs:` once computed. */
  outputs?: Record<string, unknown>;
  labels: Label[];
  /** Kestra's execution-level `variables` (set by SetVariables). */
  variables?: Record<string, unknown>;
  state: State;
  /** The execution of the flow that started this one (Subflow). */
  parentId?: string;
  readonly originalId: string;
  trigger?: ExecutionTrigger;
  /** ISO-8601, for scheduled executions. */
  scheduleDate?: string;
  /**
   * Kestra's `ExecutionMetadata`, written on every execution created (attempt 1, created now); a
   * replay or a restart counts one more attempt and keeps the creation date. Absent on executions
   * stored before pebbleflow wrote it: attempt 1, created at `state.startDate`.
   */
  metadata?: ExecutionMetadata;
}

/** Kestra's `ExecutionMetadata`: which attempt of the execution this is (a retry chain's executions, restarts), from 1. */
export interface ExecutionMetadata {
  attemptNumber: number;
  /** ISO-8601: when the first execution was created (a retry's `maxDuration` counts from it). */
  originalCreatedDate: string;
}
