/**
 * Runs flows as Kestra executions: `runFlow` starts one and returns its report; `runExecution`
 * also returns the `Execution` itself (what a store keeps and the server's API returns);
 * `resumeExecution` continues a saved one (a paused run, or one whose process died);
 * `restartExecution` prepares a failed one to run again from its failed task runs (Kestra's restart).
 * Everything a report, a store or a listener receives is masked.
 */
import { loadConfig } from '../config/load-config.js';
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import { TemplateEngine } from '../engine/engine.js';
import type { RenderScope } from '../engine/extension.js';
import { checkLogLevel, evaluateChecks, type ChecksOutcome } from '../flow/checks.js';
import { ExecutionBlockedError, InputValidationError } from '../flow/errors.js';
import { renderTyped } from '../engine/render-typed.js';
import { isTerminal, type Execution, type Label, type StateType, type TaskRun } from '../flow/execution.js';
import { join } from 'node:path';
import { resolveInputs } from '../flow/inputs.js';
import { SecretResolver } from '../secrets/secret-resolver.js';
import type { Flow, InputDefinition, TaskNode } from '../flow/model.js';
import { createEngine, PebbleflowEngine } from '../pebbleflow-engine.js';
import type { PreparedSubflow, SubflowRequest, SubflowResult } from '../tasks/definition.js';
import { pluginRegistry } from '../plugins/load-plugins.js';
import { defaultTaskRegistry } from '../tasks/registry.js';
import { TaskError } from '../tasks/types.js';
import { clonePlain } from './context.js';
import { processConcurrencyLimiter } from './concurrency.js';
import { ExecutionRun, findTask, sleep, SubflowWaiting } from './execution-run.js';
import { ExecutionFiles } from './files.js';
import { runnerExtension } from './functions.js';
import { newId } from './ids.js';
import { Masker } from './masking.js';
import { durationMs, newState, transition } from './state.js';
import { NO_STORE } from './store.js';
import { FlowDisabledError, type FlowEngine, type LogEntry, type RunFlowOptions, type RunReport } from './types.js';

export { newId } from './ids.js';
export { nextRetryDelay } from './execution-run.js';

/** `ENV_FOO=x` → `{ foo: 'x' }` (Kestra's `env-vars-prefix`, `ENV_` by default). */
export function envsFrom(env: Readonly<Record<string, string | undefined>>, prefix = 'ENV_'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(prefix) && k.length > prefix.length && v !== undefined) out[k.slice(prefix.length).toLowerCase()] = v;
  }
  return out;
}

/** `envs` and `globals` of a run: the options', else the config's `variables:` the engine was made with. */
export function runVariables(
  engine: FlowEngine,
  options: Pick<RunFlowOptions, 'env' | 'globals'>,
): { envs: Record<string, string>; globals: Readonly<Record<string, unknown>> } {
  const variables = engine instanceof PebbleflowEngine ? engine.variables : {};
  return {
    envs: envsFrom(options.env ?? process.env, variables.envVarsPrefix),
    // A copy per run: `sort` and `+` change lists in place, as in Pebble.
    globals: options.globals ?? (variables.globals === undefined ? {} : clonePlain(variables.globals)),
  };
}

/** An engine wired to a config: `secret()`/`credential()`, plus the credential test API. */
export interface FlowEngineSetup {
  readonly engine: FlowEngine;
  /** The tenant runs use: the one asked for, else the config's. */
  readonly tenant: string;
  /** The storage and namespace-files folders of the config. */
  readonly storage: StorageDirs;
  /** The config's `url` (Kestra's `kestra.url`): `{{ kestra.url }}` and links to executions. */
  readonly kestraUrl?: string;
  /** Resolves the config's `server.encryptionKey` (absent without one). */
  readonly encryptionKey?: () => Promise<string>;
  testCredential(
    id: string,
    scope?: { tenant?: string; namespace?: string },
  ): Promise<{ ok: true; tokenType: string; expiresAt: Date | null; scope: string | null }>;
  listCredentials(): { id: string; type: string; authConfigType?: string; tenant: string; namespace?: string; description?: string }[];
}

/**
 * pebbleflow's engine with `secret()`/`credential()` backed by the config (object or path), and the
 * runner's `errorLogs()` and `currentEachOutput()`. Without a config, secrets come from
 * `SECRET_<KEY>` environment variables, as in Kestra OSS.
 */
export async function createFlowEngine(
  options: Pick<RunFlowOptions, 'config' | 'fetch' | 'env' | 'tenant' | 'cwd'> = {},
): Promise<FlowEngineSetup> {
  const config = loadConfig(options.config ?? { secrets: [{ type: 'env' }] });
  const engine = createEngine({
    config,
    extensions: [runnerExtension()],
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.env === undefined ? {} : { env: { ...options.env } }),
  });
  withRunnerFunctions.add(engine);
  return {
    engine,
    tenant: options.tenant ?? config.tenant,
    storage: {
      // Without a config file, the storage sits in the folder the run starts from.
      dir: options.config === undefined ? defaultStorageDir(options.cwd) : config.storage,
      ...(config.namespaceFiles === undefined ? {} : { namespaceFiles: config.namespaceFiles }),
    },
    ...(config.url === undefined ? {} : { kestraUrl: config.url }),
    ...(config.server?.encryptionKey === undefined
      ? {}
      : {
          encryptionKey: () =>
            new SecretResolver(config, options.env ?? process.env).resolve(config.server!.encryptionKey!.secret, {
              tenant: options.tenant ?? config.tenant,
            }),
        }),
    testCredential: (id, scope) => engine.testCredential(id, scope),
    listCredentials: () => engine.listCredentials().map((c) => ({ ...c })),
  };
}

