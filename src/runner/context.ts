/**
 * The template variables of a task run, as Kestra's `RunVariables` builds them: flow, execution,
 * task, taskrun, parents/parent, inputs, outputs (nested by loop value), tasks (states), vars,
 * labels, envs, globals, trigger, and execution variables set by SetVariables.
 *
 * `outputs` and `tasks` are kept up to date incrementally (one assignment per task run end), not
 * recomputed from the task-run list as Kestra does on every context, so a run stays linear in the
 * number of task runs.
 */
import { copyKeyOrder } from '../engine/map-order.js';
import type { Label, StateType, TaskRun } from '../flow/execution.js';

/** Where a task run's outputs go in `outputs`: Kestra's `Execution.outputs()` for one task run. */
export function placeOutputs(
  outputs: Record<string, unknown>,
  taskId: string,
  parentValues: readonly string[],
  value: string | undefined,
  values: Readonly<Record<string, unknown>>,
): void {
  if (parentValues.length === 0 && value === undefined) {
    outputs[taskId] = values;
    return;
  }
  let current = child(outputs, taskId);
  for (const v of parentValues) current = child(current, v);
  if (value === undefined) Object.assign(current, values);
  else current[value] = values;
}

function child(map: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = map[key];
  if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) return existing as Record<string, unknown>;
  const created: Record<string, unknown> = {};
  map[key] = created;
  return created;
}

/** Kestra's `tasks` variable: `tasks.<id>.state`, or `tasks.<id>.<value>.state` for loop children. */
export function placeState(tasks: Record<string, unknown>, taskRun: Pick<TaskRun, 'taskId' | 'value'>, state: StateType): void {
  if (taskRun.value === undefined) {
    const current = tasks[taskRun.taskId] as { state?: StateType } | undefined;
    if (current !== undefined && typeof current === 'object' && 'state' in current) current.state = state;
    else tasks[taskRun.taskId] = { state };
    return;
  }
  const existing = tasks[taskRun.taskId];
  const map =
    existing !== null && typeof existing === 'object' && !('state' in existing)
      ? (existing as Record<string, unknown>)
      : (tasks[taskRun.taskId] = {} as Record<string, unknown>);
  map[taskRun.value] = { state };
}

/** Kestra's `labels` variable: a map, the first of duplicate keys kept; `system.x` becomes `labels.system.x`. */
export function labelsVariable(labels: readonly Label[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of labels) {
    if (key.startsWith('system.')) {
      const system = (out.system ??= {}) as Record<string, unknown>;
      const name = key.slice('system.'.length);
      if (!(name in system)) system[name] = value;
    } else if (!(key in out)) {
      out[key] = value;
    }
  }
  return out;
}

/** What `taskrun` shows of a task run. */
export function taskRunVariable(taskRun: TaskRun, attemptsCount: number): Record<string, unknown> {
  const out: Record<string, unknown> = { id: taskRun.id, startDate: taskRun.state.startDate, attemptsCount };
  if (taskRun.parentTaskRunId !== undefined) out.parentId = taskRun.parentTaskRunId;
  if (taskRun.value !== undefined) out.value = taskRun.value;
  if (taskRun.iteration !== undefined) out.iteration = taskRun.iteration;
  return out;
}

/**
 * A deep copy of plain data (maps, lists, scalars), much cheaper than `structuredClone` for the
 * many small objects of an execution. Anything else (Dates, class instances) is kept as it is.
 */
export function clonePlain<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object' || depth > 200) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = clonePlain(value[i] as unknown, depth + 1);
    return out as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = clonePlain((value as Record<string, unknown>)[key], depth + 1);
  // A map the engine parsed (an HTTP body, a JSON input) keeps its Java key order.
  return copyKeyOrder(value, out) as T;
}
