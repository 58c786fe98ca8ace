/**
 * A task type is one module: `defineTask({...})` declares its Kestra type name and aliases, its
 * properties (JSON Schema, default, whether rendered, how coerced), its outputs, the child task
 * lists a flowable holds, optional load-time checks, and `run`. The loader validates and walks
 * any flowable from this declaration alone, the runner runs it, and `pebbleflow schema` turns the
 * same declarations into the editor JSON Schema.
 */
import type { Execution, Label, StateType, TaskRun } from '../flow/execution.js';
import type { FlowProblemCode } from '../flow/errors.js';
import type { Flow, TaskNode } from '../flow/model.js';
import type { JsonSchema, LogLevel } from '../flow/schema.js';
import type { FetchLike } from './types.js';
import type { RunStorage } from '../storage/run-storage.js';
import type { FlowKV } from '../kv/kv-store.js';

/** How a property's rendered value is coerced before `run` sees it (`ctx.property(name)`). */
export type PropertyKind =
  | 'string'
  | 'boolean'
  | 'integer'
  | 'number'
  /** ISO-8601 / Java `Duration.parse` text → milliseconds. */
  | 'duration'
  /** A list, or a JSON text of one (what an expression renders to). */
  | 'list'
  /** A map, or a JSON text of one. */
  | 'map'
  /** Whatever the YAML (or the rendered value) holds. */
  | 'any';

export interface PropertyDefinition {
  /** Coercion of the rendered value, and the schema when `schema` is not given. */
  readonly kind?: PropertyKind;
  /** JSON Schema of the value as written in YAML (default: derived from `kind`, expressions allowed when dynamic). */
  readonly schema?: JsonSchema;
  /**
   * Rendered with the task run's context before the task reads it (Kestra's `dynamic = true` /
   * `Property<T>`): strings as templates, maps and lists deeply (keys too). Default `true`.
   */
  readonly dynamic?: boolean;
  /** Used when the flow leaves the property out (Kestra's `@Builder.Default`). */
  readonly default?: unknown;
  readonly required?: boolean;
  readonly description?: string;
  readonly deprecated?: boolean;
}

/** A property that holds tasks (flowable tasks). */
export interface ChildTasksDefinition {
  /**
   * `list`: a list of tasks (`tasks`, `then`, `errors`…); `cases`: a map of lists (Switch `cases`);
   * `dag`: a list of `{ task, dependsOn }` (Dag `tasks`). Default `list`.
   */
  readonly kind?: 'list' | 'cases' | 'dag';
  /** Must be present and not empty. */
  readonly required?: boolean;
  readonly description?: string;
}

export interface OutputDefinition {
  readonly kind?: PropertyKind | 'object';
  readonly description?: string;
}

/** Where a load-time check reports a problem; `path` is relative to the task (`['tasks', 2, 'dependsOn']`). */
export interface TaskCheckContext {
  problem(message: string, path?: readonly (string | number)[], code?: FlowProblemCode): void;
}

/** A task type, as `defineTask` takes it. */
export interface TaskDefinition {
  /** Canonical Kestra type name, e.g. `io.kestra.plugin.core.log.Log`. */
  readonly type: string;
  /** Older names that resolve to this type (Kestra's `@Plugin(aliases=…)`, the `io.kestra.core.tasks.*` names). */
  readonly aliases?: readonly string[];
  /** One line: what the task does. */
  readonly title?: string;
  /** Type-specific properties (the common ones — id, retry, runIf, timeout… — exist for every type). */
  readonly properties: Readonly<Record<string, PropertyDefinition>>;
  /** Names of required properties (in addition to those marked `required`). */
  readonly required?: readonly string[];
  readonly outputs?: Readonly<Record<string, OutputDefinition>>;
  /**
   * Child task lists; a type that declares any is flowable, and also gets Kestra's `errors` and
   * `finally` lists (run by `ctx.runChildren`).
   */
  readonly children?: Readonly<Record<string, ChildTasksDefinition>>;
  /**
   * The task reads the common `timeout` property itself (Pause: how long to wait for a resume), so
   * the runner does not apply it as the task run's time limit.
   */
  readonly ownsTimeout?: boolean;
  /** Checks that a schema cannot express (a Dag cycle…); called once the task and its children loaded. */
  check?(task: TaskNode, ctx: TaskCheckContext): void;
  run(context: TaskRunContext): Promise<TaskResult | void>;
}

