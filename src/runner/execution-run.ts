/**
 * One execution being run: Kestra's executor and worker folded into one structured async walk of
 * the flow. Every task run is a `TaskRun` in `execution.taskRunList` (flowables have their own,
 * children point to it, loop children carry their value); flowables run their children through
 * `runChildren`, whose modes are Kestra's `FlowableUtils` resolvers; a flowable's state is derived
 * as `guessFinalState` does. A saved execution can be continued: terminal task runs are reused
 * (their outputs feed the context), a PAUSED one is resumed, a RUNNING one gets a new attempt.
 *
 * Cancellation: each task run has an AbortController whose signal hangs off its parent's, so a
 * flowable's timeout or end, an Exit, or killing the execution reaches every descendant; nothing
 * starts once its parent's signal is aborted, and killed task runs end KILLED.
 */
import { decryptedOutputs, encryptedString, holdsEncrypted, type EncryptedString } from './encrypted-outputs.js';
import { setMaxListeners } from 'node:events';
import type { RenderScope } from '../engine/extension.js';
import { formatJavaDuration, parseDuration } from '../flow/duration.js';
import { isTerminal, type Execution, type Label, type StateType, type TaskRun, type TaskRunAttempt } from '../flow/execution.js';
import { coerceInput } from '../flow/inputs.js';
import { conditionFailedMessage, listenerHolds } from '../flow/conditions.js';
import type { Flow, ListenerDefinition, RetryPolicy, SlaDefinition, TaskNode } from '../flow/model.js';
import { LOG_LEVELS, type LogLevel } from '../flow/schema.js';
import { coerceProperty, isTruthy } from '../tasks/coerce.js';
import {
  childListsOf,
  isFlowable,
  type ChildItem,
  type ChildrenPlan,
  type ExecutionControl,
  type PauseOutcome,
  type PauseRequest,
  type SubflowRequest,
  type TriggerToggleRequest,
  type TriggerToggleResult,
  type PreparedSubflow,
  type SubflowResult,
  type TaskDefinition,
  type TaskRunContext,
  type TaskServices,
  type ExecutionLogLine,
} from '../tasks/definition.js';
import type { TaskRegistry } from '../tasks/registry.js';
import { TaskError, type FetchLike } from '../tasks/types.js';
import { clonePlain, labelsVariable, placeOutputs, placeState, taskRunVariable } from './context.js';
import { ExecutionRuntime } from './functions.js';
import type { ExecutionFiles } from './files.js';
import type { RunStorage } from '../storage/run-storage.js';
import type { FlowKV } from '../kv/kv-store.js';
import { newId } from './ids.js';
import type { Masker } from './masking.js';
import { applyAllowances, guessFinalState, lastDate, newState, transition } from './state.js';
import { NO_STORE, type ExecutionStore } from './store.js';
import type { FlowEngine, LogEntry, RunEvent, RunFlowOptions, TaskRunReport } from './types.js';

const SEVERITY: Record<LogLevel, number> = Object.fromEntries(LOG_LEVELS.map((l, i) => [l, i])) as Record<LogLevel, number>;

/** Why a task run's signal was aborted. */
export class Interruption extends TaskError {
  readonly kind: 'KILLED' | 'TIMEOUT' | 'PARENT_ENDED' | 'EXIT';
  constructor(kind: Interruption['kind'], message: string) {
    super(kind === 'TIMEOUT' ? 'TIMEOUT' : 'KILLED', message);
    this.kind = kind;
  }
}

/** Reasons shared by every abort of their kind (an Error's stack trace costs more than the rest of a task run). */
const PARENT_ENDED = new Interruption('PARENT_ENDED', 'Parent task run ended');
const KILLED_REASON = new Interruption('KILLED', 'Execution killed');

