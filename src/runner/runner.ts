/**
 * Runs a loaded flow: resolves inputs, renders each task's properties where the task reads them
 * (secrets and credentials in the flow's tenant and namespace), runs tasks in order with runIf,
 * disabled, allowFailure, timeout and retry, then `errors` on failure and `finally` always, and
 * returns a report whose logs, errors and outputs never show a sensitive value.
 */
import { randomBytes } from 'node:crypto';
import { parseDuration } from '../flow/duration.js';
import { coerceInput, resolveInputs } from '../flow/inputs.js';
import type { Flow, RetryPolicy, TaskNode } from '../flow/model.js';
import { LOG_LEVELS, type LogLevel } from '../flow/schema.js';
import { isTruthy } from '../tasks/coerce.js';
import { resolveTaskType } from '../tasks/registry.js';
import { coerceProperty } from '../tasks/coerce.js';
import type { ChildItem, TaskRunContext } from '../tasks/definition.js';
import { TaskError } from '../tasks/types.js';

type TaskState = TaskRunReport['state'];
import type { RenderScope } from '../engine/extension.js';
import { loadConfig } from '../config/load-config.js';
import { createEngine } from '../pebbleflow-engine.js';
import { Masker } from './masking.js';
import {
  FlowDisabledError,
  type ExecutionState,
  type FlowEngine,
  type LogEntry,
  type RunEvent,
  type RunFlowOptions,
  type RunReport,
  type TaskRunReport,
} from './types.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A Kestra-like execution/task-run id: 22 base62 characters. */
export function newId(): string {
  let out = '';
  for (const byte of randomBytes(22)) out += BASE62[byte % 62];
  return out;
}

/** `ENV_FOO=x` → `{ foo: 'x' }` (Kestra's current default prefix). */
export function envsFrom(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('ENV_') && k.length > 4 && v !== undefined) out[k.slice(4).toLowerCase()] = v;
  return out;
}

/** The message to show for any failure: TemplateError, TaskError, or anything thrown by a plugin. */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const SEVERITY: Record<LogLevel, number> = Object.fromEntries(LOG_LEVELS.map((l, i) => [l, i])) as Record<LogLevel, number>;

/** An engine wired to a config: `secret()`/`credential()`, plus the credential test API. */
export interface FlowEngineSetup {
  readonly engine: FlowEngine;
  /** The tenant runs use: the one asked for, else the config's. */
  readonly tenant: string;
  testCredential(
    id: string,
    scope?: { tenant?: string; namespace?: string },
  ): Promise<{ ok: true; tokenType: string; expiresAt: Date | null; scope: string | null }>;
  listCredentials(): { id: string; type: string; authConfigType?: string; tenant: string; namespace?: string; description?: string }[];
}

/**
 * pebbleflow's engine with `secret()`/`credential()` backed by the config (object or path).
 * Without a config, secrets come from `SECRET_<KEY>` environment variables, as in Kestra OSS.
 */
export async function createFlowEngine(
  options: Pick<RunFlowOptions, 'config' | 'fetch' | 'env' | 'tenant'> = {},
): Promise<FlowEngineSetup> {
  const config = loadConfig(options.config ?? { secrets: [{ type: 'env' }] });
  const engine = createEngine({
    config,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.env === undefined ? {} : { env: { ...options.env } }),
  });
  return {
    engine,
    tenant: options.tenant ?? config.tenant,
    testCredential: (id, scope) => engine.testCredential(id, scope),
    listCredentials: () => engine.listCredentials().map((c) => ({ ...c })),
  };
}

