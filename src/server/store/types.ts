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

export interface ExecutionStore {
  /** Insert or replace (the latest call wins; calls for one execution are applied in order). */
  save(execution: Execution): Promise<void>;
  /** Insert only: false when the id exists (two processes agreeing on who created it). */
  create(execution: Execution): Promise<boolean>;
  get(tenant: string, id: string): Promise<Execution | undefined>;
  search(tenant: string, query: ExecutionQuery): Promise<Paged<Execution>>;
  /** Executions not yet terminated (to resume after a restart). */
  unfinished(tenant: string): Promise<Execution[]>;
  delete(tenant: string, id: string): Promise<boolean>;

  appendLogs(tenant: string, executionId: string, records: readonly LogRecord[]): Promise<void>;
  logs(tenant: string, executionId: string): Promise<LogRecord[]>;
  deleteLogs(tenant: string, executionId: string): Promise<void>;

  getTrigger(tenant: string, uid: string): Promise<TriggerState | undefined>;
  saveTrigger(state: TriggerState): Promise<void>;
  deleteTrigger(tenant: string, uid: string): Promise<void>;
  listTriggers(tenant: string): Promise<TriggerState[]>;

  /** Waits for pending writes. */
  close(): Promise<void>;
}