/** Kestra's `TimeoutExceededException` text: `Timeout after HH:mm:ss.SSS`. */
export function timeoutMessage(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const milli = Math.floor(ms % 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `Timeout after ${two(h)}:${two(m)}:${two(s)}.${String(milli).padStart(3, '0')}`;
}

/** A task run in progress. */
const WORKING_DIRECTORY = 'io.kestra.plugin.core.flow.WorkingDirectory';

interface Frame {
  readonly node: TaskNode;
  readonly def: TaskDefinition;
  readonly taskRun: TaskRun;
  readonly parent: Frame | undefined;
  readonly depth: number;
  readonly branch: string;
  /** Values of the ancestors that carry one, outermost first (where this task run's outputs go). */
  readonly parentValues: readonly string[];
  /**
   * The task run's signal. A flowable has its own controller (its end or timeout aborts its
   * children); a plain task uses its parent's signal (a timeout gets a controller per attempt).
   */
  readonly signal: AbortSignal;
  readonly controller: AbortController | undefined;
  /** The render scope of this task run's signal, made once. */
  scope: RenderScope | undefined;
  /** A scope its children share when they run on one signal. */
  childScope?: RenderScope;
  /** Unmasked outputs (what templates see). */
  rawOutputs: Record<string, unknown> | undefined;
  services: Map<string | symbol, unknown> | undefined;
  /** Set once this task run ended; children do not start after. */
  ended: boolean;
}

/** The outcome of a list of children. */
interface ListOutcome {
  /** Final states of the task runs created (or reused) for these items; PAUSED for one waiting. */
  readonly states: StateType[];
  readonly failed: boolean;
  /** Children still running when the list gave up (after a failure): they are aborted at the flowable's end. */
  readonly running: Promise<unknown>[];
}

/** Sentinel: a Pause without duration in a run that cannot wait (it ends PAUSED and continues on resume). */
class Suspend extends Error {}

/**
 * Sentinel: a waited subflow execution did not end in this run (`RunFlowOptions.subflowWaits`).
 * The task run stays RUNNING, as Kestra shows it while the child runs; a later run takes the result.
 */
export class SubflowWaiting extends Suspend {
  constructor(readonly childId: string) {
    super(`Waiting for the subflow execution ${childId}`);
  }
}

export interface ExecutionRunParams {
  readonly flow: Flow;
  readonly execution: Execution;
  readonly registry: TaskRegistry;
  readonly engine: FlowEngine;
  readonly scope: RenderScope;
  readonly masker: Masker;
  readonly store: ExecutionStore;
  readonly options: RunFlowOptions;
  /** The base variables every task sees (flow, vars, inputs, envs, globals…), without outputs/tasks/labels/execution. */
  readonly base: Record<string, unknown>;
  /** Inputs given to `resume` for the paused task runs (Pause `onResume`). */
  readonly resumeInputs?: Readonly<Record<string, unknown>>;
  /** Unmasked outputs of earlier task runs (a resumed execution only has the masked ones). */
  readonly logs: LogEntry[];
  /** Creates a child execution (not started: see PreparedSubflow). */
  readonly prepareSubflow: (
    request: SubflowRequest,
    parent: { execution: Execution; taskRun: TaskRun; signal: AbortSignal },
  ) => Promise<PreparedSubflow>;
  /** The execution's storage and KV store. */
  readonly files: ExecutionFiles;
}

export class ExecutionRun {
  readonly flow: Flow;
  readonly execution: Execution;
  readonly logs: LogEntry[];
  readonly #p: ExecutionRunParams;
  readonly #engine: FlowEngine;
  readonly #masker: Masker;
  readonly #store: ExecutionStore;
  readonly #emitEvents: boolean;
  /** Task runs by `parentTaskRunId|taskId|value` (the latest one), to reuse them on resume. */
  readonly #index = new Map<string, TaskRun>();
  /** Report-only facts about task runs (type, depth, branch, error). */
  readonly #meta = new Map<string, { type: string; depth: number; branch: string; error?: string }>();
  readonly #outputs: Record<string, unknown> = {};
  /** True once an output holds an EncryptedString: templates then read `outputs` decrypted. */
  #encryptedOutputs = false;
  /** `outputs` decrypted, until the next output changes it. */
  #decryptedView: Record<string, unknown> | undefined;
  readonly #tasks: Record<string, unknown> = {};
  readonly #executionVar: Record<string, unknown>;
  #labelsVar: Record<string, unknown>;
  /** Execution variables (SetVariables), unmasked. */
  #variables: Record<string, unknown>;
  /** `vars`: the flow's variables with the execution's merged over them. */
  #varsVar: Record<string, unknown>;
  readonly #root: AbortController = new AbortController();
  readonly #runtime: ExecutionRuntime;
  readonly #fetch: FetchLike;
  readonly #workerId: string;
  #exitState: StateType | undefined;
  #newExecutionDelay: number | undefined;
  #nextExecutionId: string | undefined;
  #pausedCount = 0;
  readonly #resumeInputs: Readonly<Record<string, unknown>> | undefined;
  readonly #branchCache = new WeakMap<TaskNode, Map<TaskNode, string>>();
  readonly #background: Promise<unknown>[] = [];
  #rootScope: RenderScope | undefined;

  constructor(params: ExecutionRunParams) {
    this.#p = params;
    this.flow = params.flow;
    this.#assertions = params.flow.sla.filter((s) => s.type === 'EXECUTION_ASSERTION' && s.assert !== undefined);
    this.execution = params.execution;
    this.logs = params.logs;
    this.#engine = params.engine;
    this.#masker = params.masker;
    this.#store = params.store;
    this.#emitEvents = params.options.onEvent !== undefined;
    this.#fetch = params.options.fetch ?? globalThis.fetch;
    this.#workerId = params.options.workerId ?? 'local';
    this.#resumeInputs = params.resumeInputs;
    const execution = params.execution;
    this.#executionVar = {
      id: execution.id,
      startDate: execution.state.startDate,
      originalId: execution.originalId,
      state: execution.state.current,
    };
    this.#labelsVar = labelsVariable(execution.labels);
    this.#variables = clonePlain(execution.variables ?? {});
    this.#varsVar = deepMerge(params.flow.variables, this.#variables);
    this.#runtime = new ExecutionRuntime(
      this.logs,
      { namespace: execution.namespace, flowId: execution.flowId, executionId: execution.id },
      params.files,
    );
    // A continued execution: index its task runs and rebuild `outputs` and `tasks` from them.
    const byId = new Map<string, TaskRun>();
    for (const taskRun of execution.taskRunList) {
      byId.set(taskRun.id, taskRun);
      this.#index.set(indexKey(taskRun.parentTaskRunId, taskRun.taskId, taskRun.value), taskRun);
      placeState(this.#tasks, taskRun, taskRun.state.current);
      if (taskRun.outputs !== undefined && Object.keys(taskRun.outputs).length > 0) {
        placeOutputs(this.#outputs, taskRun.taskId, parentValuesOf(taskRun, byId), taskRun.value, taskRun.outputs);
        if (holdsEncrypted(taskRun.outputs)) this.#encryptedOutputs = true;
      }
    }
    setMaxListeners(0, this.#root.signal);
    const signal = params.options.signal;
    if (signal !== undefined) {
      const kill = (): void => this.kill();
      if (signal.aborted) kill();
      else signal.addEventListener('abort', kill, { once: true });
    }
  }

  /** Kills the run: running task runs end KILLED, nothing more starts (`finally` still runs). */
  kill(): void {
    if (this.#root.signal.aborted) return;
    this.#root.abort(KILLED_REASON);
  }

  get killed(): boolean {
    return this.#root.signal.aborted && (this.#root.signal.reason as Interruption | undefined)?.kind === 'KILLED';
  }

  // -------------------------------------------------------------------------------------------
  // The whole execution
  // -------------------------------------------------------------------------------------------

  async run(): Promise<void> {
    const flow = this.flow;
    this.#setExecutionState('RUNNING');
    const stopSlaTimers = this.#watchSla();
    const main = await this.#runList(this.#items(flow.tasks), 'sequential', 0, undefined, 'tasks', this.#root.signal);
    await this.#slaChecks;
    let state = this.#exitState ?? stateOf(main.states);
    const pending = !main.failed && main.states.includes('PAUSED') && this.#exitState === undefined;
    if (main.failed && !this.#root.signal.aborted && this.#exitState === undefined && flow.errors.length > 0) {
      // Inside `errors`, `execution.state` already says how the execution ends.
      this.#executionVar.state = 'FAILED';
      await this.#runList(this.#items(flow.errors), 'sequential', 0, undefined, 'errors', this.#root.signal);
    }
    if (pending) {
      stopSlaTimers();
      await this.#settleBackground();
      // Only waiting for subflow executions (no Pause of its own paused): Kestra keeps it RUNNING.
      if (this.execution.taskRunList.some((t) => t.state.current === 'PAUSED')) this.#setExecutionState('PAUSED');
      return;
    }
    if (this.killed && this.#exitState === undefined) state = 'KILLED';
    // `finally` runs even when the execution was killed (a second kill stops it); not after an Exit.
    if (flow.finally.length > 0 && this.#exitState === undefined) {
      this.#executionVar.state = state;
      const finallyController = new AbortController();
      const onSecondKill = (): void => finallyController.abort(KILLED_REASON);
      this.#p.options.signal?.addEventListener('abort', onSecondKill, { once: true });
      const out = await this.#runList(this.#items(flow.finally), 'sequential', 0, undefined, 'finally', finallyController.signal);
      this.#p.options.signal?.removeEventListener('abort', onSecondKill);
      if (out.states.includes('FAILED') && state !== 'KILLED') state = 'FAILED';
    }
    // The SLAs are watched until here (Kestra: until the execution ends): one violated during
    // `errors` or `finally` still decides the state.
    stopSlaTimers();
    await this.#slaChecks;
    if (this.#slaViolated && this.#exitState !== undefined) state = this.#exitState;
    if (state !== 'FAILED' && state !== 'KILLED' && state !== 'RETRIED' && flow.outputs.length > 0) {
      try {
        const values: Record<string, unknown> = {};
        const context = this.#flowVariables();
        for (const out of flow.outputs) {
          // With the execution's runtime: a flow output may read files (`read(outputs.x.uri)`).
          const rendered = await this.#engine.renderValue(out.value, context, this.#scopeFor(this.#root.signal));
          values[out.id] = coerceInput({ type: out.type }, rendered);
        }
        this.execution.outputs = this.#masked(values) as Record<string, unknown>;
        this.#executionVar.outputs = values;
      } catch (e) {
        this.#log(undefined, 'ERROR', `Failed to render output values: ${messageOf(e)}`);
        state = 'FAILED';
      }
    }
    this.#setExecutionState(state);
    await this.#runListeners();
    if (flow.afterExecution.length > 0) {
      this.#afterEnd = true;
      try {
        await this.#runList(this.#items(flow.afterExecution), 'sequential', 0, undefined, 'afterExecution', new AbortController().signal);
      } finally {
        this.#afterEnd = false;
      }
    }
    await this.#settleBackground();
  }

  // -------------------------------------------------------------------------------------------
  // Listeners (Kestra's ExecutorService.handleListeners and ConditionService.findValidListeners)
  // -------------------------------------------------------------------------------------------

  /**
   * True once the execution ended, while its listeners and `afterExecution` tasks run: the Exit or
   * SLA that ended it does not stop them.
   */
  #afterEnd = false;

  /**
   * Once the execution ended (in any final state, KILLED included), the tasks of every listener
   * whose conditions all hold on it run one after the other, in the order written, each whatever
   * the previous one ended in (Kestra resolves them with `resolveSequentialNexts` over the list
   * without its errors branch). Their task runs join the execution (outputs, logs) but its state
   * and end date stay. A restarted execution keeps its listener task runs: those that ended are not
   * run again. The conditions only read the execution's state, namespace and flow, which do not
   * change while the listeners run, so they are evaluated once.
   */
  async #runListeners(): Promise<void> {
    const tasks: TaskNode[] = [];
    for (const l of this.flow.listeners) if (await this.#listenerHolds(l)) tasks.push(...l.tasks);
    if (tasks.length === 0) return;
    this.#afterEnd = true;
    const signal = new AbortController().signal;
    try {
      for (const item of this.#items(tasks)) await this.#runTask(item, undefined, 'listeners', signal);
    } finally {
      this.#afterEnd = false;
    }
  }

  /**
   * ConditionService.findValidListeners: the conditions see the flow and the ended execution, and
   * render (Expression, ExecutionOutputs, a date's `date`) with its flow-level variables; one that
   * cannot be evaluated is logged as Kestra logs one that throws, and counts as false.
   */
  #listenerHolds(listener: ListenerDefinition): Promise<boolean> {
    // A killed execution's signal is aborted; its listeners still run (and their conditions render).
    const scope = this.#scopeFor(new AbortController().signal);
    return listenerHolds(
      listener,
      {
        flow: this.flow,
        execution: this.execution,
        variables: this.#flowVariables(),
        render: (template, variables) => this.#engine.render(template, variables, scope),
      },
      (condition, error) => this.#log(undefined, 'WARN', conditionFailedMessage(this.flow, condition, error)),
    );
  }

  // -------------------------------------------------------------------------------------------
  // SLA (Kestra's SLAService, ExecutorService.handleExecutionChangedSLA and processViolation)
  // -------------------------------------------------------------------------------------------

  /** EXECUTION_ASSERTION checks in flight, one after the other. */
  #slaChecks: Promise<void> = Promise.resolve();
  #slaViolated = false;

  /** Arms the MAX_DURATION SLAs and checks the assertions once; returns what disarms the timers. */
  #watchSla(): () => void {
    const sla = this.flow.sla;
    if (sla.length === 0) return () => undefined;
    const timers: ReturnType<typeof setTimeout>[] = [];
    for (const s of sla) {
      if (s.type !== 'MAX_DURATION' || s.duration === undefined) continue;
      const limit = parseDuration(s.duration);
      if (limit === undefined) continue; // refused when the flow loads
      // Kestra's monitor fires once the duration is exceeded; the execution's start is the reference.
      const timer = setTimeout(() => {
        const elapsed = Date.now() - Date.parse(this.execution.state.startDate);
        const reason = `execution duration of ${formatJavaDuration(elapsed)} exceed the maximum duration of ${formatJavaDuration(limit)}.`;
        this.#slaViolation(s, reason);
      }, limit + 1);
      timer.unref?.();
      timers.push(timer);
    }
    this.#checkAssertions();
    return () => timers.forEach((t) => clearTimeout(t));
  }

  /** The EXECUTION_ASSERTION SLAs, which every change of the execution evaluates. */
  readonly #assertions: readonly SlaDefinition[];

  /**
   * Every change of the execution or of a task run (created, a new state, outputs, labels) is one
   * Kestra would process as a message, so the assertions are evaluated at each, as
   * ExecutorService.handleExecutionChangedSLA does.
   */
  #changed(): void {
    if (this.#assertions.length > 0) this.#checkAssertions();
  }

  #checkAssertions(): void {
    const assertions = this.#assertions;
    if (assertions.length === 0 || this.#slaViolated || isTerminal(this.execution.state.current)) return;
    this.#slaChecks = this.#slaChecks.then(async () => {
      // Only the first violation of an evaluation changes the execution; the others are logged.
      let first = true;
      for (const s of assertions) {
        let rendered: string;
        try {
          rendered = await this.#engine.render(s.assert!, this.#flowVariables(), this.#scopeFor(this.#root.signal));
        } catch (e) {
          this.#log(undefined, 'ERROR', `Ignoring SLA '${s.id}' because of the error: ${messageOf(e)}`);
          continue;
        }
        if (isTruthy(rendered)) continue;
        const reason = `assertion is false: ${s.assert}.`;
        if (first) this.#slaViolation(s, reason);
        else this.#log(undefined, 'WARN', `SLA '${s.id}' violated: ${reason}`);
        first = false;
      }
    });
  }

  /** processViolation: FAIL or CANCEL ends the execution in that state (running task runs are killed); the SLA's labels are added. */
  #slaViolation(sla: Flow['sla'][number], reason: string): void {
    if (isTerminal(this.execution.state.current)) return;
    this.#log(undefined, 'WARN', `SLA '${sla.id}' violated: ${reason}`);
    if (sla.behavior !== 'NONE' && !this.#slaViolated) {
      this.#slaViolated = true;
      if (sla.behavior === 'FAIL') this.#log(undefined, 'ERROR', `Execution failed due to SLA '${sla.id}' violated: ${reason}`);
      this.#exitState ??= sla.behavior === 'FAIL' ? 'FAILED' : 'CANCELLED';
      this.#root.abort(new Interruption('EXIT', `Execution ended by SLA '${sla.id}'`));
    }
    const missing = sla.labels.filter((l) => !this.execution.labels.some((e) => e.key === l.key && e.value === l.value));
    if (missing.length > 0) {
      this.execution.labels = [...this.execution.labels, ...missing.map((l): Label => ({ key: l.key, value: l.value }))];
      this.#labelsVar = labelsVariable(this.execution.labels);
      this.#save();
    }
  }

  async #settleBackground(): Promise<void> {
    while (this.#background.length > 0) await Promise.allSettled(this.#background.splice(0));
  }

  /** Variables for flow-level templates (flow outputs). */
  #flowVariables(): Record<string, unknown> {
    return {
      ...this.#p.base,
      vars: this.#varsVar,
      execution: this.#executionVar,
      outputs: this.#outputsVar(),
      tasks: this.#tasks,
      labels: this.#labelsVar,
    };
  }

  /** Kestra's `outputs` variable: EncryptedStrings decrypted with the server key (stored outputs keep them encrypted). */
  #outputsVar(): Record<string, unknown> {
    if (!this.#encryptedOutputs) return this.#outputs;
    return (this.#decryptedView ??= decryptedOutputs(this.#outputs, this.#p.options.encryptionKey));
  }

  /** Sets the execution's state (concurrency: QUEUED, CANCELLED…). */
  setState(state: StateType): void {
    this.#setExecutionState(state);
  }

  /** Renders a value with the execution's flow-level context (a Subflow's deprecated `outputs`). */
  async renderFlowValue(value: unknown): Promise<unknown> {
    return this.#engine.renderValue(value, this.#flowVariables(), this.#scopeFor(this.#root.signal));
  }

  /** The flow's outputs unmasked (what a Subflow's parent sees). */
  rawFlowOutputs(): Record<string, unknown> | undefined {
    return this.#executionVar.outputs as Record<string, unknown> | undefined;
  }

  #setExecutionState(state: StateType): void {
    if (!transition(this.execution.state, state)) return;
    this.#executionVar.state = state;
    this.#save();
    if (this.#emitEvents) this.#emit({ type: 'execution-state', executionId: this.execution.id, state });
  }

  // -------------------------------------------------------------------------------------------
  // Lists of children: Kestra's sequential, parallel, concurrent (groups) and dag resolvers
  // -------------------------------------------------------------------------------------------

  #items(tasks: readonly (TaskNode | ChildItem)[]): ChildItem[] {
    const out: ChildItem[] = [];
    for (const t of tasks) {
      const item = 'task' in t && !('type' in t) ? t : { task: t as TaskNode };
      // A disabled task makes no task run, as in Kestra.
      if (!item.task.disabled) out.push(item);
    }
    return out;
  }

  async #runList(
    items: readonly ChildItem[],
    mode: NonNullable<ChildrenPlan['mode']>,
    concurrency: number,
    parent: Frame | undefined,
    branch: string | undefined,
    signal: AbortSignal,
  ): Promise<ListOutcome> {
    switch (mode) {
      case 'sequential':
        return this.#runSequential(items, parent, branch, signal);
      case 'parallel':
        return this.#runPool(
          items.map((item) => [item]),
          concurrency,
          parent,
          branch,
          signal,
        );
      case 'groups': {
        const groups = new Map<string | undefined, ChildItem[]>();
        for (const item of items) {
          let group = groups.get(item.value);
          if (group === undefined) groups.set(item.value, (group = []));
          group.push(item);
        }
        return this.#runPool([...groups.values()], concurrency, parent, branch, signal);
      }
      case 'dag':
        return this.#runDag(items, concurrency, parent, branch, signal);
    }
  }

  async #runSequential(
    items: readonly ChildItem[],
    parent: Frame | undefined,
    branch: string | undefined,
    signal: AbortSignal,
  ): Promise<ListOutcome> {
    const states: StateType[] = [];
    for (const item of items) {
      if (signal.aborted || this.#stopping()) break;
      const state = await this.#runTask(item, parent, branch, signal);
      if (state === undefined) continue;
      states.push(state);
      if (state === 'FAILED') return { states, failed: true, running: [] };
      if (state === 'KILLED' || state === 'PAUSED') break;
    }
    return { states, failed: false, running: [] };
  }

  /**
   * Runs groups (each group in order) with at most `concurrency` groups at once (0: all). After a
   * failure nothing new starts and the outcome is returned at once; the groups still running are
   * handed back in `running` (their task runs end when the flowable ends).
   */
  #runPool(
    groups: readonly (readonly ChildItem[])[],
    concurrency: number,
    parent: Frame | undefined,
    branch: string | undefined,
    signal: AbortSignal,
  ): Promise<ListOutcome> {
    const states: StateType[] = [];
    let failed = false;
    let next = 0;
    let active = 0;
    const running = new Set<Promise<unknown>>();
    return new Promise<ListOutcome>((resolve) => {
      let resolved = false;
      const finish = (): void => {
        if (resolved) return;
        resolved = true;
        resolve({ states, failed, running: [...running] });
      };
      const runGroup = async (group: readonly ChildItem[]): Promise<void> => {
        for (const item of group) {
          if (failed || signal.aborted || this.#stopping()) return;
          const state = await this.#runTask(item, parent, branch, signal);
          if (state === undefined) continue;
          states.push(state);
          if (state === 'FAILED') {
            failed = true;
            return;
          }
          if (state === 'KILLED' || state === 'PAUSED') return;
        }
      };
      const launch = (): void => {
        while (!failed && !signal.aborted && !this.#stopping() && next < groups.length && (concurrency <= 0 || active < concurrency)) {
          const group = groups[next++]!;
          active++;
          const promise: Promise<void> = runGroup(group).finally(() => {
            active--;
            running.delete(promise);
            if (failed) finish();
            else launch();
          });
          running.add(promise);
        }
        if (failed || active === 0) finish();
      };
      launch();
    });
  }

  /** Kestra's `resolveDagNexts`: a task starts once every task it depends on ended (disabled ones count as ended). */
  #runDag(
    items: readonly ChildItem[],
    concurrency: number,
    parent: Frame | undefined,
    branch: string | undefined,
    signal: AbortSignal,
  ): Promise<ListOutcome> {
    const states: StateType[] = [];
    const ended = new Set<string>();
    const known = new Set(items.map((i) => i.task.id));
    const waiting = [...items];
    const running = new Set<Promise<unknown>>();
    let failed = false;
    return new Promise<ListOutcome>((resolve) => {
      let resolved = false;
      const finish = (): void => {
        if (resolved) return;
        resolved = true;
        resolve({ states, failed, running: [...running] });
      };
      const ready = (item: ChildItem): boolean => (item.task.dependsOn ?? []).every((id) => ended.has(id) || !known.has(id));
      const launch = (): void => {
        for (let i = 0; i < waiting.length;) {
          if (failed || signal.aborted || this.#stopping() || (concurrency > 0 && running.size >= concurrency)) break;
          const item = waiting[i]!;
          if (!ready(item)) {
            i++;
            continue;
          }
          waiting.splice(i, 1);
          const promise: Promise<void> = this.#runTask(item, parent, branch, signal).then((state) => {
            running.delete(promise);
            if (state !== undefined) {
              states.push(state);
              if (state === 'FAILED') failed = true;
              if (isTerminal(state)) ended.add(item.task.id);
            } else {
              ended.add(item.task.id);
            }
            if (failed) finish();
            else launch();
          });
          running.add(promise);
        }
        if (failed || running.size === 0) finish();
      };
      launch();
    });
  }

  /** Exit (or a kill) stops new task runs everywhere. */
  #stopping(): boolean {
    return this.#exitState !== undefined && !this.#afterEnd;
  }

  // -------------------------------------------------------------------------------------------
  // One task run
  // -------------------------------------------------------------------------------------------

  /** Runs (or reuses, or resumes) the task run of an item; `undefined` when none was made. */
  async #runTask(
    item: ChildItem,
    parent: Frame | undefined,
    branch: string | undefined,
    parentSignal: AbortSignal,
  ): Promise<StateType | undefined> {
    const node = item.task;
    const def = item.definition ?? this.#p.registry.resolve(node.type);
    if (def === undefined) throw new TaskError('UNKNOWN_TYPE', `Invalid type: ${node.type}`);
    const parentId = parent?.taskRun.id;
    const existing = this.#index.get(indexKey(parentId, node.id, item.value));
    if (existing !== undefined && isTerminal(existing.state.current)) {
      this.#meta.set(existing.id, {
        type: node.type,
        depth: parent === undefined ? 0 : parent.depth + 1,
        branch: branch ?? this.#branchOf(parent, node),
      });
      return existing.state.current;
    }
    if (parentSignal.aborted) return undefined;
    const taskRun = existing ?? this.#createTaskRun(node, item.value, parent);
    let controller: AbortController | undefined;
    let onParentAbort: (() => void) | undefined;
    if (isFlowable(def)) {
      const own = new AbortController();
      controller = own;
      onParentAbort = (): void => own.abort(parentSignal.reason);
      parentSignal.addEventListener('abort', onParentAbort, { once: true });
    }
    const depth = parent === undefined ? 0 : parent.depth + 1;
    const frame: Frame = {
      node,
      def,
      taskRun,
      parent,
      depth,
      branch: branch ?? this.#branchOf(parent, node),
      parentValues:
        parent === undefined
          ? []
          : parent.taskRun.value === undefined
            ? parent.parentValues
            : [...parent.parentValues, parent.taskRun.value],
      signal: controller?.signal ?? parentSignal,
      controller,
      scope: undefined,
      rawOutputs: undefined,
      services: undefined,
      ended: false,
    };
    this.#meta.set(taskRun.id, { type: node.type, depth, branch: frame.branch });
    if (existing === undefined) {
      this.#touch(taskRun);
      if (this.#emitEvents) this.#emit({ type: 'task-start', taskRun: this.#taskRunReport(taskRun) });
    }
    try {
      return await this.#execute(frame, existing !== undefined);
    } finally {
      frame.ended = true;
      if (controller !== undefined) {
        parentSignal.removeEventListener('abort', onParentAbort!);
        if (!controller.signal.aborted) controller.abort(PARENT_ENDED);
      }
    }
  }

  #createTaskRun(node: TaskNode, value: string | undefined, parent: Frame | undefined): TaskRun {
    const execution = this.execution;
    const taskRun: TaskRun = {
      id: newId(),
      executionId: execution.id,
      ...(execution.tenantId === undefined ? {} : { tenantId: execution.tenantId }),
      namespace: execution.namespace,
      flowId: execution.flowId,
      taskId: node.id,
      ...(parent === undefined ? {} : { parentTaskRunId: parent.taskRun.id }),
      ...(value === undefined ? {} : { value }),
      ...(parent?.taskRun.iteration === undefined ? {} : { iteration: parent.taskRun.iteration }),
      attempts: [],
      outputs: {},
      state: newState('CREATED'),
    };
    execution.taskRunList.push(taskRun);
    this.#index.set(indexKey(taskRun.parentTaskRunId, taskRun.taskId, taskRun.value), taskRun);
    placeState(this.#tasks, taskRun, 'CREATED');
    return taskRun;
  }

  async #execute(frame: Frame, resumed: boolean): Promise<StateType> {
    const { node, taskRun } = frame;
    const wasPaused = taskRun.state.current === 'PAUSED';
    const wasRunning = taskRun.state.current === 'RUNNING';
    if (!resumed && node.runIf !== undefined) {
      let rendered: string;
      try {
        rendered = await this.#engine.render(node.runIf, this.#variablesFor(frame, 0), this.#scopeOf(frame));
      } catch (e) {
        this.#log(frame, 'ERROR', messageOf(e));
        return this.#end(frame, applyAllowances('FAILED', node.allowFailure, node.allowWarning), messageOf(e));
      }
      if (!isTruthy(rendered)) return this.#end(frame, 'SKIPPED');
    }
    let timeoutMs: number | undefined;
    if (node.timeout !== undefined && frame.def.ownsTimeout !== true) {
      try {
        const text = (await this.#engine.render(node.timeout, this.#variablesFor(frame, 0), this.#scopeOf(frame))).trim();
        const ms = parseDuration(text);
        if (ms === undefined || ms <= 0)
          throw new TaskError(
            'INVALID_PROPERTY',
            `Invalid value for \`timeout\`: expected an ISO-8601 duration such as PT30S, got \`${text}\``,
          );
        timeoutMs = ms;
      } catch (e) {
        this.#setState(frame, 'RUNNING');
        this.#log(frame, 'ERROR', messageOf(e));
        return this.#end(frame, applyAllowances('FAILED', node.allowFailure, node.allowWarning), messageOf(e));
      }
    }
    if (!wasPaused) this.#setState(frame, 'RUNNING');
    // A task run left RUNNING while it waited for its subflow executions: its attempt goes on (it
    // takes their results), it is not a task cut short by a dead process.
    const waited = resumed && wasRunning && this.#p.options.subflowWaits?.waiting?.[taskRun.id] !== undefined;
    return isFlowable(frame.def)
      ? this.#executeFlowable(frame, timeoutMs, wasPaused)
      : this.#executeRunnable(frame, timeoutMs, wasPaused || waited, resumed && wasRunning && !waited);
  }

  async #executeFlowable(frame: Frame, timeoutMs: number | undefined, wasPaused: boolean): Promise<StateType> {
    const { node, def } = frame;
    const controller = frame.controller!;
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort(new Interruption('TIMEOUT', timeoutMessage(timeoutMs)));
          }, timeoutMs);
    let state: StateType;
    let error: string | undefined;
    try {
      // A flowable is awaited, not raced: its children end (killed if need be) before it does.
      const result = await def.run(this.#context(frame, 0, frame.signal, wasPaused));
      if (result?.outputs === null) this.#clearOutputs(frame);
      else if (result?.outputs !== undefined) this.#setOutputs(frame, result.outputs);
      state = result?.state ?? 'SUCCESS';
    } catch (e) {
      if (e instanceof SubflowWaiting) return this.#waitSubflows(frame);
      if (e instanceof Suspend) return this.#suspend(frame);
      state = 'FAILED';
      error = messageOf(e);
      if (!controller.signal.aborted) this.#log(frame, 'ERROR', error);
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) {
      error = timeoutMessage(timeoutMs ?? 0);
      this.#log(frame, 'ERROR', error);
      state = 'FAILED';
    } else if (controller.signal.aborted) {
      state = 'KILLED';
      error ??= interruptionMessage(controller.signal);
    }
    if (this.#exitState !== undefined && !this.#afterEnd) state = this.#exitState;
    else if (state === 'PAUSED') return 'PAUSED';
    return this.#end(frame, applyAllowances(state, node.allowFailure, node.allowWarning), error);
  }

  /** The retry policy of a task: its own, else the nearest flowable parent's, else the flow's (`fromFlow`). */
  #retryFor(frame: Frame): { retry: RetryPolicy; fromFlow: boolean } | undefined {
    if (frame.node.retry !== undefined) return { retry: frame.node.retry, fromFlow: false };
    for (let p = frame.parent; p !== undefined; p = p.parent)
      if (p.node.retry !== undefined) return { retry: p.node.retry, fromFlow: false };
    return this.flow.retry === undefined ? undefined : { retry: this.flow.retry, fromFlow: true };
  }

  /**
   * Milliseconds until the new execution a `CREATE_NEW_EXECUTION` retry asked for starts, once
   * this run ended RETRIED; `undefined` otherwise.
   */
  get newExecutionDelay(): number | undefined {
    return this.#newExecutionDelay;
  }

  /** The id the new execution of a `CREATE_NEW_EXECUTION` retry gets, once this run ended RETRIED. */
  get nextExecutionId(): string | undefined {
    return this.#nextExecutionId;
  }

  async #executeRunnable(frame: Frame, timeoutMs: number | undefined, wasPaused: boolean, interrupted = false): Promise<StateType> {
    const { node, taskRun } = frame;
    const policy = this.#retryFor(frame);
    const retry = policy?.retry;
    // A task run left RUNNING by a process that died (Kestra's onRunningResend): its last attempt
    // ends KILLED (one is added if it had none yet), then a new attempt starts.
    const last = taskRun.attempts[taskRun.attempts.length - 1];
    if (last !== undefined && !isTerminal(last.state.current) && !wasPaused) transition(last.state, 'KILLED');
    else if (last === undefined && interrupted) taskRun.attempts.push({ state: newState('KILLED'), workerId: this.#workerId });
    for (;;) {
      if (frame.signal.aborted) return this.#end(frame, 'KILLED', interruptionMessage(frame.signal));
      const attemptsBefore = taskRun.attempts.length;
      let attempt: TaskRunAttempt;
      if (wasPaused && last !== undefined && !isTerminal(last.state.current)) {
        attempt = last;
        transition(attempt.state, 'RUNNING');
      } else {
        attempt = { state: newState('CREATED'), workerId: this.#workerId };
        transition(attempt.state, 'RUNNING');
        taskRun.attempts.push(attempt);
      }
      // Written before the task runs: a worker that dies now leaves a RUNNING attempt, which the
      // next one ends KILLED and retries, rather than a task run nobody knows was started.
      const persisted = this.#persist(taskRun);
      if (persisted !== undefined) {
        await persisted;
        // Killed, or handed to another process, while the attempt was written: it does not start.
        if (frame.signal.aborted) {
          transition(attempt.state, 'KILLED');
          return this.#end(frame, 'KILLED', interruptionMessage(frame.signal));
        }
      }
      const outcome = await this.#attempt(frame, wasPaused ? attemptsBefore - 1 : attemptsBefore, timeoutMs, wasPaused);
      wasPaused = false;
      if (outcome === 'SUSPENDED') return this.#suspend(frame);
      if (outcome === 'WAITING') return this.#waitSubflows(frame);
      transition(attempt.state, outcome.state);
      if (outcome.outputs === null) this.#clearOutputs(frame);
      else if (outcome.outputs !== undefined) this.#setOutputs(frame, outcome.outputs);
      if (outcome.state === 'FAILED' && retry?.behavior === 'CREATE_NEW_EXECUTION' && !frame.signal.aborted && !this.#stopping()) {
        // Kestra's ExecutorService: the task run, its parents and the execution end RETRIED (a
        // terminal state), and a new execution of the flow starts at the next retry date, counted
        // over the chain of executions (the base: the attempt's end, or the execution's last change for a flow's retry).
        const base = policy?.fromFlow === true ? lastDate(this.execution.state) : lastDate(attempt.state);
        const delay = nextExecutionRetryDelay(retry, this.execution, base);
        if (delay !== undefined) {
          this.#exitState = 'RETRIED';
          this.#newExecutionDelay = delay;
          // Chosen now so that whoever schedules it can store it with the RETRIED state (a server
          // that restarts meanwhile creates that same execution, once).
          this.#nextExecutionId = newId();
          this.#p.options.scheduleRetry?.({
            executionId: this.execution.id,
            nextExecutionId: this.#nextExecutionId,
            date: new Date(Date.now() + delay).toISOString(),
          });
          return this.#end(frame, 'RETRIED', outcome.error);
        }
      } else if (outcome.state === 'FAILED' && retry !== undefined && !frame.signal.aborted) {
        const delay = nextRetryDelay(retry, taskRun.attempts);
        if (delay !== undefined) {
          this.#setState(frame, 'RETRYING');
          await sleep(delay, frame.signal);
          if (frame.signal.aborted) return this.#end(frame, 'KILLED', interruptionMessage(frame.signal));
          this.#setState(frame, 'RUNNING');
          continue;
        }
      }
      let state = outcome.state;
      if (state === 'SUCCESS' && retry?.warningOnRetry === true && attemptsBefore > 1) state = 'WARNING';
      return this.#end(frame, applyAllowances(state, node.allowFailure, node.allowWarning), outcome.error);
    }
  }

  /** One attempt: `run` raced against the task run's signal (its timeout, its parent's end, a kill). */
  async #attempt(
    frame: Frame,
    attemptsCount: number,
    timeoutMs: number | undefined,
    resumedFromPause: boolean,
  ): Promise<{ state: StateType; outputs?: Readonly<Record<string, unknown>> | null; error?: string } | 'SUSPENDED' | 'WAITING'> {
    const frameSignal = frame.signal;
    // Without a timeout the attempt runs on the task run's signal; with one, on its own.
    let signal = frameSignal;
    let controller: AbortController | undefined;
    let onAbort: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (timeoutMs !== undefined) {
      const own = new AbortController();
      controller = own;
      signal = own.signal;
      onAbort = (): void => own.abort(frameSignal.reason);
      if (frameSignal.aborted) own.abort(frameSignal.reason);
      else frameSignal.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => {
        timedOut = true;
        own.abort(new Interruption('TIMEOUT', timeoutMessage(timeoutMs)));
      }, timeoutMs);
    }
    try {
      const result = await raceAbort(frame.def.run(this.#context(frame, attemptsCount, signal, resumedFromPause)), signal);
      const state = result?.state ?? 'SUCCESS';
      return { state, ...(result?.outputs === undefined ? {} : { outputs: result.outputs }) };
    } catch (e) {
      if (e instanceof SubflowWaiting) return 'WAITING';
      if (e instanceof Suspend) return 'SUSPENDED';
      if (timedOut) {
        const message = timeoutMessage(timeoutMs ?? 0);
        this.#log(frame, 'ERROR', message, attemptsCount);
        return { state: 'FAILED', error: message };
      }
      if (signal.aborted) return { state: 'KILLED', error: interruptionMessage(signal) };
      const message = messageOf(e);
      this.#log(frame, 'ERROR', message, attemptsCount);
      // A task may fail with outputs (a script's exitCode and vars, as Kestra's RunnableTaskException).
      const outputs = (e as { outputs?: unknown } | null)?.outputs;
      if (outputs !== null && typeof outputs === 'object' && !Array.isArray(outputs))
        return { state: 'FAILED', error: message, outputs: outputs as Readonly<Record<string, unknown>> };
      return { state: 'FAILED', error: message };
    } finally {
      if (controller !== undefined) {
        clearTimeout(timer);
        frameSignal.removeEventListener('abort', onAbort!);
      }
    }
  }

  /** A Pause without duration in a run that cannot wait: the task run stays PAUSED, the execution ends PAUSED. */
  #suspend(frame: Frame): StateType {
    this.#setState(frame, 'PAUSED');
    return 'PAUSED';
  }

  /**
   * Waiting for subflow executions: the task run (and its attempt) stay RUNNING, saved with what it
   * waits for (`subflowWaits.wait`, called by the subflow code); its lists stop as at a pause.
   */
  #waitSubflows(frame: Frame): StateType {
    this.#touch(frame.taskRun);
    return 'PAUSED';
  }

  #end(frame: Frame, state: StateType, error?: string): StateType {
    if (error !== undefined) {
      const meta = this.#meta.get(frame.taskRun.id);
      if (meta !== undefined) meta.error = this.#masker.mask(error);
    }
    this.#setState(frame, state);
    if (this.#emitEvents) this.#emit({ type: 'task-end', taskRun: this.#taskRunReport(frame.taskRun) });
    return state;
  }

  #setState(frame: Frame, state: StateType): void {
    const taskRun = frame.taskRun;
    if (!transition(taskRun.state, state)) return;
    placeState(this.#tasks, taskRun, state);
    this.#touch(taskRun);
    if (this.#emitEvents && !isTerminal(state)) this.#emit({ type: 'task-state', taskRun: this.#taskRunReport(taskRun) });
  }

  /** A task run without outputs at all (TaskResult `outputs: null`); it never had any to place in `outputs`. */
  #clearOutputs(frame: Frame): void {
    frame.rawOutputs = undefined;
    delete frame.taskRun.outputs;
    this.#touch(frame.taskRun);
  }

  #setOutputs(frame: Frame, outputs: Readonly<Record<string, unknown>>): void {
    const raw = frame.rawOutputs === undefined ? { ...outputs } : { ...frame.rawOutputs, ...outputs };
    frame.rawOutputs = raw;
    frame.taskRun.outputs = this.#masked(raw) as Record<string, unknown>;
    placeOutputs(this.#outputs, frame.node.id, frame.parentValues, frame.taskRun.value, raw);
    if (holdsEncrypted(raw)) this.#encryptedOutputs = true;
    this.#decryptedView = undefined;
    this.#touch(frame.taskRun);
  }

  /** A masked copy of a value; the value itself while nothing is sensitive (the common case, and cheaper). */
  #masked(value: unknown): unknown {
    return this.#masker.size === 0 ? value : this.#masker.maskDeep(value);
  }

  #touch(taskRun: TaskRun): void {
    this.#changed();
    if (this.#store === NO_STORE) return;
    const saved = this.#store.save(this.execution, { kind: 'taskRun', taskRun });
    if (saved instanceof Promise) this.#background.push(saved.catch(() => undefined));
  }

  /** `#touch`, waiting for the store when it answers with a promise (the store contract: awaited before the run goes on). */
  #persist(taskRun: TaskRun): Promise<void> | undefined {
    this.#changed();
    if (this.#store === NO_STORE) return undefined;
    const saved = this.#store.save(this.execution, { kind: 'taskRun', taskRun });
    return saved instanceof Promise ? saved.catch(() => undefined) : undefined;
  }

  #save(): void {
    this.#changed();
    if (this.#store === NO_STORE) return;
    const saved = this.#store.save(this.execution, { kind: 'execution' });
    if (saved instanceof Promise) this.#background.push(saved.catch(() => undefined));
  }

  /** The child list a node belongs to under its parent (`tasks`, `then`, `cases`…), for the report. */
  #branchOf(parent: Frame | undefined, node: TaskNode): string {
    if (parent === undefined) return 'tasks';
    let map = this.#branchCache.get(parent.node);
    if (map === undefined) {
      map = new Map();
      for (const [name, list] of Object.entries(parent.node.children)) for (const child of list) map.set(child, name);
      for (const [name, cases] of Object.entries(parent.node.childMaps ?? {}))
        for (const list of cases.values()) for (const child of list) map.set(child, name);
      this.#branchCache.set(parent.node, map);
    }
    return map.get(node) ?? 'tasks';
  }

  // -------------------------------------------------------------------------------------------
  // What a task sees
  // -------------------------------------------------------------------------------------------

  #scopeFor(signal: AbortSignal): RenderScope {
    return { ...this.#p.scope, signal, runtime: this.#runtime };
  }

  /** The scope of a task run's own signal (shared with its parent's when it uses its parent's signal). */
  #scopeOf(frame: Frame): RenderScope {
    if (frame.scope !== undefined) return frame.scope;
    let scope: RenderScope | undefined;
    if (frame.controller === undefined) {
      // Same signal as the parent's children (or the root): share their scope.
      const owner = frame.parent;
      if (owner !== undefined && owner.childScope?.signal === frame.signal) scope = owner.childScope;
      else if (owner === undefined && this.#rootScope?.signal === frame.signal) scope = this.#rootScope;
      if (scope === undefined) {
        scope = this.#scopeFor(frame.signal);
        if (owner !== undefined) owner.childScope = scope;
        else this.#rootScope = scope;
      }
    } else scope = this.#scopeFor(frame.signal);
    frame.scope = scope;
    return scope;
  }

  /** Kestra's `parents`: nearest first, each with the parent's loop value and/or outputs (empty ones left out). */
  #parents(frame: Frame): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (let p = frame.parent; p !== undefined; p = p.parent) {
      const entry: Record<string, unknown> = {};
      if (p.taskRun.value !== undefined) entry.taskrun = { value: p.taskRun.value };
      if (p.rawOutputs !== undefined && Object.keys(p.rawOutputs).length > 0) entry.outputs = p.rawOutputs;
      if (Object.keys(entry).length > 0) out.push(entry);
    }
    return out;
  }

  #variablesFor(frame: Frame, attemptsCount: number): Record<string, unknown> {
    const parents = this.#parents(frame);
    const base = this.#p.base;
    // One literal (a fixed shape) rather than a spread: built for every attempt.
    const variables: Record<string, unknown> = {
      flow: base.flow,
      envs: base.envs,
      globals: base.globals,
      vars: this.#varsVar,
      task: { id: frame.node.id, type: frame.node.type },
      taskrun: taskRunVariable(frame.taskRun, attemptsCount),
      parents,
      execution: this.#executionVar,
      outputs: this.#outputsVar(),
      tasks: this.#tasks,
      labels: this.#labelsVar,
    };
    if (base.inputs !== undefined) variables.inputs = base.inputs;
    if (base.trigger !== undefined) variables.trigger = base.trigger;
    if (base.kestra !== undefined) variables.kestra = base.kestra;
    if (parents.length > 0) variables.parent = parents[0];
    // A WorkingDirectory's tasks (Kestra's RunContextInitializer.forWorkingDirectory) also see its
    // task run as `workerTaskrun`, and its loop value as their own `taskrun.value`.
    const worker = frame.parent;
    if (worker !== undefined && worker.def.type === WORKING_DIRECTORY) {
      const workerTaskrun = taskRunVariable(worker.taskRun, worker.taskRun.attempts.length);
      variables.workerTaskrun = workerTaskrun;
      if (workerTaskrun.value !== undefined) (variables.taskrun as Record<string, unknown>).value = workerTaskrun.value;
    }
    return variables;
  }

  #context(frame: Frame, attemptsCount: number, signal: AbortSignal, resumedFromPause: boolean): TaskRunContext {
    const variables = this.#variablesFor(frame, attemptsCount);
    const scope = signal === frame.signal ? this.#scopeOf(frame) : this.#scopeFor(signal);
    return new RunTaskContext(this.#internals, frame, attemptsCount, signal, variables, scope, resumedFromPause);
  }

  /** What a task's context may call of this run (made once per run). */
  readonly #internals: RunInternals = {
    engine: () => this.#engine,
    execution: () => this.execution,
    flow: () => this.flow,
    fetch: () => this.#fetch,
    env: () => this.#p.options.env ?? process.env,
    sensitive: (value) => this.#masker.add(value),
    encrypt: (plain) => encryptedString(this.#p.options.encryptionKey, plain, this.#p.options.encryptionKeyError),
    flowsDir: () => this.#p.options.flows?.dir,
    log: (frame, level, message, attemptNumber) => this.#log(frame, level, message, attemptNumber),
    setOutputs: (frame, outputs) => this.#setOutputs(frame, outputs),
    runChildren: (frame, plan, signal) => this.#runChildren(frame, plan, signal),
    control: () => (this.#controlApi ??= this.#control()),
    pause: (frame, request, signal, resumed) => this.#pause(frame, request, signal, resumed),
    prepareSubflow: (request, link) => this.#p.prepareSubflow(request, link),
    setIteration: (frame, iteration) => {
      frame.taskRun.iteration = iteration;
      this.#touch(frame.taskRun);
    },
    restartChildren: (frame) => this.#restartChildren(frame),
    executions: () => this.#p.options.executions,
    triggers: () => this.#p.options.triggers,
    files: () => this.#p.files,
    logs: () => this.logs,
  };
  #controlApi: ExecutionControl | undefined;

  /** Runs a flowable's children (then `errors`, then `finally`) and derives its state. */
  async #runChildren(frame: Frame, plan: ChildrenPlan, signal: AbortSignal): Promise<StateType> {
    const mode = plan.mode ?? 'sequential';
    const concurrency = plan.concurrency ?? 0;
    const lists = childListsOf(frame.def);
    const errors = plan.errors ?? (lists.errors === undefined ? [] : (frame.node.children.errors ?? []));
    const finallyTasks = plan.finally ?? (lists.finally === undefined ? [] : (frame.node.children.finally ?? []));
    // The children's signal: aborted when the flowable's is, and when the flowable gives up on them.
    const children = new AbortController();
    // Every running child listens to it (thousands at once in a concurrent loop).
    setMaxListeners(0, children.signal);
    const onAbort = (): void => children.abort(signal.reason);
    if (signal.aborted) children.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      const main = await this.#runList(this.#items(plan.tasks), mode, concurrency, frame, undefined, children.signal);
      let state = stateOf(main.states);
      if (main.failed && !children.signal.aborted && errors.length > 0) {
        const errorMode = mode === 'sequential' ? 'sequential' : 'parallel';
        await this.#runList(this.#items(errors), errorMode, 0, frame, 'errors', children.signal);
      }
      // A child waits for a resume: the flowable stays RUNNING (unless one failed, which ends it).
      if (!main.failed && main.states.includes('PAUSED') && !signal.aborted) return 'PAUSED';
      if (main.running.length > 0) {
        // Kestra ends a flowable as soon as a child failed: siblings still running are killed.
        children.abort(PARENT_ENDED);
        await Promise.allSettled(main.running);
      }
      if (finallyTasks.length > 0 && !signal.aborted) {
        const finallyMode = mode === 'sequential' ? 'sequential' : 'parallel';
        const out = await this.#runList(this.#items(finallyTasks), finallyMode, 0, frame, 'finally', signal);
        if (out.states.includes('FAILED') && state !== 'KILLED') state = 'FAILED';
      }
      if (signal.aborted && state !== 'FAILED') state = 'KILLED';
      return state;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** WaitFor's next iteration: this task run's children are removed and its iteration goes up. */
  #restartChildren(frame: Frame): void {
    const id = frame.taskRun.id;
    const removed = new Set<string>([id]);
    const kept: TaskRun[] = [];
    for (const t of this.execution.taskRunList) {
      if (t.parentTaskRunId !== undefined && removed.has(t.parentTaskRunId)) {
        removed.add(t.id);
        this.#index.delete(indexKey(t.parentTaskRunId, t.taskId, t.value));
        this.#meta.delete(t.id);
      } else kept.push(t);
    }
    this.execution.taskRunList.splice(0, this.execution.taskRunList.length, ...kept);
    frame.taskRun.iteration = (frame.taskRun.iteration ?? 1) + 1;
    this.#touch(frame.taskRun);
  }

  async #pause(frame: Frame, request: PauseRequest, signal: AbortSignal, resumed: boolean): Promise<PauseOutcome> {
    const taskRun = frame.taskRun;
    if (resumed) {
      // Continued after `resume`: a timeout that elapsed meanwhile still fails the task run.
      const pausedAt = lastPausedDate(taskRun);
      if (
        request.delayMs === undefined &&
        request.timeoutMs !== undefined &&
        pausedAt !== undefined &&
        Date.now() - pausedAt > request.timeoutMs
      ) {
        return { resumed: false, reason: 'timeout' };
      }
      this.#setState(frame, 'RUNNING');
      this.#resumeExecutionState();
      return { resumed: true, inputs: this.#resumeInputs ?? {} };
    }
    const waitMs = request.delayMs ?? request.timeoutMs;
    if (waitMs === undefined || this.#p.options.suspendTimedPauses === true) {
      this.#pausedCount++;
      this.#setState(frame, 'PAUSED');
      this.#setExecutionState('PAUSED');
      throw new Suspend();
    }
    this.#setState(frame, 'PAUSED');
    this.#pausedCount++;
    this.#setExecutionState('PAUSED');
    await sleep(waitMs, signal);
    this.#pausedCount--;
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : KILLED_REASON;
    if (request.delayMs === undefined) return { resumed: false, reason: 'timeout' };
    this.#setState(frame, 'RUNNING');
    this.#resumeExecutionState();
    return { resumed: true, inputs: {} };
  }

  #resumeExecutionState(): void {
    if (this.#pausedCount <= 0 && this.execution.state.current === 'PAUSED') this.#setExecutionState('RUNNING');
  }

  #control(): ExecutionControl {
    return {
      addLabels: (labels) => {
        const byKey = new Map<string, string>(this.execution.labels.map((l) => [l.key, l.value]));
        // Labels are shown everywhere (report, API, UI): one made from a secret is masked.
        for (const l of labels) byKey.set(this.#masker.mask(l.key), this.#masker.mask(l.value));
        this.execution.labels = [...byKey].map(([key, value]): Label => ({ key, value }));
        this.#labelsVar = labelsVariable(this.execution.labels);
        this.#save();
      },
      setVariables: (variables, options = {}) => {
        if (options.overwrite === false) {
          const duplicated = Object.keys(variables).filter((k) => Object.hasOwn(this.#variables, k));
          if (duplicated.length > 0)
            throw new TaskError(
              'VARIABLE_EXISTS',
              `\`overwrite\` is set to false and the following variables already exist: ${duplicated.join(',')}`,
            );
        }
        this.#variables = deepMerge(this.#variables, variables);
        this.#variablesChanged();
      },
      unsetVariables: (names, options = {}) => {
        for (const name of names) {
          // Kestra's UnsetVariables: a dotted name walks nested maps; a missing last key is ignored.
          const parts = name.split('.');
          let map: Record<string, unknown> | undefined = this.#variables;
          for (const part of parts.slice(0, -1)) {
            const next: unknown = map?.[part];
            map = next !== null && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : undefined;
          }
          if (map === undefined) {
            if (options.ignoreMissing === true) continue;
            throw new TaskError(
              'VARIABLE_MISSING',
              `Unable to unset \`${name}\`: \`${parts.slice(0, -1).join('.')}\` is not a map of the execution's variables`,
            );
          }
          delete map[parts[parts.length - 1]!];
        }
        this.#variablesChanged();
      },
      exit: (state) => {
        this.#exitState ??= state;
        if (state === 'KILLED') this.#root.abort(new Interruption('EXIT', 'Execution exited'));
      },
    };
  }

  #variablesChanged(): void {
    this.#varsVar = deepMerge(this.flow.variables, this.#variables);
    this.execution.variables = this.#masked(this.#variables) as Record<string, unknown>;
    this.#save();
  }

  // -------------------------------------------------------------------------------------------
  // Logs, events, report
  // -------------------------------------------------------------------------------------------

  #log(frame: Frame | undefined, level: LogLevel, message: string, attemptNumber?: number): void {
    if (frame?.node.logLevel !== undefined && SEVERITY[level] < SEVERITY[frame.node.logLevel]) return;
    const entry: LogEntry = {
      executionId: this.execution.id,
      ...(frame === undefined ? {} : { taskId: frame.node.id, taskRunId: frame.taskRun.id }),
      ...(attemptNumber === undefined ? {} : { attemptNumber }),
      level,
      message: this.#masker.mask(message),
      timestamp: new Date().toISOString(),
    };
    this.logs.push(entry);
    const stored = this.#store.log?.(entry);
    if (stored instanceof Promise) this.#background.push(stored.catch(() => undefined));
    try {
      this.#p.options.onLog?.(entry);
    } catch {
      // A listener's failure must not change the run.
    }
    if (this.#emitEvents) this.#emit({ type: 'log', log: entry });
  }

  /** Writes a log line at execution level (used by the runner's callers). */
  logExecution(level: LogLevel, message: string): void {
    this.#log(undefined, level, message);
  }

  #emit(event: RunEvent): void {
    try {
      this.#p.options.onEvent?.(event);
    } catch {
      // A listener's failure must not change the run.
    }
  }

  /** The report view of a task run (a copy). */
  #taskRunReport(taskRun: TaskRun): TaskRunReport {
    const meta = this.#meta.get(taskRun.id);
    const state = taskRun.state;
    return {
      id: taskRun.id,
      taskId: taskRun.taskId,
      type: meta?.type ?? '',
      ...(taskRun.value === undefined ? {} : { value: taskRun.value }),
      ...(taskRun.parentTaskRunId === undefined ? {} : { parentTaskRunId: taskRun.parentTaskRunId }),
      ...(taskRun.iteration === undefined ? {} : { iteration: taskRun.iteration }),
      depth: meta?.depth ?? 0,
      branch: meta?.branch ?? 'tasks',
      state: state.current,
      histories: state.histories.map((h) => ({ state: h.state, date: h.date })),
      attempts: taskRun.attempts.map((a) => ({
        state: a.state.current,
        startDate: a.state.startDate,
        ...(a.state.endDate === undefined ? {} : { endDate: a.state.endDate }),
        ...(a.workerId === undefined ? {} : { workerId: a.workerId }),
      })),
      startDate: state.startDate,
      ...(state.endDate === undefined
        ? {}
        : { endDate: state.endDate, durationMs: Date.parse(state.endDate) - Date.parse(state.startDate) }),
      // The task run's outputs object is replaced, never changed, when outputs are set: no copy needed.
      outputs: taskRun.outputs ?? {},
      ...(meta?.error === undefined ? {} : { error: meta.error }),
    };
  }

  /** Every task run, in creation order, as the report shows them (copies). */
  taskRunReports(): TaskRunReport[] {
    const byId = new Map(this.execution.taskRunList.map((t) => [t.id, t]));
    return this.execution.taskRunList.map((t) => {
      if (!this.#meta.has(t.id)) {
        // Reused from a stored execution and not visited again: depth from its parents.
        let depth = 0;
        for (let p = t.parentTaskRunId; p !== undefined; p = byId.get(p)?.parentTaskRunId) depth++;
        const node = findTask(this.flow, t.taskId);
        this.#meta.set(t.id, { type: node?.type ?? '', depth, branch: 'tasks' });
      }
      return this.#taskRunReport(t);
    });
  }

  /** Kestra's `outputs` variable, masked. */
  maskedOutputs(): Record<string, Record<string, unknown>> {
    return this.#masked(this.#outputs) as Record<string, Record<string, unknown>>;
  }
}

