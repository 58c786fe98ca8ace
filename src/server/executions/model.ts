/**
 * Building and moving executions in Kestra's shape: a new execution is CREATED with its inputs,
 * labels and trigger; each state change appends to `state.histories`; terminal states set the end
 * date and duration. What the API returns adds Kestra's `deleted` flag and never the encrypted
 * SECRET inputs kept beside the execution.
 */
import { randomBytes } from 'node:crypto';
import { formatJavaDuration } from '../../flow/duration.js';
import type { Flow } from '../../flow/model.js';
import {
  isTerminal,
  type Execution,
  type ExecutionTrigger,
  type Label,
  type State,
  type StateType,
  type TaskRun,
} from '../../runner/execution.js';

/** An execution as stored: Kestra's shape plus SECRET input values, encrypted, for the worker that runs it. */
export interface StoredExecution extends Execution {
  /** Input id → AES-256-GCM ciphertext (base64). Never returned by the API. */
  readonly secretInputs?: Readonly<Record<string, string>>;
  /**
   * On a RETRIED execution whose `CREATE_NEW_EXECUTION` retry has not made its new execution yet:
   * Kestra's `ExecutionDelay` (`RESTART_FAILED_FLOW`), kept with the RETRIED state so that a server
   * that restarts meanwhile still creates it (once: the id is chosen). Never returned by the API.
   */
  readonly delayedRetry?: DelayedRetry;
  /**
   * While task runs of this execution wait for subflow executions that did not end in its run (a
   * child paused): task run id → the ids of the executions it made, in order. The execution stays
   * RUNNING (as Kestra shows it) and is continued once one of them ends. Never returned by the API.
   */
  readonly subflowWaits?: Readonly<Record<string, SubflowWait>>;
}

/** What one task run waits for. */
export interface SubflowWait {
  /** Every execution the task run made, in order (a ForEachItem's batches): a later run takes them back. */
  readonly children: readonly string[];
  /** Those that had not ended: the end of one of them continues the execution. */
  readonly waiting: readonly string[];
}

/** Waiting for subflow executions only: RUNNING, no job of its own until a child ends. */
export function isWaitingForSubflows(e: StoredExecution): boolean {
  return e.state.current === 'RUNNING' && e.subflowWaits !== undefined && Object.keys(e.subflowWaits).length > 0;
}

/** The child executions it waits for. */
export function waitedSubflows(e: StoredExecution): string[] {
  return [...new Set(Object.values(e.subflowWaits ?? {}).flatMap((w) => w.waiting))];
}

/** When, and with which id, a RETRIED execution's new execution is created. */
export interface DelayedRetry {
  readonly executionId: string;
  /** ISO-8601. */
  readonly date: string;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A Kestra-like id: 22 base62 characters. */
export function newExecutionId(): string {
  let out = '';
  for (const byte of randomBytes(22)) out += BASE62[byte % 62];
  return out;
}

export function newState(state: StateType = 'CREATED', at = new Date()): State {
  const date = at.toISOString();
  return { current: state, histories: [{ state, date }], startDate: date };
}

/** The state after a change (same state twice is a no-op, as Kestra's `withState`). */
export function withState(state: State, next: StateType, at = new Date()): State {
  if (state.current === next) return state;
  const date = at.toISOString();
  const out: State = { ...state, current: next, histories: [...state.histories, { state: next, date }] };
  if (isTerminal(next)) {
    out.endDate = date;
    out.duration = formatJavaDuration(at.getTime() - Date.parse(state.startDate));
  } else {
    delete out.endDate;
    delete out.duration;
  }
  return out;
}

/** Flow labels (system labels excluded, as Kestra's LabelService) then the given ones, later keys winning. */
export function mergeLabels(flow: Flow, extra: readonly Label[] = []): Label[] {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(flow.labels)) if (!key.startsWith('system.')) out.set(key, value);
  for (const l of extra) out.set(l.key, l.value);
  return [...out].map(([key, value]) => ({ key, value }));
}

/** Kestra labels every new execution with `system.correlationId` (its own id unless one was given). */
function withCorrelationId(labels: Label[], id: string): Label[] {
  return labels.some((l) => l.key === 'system.correlationId') ? labels : [...labels, { key: 'system.correlationId', value: id }];
}

export interface NewExecution {
  readonly tenant: string;
  readonly flow: Flow;
  readonly inputs: Record<string, unknown>;
  readonly labels?: readonly Label[];
  readonly trigger?: ExecutionTrigger;
  readonly id?: string;
  readonly scheduleDate?: string;
  readonly secretInputs?: Readonly<Record<string, string>>;
  readonly parentId?: string;
  /** Kestra's execution `variables` (a schedule sets `schedule`). */
  readonly variables?: Record<string, unknown>;
}

export function newExecution(n: NewExecution): StoredExecution {
  const id = n.id ?? newExecutionId();
  const state = newState();
  return {
    id,
    tenantId: n.tenant,
    namespace: n.flow.namespace,
    flowId: n.flow.id,
    flowRevision: n.flow.revision ?? 1,
    taskRunList: [],
    inputs: n.inputs,
    labels: withCorrelationId(mergeLabels(n.flow, n.labels), id),
    state,
    originalId: id,
    ...(n.trigger === undefined ? {} : { trigger: n.trigger }),
    // Kestra's Execution.builder() writes it on every execution it builds.
    metadata: { attemptNumber: 1, originalCreatedDate: state.startDate },
    ...(n.scheduleDate === undefined ? {} : { scheduleDate: n.scheduleDate }),
    ...(n.parentId === undefined ? {} : { parentId: n.parentId }),
    ...(n.variables === undefined ? {} : { variables: n.variables }),
    ...(n.secretInputs === undefined || Object.keys(n.secretInputs).length === 0 ? {} : { secretInputs: n.secretInputs }),
  };
}

/** Kestra's JSON of an execution (its API adds `deleted`; the encrypted SECRET inputs and a pending retry stay inside). */
export function toApiExecution(e: StoredExecution): Record<string, unknown> {
  const { secretInputs: _s, delayedRetry: _d, subflowWaits: _w, ...rest } = e;
  return { ...rest, deleted: false };
}

/** Kestra's `TaskRun` JSON. */
export function toApiTaskRun(t: TaskRun): Record<string, unknown> {
  return { ...t };
}

/** `key:value` query labels (Kestra's RequestUtils.toMap: the first colon splits). */
export function parseLabelParams(values: readonly string[]): Label[] {
  const out: Label[] = [];
  for (const v of values) {
    const i = v.indexOf(':');
    if (i <= 0) throw new TypeError(`Invalid label \`${v}\`: expected key:value`);
    out.push({ key: v.slice(0, i), value: v.slice(i + 1) });
  }
  return out;
}
