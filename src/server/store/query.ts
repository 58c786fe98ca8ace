/** Execution search as Kestra's repository does it, over small summaries kept by both stores. */
import type { Execution, StateType } from '../../runner/execution.js';
import type { ExecutionQuery } from './types.js';

/** What search needs of an execution, small enough to keep in memory for every one. */
export interface ExecutionSummary {
  readonly id: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly state: StateType;
  readonly startDate: string;
  readonly endDate?: string;
  readonly labels: readonly { readonly key: string; readonly value: string }[];
  readonly triggerExecutionId?: string;
  /** A RETRIED execution whose retry has not created its new execution yet (`delayedRetry`). */
  readonly retryPending?: true;
}

export function summarize(e: Execution): ExecutionSummary {
  const triggerExecutionId = e.trigger?.variables?.['executionId'];
  return {
    id: e.id,
    namespace: e.namespace,
    flowId: e.flowId,
    state: e.state.current,
    startDate: e.state.startDate,
    ...(e.state.endDate === undefined ? {} : { endDate: e.state.endDate }),
    labels: e.labels.map((l) => ({ key: l.key, value: l.value })),
    ...(typeof triggerExecutionId === 'string' ? { triggerExecutionId } : {}),
    ...((e as { delayedRetry?: unknown }).delayedRetry === undefined ? {} : { retryPending: true }),
  };
}

export function matches(s: ExecutionSummary, q: ExecutionQuery): boolean {
  if (q.namespace !== undefined && s.namespace !== q.namespace && !s.namespace.startsWith(`${q.namespace}.`)) return false;
  if (q.flowId !== undefined && s.flowId !== q.flowId) return false;
  if (q.states !== undefined && q.states.length > 0 && !q.states.includes(s.state)) return false;
  if (q.triggerExecutionId !== undefined && s.triggerExecutionId !== q.triggerExecutionId) return false;
  if (q.startDate !== undefined && Date.parse(s.startDate) < q.startDate.getTime()) return false;
  if (q.endDate !== undefined && Date.parse(s.startDate) > q.endDate.getTime()) return false;
  if (q.labels !== undefined) {
    for (const [key, value] of Object.entries(q.labels)) if (!s.labels.some((l) => l.key === key && l.value === value)) return false;
  }
  if (q.q !== undefined && q.q !== '') {
    const needle = q.q.toLowerCase();
    const haystack = [s.id, s.namespace, s.flowId, ...s.labels.map((l) => `${l.key}:${l.value}`)];
    if (!haystack.some((h) => h.toLowerCase().includes(needle))) return false;
  }
  return true;
}

const SORT_FIELDS: Readonly<Record<string, (s: ExecutionSummary) => string>> = {
  'state.startDate': (s) => s.startDate,
  startDate: (s) => s.startDate,
  'state.endDate': (s) => s.endDate ?? '',
  endDate: (s) => s.endDate ?? '',
  'state.current': (s) => s.state,
  state: (s) => s.state,
  namespace: (s) => s.namespace,
  flowId: (s) => s.flowId,
  id: (s) => s.id,
};

/** Kestra's `sort=field:asc|desc` list; unknown fields are ignored; default newest first. */
export function comparator(sort: readonly string[] | undefined): (a: ExecutionSummary, b: ExecutionSummary) => number {
  const keys = (sort ?? [])
    .map((entry) => {
      const [field = '', dir = 'asc'] = entry.split(':');
      const get = SORT_FIELDS[field];
      return get === undefined ? undefined : { get, sign: dir.toLowerCase() === 'desc' ? -1 : 1 };
    })
    .filter((k): k is { get: (s: ExecutionSummary) => string; sign: number } => k !== undefined);
  if (keys.length === 0) keys.push({ get: (s) => s.startDate, sign: -1 });
  return (a, b) => {
    for (const k of keys) {
      const x = k.get(a);
      const y = k.get(b);
      if (x !== y) return x < y ? -k.sign : k.sign;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

/** Filters, sorts and pages summaries; returns the page's ids and the total. */
export function pageOf(all: Iterable<ExecutionSummary>, q: ExecutionQuery): { ids: string[]; total: number } {
  const hits = [...all].filter((s) => matches(s, q)).sort(comparator(q.sort));
  const from = (q.page - 1) * q.size;
  return { ids: hits.slice(from, from + q.size).map((s) => s.id), total: hits.length };
}