/** Kestra's `MapUtils.deepMerge`: nested maps are merged, anything else replaced (new objects, inputs untouched). */
function deepMerge(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const current = out[k];
    out[k] = isPlainMap(current) && isPlainMap(v) ? deepMerge(current, v) : v;
  }
  return out;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The derived state of a list of children's final states (PAUSED ones count last but SUCCESS). */
function stateOf(states: readonly StateType[]): StateType {
  return guessFinalState(states.map((current) => ({ state: { current } })));
}

function indexKey(parentId: string | undefined, taskId: string, value: string | undefined): string {
  return `${parentId ?? ''}\u0000${taskId}\u0000${value ?? ''}`;
}

function parentValuesOf(taskRun: TaskRun, byId: ReadonlyMap<string, TaskRun>): string[] {
  const values: string[] = [];
  for (let p = taskRun.parentTaskRunId; p !== undefined;) {
    const parent = byId.get(p);
    if (parent === undefined) break;
    if (parent.value !== undefined) values.push(parent.value);
    p = parent.parentTaskRunId;
  }
  return values.reverse();
}

function lastPausedDate(taskRun: TaskRun): number | undefined {
  for (let i = taskRun.state.histories.length - 1; i >= 0; i--) {
    const h = taskRun.state.histories[i]!;
    if (h.state === 'PAUSED') return Date.parse(h.date);
  }
  return undefined;
}

