/** A loaded, validated flow: the shape the runner executes. Plain readonly data. */
import type { InputType, LogLevel } from './schema.js';
import type { ConditionDefinition, TriggerDefinition } from './triggers.js';

export interface SourcePosition {
  readonly file?: string;
  readonly line: number;
  readonly column: number;
}

/** Kestra's retry (`AbstractRetry` and its constant, exponential and random forms). */
export interface RetryPolicy {
  readonly type: 'constant' | 'exponential' | 'random';
  /** Kestra's `maxAttempts` (older flows write `maxAttempt`; the loader reads both). */
  readonly maxAttempts?: number;
  /** @deprecated the older spelling, kept as written. */
  readonly maxAttempt?: number;
  readonly maxDuration?: string;
  readonly interval?: string;
  readonly maxInterval?: string;
  readonly minInterval?: string;
  readonly delayFactor?: number;
  readonly warningOnRetry?: boolean;
  /** `RETRY_FAILED_TASK` (default): new attempts of the failed task run; `CREATE_NEW_EXECUTION`: a new execution. */
  readonly behavior?: 'RETRY_FAILED_TASK' | 'CREATE_NEW_EXECUTION';
}

export interface TaskNode {
  readonly id: string;
  /** Canonical type (aliases resolved). */
  readonly type: string;
  /** The type as written in the YAML (may be an old alias). */
  readonly declaredType: string;
  /** Every property of the task as written (plugin defaults applied), unrendered. */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Child task lists of flowable tasks (`then`, `else`, `tasks`, `errors`, `finally`; a Dag's tasks in order). */
  readonly children: Readonly<Record<string, readonly TaskNode[]>>;
  /** Maps of child task lists (Switch `cases`): list name → case key → tasks, in YAML order. */
  readonly childMaps?: Readonly<Record<string, ReadonlyMap<string, readonly TaskNode[]>>>;
  /** For a task in a Dag's `tasks`: the ids it waits for. */
  readonly dependsOn?: readonly string[];
  readonly disabled: boolean;
  readonly allowFailure: boolean;
  readonly allowWarning: boolean;
  readonly runIf?: string;
  readonly timeout?: string;
  readonly retry?: RetryPolicy;
  readonly logLevel?: LogLevel;
  readonly position?: SourcePosition;
}

export interface InputDefinition {
  readonly id: string;
  readonly type: InputType;
  readonly required: boolean;
  readonly description?: string;
  readonly displayName?: string;
  readonly defaults?: unknown;
  /** Used when no value is given (in Kestra's UI, an editable default). */
  readonly prefill?: unknown;
  /** SELECT/MULTISELECT: the first choice when no value is given. */
  readonly autoSelectFirst?: boolean;
  readonly validator?: string;
  readonly min?: number | string;
  readonly max?: number | string;
  readonly after?: string;
  readonly before?: string;
  readonly values?: readonly string[];
  readonly expression?: string;
  readonly allowCustomValue?: boolean;
  readonly itemType?: InputType;
  readonly dependsOn?: { readonly inputs?: readonly string[]; readonly condition?: string };
  readonly position?: SourcePosition;
}

export interface FlowOutputDefinition {
  readonly id: string;
  readonly type: InputType;
  readonly value: unknown;
  readonly required: boolean;
}

/** Kestra's flow `concurrency`. */
export interface ConcurrencyLimit {
  readonly limit: number;
  readonly behavior: 'QUEUE' | 'CANCEL' | 'FAIL';
}

/** Kestra's flow `sla`: MAX_DURATION (watched while the execution runs) or EXECUTION_ASSERTION (checked at every change). */
export interface SlaDefinition {
  readonly id: string;
  readonly type: 'MAX_DURATION' | 'EXECUTION_ASSERTION';
  readonly behavior: 'FAIL' | 'CANCEL' | 'NONE';
  /** MAX_DURATION: ISO-8601. */
  readonly duration?: string;
  /** EXECUTION_ASSERTION: a template that must render truthy. */
  readonly assert?: string;
  /** Added to the execution when the SLA is violated. */
  readonly labels: readonly { readonly key: string; readonly value: string }[];
}

/** Kestra's flow `checks` (1.2+): asserted with the inputs before an execution is created. */
export interface FlowCheck {
  readonly condition: string;
  readonly message: string;
  readonly style: 'ERROR' | 'SUCCESS' | 'WARNING' | 'INFO';
  readonly behavior: 'BLOCK_EXECUTION' | 'FAIL_EXECUTION' | 'CREATE_EXECUTION';
}

/**
 * Kestra's (deprecated) flow `listeners`: once the execution ended, the tasks of every listener
 * whose conditions hold on it run one after the other; they do not change its state.
 */
export interface ListenerDefinition {
  readonly description?: string;
  /** All must hold on the ended execution; none: always. */
  readonly conditions: readonly ConditionDefinition[];
  readonly tasks: readonly TaskNode[];
}

export interface Flow {
  readonly id: string;
  readonly namespace: string;
  readonly revision?: number;
  readonly description?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly inputs: readonly InputDefinition[];
  /** `vars.*`: kept raw, as Kestra does (no recursive rendering). */
  readonly variables: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskNode[];
  readonly errors: readonly TaskNode[];
  readonly finally: readonly TaskNode[];
  /** Run once the execution ended (Kestra's `afterExecution`); they do not change its state. */
  readonly afterExecution: readonly TaskNode[];
  /** Deprecated in Kestra, still run: see ListenerDefinition. */
  readonly listeners: readonly ListenerDefinition[];
  readonly outputs: readonly FlowOutputDefinition[];
  /** Flow-level retry: used by a failed task that has none (nor a flowable parent with one). */
  readonly retry?: RetryPolicy;
  readonly concurrency?: ConcurrencyLimit;
  readonly sla: readonly SlaDefinition[];
  readonly checks: readonly FlowCheck[];
  readonly disabled: boolean;
  /** As written; the server arms the supported ones (a local run fires none). */
  readonly triggers: readonly TriggerDefinition[];
  /** The file it was loaded from, when it was. */
  readonly file?: string;
}