const withRunnerFunctions = new WeakSet<object>();

/** Where an execution's files and the KV store live. */
export interface StorageDirs {
  readonly dir: string;
  readonly namespaceFiles?: string;
}

function defaultStorageDir(cwd: string | undefined): string {
  return join(cwd ?? process.cwd(), '.pebbleflow', 'storage');
}

/** Gives an embedder's engine the runner's functions (once). */
function ensureRunnerFunctions(engine: FlowEngine): void {
  if (withRunnerFunctions.has(engine)) return;
  withRunnerFunctions.add(engine);
  // Only pebbleflow's own engines take extensions; another FlowEngine goes without errorLogs().
  if (engine instanceof TemplateEngine) engine.addExtension(runnerExtension());
}

/** What a run returns to embedders: the report and the execution (both masked, both final). */
export interface RunResult {
  readonly report: RunReport;
  readonly execution: Execution;
  /**
   * The earlier executions of a `CREATE_NEW_EXECUTION` retry chain, oldest first, each ended
   * RETRIED (`report` and `execution` are then the chain's last execution); absent when the run
   * made no new execution.
   */
  readonly retried?: readonly RunResult[];
}

/** Runs a flow to its end (or to a pause) and returns the report (`pebbleflow run --json` prints the same object). */
export async function runFlow(flow: Flow, options: RunFlowOptions = {}): Promise<RunReport> {
  return (await runExecution(flow, options)).report;
}

export interface ContinueOptions {
  /** A saved execution to continue (its terminal task runs are reused). */
  readonly execution?: Execution;
  /** Inputs for the paused task runs (a Pause's `onResume`), already validated. */
  readonly resumeInputs?: Readonly<Record<string, unknown>>;
  /** The run's log lines so far (a continued execution's, for `errorLogs()`). */
  readonly previousLogs?: readonly LogEntry[];
  /**
   * Typed inputs to run a saved execution with, instead of its saved ones (which hold `******` for
   * SECRET inputs): a server passes the SECRET values it decrypted here. The saved inputs stay as they are.
   */
  readonly runInputs?: Readonly<Record<string, unknown>>;
  /** Values masked from the start (SECRET inputs resolved before the run, by whoever created the execution). */
  readonly sensitiveValues?: readonly string[];
  /**
   * Internal: `execution` is over (a subflow execution that ended in a run of its own): nothing
   * runs, the result only gives its outputs and renders in its context.
   */
  readonly settled?: boolean;
}

/** Internal: what a run needs from the one that started it (Subflow). */
interface ParentLink {
  readonly execution: Execution;
  readonly taskRun: TaskRun;
  readonly masker: Masker;
  readonly engine: FlowEngine;
  readonly tenant: string;
  readonly storage: StorageDirs;
  readonly kestraUrl: string | undefined;
  /** The `trigger.type` of the child execution (the starting task's type). */
  readonly triggerType: string;
  readonly onCreated?: ((executionId: string) => void) | undefined;
  /**
   * Awaited once the child execution is created (inputs read and validated), before anything of it
   * is stored or run: a PreparedSubflow waits here for its start (or throws to be discarded).
   */
  readonly beforeRun?: (() => Promise<void>) | undefined;
}

/** Runs a new execution of a flow, or continues a saved one (`options.execution`). */
export async function runExecution(flow: Flow, options: RunFlowOptions & ContinueOptions = {}): Promise<RunResult> {
  // The config's plugins, unless the caller gave the registry (the CLI does, having loaded them to read the flow).
  const withPlugins =
    options.registry === undefined && options.config !== undefined
      ? { ...options, registry: (await pluginRegistry(options.config)).registry }
      : options;
  const { report, execution, retried } = await execute(flow, withPlugins, undefined);
  return {
    report,
    execution,
    ...(retried === undefined ? {} : { retried: retried.map((r) => ({ report: r.report, execution: r.execution })) }),
  };
}

interface ExecuteResult extends RunResult {
  readonly rawOutputs?: Record<string, unknown>;
  /** Renders a value in the ended execution's context. */
  readonly renderFlowValue: (value: unknown) => Promise<unknown>;
  /** The ended execution's inputs, unmasked (what a new execution of a retry runs with). */
  readonly runInputs: Record<string, unknown>;
  /** The execution ended RETRIED: milliseconds until its new execution starts. */
  readonly newExecutionDelay?: number;
  /** The execution ended RETRIED: the id its new execution gets. */
  readonly nextExecutionId?: string;
}

/**
 * Runs an execution, then follows its `CREATE_NEW_EXECUTION` retries (unless the caller schedules
 * them: `scheduleRetry`).
 */