/** Finds a task node by id anywhere in the flow. */
export function findTask(flow: Flow, id: string): TaskNode | undefined {
  const stack: TaskNode[] = [
    ...flow.tasks,
    ...flow.errors,
    ...flow.finally,
    ...flow.afterExecution,
    ...flow.listeners.flatMap((l) => l.tasks),
  ];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.id === id) return node;
    for (const list of Object.values(node.children)) stack.push(...list);
    for (const cases of Object.values(node.childMaps ?? {})) for (const list of cases.values()) stack.push(...list);
  }
  return undefined;
}

/** Why a signal was aborted, in words a user reads (`Execution killed`, `Parent task run ended`…). */
function interruptionMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : 'Execution killed';
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it is aborted. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason instanceof Error ? signal.reason : KILLED_REASON);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : KILLED_REASON);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Milliseconds to wait before the next attempt, or `undefined` when the policy says stop — Kestra's
 * `TaskRun.nextRetryDate`: the next date is the end of the last attempt plus the policy's delay
 * (constant: `interval`; exponential: `interval × delayFactor(int, default 2) × (attempts − 1)`,
 * capped at `maxInterval`; random: between `minInterval` and `maxInterval`), refused past
 * `maxAttempts` attempts or past the first attempt's start plus `maxDuration`.
 */