/** Declares a task type (an identity function that checks the shape and keeps literal types). */
export function defineTask<const D extends TaskDefinition>(definition: D): D {
  return definition;
}

/** Child lists every flowable has, as in Kestra's `FlowableTask`. */
export const FLOWABLE_LISTS: Readonly<Record<string, ChildTasksDefinition>> = {
  errors: { description: 'Run when a task of this flowable failed.' },
  finally: { description: 'Run at the end, whatever the outcome.' },
};

/** Every child list of a definition, `errors` and `finally` included for flowables. */
export function childListsOf(definition: TaskDefinition): Readonly<Record<string, ChildTasksDefinition>> {
  const own = definition.children;
  if (own === undefined || Object.keys(own).length === 0) return {};
  return { ...own, ...FLOWABLE_LISTS, ...pick(own, Object.keys(FLOWABLE_LISTS)) };
}

function pick<T>(record: Readonly<Record<string, T>>, keys: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of keys) if (record[key] !== undefined) out[key] = record[key];
  return out;
}

const flowables = new WeakMap<TaskDefinition, boolean>();

/** Whether a type holds child tasks (computed once per definition: the runner asks for every task run). */
export function isFlowable(definition: TaskDefinition): boolean {
  let flowable = flowables.get(definition);
  if (flowable === undefined) {
    flowable = definition.children !== undefined && Object.keys(definition.children).length > 0;
    flowables.set(definition, flowable);
  }
  return flowable;
}

// ---------------------------------------------------------------------------------------------
// What `run` sees.
// ---------------------------------------------------------------------------------------------

/** One child to run: a task, and for loop children the loop value (Kestra's `ResolvedTask`). */
export interface ChildItem {
  readonly task: TaskNode;
  readonly value?: string;
  /**
   * The child's type when the flowable makes the child itself rather than reading it from the flow
   * (Kestra's internal tasks, such as ForEachItem's split, subflows and merge): used instead of
   * looking `task.type` up in the registry, so internal types stay out of the registry and the schema.
   */
  readonly definition?: TaskDefinition;
}

/**
 * How a flowable runs its children, each mode being one of Kestra's `FlowableUtils` resolvers:
 * - `sequential`: one after the other; nothing more starts after a failure (`resolveSequentialNexts`);
 * - `parallel`: up to `concurrency` at once, 0 = all; nothing new starts after a failure (`resolveParallelNexts`);
 * - `groups`: items grouped by value; up to `concurrency` groups at once, each group in order (`resolveConcurrentNexts`);
 * - `dag`: as parallel, each task once every task of its `dependsOn` ended (`resolveDagNexts`).
 * Then `errors` when a child failed (in the same mode), then `finally`.
 */
export interface ChildrenPlan {
  readonly tasks: readonly (TaskNode | ChildItem)[];
  readonly mode?: 'sequential' | 'parallel' | 'groups' | 'dag';
  /** For parallel, groups and dag: how many at once, 0 = no limit (default 0). */
  readonly concurrency?: number;
  /** Default: the task's own `errors` list. */
  readonly errors?: readonly TaskNode[];
  /** Default: the task's own `finally` list. */
  readonly finally?: readonly TaskNode[];
}

/** One log line of the execution, as log.Fetch stores it (Kestra's `LogEntry` fields). */
export interface ExecutionLogLine {
  readonly taskId?: string;
  readonly taskRunId?: string;
  readonly level: LogLevel;
  readonly message: string;
  readonly timestamp: string;
}

/**
 * A value shared by a flowable with every task run of its subtree (WorkingDirectory's folder…).
 * Looked up by key from the nearest ancestor that provided it.
 */
export interface TaskServices {
  provide(key: string | symbol, value: unknown): void;
  get<T>(key: string | symbol): T | undefined;
}

/** What the execution-level tasks (Labels, SetVariables, Exit…) may change. */
export interface ExecutionControl {
  /** Adds (or replaces by key) execution labels. */
  addLabels(labels: readonly Label[]): void;
  /** Merges variables into the execution's (deeply); later tasks see them under `vars`, over the flow's. */
  setVariables(variables: Readonly<Record<string, unknown>>, options?: { overwrite?: boolean }): void;
  /** Removes execution variables (dotted names reach into nested maps). */
  unsetVariables(names: readonly string[], options?: { ignoreMissing?: boolean }): void;
  /** Ends the execution now with this state: running task runs are killed, nothing else starts (Exit). */
  exit(state: Extract<StateType, 'SUCCESS' | 'WARNING' | 'FAILED' | 'KILLED' | 'CANCELLED'>): void;
}