/** Runs a flow to its end and returns the report (`pebbleflow run --json` prints the same object). */
export async function runFlow(flow: Flow, options: RunFlowOptions = {}): Promise<RunReport> {
  if (flow.disabled) throw new FlowDisabledError(flow.namespace, flow.id);
  const { engine, tenant } =
    options.engine === undefined ? await createFlowEngine(options) : { engine: options.engine, tenant: options.tenant ?? 'main' };
  const masker = new Masker();
  const runAbort = new AbortController();
  const onOuterAbort = (): void => runAbort.abort(options.signal?.reason);
  if (options.signal?.aborted === true) runAbort.abort(options.signal.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const scope: RenderScope = { tenant, namespace: flow.namespace, onSensitiveValue: (v) => masker.add(v), signal: runAbort.signal };

  const executionId = newId();
  const started = Date.now();
  const startDate = new Date(started).toISOString();
  const base: Record<string, unknown> = {
    flow: { id: flow.id, namespace: flow.namespace, tenantId: tenant, ...(flow.revision === undefined ? {} : { revision: flow.revision }) },
    execution: { id: executionId, startDate, originalId: executionId },
    vars: flow.variables,
    labels: flow.labels,
    envs: envsFrom(options.env ?? process.env),
    globals: options.globals ?? {},
  };
  const resolved = await resolveInputs(flow.inputs, options.inputs ?? {}, {
    render: (template, inputs) => engine.render(template, { ...base, inputs }, scope),
    masker,
  });
  for (const value of resolved.sensitive) masker.add(value);
  base.inputs = resolved.values;

  const outputs: Record<string, Record<string, unknown>> = {};
  const taskStates: Record<string, { state: string }> = {};
  const report: RunReport = {
    id: flow.id,
    namespace: flow.namespace,
    tenant,
    executionId,
    state: 'SUCCESS',
    startDate,
    endDate: startDate,
    durationMs: 0,
    taskRuns: [],
    outputs: {},
    logs: [],
  };
  const emit = (event: RunEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener's failure must not change the run.
    }
  };
  const writeLog = (level: LogLevel, message: string, taskRun?: TaskRunReport): void => {
    const entry: LogEntry = {
      ...(taskRun === undefined ? {} : { taskId: taskRun.taskId, taskRunId: taskRun.id }),
      level,
      message: masker.mask(message),
      timestamp: new Date().toISOString(),
    };
    report.logs.push(entry);
    try {
      options.onLog?.(entry);
    } catch {
      // ignore listener failures
    }
    emit({ type: 'log', log: entry });
  };
  let sawWarning = false;

  const contextFor = (task: TaskNode, taskRun: TaskRunReport, attempt: number): Record<string, unknown> => ({
    ...base,
    outputs: { ...outputs },
    tasks: { ...taskStates },
    task: { id: task.id, type: task.type },
    taskrun: { id: taskRun.id, startDate: taskRun.startDate, attemptsCount: attempt },
  });

  const runList = async (tasks: readonly TaskNode[], parent: TaskRunReport | undefined, branch: string): Promise<TaskState> => {
    let state: TaskState = 'SUCCESS';
    for (const task of tasks) {
      if (runAbort.signal.aborted) return 'FAILED';
      const s = await runTask(task, parent, branch);
      if (s === 'FAILED') return 'FAILED';
      if (s === 'WARNING') state = 'WARNING';
    }
    return state;
  };

  const runTask = async (task: TaskNode, parent: TaskRunReport | undefined, branch: string): Promise<TaskState> => {
    const plugin = resolveTaskType(task.type);
    const taskStarted = Date.now();
    const taskRun: TaskRunReport = {
      id: newId(),
      taskId: task.id,
      type: task.type,
      ...(parent === undefined ? {} : { parentTaskRunId: parent.id }),
      depth: parent === undefined ? 0 : parent.depth + 1,
      branch,
      state: 'CREATED',
      attempts: 0,
      startDate: new Date(taskStarted).toISOString(),
      outputs: {},
    };
    report.taskRuns.push(taskRun);
    const finish = (state: TaskState, error?: string): TaskState => {
      taskRun.state = state;
      taskRun.endDate = new Date().toISOString();
      taskRun.durationMs = Date.now() - taskStarted;
      if (error !== undefined) taskRun.error = masker.mask(error);
      taskStates[task.id] = { state };
      if (state === 'WARNING') sawWarning = true;
      emit({ type: 'task-end', taskRun });
      return state;
    };
    emit({ type: 'task-start', taskRun });
    if (task.disabled) return finish('SKIPPED');
    const log = (level: LogLevel, message: string): void => {
      if (task.logLevel !== undefined && SEVERITY[level] < SEVERITY[task.logLevel]) return;
      writeLog(level, message, taskRun);
    };
    const fail = (error: unknown): TaskState => {
      const message = messageOf(error);
      log('ERROR', message);
      return finish(task.allowFailure ? 'WARNING' : 'FAILED', message);
    };
    if (plugin === undefined) return fail(new TaskError('UNKNOWN_TYPE', `Invalid type: ${task.type}`));
    taskRun.state = 'RUNNING';

    if (task.runIf !== undefined) {
      try {
        const rendered = await engine.render(task.runIf, contextFor(task, taskRun, 0), scope);
        if (!isTruthy(rendered)) return finish('SKIPPED');
      } catch (e) {
        return fail(e);
      }
    }

    let timeoutMs: number | undefined;
    try {
      timeoutMs =
        task.timeout === undefined ? undefined : parseTimeout(await engine.render(task.timeout, contextFor(task, taskRun, 0), scope));
    } catch (e) {
      return fail(e);
    }
    const retry = task.retry;
    for (let attempt = 1; ; attempt++) {
      taskRun.attempts = attempt;
      const context = contextFor(task, taskRun, attempt - 1);
      const controller = new AbortController();
      const onRunAbort = (): void => controller.abort(new TaskError('CANCELLED', 'Execution cancelled'));
      runAbort.signal.addEventListener('abort', onRunAbort, { once: true });
      const taskScope: RenderScope = { ...scope, signal: controller.signal };
      const runTasks = async (children: readonly TaskNode[]): Promise<TaskState> => {
        const name = Object.entries(task.children).find(([, list]) => list === children)?.[0] ?? 'tasks';
        return runList(children, taskRun, name);
      };
      // Interim context: the Execution-model runner replaces this with the full TaskRunContext.
      const ctx = {
        task,
        signal: controller.signal,
        fetch: options.fetch ?? globalThis.fetch,
        variables: context,
        render: (template: string) => engine.render(template, context, taskScope),
        renderValue: (value: unknown) => engine.renderValue(value, context, taskScope),
        property: async (name: string) => {
          const def = plugin.properties[name];
          const raw = task.properties[name] ?? def?.default;
          if (raw === undefined || def === undefined) return raw;
          const rendered =
            def.dynamic === false
              ? raw
              : typeof raw === 'string'
                ? await engine.render(raw, context, taskScope)
                : await engine.renderValue(raw, context, taskScope);
          return coerceProperty(rendered, def.kind ?? 'any', name);
        },
        setOutputs: (values: Record<string, unknown>) => {
          outputs[task.id] = { ...values };
        },
        log,
        runTasks,
        runChildren: async (plan: { tasks: readonly (TaskNode | ChildItem)[] }) => {
          const list = plan.tasks.map((t) => ('task' in t ? t.task : t));
          const state = await runTasks(list);
          if (state === 'FAILED' && (task.children.errors?.length ?? 0) > 0) await runTasks(task.children.errors ?? []);
          return state === 'SKIPPED' ? 'SUCCESS' : state;
        },
      } as unknown as TaskRunContext;
      let timer: NodeJS.Timeout | undefined;
      try {
        const running = plugin.run(ctx);
        const result = await (timeoutMs === undefined
          ? running
          : Promise.race([
              running,
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  const error = new TaskError('TIMEOUT', `Timeout after ${task.timeout}`);
                  controller.abort(error);
                  reject(error);
                }, timeoutMs);
              }),
            ]));
        if (result?.outputs !== undefined) {
          outputs[task.id] = { ...result.outputs };
          taskRun.outputs = masker.maskDeep(result.outputs) as Record<string, unknown>;
          report.outputs[task.id] = taskRun.outputs;
        }
        let state = (result?.state ?? 'SUCCESS') as TaskState;
        if (state === 'FAILED') return finish(task.allowFailure ? 'WARNING' : 'FAILED');
        if (state === 'SUCCESS' && attempt > 1 && retry?.warningOnRetry === true) state = 'WARNING';
        if (state === 'WARNING' && task.allowWarning) state = 'SUCCESS';
        return finish(state);
      } catch (e) {
        const delay = runAbort.signal.aborted ? undefined : retryDelay(retry, attempt, Date.now() - taskStarted);
        if (delay === undefined) return fail(e);
        log('WARN', `Attempt ${attempt} failed: ${messageOf(e)}; retrying in ${delay} ms`);
        await sleep(delay, runAbort.signal);
      } finally {
        clearTimeout(timer);
        runAbort.signal.removeEventListener('abort', onRunAbort);
      }
    }
  };

  try {
    let state = await runList(flow.tasks, undefined, 'tasks');
    if (state === 'FAILED' && flow.errors.length > 0) await runList(flow.errors, undefined, 'errors');
    if (flow.finally.length > 0 && (await runList(flow.finally, undefined, 'finally')) === 'FAILED') state = 'FAILED';
    if (state !== 'FAILED' && flow.outputs.length > 0) {
      try {
        const context = { ...base, outputs: { ...outputs }, tasks: { ...taskStates } };
        const values: Record<string, unknown> = {};
        for (const out of flow.outputs) {
          const rendered = await engine.renderValue(out.value, context, scope);
          values[out.id] = coerceInput({ type: out.type }, rendered);
        }
        report.flowOutputs = masker.maskDeep(values) as Record<string, unknown>;
      } catch (e) {
        writeLog('ERROR', `Flow outputs: ${messageOf(e)}`);
        state = 'FAILED';
      }
    }
    const final: ExecutionState = state === 'FAILED' ? 'FAILED' : sawWarning || state === 'WARNING' ? 'WARNING' : 'SUCCESS';
    report.state = final;
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    report.endDate = new Date().toISOString();
    report.durationMs = Date.now() - started;
  }
  return report;
}