export function nextRetryDelay(retry: RetryPolicy, attempts: readonly TaskRunAttempt[], now: number = Date.now()): number | undefined {
  const first = attempts[0];
  const last = attempts[attempts.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const maxAttempts = retry.maxAttempts ?? retry.maxAttempt;
  if (maxAttempts !== undefined && attempts.length >= maxAttempts) return undefined;
  const next = lastDate(last.state) + policyDelay(retry, attempts.length);
  const maxDuration = ms(retry.maxDuration);
  if (maxDuration !== undefined && next > Date.parse(first.state.startDate) + maxDuration) return undefined;
  return Math.max(0, next - now);
}

/**
 * Milliseconds until the next execution of a `CREATE_NEW_EXECUTION` retry, or `undefined` when the
 * policy says stop — Kestra's `TaskRun.nextRetryDate(retry, execution)` and
 * `ExecutionService.nextRetryDate`: attempts are counted over the chain of executions
 * (`metadata.attemptNumber`: refused once it reaches `maxAttempts`), the delay follows the policy
 * from `base` (the failed attempt's end, or the execution's last change for a flow's retry), and
 * `maxDuration` counts from the creation of the chain's first execution.
 */
export function nextExecutionRetryDelay(
  retry: RetryPolicy,
  execution: Execution,
  base: number,
  now: number = Date.now(),
): number | undefined {
  const attemptNumber = execution.metadata?.attemptNumber ?? 1;
  const maxAttempts = retry.maxAttempts ?? retry.maxAttempt;
  if (maxAttempts !== undefined && attemptNumber >= maxAttempts) return undefined;
  const next = base + policyDelay(retry, attemptNumber);
  const maxDuration = ms(retry.maxDuration);
  const created = Date.parse(execution.metadata?.originalCreatedDate ?? execution.state.startDate);
  if (maxDuration !== undefined && next > created + maxDuration) return undefined;
  return Math.max(0, next - now);
}

function ms(d: string | undefined): number | undefined {
  return d === undefined ? undefined : parseDuration(d);
}

/** The policy's delay after `attemptCount` attempts (Kestra's `AbstractRetry#nextRetryDate` implementations). */
function policyDelay(retry: RetryPolicy, attemptCount: number): number {
  switch (retry.type) {
    case 'constant':
      return ms(retry.interval) ?? 0;
    case 'exponential': {
      const factor = Math.trunc(retry.delayFactor ?? 2);
      const delay = (ms(retry.interval) ?? 0) * factor * (attemptCount - 1);
      const cap = ms(retry.maxInterval);
      return cap !== undefined && delay > cap ? cap : delay;
    }
    case 'random': {
      const min = ms(retry.minInterval) ?? 0;
      const max = ms(retry.maxInterval) ?? min;
      return min + Math.floor(Math.random() * Math.max(0, max - min));
    }
  }
}

export { formatJavaDuration };

/** The part of a run a task's context uses. */
interface RunInternals {
  engine(): FlowEngine;
  execution(): Execution;
  flow(): Flow;
  fetch(): FetchLike;
  env(): Readonly<Record<string, string | undefined>>;
  sensitive(value: string): void;
  encrypt(plain: string): EncryptedString;
  flowsDir(): string | undefined;
  log(frame: Frame, level: LogLevel, message: string, attemptNumber: number): void;
  setOutputs(frame: Frame, outputs: Readonly<Record<string, unknown>>): void;
  runChildren(frame: Frame, plan: ChildrenPlan, signal: AbortSignal): Promise<StateType>;
  control(): ExecutionControl;
  pause(frame: Frame, request: PauseRequest, signal: AbortSignal, resumed: boolean): Promise<PauseOutcome>;
  prepareSubflow(request: SubflowRequest, link: { execution: Execution; taskRun: TaskRun; signal: AbortSignal }): Promise<PreparedSubflow>;
  setIteration(frame: Frame, iteration: number): void;
  restartChildren(frame: Frame): void;
  executions(): RunFlowOptions['executions'];
  triggers(): RunFlowOptions['triggers'];
  files(): ExecutionFiles;
  logs(): readonly LogEntry[];
}

/** What `run` receives: one object per attempt, its methods on the prototype (call them as methods). */
class RunTaskContext implements TaskRunContext {
  readonly #run: RunInternals;
  readonly #frame: Frame;
  readonly #attemptsCount: number;
  readonly #scope: RenderScope;
  #resumeAvailable: boolean;
  #services: TaskServices | undefined;
  #storage: RunStorage | undefined;
  readonly signal: AbortSignal;
  readonly variables: Readonly<Record<string, unknown>>;

  constructor(
    run: RunInternals,
    frame: Frame,
    attemptsCount: number,
    signal: AbortSignal,
    variables: Record<string, unknown>,
    scope: RenderScope,
    resumedFromPause: boolean,
  ) {
    this.#run = run;
    this.#frame = frame;
    this.#attemptsCount = attemptsCount;
    this.signal = signal;
    this.variables = variables;
    this.#scope = scope;
    this.#resumeAvailable = resumedFromPause;
  }

  get task(): TaskNode {
    return this.#frame.node;
  }
  get taskRun(): Readonly<TaskRun> {
    return this.#frame.taskRun;
  }
  get execution(): Readonly<Execution> {
    return this.#run.execution();
  }
  get flow(): Flow {
    return this.#run.flow();
  }
  get fetch(): FetchLike {
    return this.#run.fetch();
  }
  get env(): Readonly<Record<string, string | undefined>> {
    return this.#run.env();
  }
  get flowsDir(): string | undefined {
    return this.#run.flowsDir();
  }
  sensitive(value: string): void {
    this.#run.sensitive(value);
  }
  encrypt(plain: string): EncryptedString {
    return this.#run.encrypt(plain);
  }
  get executionControl(): ExecutionControl {
    return this.#run.control();
  }
  get services(): TaskServices {
    const frame = this.#frame;
    return (this.#services ??= {
      provide: (key, value) => {
        (frame.services ??= new Map()).set(key, value);
      },
      get: <T>(key: string | symbol): T | undefined => {
        for (let f: Frame | undefined = frame; f !== undefined; f = f.parent)
          if (f.services?.has(key) === true) return f.services.get(key) as T;
        return undefined;
      },
    });
  }

  render(template: string, extraVariables?: Readonly<Record<string, unknown>>): Promise<string> {
    const variables = extraVariables === undefined ? this.variables : { ...this.variables, ...extraVariables };
    return this.#run.engine().render(template, variables, this.#scope);
  }

  /** The storage as this task run sees it: it writes under `…/tasks/<task>/<task run id>/`. */
  get storage(): RunStorage {
    return (this.#storage ??= this.#run.files().storage.forTaskRun(this.#frame.node.id, this.#frame.taskRun.id));
  }

  get kv(): FlowKV {
    return this.#run.files().kv;
  }

  executionLogs(): readonly ExecutionLogLine[] {
    return this.#run.logs();
  }

  renderValue(value: unknown, extraVariables?: Readonly<Record<string, unknown>>): Promise<unknown> {
    const variables = extraVariables === undefined ? this.variables : { ...this.variables, ...extraVariables };
    return this.#run.engine().renderValue(value, variables, this.#scope);
  }

  async property<T = unknown>(name: string): Promise<T | undefined> {
    const { node, def } = this.#frame;
    const prop = def.properties[name];
    const raw = Object.hasOwn(node.properties, name) ? node.properties[name] : prop?.default;
    if (raw === undefined || raw === null || prop === undefined) return (raw ?? undefined) as T | undefined;
    const rendered = prop.dynamic === false ? raw : typeof raw === 'string' ? await this.render(raw) : await this.renderValue(raw);
    return coerceProperty(rendered, prop.kind ?? 'any', name) as T;
  }

  log(level: LogLevel, message: string): void {
    this.#run.log(this.#frame, level, message, this.#attemptsCount);
  }

  setOutputs(outputs: Readonly<Record<string, unknown>>): void {
    this.#run.setOutputs(this.#frame, outputs);
  }

  runChildren(plan: ChildrenPlan): Promise<StateType> {
    return this.#run.runChildren(this.#frame, plan, this.signal);
  }

  runTasks(tasks: readonly TaskNode[]): Promise<StateType> {
    return this.runChildren({ tasks, errors: [], finally: [] });
  }

  pause(request: PauseRequest): Promise<PauseOutcome> {
    const resumed = this.#resumeAvailable;
    this.#resumeAvailable = false;
    return this.#run.pause(this.#frame, request, this.signal, resumed);
  }

  async runSubflow(request: SubflowRequest): Promise<SubflowResult> {
    return (await this.prepareSubflow(request)).start();
  }

  prepareSubflow(request: SubflowRequest): Promise<PreparedSubflow> {
    return this.#run.prepareSubflow(request, { execution: this.#run.execution(), taskRun: this.#frame.taskRun, signal: this.signal });
  }

  setIteration(iteration: number): void {
    this.#run.setIteration(this.#frame, iteration);
  }

  restartChildren(): void {
    this.#run.restartChildren(this.#frame);
  }

  async resumeExecution(request: { readonly executionId: string; readonly inputs: Readonly<Record<string, unknown>> }): Promise<void> {
    const executions = this.#run.executions();
    if (executions?.resume === undefined)
      throw new TaskError(
        'UNSUPPORTED',
        'Resume needs access to executions: the CLI resumes those it keeps; embedders pass `executions` to runFlow',
      );
    await executions.resume(request.executionId, request.inputs);
  }

  async findExecution(executionId: string): Promise<Execution | undefined> {
    if (executionId === this.execution.id) return this.execution;
    return this.#run.executions()?.find?.(executionId);
  }

  async findExecutionLogs(executionId: string): Promise<readonly ExecutionLogLine[] | undefined> {
    if (executionId === this.execution.id) return this.#run.logs();
    const executions = this.#run.executions();
    if (executions?.logs === undefined)
      throw new TaskError(
        'UNSUPPORTED',
        `The logs of another execution ('${executionId}') need access to executions: the CLI reads those it keeps, the server its store; embedders pass \`executions.logs\` to runFlow`,
      );
    return executions.logs(executionId);
  }

  async toggleTrigger(request: TriggerToggleRequest): Promise<TriggerToggleResult> {
    const triggers = this.#run.triggers();
    if (triggers === undefined)
      throw new TaskError(
        'UNSUPPORTED',
        'Toggle needs the trigger store, and triggers live in `pebbleflow server`: a local run (`pebbleflow run`) has no triggers to enable or disable',
      );
    return triggers.toggle(request);
  }
}