/** A pause request: how a Pause waits, and whether it may wait for an outside resume. */
export interface PauseRequest {
  /** Resume by itself after this long (Pause `delay`). */
  readonly delayMs?: number;
  /** Fail when not resumed within this long (Pause `timeout`). */
  readonly timeoutMs?: number;
}

/** How a pause ended. */
export type PauseOutcome =
  { readonly resumed: true; readonly inputs: Readonly<Record<string, unknown>> } | { readonly resumed: false; readonly reason: 'timeout' };

/** A trigger a Toggle task enables or disables (in the execution's tenant). */
export interface TriggerToggleRequest {
  readonly namespace: string;
  readonly flowId: string;
  readonly triggerId: string;
  readonly enabled: boolean;
}

/** What toggling found: done, or the flow (as Subflow finds flows) or its trigger missing. */
export type TriggerToggleResult = 'toggled' | 'flow-not-found' | 'trigger-not-found';

/** A child flow run by a Subflow task. */
export interface SubflowRequest {
  readonly namespace: string;
  readonly flowId: string;
  readonly revision?: number;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly labels: readonly Label[];
  /** Wait for its end (default true); without waiting the child still runs to its end in this process. */
  readonly wait: boolean;
  readonly scheduleDate?: string;
  /** The `trigger.type` the child execution records (default: Subflow's type). */
  readonly triggerType?: string;
  /** Called once the child execution is created (its inputs read) and started, before it runs. */
  readonly onCreated?: (executionId: string) => void;
  /**
   * Values rendered in the child execution's context once it ended, when the child flow declares
   * no `outputs:` (Subflow's deprecated `outputs` property).
   */
  readonly outputs?: Readonly<Record<string, unknown>>;
  /**
   * With `wait`: `outputs` is the child flow's declared `outputs:` values rendered in its ended
   * context, untyped, whatever state it ended in but PAUSED (ForEachItem's
   * `createSubflowExecutionResult`); a render that fails gives `outputsError`.
   */
  readonly renderFlowOutputs?: boolean;
}

export interface SubflowResult {
  readonly executionId: string;
  readonly namespace: string;
  readonly flowId: string;
  /** The child's final state (its current state when not waited for). */
  readonly state: StateType;
  /** The child flow's `outputs:` (when waited for and it ended). */
  readonly outputs?: Readonly<Record<string, unknown>>;
  /** Why the outputs could not be rendered. */
  readonly outputsError?: string;
}

/**
 * A child execution created (its flow found, its inputs read and validated) but not started yet:
 * a task that starts several (ForEachItem) creates them all first, as Kestra's executor does, so
 * one that cannot be created starts none.
 */
export interface PreparedSubflow {
  readonly executionId: string;
  /** Starts it: resolves as `runSubflow` does. */
  start(): Promise<SubflowResult>;
  /** Drops it unstarted: nothing of it is stored. */
  discard(): Promise<void>;
}