async function execute(flow: Flow, options: RunFlowOptions & ContinueOptions, parent: ParentLink | undefined): Promise<ExecuteResult> {
  const masker = parent?.masker ?? new Masker();
  const first = await executeOne(flow, options, parent, masker);
  return options.scheduleRetry === undefined ? followRetries(flow, options, parent, masker, first) : first;
}

/**
 * The rest of a `CREATE_NEW_EXECUTION` retry chain, in this process: while an execution ends
 * RETRIED, its new execution (Kestra's `ExecutionService.replay`: a new id, the same inputs,
 * labels, variables, trigger and flow revision, `parentId` the retried execution, `originalId`
 * kept, `metadata.attemptNumber` one more) is stored CREATED when the retry's date comes, and run;
 * the result is the last execution's, with the earlier ones in `retried`. A kill while waiting
 * stops the chain (one process: nothing else would run it).
 */
async function followRetries(
  flow: Flow,
  options: RunFlowOptions & ContinueOptions,
  parent: ParentLink | undefined,
  masker: Masker,
  first: ExecuteResult,
): Promise<ExecuteResult> {
  let result = first;
  const retried: RunResult[] = [];
  const store = options.store ?? NO_STORE;
  while (result.execution.state.current === 'RETRIED' && result.newExecutionDelay !== undefined) {
    const signal = options.signal;
    const killed = (): boolean => signal?.aborted === true;
    if (killed()) break;
    // As Kestra's executor: the new execution is created when the retry date comes.
    await sleep(result.newExecutionDelay, signal ?? new AbortController().signal);
    if (killed()) break;
    const next = replayExecution(result.execution, result.nextExecutionId);
    const saved = store.save(next, { kind: 'execution' });
    if (saved instanceof Promise) await saved.catch(() => undefined);
    retried.push({ report: result.report, execution: result.execution });
    result = await executeOne(
      flow,
      { ...options, execution: next, runInputs: result.runInputs, resumeInputs: undefined, previousLogs: undefined },
      parent === undefined ? undefined : { ...parent, onCreated: undefined, beforeRun: undefined },
      masker,
    );
  }
  return retried.length === 0 ? result : { ...result, retried };
}

/** Kestra's `ExecutionMetadata.nextAttempt()` (a replay's, a restart's): one more attempt, the chain's creation date kept. */
function nextAttempt(execution: Execution): NonNullable<Execution['metadata']> {
  return {
    attemptNumber: (execution.metadata?.attemptNumber ?? 1) + 1,
    // Executions stored before pebbleflow wrote metadata: their start is their creation.
    originalCreatedDate: execution.metadata?.originalCreatedDate ?? execution.state.startDate,
  };
}