function parseTimeout(text: string): number {
  const ms = parseDuration(text.trim());
  if (ms === undefined || ms <= 0)
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`timeout\`: expected an ISO-8601 duration such as PT30S, got \`${text}\``);
  return ms;
}

/** Milliseconds to wait before the next attempt, or undefined when the policy says stop. */
export function retryDelay(retry: RetryPolicy | undefined, attempt: number, elapsedMs: number): number | undefined {
  if (retry === undefined) return undefined;
  const maxAttempt = retry.maxAttempt ?? (retry.maxDuration === undefined ? 3 : Number.POSITIVE_INFINITY);
  if (attempt >= maxAttempt) return undefined;
  const ms = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseDuration(d));
  let delay: number;
  switch (retry.type) {
    case 'constant':
      delay = ms(retry.interval) ?? 1000;
      break;
    case 'exponential': {
      const interval = ms(retry.interval) ?? 1000;
      delay = interval * Math.pow(retry.delayFactor ?? 2, attempt - 1);
      const cap = ms(retry.maxInterval);
      if (cap !== undefined) delay = Math.min(delay, cap);
      break;
    }
    case 'random': {
      const min = ms(retry.minInterval) ?? 0;
      const max = ms(retry.maxInterval) ?? min;
      delay = min + Math.random() * Math.max(0, max - min);
      break;
    }
  }
  const maxDuration = ms(retry.maxDuration);
  if (maxDuration !== undefined && elapsedMs + delay > maxDuration) return undefined;
  return Math.round(delay);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