export interface TaskRunContext {
  /** The task as loaded: properties unrendered, plugin defaults applied, children as task nodes. */
  readonly task: TaskNode;
  /** This task run (Kestra's shape; read-only: the runner owns it). */
  readonly taskRun: Readonly<TaskRun>;
  /** The execution (read-only view, outputs masked). */
  readonly execution: Readonly<Execution>;
  readonly flow: Flow;
  /** Aborted when the task times out, its parent ends, or the execution is killed. */
  readonly signal: AbortSignal;
  readonly fetch: FetchLike;
  /**
   * The process environment the run was given (`RunFlowOptions.env`, default `process.env`): for
   * the variables client libraries read themselves (`OPENAI_BASE_URL`). Never rendered nor logged.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Marks a value as secret for the rest of the run (Kestra's `@PluginProperty(secret = true)`): it
   * and its encoded forms are masked in logs, errors, outputs and reports. For passwords, tokens and
   * keys a task received, whether or not they came from `secret()`.
   */
  sensitive(value: string): void;
  /**
   * Kestra's `runContext.encrypt` as an EncryptedString output (`{type, value}`, AES/GCM under the
   * server key `server.encryptionKey`); templates read such an output decrypted. Fails without a key.
   */
  encrypt(plain: string): { readonly type: string; readonly value: string };
  /** The folder of flow files the run finds subflows in (`--flows`), when it is a folder: git.SyncFlows writes there. */
  readonly flowsDir: string | undefined;
  /** The template variables of this task run (flow, execution, taskrun, outputs, parents…). */
  readonly variables: Readonly<Record<string, unknown>>;
  /**
   * Renders one template with this task run's context (secrets and credentials resolved in the flow's
   * scope); `extraVariables` adds variables for this render only (a script's `workingDir`, an item).
   */
  render(template: string, extraVariables?: Readonly<Record<string, unknown>>): Promise<string>;
  /** The internal storage as this task run sees it: files it writes go under its prefix, reads are scope-checked. */
  readonly storage: RunStorage;
  /** The KV store as the flow's namespace sees it (its own namespace and parents). */
  readonly kv: FlowKV;
  /** The execution's log lines so far, oldest first, masked (for log.Fetch). */
  executionLogs(): readonly ExecutionLogLine[];
  /** Renders every string in a map or list (keys too), as Kestra's `renderObject`; `extraVariables` as for `render`. */
  renderValue(value: unknown, extraVariables?: Readonly<Record<string, unknown>>): Promise<unknown>;
  /** A declared property: rendered when dynamic, default applied, coerced to its kind (`undefined` when absent). */
  property<T = unknown>(name: string): Promise<T | undefined>;
  log(level: LogLevel, message: string): void;
  /** Outputs of this task run made visible before it ends (a flowable's children see them as `parent.outputs`). */
  setOutputs(outputs: Readonly<Record<string, unknown>>): void;
  /** Runs children as Kestra's flowables do (then `errors`, then `finally`); resolves to the derived state. */
  runChildren(plan: ChildrenPlan): Promise<StateType>;
  /** Runs tasks one after the other (older API: `runChildren({ tasks })` without errors/finally). */
  runTasks(tasks: readonly TaskNode[]): Promise<StateType>;
  /** Values shared with this task run's subtree. */
  readonly services: TaskServices;
  readonly executionControl: ExecutionControl;
  /** Waits for a resume (Pause). Without delay or timeout a CLI run ends PAUSED here and continues on `pebbleflow resume`. */
  pause(request: PauseRequest): Promise<PauseOutcome>;
  /** Starts a child flow found by namespace and id (Subflow). */
  runSubflow(request: SubflowRequest): Promise<SubflowResult>;
  /** Creates a child execution without starting it; throws as `runSubflow` would when it cannot be created. */
  prepareSubflow(request: SubflowRequest): Promise<PreparedSubflow>;
  /** Sets this task run's `iteration` (ForEachItem's `<id>_items`: the last batch reported, as Kestra's executor). */
  setIteration(iteration: number): void;
  /** Removes this task run's children from the execution and counts one more iteration (WaitFor's loop). */
  restartChildren(): void;
  /** Resumes a paused execution (Resume): fails when the run has no way to reach executions (`RunFlowOptions.executions`). */
  resumeExecution(request: { readonly executionId: string; readonly inputs: Readonly<Record<string, unknown>> }): Promise<void>;
  /** An execution by id: this one (masked view), or one the run can reach (`RunFlowOptions.executions.find`; the CLI's kept executions). */
  findExecution(executionId: string): Promise<Readonly<Execution> | undefined>;
  /**
   * An execution's log lines: this one's so far, or those of one the run can reach
   * (`RunFlowOptions.executions.logs`; the CLI's kept executions, the server's store). Undefined
   * when the execution is unknown; fails when the run cannot reach other executions at all.
   */
  findExecutionLogs(executionId: string): Promise<readonly ExecutionLogLine[] | undefined>;
  /** Enables or disables a flow's trigger (Toggle): fails when the run has no triggers (`RunFlowOptions.triggers`: the server's). */
  toggleTrigger(request: TriggerToggleRequest): Promise<TriggerToggleResult>;
}

export interface TaskResult {
  /** `null`: the task run has no outputs at all (Kestra's null, not an empty map). */
  readonly outputs?: Readonly<Record<string, unknown>> | null;
  /**
   * The task run's state. Flowables return the state `runChildren` derived; a plain task may
   * return WARNING (or FAILED without a log line); throwing fails it with the error's message.
   * `PAUSED` from a flowable means a child waits for a resume: the task run stays RUNNING.
   */
  readonly state?: StateType;
}
