/**
 * What the server keeps: executions (Kestra's `Execution` shape), their log lines (Kestra's
 * `LogEntry`), and the state of each trigger. Two implementations: files under `.pebbleflow/`
 * (embedded mode) and Redis (scale-out mode, shared by the server and every worker).
 */
import type { Execution, StateType } from '../../runner/execution.js';
import type { LogLevel } from '../../flow/schema.js';

/** Kestra's `LogEntry` as its API returns it. */
export interface LogRecord {
  readonly tenantId?: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly executionId: string;
  readonly taskId?: string;
  readonly taskRunId?: string;
  readonly attemptNumber?: number;
  readonly triggerId?: string;
  readonly timestamp: string;
  readonly level: LogLevel;
  readonly thread?: string;
  /** Already masked. */
  readonly message: string;
}

export interface ExecutionQuery {
  /** Prefix match on the namespace (Kestra: `namespace` filters `ns` and `ns.*`). */
  readonly namespace?: string;
  readonly flowId?: string;
  readonly states?: readonly StateType[];
  /** Every label must be present with this value. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Free text on id, namespace, flow id and labels. */
  readonly q?: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  readonly triggerExecutionId?: string;
  /** 1-based. */
  readonly page: number;
  readonly size: number;
  /** `field:asc|desc`; default start date, newest first. */
  readonly sort?: readonly string[];
}

export interface Paged<T> {
  readonly results: T[];
  readonly total: number;
}

/** Kestra's `Trigger` context: when a schedule last fired and when it fires next. */
export interface TriggerState {
  readonly tenantId: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly triggerId: string;
  /** The schedule date of the last evaluation (ISO-8601). */
  readonly date?: string;
  readonly nextExecutionDate?: string;
  /** The cron the dates were computed for: a changed cron starts afresh. */
  readonly fingerprint?: string;
  readonly disabled?: boolean;
  readonly updatedDate: string;
}

export const triggerUid = (t: { tenantId: string; namespace: string; flowId: string; triggerId: string }): string =>
  `${t.tenantId}_${t.namespace}_${t.flowId}_${t.triggerId}`;

/**
 * Kestra's `MultipleConditionWindow`: the results of a multiple condition (a Flow trigger's
 * `preconditions`, a MultipleCondition) gathered from executions within one time window. One per
 * flow and condition id (`windowUid`). Dates are UTC ISO-8601 with milliseconds (they compare as text).
 */
export interface ConditionWindow {
  readonly tenantId: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly conditionId: string;
  readonly start: string;
  readonly end: string;
  readonly results: Readonly<Record<string, boolean>>;
}

export const windowUid = (w: { tenantId: string; namespace: string; flowId: string; conditionId: string }): string =>
  `${w.tenantId}_${w.namespace}_${w.flowId}_${w.conditionId}`;

/** One execution's evaluation of a multiple condition (see `evaluateWindow` in triggers/multiple-conditions.ts). */
export interface WindowEvaluation {
  /** The window that starts now if the stored one is missing or no longer valid (empty results). */
  readonly fresh: ConditionWindow;
  /** ISO-8601 (UTC, milliseconds). */
  readonly now: string;
  /** Keys of the conditions this execution satisfies. */
  readonly matched: readonly string[];
  /** Keys of all the conditions. */
  readonly keys: readonly string[];
  readonly resetOnSuccess: boolean;
}

export interface ExecutionStore {
  /** Insert or replace (the latest call wins; calls for one execution are applied in order). */
  save(execution: Execution): Promise<void>;
  /** Insert only: false when the id exists (two processes agreeing on who created it). */
  create(execution: Execution): Promise<boolean>;
  get(tenant: string, id: string): Promise<Execution | undefined>;
  search(tenant: string, query: ExecutionQuery): Promise<Paged<Execution>>;
  /** Executions not yet terminated, and RETRIED ones whose retry is still to create its new execution (to resume after a restart). */
  unfinished(tenant: string): Promise<Execution[]>;
  delete(tenant: string, id: string): Promise<boolean>;

  appendLogs(tenant: string, executionId: string, records: readonly LogRecord[]): Promise<void>;
  logs(tenant: string, executionId: string): Promise<LogRecord[]>;
  deleteLogs(tenant: string, executionId: string): Promise<void>;

  getTrigger(tenant: string, uid: string): Promise<TriggerState | undefined>;
  saveTrigger(state: TriggerState): Promise<void>;
  deleteTrigger(tenant: string, uid: string): Promise<void>;
  listTriggers(tenant: string): Promise<TriggerState[]>;

  /**
   * Records one evaluation of a multiple condition in its window and says whether all its
   * conditions are now met, as one step (no concurrent evaluation is lost): a met window with
   * `resetOnSuccess` is deleted in the same step.
   */
  evaluateConditionWindow(evaluation: WindowEvaluation): Promise<boolean>;
  listConditionWindows(tenant: string): Promise<ConditionWindow[]>;
  /** Deletes the windows that ended before `now` (ISO-8601); how many. */
  deleteExpiredConditionWindows(tenant: string, now: string): Promise<number>;

  /** Waits for pending writes. */
  close(): Promise<void>;
}