/** The clear values of a flow's SECRET inputs among resolved inputs, or undefined when it has none. */
function secretInputValues(flow: Flow, inputs: Readonly<Record<string, unknown>>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const def of flow.inputs) {
    const value = inputs[def.id];
    if (def.type === 'SECRET' && typeof value === 'string') out[def.id] = value;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Kestra's `ExecutionService.replay(execution, null, null)`: the new execution of a
 * `CREATE_NEW_EXECUTION` retry, CREATED (with `id` when the retry chose it already).
 */
export function replayExecution(execution: Execution, id: string = newId()): Execution {
  const e = clonePlain(execution);
  return {
    id,
    ...(e.tenantId === undefined ? {} : { tenantId: e.tenantId }),
    namespace: e.namespace,
    flowId: e.flowId,
    flowRevision: e.flowRevision,
    taskRunList: [],
    inputs: e.inputs,
    ...(e.outputs === undefined ? {} : { outputs: e.outputs }),
    labels: e.labels,
    ...(e.variables === undefined ? {} : { variables: e.variables }),
    state: newState('CREATED'),
    parentId: e.id,
    originalId: e.originalId,
    ...(e.trigger === undefined ? {} : { trigger: e.trigger }),
    metadata: nextAttempt(e),
    ...(e.scheduleDate === undefined ? {} : { scheduleDate: e.scheduleDate }),
  };
}

async function executeOne(
  flow: Flow,
  options: RunFlowOptions & ContinueOptions,
  parent: ParentLink | undefined,
  masker: Masker,
): Promise<ExecuteResult> {
  if (flow.disabled && options.execution === undefined) throw new FlowDisabledError(flow.namespace, flow.id);
  const setup: {
    engine: FlowEngine;
    tenant: string;
    storage: StorageDirs;
    kestraUrl?: string | undefined;
    encryptionKey?: () => Promise<string>;
  } =
    parent !== undefined
      ? { engine: parent.engine, tenant: parent.tenant, storage: parent.storage, kestraUrl: parent.kestraUrl }
      : options.engine === undefined
        ? await createFlowEngine(options)
        : { engine: options.engine, tenant: options.tenant ?? 'main', storage: { dir: defaultStorageDir(options.cwd) } };
  const { engine, tenant, kestraUrl } = setup;
  // The server key for EncryptedString outputs: the caller's, else the config's (subflows get the parent's options).
  if (parent === undefined && options.encryptionKey === undefined && setup.encryptionKey !== undefined) {
    try {
      options = { ...options, encryptionKey: await setup.encryptionKey() };
    } catch (e) {
      options = { ...options, encryptionKeyError: `server.encryptionKey: ${(e as Error).message}` };
    }
  }
  const { envs, globals } = runVariables(engine, options);
  const storageDirs: StorageDirs =
    parent !== undefined
      ? setup.storage
      : {
          dir: options.storage ?? setup.storage.dir,
          ...((options.namespaceFiles ?? setup.storage.namespaceFiles) === undefined
            ? {}
            : { namespaceFiles: options.namespaceFiles ?? setup.storage.namespaceFiles }),
        };
  const flows = options.flows;
  const flowNamespaces = flows?.namespaces === undefined ? undefined : (t: string) => flows.namespaces!(t);
  const filesFor = (executionId: string): ExecutionFiles =>
    new ExecutionFiles({
      storageDir: storageDirs.dir,
      ...(storageDirs.namespaceFiles === undefined ? {} : { namespaceFilesDir: storageDirs.namespaceFiles }),
      tenant,
      namespace: flow.namespace,
      flowId: flow.id,
      executionId,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(flowNamespaces === undefined ? {} : { flowNamespaces }),
      ...(parent === undefined
        ? {}
        : { parent: { namespace: parent.execution.namespace, flowId: parent.execution.flowId, executionId: parent.execution.id } }),
    });
  ensureRunnerFunctions(engine);
  for (const value of options.sensitiveValues ?? []) masker.add(value);
  const scope: RenderScope = { tenant, namespace: flow.namespace, onSensitiveValue: (v) => masker.add(v) };
  const registry = options.registry ?? defaultTaskRegistry;
  const store = options.store ?? NO_STORE;

  let execution: Execution;
  let inputs: Record<string, unknown>;
  let files: ExecutionFiles;
  let checks: ChecksOutcome | undefined;
  if (options.execution !== undefined) {
    execution = clonePlain(options.execution);
    inputs = { ...(options.runInputs ?? execution.inputs) };
    files = filesFor(execution.id);
  } else {
    const id = options.executionId ?? newId();
    files = filesFor(id);
    const startDate = new Date().toISOString();
    const preliminary: Record<string, unknown> = {
      flow: flowVariable(flow, tenant),
      execution: { id, startDate, originalId: id },
      vars: flow.variables,
      labels: { ...flow.labels },
      envs,
      globals,
    };
    const resolved = await resolveInputs(flow.inputs, options.inputs ?? {}, {
      render: (template, current) => engine.render(template, { ...preliminary, inputs: current }, scope),
      masker,
      storeFile: files.storeInputFile,
    });
    for (const value of resolved.sensitive) masker.add(value);
    inputs = resolved.values;
    checks = await runChecks(flow, { ...preliminary, ...(Object.keys(inputs).length === 0 ? {} : { inputs }) }, engine, scope, masker);
    const state = newState('CREATED');
    execution = {
      id,
      ...(tenant === 'main' ? {} : { tenantId: tenant }),
      namespace: flow.namespace,
      flowId: flow.id,
      flowRevision: flow.revision ?? 1,
      taskRunList: [],
      inputs: masker.maskDeep(inputs) as Record<string, unknown>,
      labels: executionLabels(flow, options.labels ?? [], id),
      state,
      originalId: id,
      ...(parent === undefined
        ? {}
        : {
            parentId: parent.execution.id,
            trigger: {
              id: parent.taskRun.taskId,
              type: parent.triggerType,
              variables: {
                executionId: parent.execution.id,
                namespace: parent.execution.namespace,
                flowId: parent.execution.flowId,
                flowRevision: parent.execution.flowRevision,
              },
            },
          }),
      // Kestra's Execution.builder() writes it on every execution it builds.
      metadata: { attemptNumber: 1, originalCreatedDate: state.startDate },
    };
    const secrets = secretInputValues(flow, inputs);
    if (secrets !== undefined) options.store?.secretInputs?.(id, secrets);
  }
  if (options.execution === undefined) {
    await parent?.beforeRun?.();
    parent?.onCreated?.(execution.id);
  }
  // As Kestra's RunVariables: `inputs` only when there are some.
  const base: Record<string, unknown> = {
    flow: flowVariable(flow, tenant),
    ...(Object.keys(inputs).length === 0 ? {} : { inputs }),
    envs,
    globals,
    // Kestra's `kestra` variable: `kestra.url` when the server URL is configured.
    ...(kestraUrl === undefined ? {} : { kestra: { url: kestraUrl } }),
    ...(execution.trigger?.variables === undefined ? {} : { trigger: execution.trigger.variables }),
  };
  const logs: LogEntry[] = [...(options.previousLogs ?? [])];
  const background: Promise<unknown>[] = [];
  // Per task run, the child executions it made (or took back), in the order it asked for them.
  const childrenOf = new Map<string, string[]>();
  // Per task run, the children it waits for (not over in this run).
  const waitingOf = new Map<string, string[]>();
  const subflowWaits = options.subflowWaits;
  /** Records that the task run waits for a child (all its children are kept: a later run takes each back), and stops it. */
  const waitFor = (link: { execution: Execution; taskRun: TaskRun }, childId: string): never => {
    let waiting = waitingOf.get(link.taskRun.id);
    if (waiting === undefined) waitingOf.set(link.taskRun.id, (waiting = []));
    waiting.push(childId);
    subflowWaits?.wait(link.execution.id, link.taskRun.id, [...(childrenOf.get(link.taskRun.id) ?? [])], [...waiting]);
    throw new SubflowWaiting(childId);
  };
  /** What a child execution of this run knows of its parent (its task run, the run's engine and storage). */
  const linkTo = (request: SubflowRequest, link: { execution: Execution; taskRun: TaskRun }): ParentLink => ({
    execution: link.execution,
    taskRun: link.taskRun,
    masker,
    engine,
    tenant,
    storage: storageDirs,
    kestraUrl,
    triggerType: request.triggerType ?? 'io.kestra.plugin.core.flow.Subflow',
  });
  const prepareSubflow = async (
    request: SubflowRequest,
    link: { execution: Execution; taskRun: TaskRun; signal: AbortSignal },
  ): Promise<PreparedSubflow> => {
    // Taken before any await: a ForEachItem asks for its batches in order, all at once.
    let made = childrenOf.get(link.taskRun.id);
    if (made === undefined) childrenOf.set(link.taskRun.id, (made = []));
    const index = made.length;
    made.push('');
    const earlier = request.wait ? subflowWaits?.waiting?.[link.taskRun.id]?.[index] : undefined;
    if (earlier !== undefined) {
      made[index] = earlier;
      return adoptSubflow(request, link, earlier);
    }
    const child =
      options.flows === undefined
        ? undefined
        : await options.flows.find(request.namespace, request.flowId, {
            tenant,
            ...(request.revision === undefined ? {} : { revision: request.revision }),
          });
    if (child === undefined)
      throw new TaskError(
        'SUBFLOW_NOT_FOUND',
        `Unable to find flow '${request.namespace}'.'${request.flowId}' with revision '${request.revision ?? 0}'${options.flows === undefined ? ' (no flows folder: pass --flows DIR)' : ''}`,
      );
    if (child.disabled) throw new TaskError('SUBFLOW_DISABLED', 'Cannot execute a flow which is disabled');
    const childId = newId();
    made[index] = childId;
    const childOptions: RunFlowOptions & ContinueOptions = {
      ...options,
      inputs: request.inputs,
      labels: request.labels,
      signal: link.signal,
      executionId: childId,
      execution: undefined,
      resumeInputs: undefined,
      previousLogs: undefined,
      // A child waits for its own subflows the same way; what this execution waited for is not its.
      subflowWaits: subflowWaits === undefined ? undefined : { wait: (...args) => subflowWaits.wait(...args) },
    };
    // The child run stops at `beforeRun` once created, until start() (true) or discard() (false).
    let proceed!: (start: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (proceed = resolve));
    let markCreated!: () => void;
    const created = new Promise<void>((resolve) => (markCreated = resolve));
    const childLink: ParentLink = {
      ...linkTo(request, link),
      onCreated: request.onCreated,
      beforeRun: async () => {
        markCreated();
        if (!(await decided)) throw new SubflowDiscardedError(childId);
      },
    };
    // A waited child ends the task with its own end, RETRIED included (Kestra's watcher is keyed by
    // the child's id); an unwaited one runs its whole retry chain in the background.
    const childRun = request.wait ? executeOne(child, childOptions, childLink, masker) : execute(child, childOptions, childLink);
    // Created, or failed to be (invalid inputs, a blocking check): that failure is the caller's.
    try {
      await Promise.race([created, childRun]);
    } catch (e) {
      // Kestra reads a child's inputs with FlowInputOutput.readExecutionInputs, which throws the
      // first invalid input's ConstraintViolationException: its message is `id: message`.
      const first = e instanceof InputValidationError ? e.problems[0] : undefined;
      if (first !== undefined) throw new TaskError('SUBFLOW_INVALID_INPUT', `${first.inputId}: ${first.message}`);
      throw e;
    }
    return {
      executionId: childId,
      start: () => {
        proceed(true);
        return subflowResult(request, child, childId, childRun, childOptions, childLink, link);
      },
      discard: async () => {
        proceed(false);
        await childRun.catch(() => undefined);
      },
    };
  };
  /**
   * A child execution a task run made in an earlier run of this execution and waited for: taken
   * back, not made again. Over (its own run ended it: a resume, a kill): its result, as if it had run
   * here; not over yet: the task run goes on waiting.
   */
  const adoptSubflow = async (
    request: SubflowRequest,
    link: { execution: Execution; taskRun: TaskRun; signal: AbortSignal },
    childId: string,
  ): Promise<PreparedSubflow> => {
    const executions = options.executions;
    const find = executions?.find === undefined ? undefined : (id: string) => executions.find!(id);
    const gone = (): TaskError => new TaskError('SUBFLOW_NOT_FOUND', `The subflow execution ${childId} this task run waited for is gone`);
    const stored = find === undefined ? undefined : await find(childId);
    if (stored === undefined) throw gone();
    const child = await options.flows?.find(stored.namespace, stored.flowId, { tenant, revision: stored.flowRevision });
    if (child === undefined)
      throw new TaskError(
        'SUBFLOW_NOT_FOUND',
        `Unable to find flow '${stored.namespace}'.'${stored.flowId}' with revision '${stored.flowRevision}' of the subflow execution ${childId}`,
      );
    const childOptions: RunFlowOptions & ContinueOptions = {
      ...options,
      signal: link.signal,
      execution: undefined,
      runInputs: undefined,
      resumeInputs: undefined,
      previousLogs: undefined,
      sensitiveValues: undefined,
      subflowWaits: undefined,
      settled: true,
    };
    const childLink: ParentLink = linkTo(request, link);
    return {
      executionId: childId,
      start: async () => {
        // Read again: it may have ended since the task run asked for it.
        const latest = await find!(childId);
        if (latest === undefined) throw gone();
        if (!isTerminal(latest.state.current)) return waitFor(link, childId);
        const childRun = executeOne(child, { ...childOptions, execution: latest }, childLink, masker);
        return subflowResult(request, child, childId, childRun, childOptions, childLink, link);
      },
      discard: async () => undefined,
    };
  };
  const subflowResult = async (
    request: SubflowRequest,
    child: Flow,
    childId: string,
    childRun: Promise<ExecuteResult>,
    childOptions: RunFlowOptions & ContinueOptions,
    childLink: ParentLink,
    link: { execution: Execution; taskRun: TaskRun; signal: AbortSignal },
  ): Promise<SubflowResult> => {
    if (!request.wait) {
      background.push(childRun.catch(() => undefined));
      return { executionId: childId, namespace: child.namespace, flowId: child.id, state: 'CREATED' };
    }
    const result = await childRun;
    // Paused (or waiting for a subflow of its own) and a caller that continues this run later:
    // the task run waits, as Kestra's does until the child's SubflowExecutionResult comes.
    if (subflowWaits !== undefined && !isTerminal(result.execution.state.current) && !link.signal.aborted) return waitFor(link, childId);
    if (result.newExecutionDelay !== undefined && options.scheduleRetry === undefined) {
      // The new executions of the retry run on their own, linked by `trigger`.
      background.push(
        followRetries(child, childOptions, { ...childLink, onCreated: undefined, beforeRun: undefined }, masker, result).catch(
          () => undefined,
        ),
      );
    }
    let outputs = result.rawOutputs;
    let outputsError: string | undefined;
    if (request.renderFlowOutputs === true) {
      outputs = undefined;
      if (child.outputs.length > 0 && result.execution.state.current !== 'PAUSED') {
        try {
          const declared = Object.fromEntries(child.outputs.map((o) => [o.id, o.value]));
          outputs = (await result.renderFlowValue(declared)) as Record<string, unknown>;
        } catch (e) {
          outputsError = e instanceof Error ? e.message : String(e);
        }
      }
    } else if (outputs === undefined && child.outputs.length === 0 && request.outputs !== undefined) {
      try {
        outputs = (await result.renderFlowValue(request.outputs)) as Record<string, unknown>;
      } catch (e) {
        outputsError = e instanceof Error ? e.message : String(e);
      }
    }
    return {
      executionId: childId,
      namespace: child.namespace,
      flowId: child.id,
      state: result.execution.state.current,
      ...(outputs === undefined ? {} : { outputs }),
      ...(outputsError === undefined ? {} : { outputsError }),
    };
  };
  const run = new ExecutionRun({
    flow,
    execution,
    registry,
    engine,
    scope,
    masker,
    store,
    options,
    base,
    logs,
    ...(options.resumeInputs === undefined ? {} : { resumeInputs: options.resumeInputs }),
    prepareSubflow,
    files,
  });
  for (const check of checks?.failed ?? []) run.logExecution(checkLogLevel(check), check.message);
  if (options.settled === true) {
    // Over already: its result only.
  } else if (checks?.behavior === 'FAIL_EXECUTION') {
    // Kestra creates the execution FAILED: no task runs, no concurrency slot taken.
    run.setState('FAILED');
  } else {
    const slot = await acquireConcurrency(flow, tenant, run, options);
    try {
      if (slot !== 'refused') await run.run();
    } finally {
      if (typeof slot === 'function') await slot();
    }
  }
  await Promise.allSettled(background);
  await store.flush?.();
  // Over already: its flow outputs as kept (masked), as Kestra's parent reads the ended child's.
  const rawOutputs = options.settled === true ? run.execution.outputs : run.rawFlowOutputs();
  const newExecutionDelay = run.newExecutionDelay;
  const nextExecutionId = run.nextExecutionId;
  return {
    runInputs: inputs,
    ...(newExecutionDelay === undefined ? {} : { newExecutionDelay }),
    ...(nextExecutionId === undefined ? {} : { nextExecutionId }),
    report: buildReport(run, tenant),
    // The run is over (detached subflows included): its execution no longer changes.
    execution: run.execution,
    ...(rawOutputs === undefined ? {} : { rawOutputs }),
    renderFlowValue: (value) => run.renderFlowValue(value),
  };
}

/**
 * The flow's checks, in the new execution's context (the inputs resolved): a blocking outcome
 * throws `ExecutionBlockedError` before anything is stored; the others are returned to be logged.
 */
async function runChecks(
  flow: Flow,
  context: Record<string, unknown>,
  engine: FlowEngine,
  scope: RenderScope,
  masker: Masker,
): Promise<ChecksOutcome | undefined> {
  if (flow.checks.length === 0) return undefined;
  const outcome = await evaluateChecks(
    flow.checks,
    (condition) => renderTyped(condition, (template) => engine.render(template, context, scope)),
    (e) => masker.mask(e instanceof Error ? e.message : String(e)),
  );
  if (outcome.behavior === 'BLOCK_EXECUTION') throw new ExecutionBlockedError(outcome.failed);
  return outcome;
}

function flowVariable(flow: Flow, tenant: string): Record<string, unknown> {
  return { id: flow.id, namespace: flow.namespace, tenantId: tenant, ...(flow.revision === undefined ? {} : { revision: flow.revision }) };
}

/** The flow's labels, then the given ones; a `system.correlationId` (the execution id) when none is set, as Kestra does. */
function executionLabels(flow: Flow, extra: readonly Label[], executionId: string): Label[] {
  // Kestra's LabelService.labelsExcludingSystem: a flow's system labels stay on the flow.
  const labels: Label[] = Object.entries(flow.labels)
    .filter(([key]) => !key.startsWith('system.'))
    .map(([key, value]) => ({ key, value }));
  labels.push(...extra.map((l) => ({ key: l.key, value: l.value })));
  if (!labels.some((l) => l.key === 'system.correlationId')) labels.push({ key: 'system.correlationId', value: executionId });
  return labels;
}

function buildReport(run: ExecutionRun, tenant: string): RunReport {
  const e = run.execution;
  const end = e.state.endDate ?? new Date().toISOString();
  return {
    id: e.flowId,
    namespace: e.namespace,
    tenant,
    executionId: e.id,
    ...(e.parentId === undefined ? {} : { parentExecutionId: e.parentId }),
    state: e.state.current,
    histories: e.state.histories.map((h) => ({ state: h.state, date: h.date })),
    startDate: e.state.startDate,
    endDate: end,
    durationMs: durationMs(e.state, Date.parse(end)),
    taskRuns: run.taskRunReports(),
    outputs: run.maskedOutputs(),
    ...(e.outputs === undefined ? {} : { flowOutputs: clonePlain(e.outputs) }),
    labels: e.labels.map((l) => ({ key: l.key, value: l.value })),
    logs: run.logs.map((l) => ({ ...l })),
  };
}

// ---------------------------------------------------------------------------------------------
// Flow concurrency: Kestra's ExecutorService.checkConcurrencyLimit, over the options' limiter
// (default: the runs of this process; the CLI's counts every process sharing its data folder).
// ---------------------------------------------------------------------------------------------

/** A slot's release, or what to do without one: run anyway (no limit) or not at all (the execution ended). */
async function acquireConcurrency(
  flow: Flow,
  tenant: string,
  run: ExecutionRun,
  options: RunFlowOptions,
): Promise<(() => Promise<void>) | 'none' | 'refused'> {
  const limit = flow.concurrency;
  if (limit === undefined) return 'none';
  const limiter = options.concurrencyLimiter ?? processConcurrencyLimiter;
  const grant = await limiter.acquire({
    tenant,
    namespace: flow.namespace,
    flowId: flow.id,
    executionId: run.execution.id,
    limit: limit.limit,
    queue: limit.behavior === 'QUEUE',
    // Kestra checks the limit for CREATED executions only: a resumed or restarted one still counts.
    // A QUEUED one never got its slot (its process stopped while it waited): it waits in line again.
    force: run.execution.state.current !== 'CREATED' && run.execution.state.current !== 'QUEUED',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onQueued: (running) => {
      if (run.execution.state.current === 'QUEUED') return;
      run.logExecution('INFO', `Flow is queued due to concurrency limit exceeded, ${running} running(s)`);
      run.setState('QUEUED');
    },
  });
  if (grant.granted) return () => grant.release();
  if (grant.aborted) {
    // Killed while QUEUED: it never ran.
    run.setState('KILLED');
    return 'refused';
  }
  // Refused (a QUEUE request only ends refused when aborted).
  if (limit.behavior === 'CANCEL') run.setState('CANCELLED');
  else {
    run.logExecution('ERROR', 'Flow is FAILED due to concurrency limit exceeded');
    run.setState('FAILED');
  }
  return 'refused';
}

type SubflowDiscardedErrorCode = 'SUBFLOW_DISCARDED';

/** A prepared child execution dropped before its start (another batch of its ForEachItem could not be created). */
class SubflowDiscardedError extends PebbleflowError<SubflowDiscardedErrorCode> {
  constructor(executionId: string) {
    super('SUBFLOW_DISCARDED', `The subflow execution ${executionId} was discarded before it started`);
  }
}

// ---------------------------------------------------------------------------------------------
// Resume and restart
// ---------------------------------------------------------------------------------------------

export type ExecutionStateErrorCode = 'INVALID_EXECUTION_STATE';

/** An execution in a state that does not allow what was asked (resume a finished one, restart a running one). */
export class ExecutionStateError extends PebbleflowError<ExecutionStateErrorCode> {
  constructor(message: string) {
    super('INVALID_EXECUTION_STATE', message);
  }
}

/** The Pause task runs an execution waits on, with their task nodes. */
export function pausedTaskRuns(flow: Flow, execution: Execution): { taskRun: TaskRun; task: TaskNode | undefined }[] {
  return execution.taskRunList
    .filter((t) => t.state.current === 'PAUSED')
    .map((taskRun) => ({ taskRun, task: findTask(flow, taskRun.taskId) }));
}

/**
 * Continues a saved execution: paused task runs are resumed (a Pause's `onResume` inputs are
 * validated against its declaration, every problem at once), task runs left RUNNING get a new
 * attempt, and terminal ones are reused. A terminal execution cannot be resumed (restart it).
 */
export async function resumeExecution(
  flow: Flow,
  execution: Execution,
  options: RunFlowOptions & { readonly resumeInputs?: Readonly<Record<string, unknown>>; readonly previousLogs?: readonly LogEntry[] } = {},
): Promise<RunResult> {
  if (isTerminal(execution.state.current))
    throw new ExecutionStateError(
      `Execution ${execution.id} ended ${execution.state.current}: only a paused or unfinished execution can be resumed${execution.state.current === 'FAILED' ? ' (restart it to rerun its failed task runs)' : ''}`,
    );
  const declared: InputDefinition[] = [];
  for (const { task } of pausedTaskRuns(flow, execution)) {
    const onResume = task?.properties.onResume;
    if (Array.isArray(onResume)) declared.push(...(onResume as InputDefinition[]).map(normalizeInput));
  }
  let resumeInputs: Record<string, unknown> = {};
  if (declared.length > 0 || Object.keys(options.resumeInputs ?? {}).length > 0) {
    resumeInputs = (await resolveInputs(declared, options.resumeInputs ?? {})).values;
  }
  return runExecution(flow, {
    ...options,
    execution,
    resumeInputs,
    ...(options.previousLogs === undefined ? {} : { previousLogs: options.previousLogs }),
  });
}

function normalizeInput(raw: InputDefinition): InputDefinition {
  const input = raw as InputDefinition & { name?: string };
  return {
    ...input,
    id: input.id ?? input.name,
    required: (raw as { required?: boolean }).required !== false,
    type: raw.type === ('BOOL' as never) ? 'BOOLEAN' : raw.type,
  };
}

/**
 * Kestra's restart: the failed (and paused) task runs and their ancestors run again — a task gets
 * a new attempt, its flowable parents go back to RUNNING — while the task runs of `errors`,
 * `finally` and `afterExecution` branches are removed. Returns the execution to pass to
 * `resumeExecution` (state RESTARTED).
 */
export function restartExecution(flow: Flow, execution: Execution): Execution {
  if (!isTerminal(execution.state.current) && execution.state.current !== 'PAUSED')
    throw new ExecutionStateError(`Execution must be terminated to be restarted, current state is '${execution.state.current}' !`);
  const restarted = clonePlain(execution);
  const byId = new Map(restarted.taskRunList.map((t) => [t.id, t]));
  const toRestart = new Set<string>();
  for (const t of restarted.taskRunList) {
    if (t.state.current !== 'FAILED' && t.state.current !== 'PAUSED') continue;
    for (
      let cur: TaskRun | undefined = t;
      cur !== undefined;
      cur = cur.parentTaskRunId === undefined ? undefined : byId.get(cur.parentTaskRunId)
    )
      toRestart.add(cur.id);
  }
  if (toRestart.size === 0) throw new ExecutionStateError('No task found to restart execution from!');
  const handlers = new Set<string>();
  const collect = (nodes: readonly TaskNode[]): void => {
    for (const n of nodes) {
      handlers.add(n.id);
      collect(Object.values(n.children).flat());
      for (const cases of Object.values(n.childMaps ?? {})) for (const list of cases.values()) collect(list);
    }
  };
  collect([...flow.errors, ...flow.finally, ...flow.afterExecution]);
  const walk = (nodes: readonly TaskNode[]): void => {
    for (const n of nodes) {
      collect([...(n.children.errors ?? []), ...(n.children.finally ?? [])]);
      walk(Object.values(n.children).flat());
      for (const cases of Object.values(n.childMaps ?? {})) for (const list of cases.values()) walk(list);
    }
  };
  walk(flow.tasks);
  restarted.taskRunList = restarted.taskRunList.filter((t) => !handlers.has(t.taskId));
  for (const t of restarted.taskRunList) {
    if (!toRestart.has(t.id)) continue;
    const node = findTask(flow, t.taskId);
    const flowable =
      node !== undefined &&
      (Object.keys(node.children).length > 0 || node.childMaps !== undefined) &&
      node.type !== 'io.kestra.plugin.core.flow.WorkingDirectory';
    transition(t.state, flowable ? 'RUNNING' : 'RESTARTED');
  }
  transition(restarted.state, 'RESTARTED');
  delete restarted.outputs;
  // Kestra's restart counts one more attempt of the execution (a retry's maxAttempts sees it).
  restarted.metadata = nextAttempt(execution);
  return restarted;
}

export type { StateType };
export { InputValidationError };
