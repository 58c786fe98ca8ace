/**
 * Executions as the API drives them, with Kestra's rules: a new execution gets its inputs checked
 * and typed before it exists (bad inputs: 422, a disabled flow: 409), SECRET inputs never stored
 * or queued in clear, then it is stored as CREATED and queued; kill, delete, and waiting for an
 * execution to end (`wait=true`, follow streams) work the same whether it runs here or on a worker.
 */
import { checkLogLevel, evaluateChecks, type ChecksOutcome } from '../../flow/checks.js';
import { endedWithListeners, executionVariables } from '../../flow/conditions.js';
import { ExecutionBlockedError, InputValidationError } from '../../flow/errors.js';
import { renderTyped } from '../../engine/render-typed.js';
import { Masker } from '../../masking/masker.js';
import { reportInputs, resolveInputs, type InputReport, type InputsReport, type ResolveInputsOptions } from '../../flow/inputs.js';
import type { Flow, FlowCheck, InputDefinition, TaskNode } from '../../flow/model.js';
import { pausedTaskRuns, restartExecution, ExecutionStateError } from '../../runner/runner.js';
import { MASK } from '../../runner/masking.js';
import { isTerminal, type ExecutionTrigger, type Label } from '../../runner/execution.js';
import type { FlowEngine } from '../../runner/types.js';
import type { FlowRecord, FlowRepository } from '../flows/flow-repository.js';
import { illegalArgument, illegalState, invalidEntity } from '../http/errors.js';
import type { ExecutionQuery, ExecutionStore, Paged } from '../store/types.js';
import type { ExecutionEvents } from './events.js';
import { isWaitingForSubflows, newExecution, newExecutionId, waitedSubflows, withState, type StoredExecution } from './model.js';
import type { LocalStorage } from '../../storage/local-storage.js';
import { inputFilePath } from '../../storage/uri.js';
import type { ExecutionJob, JobFlow } from './processor.js';
import type { ExecutionQueue } from './queue.js';
import type { SecretBox } from './secret-inputs.js';

export interface CreateExecution {
  /** Raw values (form fields, trigger inputs) by input id. */
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly labels?: readonly Label[];
  readonly trigger?: ExecutionTrigger;
  readonly scheduleDate?: string;
  /** A fixed id (a schedule tick's deterministic id): creating it twice makes one execution. */
  readonly id?: string;
  readonly variables?: Record<string, unknown>;
  /**
   * Created FAILED, nothing run nor queued, inputs not read: what Kestra's scheduler emits for a
   * Schedule whose conditions cannot be evaluated (so that the trigger is not evaluated again at once).
   */
  readonly failed?: true;
}

/**
 * What the validate endpoints answer: Kestra's `ApiValidateExecutionInputsResponse` inputs (each
 * input's definition, value, enabled flag and errors), SECRET values shown as `******`.
 */
export interface ValidatedInput {
  readonly input: Record<string, unknown>;
  readonly value: unknown;
  readonly enabled: boolean;
  readonly errors: readonly { readonly message: string }[];
}

/** A failed flow check as the create-validate endpoint lists it (Kestra 1.2 shows them in the Execute form). */
export interface ValidatedCheck {
  readonly message: string;
  readonly style: FlowCheck['style'];
  readonly behavior: FlowCheck['behavior'];
}

export interface ExecutionServiceOptions {
  readonly tenant: string;
  /** The flows (for Subflow sources carried by queue messages, resumes and restarts); a worker passes those its job carries. */
  readonly flows?: Pick<FlowRepository, 'get'>;
  readonly store: ExecutionStore;
  readonly queue: ExecutionQueue;
  readonly events: ExecutionEvents;
  /** Renders input expressions (`dependsOn.condition`, SELECT `expression`) with secrets resolved in the flow's namespace. */
  readonly engine: FlowEngine;
  readonly secretBox?: SecretBox;
  readonly memorySecrets: Map<string, Readonly<Record<string, string>>>;
  /** The runs' internal storage: FILE inputs uploaded with a new execution are stored there (without it they are refused). */
  readonly storage?: LocalStorage;
}

export class ExecutionService {
  private readonly o: ExecutionServiceOptions;

  constructor(options: ExecutionServiceOptions) {
    this.o = options;
  }

  get tenant(): string {
    return this.o.tenant;
  }

  /** Checks the inputs, stores the execution as CREATED and queues it. Resolves to undefined when the fixed id existed already. */
  async create(record: FlowRecord, request: CreateExecution = {}): Promise<StoredExecution | undefined> {
    const flow = record.flow;
    if (flow.disabled) throw illegalState('Cannot execute a disabled flow');
    if (request.failed === true) {
      const created = newExecution({
        tenant: this.o.tenant,
        flow,
        inputs: {},
        ...(request.id === undefined ? {} : { id: request.id }),
        secretInputs: {},
      });
      const failed: StoredExecution = { ...created, state: withState(created.state, 'FAILED') };
      if (!(await this.o.store.create(failed))) return undefined;
      this.o.events.emitExecution(failed);
      return failed;
    }
    // The id comes first: an uploaded FILE input is stored under the execution, as Kestra does.
    const id = request.id ?? newExecutionId();
    const raw = await this.uploads(flow, id, request.inputs ?? {}, 'store');
    const { values, secrets } = await this.resolve(flow, raw);
    const checks = await this.evaluateChecks(flow, id, { ...values, ...secrets }, Object.values(secrets));
    if (checks?.behavior === 'BLOCK_EXECUTION') {
      const blocked = new ExecutionBlockedError(checks.failed);
      throw invalidEntity(
        blocked.message.split('\n')[0] as string,
        checks.failed.map((c) => `checks: ${c.message}${c.error === undefined ? '' : ` (the condition failed: ${c.error})`}`),
      );
    }
    const secretInputs: Record<string, string> = {};
    if (Object.keys(secrets).length > 0) {
      if (this.o.secretBox === undefined && this.o.queue.mode === 'redis')
        throw invalidEntity(
          'SECRET inputs need server.encryptionKey in the config when executions run on workers: a queue message never carries a secret in clear',
        );
      for (const [id, value] of Object.entries(secrets)) secretInputs[id] = this.o.secretBox?.encrypt(value) ?? '';
    }
    const execution = newExecution({
      tenant: this.o.tenant,
      flow,
      inputs: values,
      ...(request.labels === undefined ? {} : { labels: request.labels }),
      ...(request.trigger === undefined ? {} : { trigger: request.trigger }),
      ...(request.scheduleDate === undefined ? {} : { scheduleDate: request.scheduleDate }),
      id,
      ...(request.variables === undefined ? {} : { variables: request.variables }),
      secretInputs,
    });
    if (checks?.behavior === 'FAIL_EXECUTION') {
      // Kestra creates it FAILED: nothing runs, so nothing is queued and no secret is kept.
      const failed: StoredExecution = { ...execution, state: withState(execution.state, 'FAILED') };
      if (!(await this.o.store.create(failed))) return undefined;
      await this.logChecks(failed, checks);
      this.o.events.emitExecution(failed);
      return failed;
    }
    if (this.o.secretBox === undefined && Object.keys(secrets).length > 0) this.o.memorySecrets.set(execution.id, secrets);
    if (!(await this.o.store.create(execution))) {
      this.o.memorySecrets.delete(execution.id);
      return undefined;
    }
    if (checks !== undefined) await this.logChecks(execution, checks);
    this.o.events.emitExecution(execution);
    await this.o.queue.enqueue(jobOf(execution, record, this.subflowsOf(record)));
    return execution;
  }

  /**
   * Kestra's `validateInputsOnCreate`: what creating an execution with these inputs would say, without
   * creating it (nothing stored or queued, uploaded files only located). Bad inputs are not a 422
   * here: each input carries its own errors. A disabled flow is still refused (409).
   *
   * The flow's checks (Kestra 1.2) are evaluated by the same path as `create`, and only when every
   * input is valid: with an invalid input the conditions would read values that did not resolve, and
   * what they said could not be trusted, so `checks` is then empty as well.
   */
  async validate(
    record: FlowRecord,
    request: Pick<CreateExecution, 'inputs'> = {},
  ): Promise<{ inputs: ValidatedInput[]; checks: ValidatedCheck[] }> {
    const flow = record.flow;
    if (flow.disabled) throw illegalState('Cannot execute a disabled flow');
    const id = newExecutionId();
    const raw = await this.uploads(flow, id, request.inputs ?? {}, 'locate');
    const { report, values, secrets } = await this.report(flow, raw);
    const outcome =
      report.problems.length === 0 ? await this.evaluateChecks(flow, id, { ...values, ...secrets }, Object.values(secrets)) : undefined;
    return {
      inputs: validatedInputs(report.inputs),
      checks: (outcome?.failed ?? []).map(({ message, style, behavior }) => ({ message, style, behavior })),
    };
  }

  /**
   * The flow's checks with the new execution's inputs (SECRET ones in clear, masked in any message);
   * undefined when the flow has none. `create` refuses a blocking outcome, `validate` lists the failures.
   */
  private async evaluateChecks(
    flow: Flow,
    executionId: string,
    inputs: Record<string, unknown>,
    sensitive: readonly string[],
  ): Promise<ChecksOutcome | undefined> {
    if (flow.checks.length === 0) return undefined;
    const masker = new Masker();
    for (const value of sensitive) masker.add(value);
    const context = {
      flow: {
        id: flow.id,
        namespace: flow.namespace,
        tenantId: this.o.tenant,
        ...(flow.revision === undefined ? {} : { revision: flow.revision }),
      },
      execution: { id: executionId },
      ...(Object.keys(inputs).length === 0 ? {} : { inputs }),
      labels: { ...flow.labels },
    };
    const scope = { tenant: this.o.tenant, namespace: flow.namespace, onSensitiveValue: (v: string) => masker.add(v) };
    return evaluateChecks(
      flow.checks,
      (condition) => renderTyped(condition, (template) => this.o.engine.render(template, context, scope)),
      (e) => masker.mask(e instanceof Error ? e.message : String(e)),
    );
  }

  /** Each failed check's message, at its style's level, as an execution log line. */
  private async logChecks(execution: StoredExecution, checks: ChecksOutcome): Promise<void> {
    if (checks.failed.length === 0) return;
    const timestamp = new Date().toISOString();
    await this.o.store.appendLogs(
      this.o.tenant,
      execution.id,
      checks.failed.map((check) => ({
        tenantId: this.o.tenant,
        namespace: execution.namespace,
        flowId: execution.flowId,
        executionId: execution.id,
        timestamp,
        level: checkLogLevel(check),
        message: check.message,
      })),
    );
  }

  /** The flows a flow's Subflow and ForEachItem tasks name (literally), and theirs, at their latest revision. */
  subflowsOf(record: FlowRecord): JobFlow[] {
    const flows = this.o.flows;
    if (flows === undefined) return [];
    const out = new Map<string, JobFlow>();
    const visit = (nodes: readonly TaskNode[]): void => {
      for (const node of nodes) {
        if (SUBFLOW_TYPES.has(node.type)) {
          const namespace = node.properties.namespace;
          const flowId = node.properties.flowId;
          if (typeof namespace === 'string' && typeof flowId === 'string' && !/\{\{|\{%/.test(namespace + flowId)) {
            const key = `${namespace}\u0000${flowId}`;
            const child = flows.get(namespace, flowId);
            if (child !== undefined && !out.has(key)) {
              out.set(key, { namespace, flowId, revision: child.revision, source: child.source });
              walk(child.flow);
            }
          }
        }
        visit(Object.values(node.children).flat());
        for (const cases of Object.values(node.childMaps ?? {})) for (const list of cases.values()) visit(list);
      }
    };
    const walk = (flow: Flow): void =>
      visit([...flow.tasks, ...flow.errors, ...flow.finally, ...flow.afterExecution, ...flow.listeners.flatMap((l) => l.tasks)]);
    walk(record.flow);
    return [...out.values()];
  }

  /**
   * Kestra's `isStopFollow` (what `wait=true` and the follow streams wait for): over, not paused,
   * and the flow's listeners that hold on it ran (ConditionService.isTerminatedWithListeners).
   */
  async isOver(execution: StoredExecution): Promise<boolean> {
    if (!isOver(execution)) return false;
    const record = this.o.flows?.get(execution.namespace, execution.flowId, { revision: execution.flowRevision, allowDeleted: true });
    if (record === undefined || record.flow.listeners.length === 0) return true;
    return endedWithListeners(record.flow, {
      flow: record.flow,
      execution,
      variables: executionVariables({ ...record.flow, revision: record.revision, tenantId: record.tenant }, execution),
      render: (template, variables) => this.o.engine.render(template, variables, { tenant: record.tenant, namespace: record.namespace }),
    });
  }

  private recordOf(execution: StoredExecution, revision = execution.flowRevision): FlowRecord {
    const record = this.o.flows?.get(execution.namespace, execution.flowId, { revision, allowDeleted: true });
    if (record === undefined) throw illegalState(`Unable to find flow ${execution.namespace}.${execution.flowId} revision ${revision}`);
    return record;
  }

  /**
   * Kestra's resume: only a PAUSED execution (409 otherwise); the Pause's `onResume` inputs are
   * checked now (422 listing every problem) and the execution is queued to continue.
   */
  async resume(id: string, rawInputs: Readonly<Record<string, unknown>>): Promise<StoredExecution | undefined> {
    const execution = await this.get(id);
    if (execution === undefined) return undefined;
    const record = this.pausedRecordOf(execution);
    const declared = onResumeInputs(record.flow, execution);
    let resumeInputs: Record<string, unknown> = {};
    try {
      if (declared.length > 0 || Object.keys(rawInputs).length > 0) resumeInputs = (await resolveInputs(declared, rawInputs)).values;
    } catch (e) {
      throw asInvalidEntity(e);
    }
    await this.o.queue.enqueue({ ...jobOf(execution, record, this.subflowsOf(record)), resumeInputs });
    return execution;
  }

  /**
   * Kestra's `validateInputsOnResume`: the paused Pause task's `onResume` inputs checked against
   * these values, each with its own errors; nothing is resumed. Undefined for an unknown execution,
   * 409 when it is not paused (Kestra's `getExecutionIfPause`).
   */
  async validateResume(
    id: string,
    rawInputs: Readonly<Record<string, unknown>>,
  ): Promise<{ execution: StoredExecution; inputs: ValidatedInput[] } | undefined> {
    const execution = await this.get(id);
    if (execution === undefined) return undefined;
    const record = this.pausedRecordOf(execution);
    const report = await reportInputs(onResumeInputs(record.flow, execution), rawInputs);
    return { execution, inputs: validatedInputs(report.inputs) };
  }

  /** The flow of a PAUSED execution; 409 when it is not paused. */
  private pausedRecordOf(execution: StoredExecution): FlowRecord {
    if (execution.state.current !== 'PAUSED') throw illegalState(`Execution is not paused, can't resume it`);
    return this.recordOf(execution);
  }

  /** Kestra's restart: a terminated execution's failed task runs run again (409 when there is nothing to restart). */
  async restart(id: string, revision?: number): Promise<StoredExecution | undefined> {
    const execution = await this.get(id);
    if (execution === undefined) return undefined;
    const record = this.recordOf(execution, revision ?? execution.flowRevision);
    if (revision !== undefined && revision < execution.flowRevision)
      throw illegalArgument(`Restarting execution ${id} with a revision older than its own (${execution.flowRevision}) is not allowed`);
    let restarted: StoredExecution;
    try {
      restarted = {
        ...restartExecution(record.flow, execution),
        ...(execution.secretInputs === undefined ? {} : { secretInputs: execution.secretInputs }),
      };
    } catch (e) {
      if (e instanceof ExecutionStateError) throw illegalState(e.message);
      throw e;
    }
    restarted = { ...restarted, flowRevision: record.revision, tenantId: this.o.tenant };
    await this.o.store.save(restarted);
    this.o.events.emitExecution(restarted);
    await this.o.queue.enqueue(jobOf(restarted, record, this.subflowsOf(record)));
    return restarted;
  }

  /**
   * Uploaded files (multipart parts) of FILE inputs → `kestra:///<namespace>/<flow>/executions/<id>/inputs/<input>/<file>`
   * URIs; a file for any other input, or without a storage, is refused (422), never read as a path.
   * `locate` (validation) only gives the URI the file would have, without storing it, as Kestra's
   * `readData(…, uploadFiles = false)` does.
   */
  private async uploads(
    flow: Flow,
    executionId: string,
    raw: Readonly<Record<string, unknown>>,
    mode: 'store' | 'locate',
  ): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { ...raw };
    for (const [name, value] of Object.entries(raw)) {
      if (!(value instanceof Blob)) continue;
      const def = flow.inputs.find((i) => i.id === name);
      if (def?.type !== 'FILE') throw invalidEntity(`Invalid input for \`${name}\`: a file was sent, but the input is not of type FILE`);
      if (this.o.storage === undefined) throw invalidEntity(`Invalid input for \`${name}\`: this server has no storage for FILE inputs`);
      // Only the last segment of the client's file name, and never an empty or dot name.
      const given = (value instanceof File ? value.name : '').split(/[\\/]/).pop() ?? '';
      const fileName = given === '' || given === '.' || given === '..' ? name : given;
      const path = inputFilePath({ namespace: flow.namespace, flowId: flow.id, executionId }, name, fileName);
      if (mode === 'locate') {
        out[name] = path.toUri();
        continue;
      }
      try {
        out[name] = await this.o.storage.put(this.o.tenant, path, Buffer.from(await value.arrayBuffer()));
      } catch (e) {
        throw invalidEntity(`Invalid input for \`${name}\`: the file could not be stored (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    return out;
  }

  /** Typed inputs, with SECRET values taken out (shown as `******`); bad inputs are refused (422, one detail each). */
  private async resolve(
    flow: Flow,
    raw: Readonly<Record<string, unknown>>,
  ): Promise<{ values: Record<string, unknown>; secrets: Record<string, string> }> {
    const { report, values, secrets } = await this.report(flow, raw);
    if (report.problems.length > 0) throw asInvalidEntity(new InputValidationError(report.problems));
    return { values, secrets };
  }

  /** The flow's inputs resolved (Kestra's `resolveInputs`): each input's report, and the typed values with SECRET ones taken out. */
  private async report(
    flow: Flow,
    raw: Readonly<Record<string, unknown>>,
  ): Promise<{ report: InputsReport; values: Record<string, unknown>; secrets: Record<string, string> }> {
    const options: ResolveInputsOptions = {
      render: (template, inputs) =>
        this.o.engine.render(
          template,
          { inputs, flow: { id: flow.id, namespace: flow.namespace } },
          { tenant: this.o.tenant, namespace: flow.namespace },
        ),
    };
    const report = await reportInputs(flow.inputs, raw, options);
    const values = report.values;
    const secrets: Record<string, string> = {};
    for (const def of flow.inputs) {
      if (def.type !== 'SECRET') continue;
      const value = values[def.id];
      if (typeof value === 'string' && value !== '') {
        secrets[def.id] = value;
        values[def.id] = MASK;
      }
    }
    return { report, values, secrets };
  }

  get(id: string): Promise<StoredExecution | undefined> {
    return this.o.store.get(this.o.tenant, id);
  }

  search(query: ExecutionQuery): Promise<Paged<StoredExecution>> {
    return this.o.store.search(this.o.tenant, query);
  }

  /**
   * Kestra's kill: a queued execution ends KILLED at once; a running one is aborted where it runs
   * and ends KILLED when its task stops. An execution already over is left as it is.
   */
  async kill(id: string): Promise<boolean> {
    const execution = await this.get(id);
    if (execution === undefined) return false;
    if (isTerminal(execution.state.current)) return true;
    const where = await this.o.queue.kill(this.o.tenant, id);
    if (where === 'running') return true;
    // Queued, or known to no queue (created before a restart): it never started, it ends here.
    const latest = await this.get(id);
    if (latest !== undefined && (latest.state.current === 'PAUSED' || isWaitingForSubflows(latest))) {
      await this.killStopped(latest);
      return true;
    }
    if (latest !== undefined && (where === 'queued' || latest.state.current === 'CREATED')) {
      if (isTerminal(latest.state.current)) return true;
      const killed: StoredExecution = { ...latest, state: withState(latest.state, 'KILLED') };
      await this.o.store.save(killed);
      this.o.events.emitExecution(killed);
    }
    return true;
  }

  /**
   * Kills an execution that runs nowhere: paused, or waiting for subflow executions. Its unfinished
   * task runs end KILLED with it; the subflow executions it waits for are killed too (Kestra's kill
   * cascades to them). It is saved KILLED first, so their end does not continue it.
   */
  private async killStopped(execution: StoredExecution): Promise<void> {
    const at = new Date();
    const { subflowWaits: _waits, ...rest } = execution;
    const killed: StoredExecution = {
      ...rest,
      taskRunList: execution.taskRunList.map((t) =>
        isTerminal(t.state.current)
          ? t
          : {
              ...t,
              attempts: t.attempts.map((a) => (isTerminal(a.state.current) ? a : { ...a, state: withState(a.state, 'KILLED', at) })),
              state: withState(t.state, 'KILLED', at),
            },
      ),
      state: withState(execution.state, 'KILLED', at),
    };
    await this.o.store.save(killed);
    this.o.events.emitExecution(killed);
    this.o.memorySecrets.delete(killed.id);
    for (const childId of waitedSubflows(execution)) await this.kill(childId);
  }

  /**
   * Kestra's executor on a `SubflowExecutionResult`: a subflow execution ended, so the execution
   * waiting for it (its trigger's) is queued to go on; its task run takes the child's result. One
   * that is not waiting for it (not waiting, paused meanwhile, or the child was not waited for) is left.
   */
  async continueParent(child: StoredExecution): Promise<void> {
    if (!isTerminal(child.state.current)) return;
    const parentId = child.trigger?.variables?.['executionId'];
    if (typeof parentId !== 'string' || parentId === child.id) return;
    const parent = await this.get(parentId);
    if (parent === undefined || !isWaitingForSubflows(parent) || !waitedSubflows(parent).includes(child.id)) return;
    const record = this.recordOf(parent);
    await this.o.queue.enqueueAfterRun(jobOf(parent, record, this.subflowsOf(record)));
  }

  /** Deletes an execution and (by default) its logs; a running one is killed first. */
  async delete(id: string, options: { deleteLogs?: boolean } = {}): Promise<boolean> {
    const execution = await this.get(id);
    if (execution === undefined) return false;
    if (!isTerminal(execution.state.current)) await this.kill(id);
    const deleted = await this.o.store.delete(this.o.tenant, id);
    if (options.deleteLogs !== false) await this.o.store.deleteLogs(this.o.tenant, id);
    return deleted;
  }

  /** Resolves with the execution once `done` says so (checked now, then on each change), or undefined after `timeoutMs`. */
  async waitFor(
    id: string,
    done: (e: StoredExecution) => boolean | Promise<boolean>,
    timeoutMs = 24 * 3_600_000,
  ): Promise<StoredExecution | undefined> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (value: StoredExecution | undefined): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        clearTimeout(timer);
        resolve(value);
      };
      const check = async (e: StoredExecution): Promise<void> => {
        if (await done(e)) finish(e);
      };
      const unsubscribe = this.o.events.onExecution((e) => {
        if (e.id === id) check(e).catch(reject);
      });
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      timer.unref();
      this.get(id)
        .then((e) => (e === undefined ? undefined : check(e)), reject)
        .catch(reject);
    });
  }
}

/** A Pause's `onResume` inputs, for each paused task run (required unless they say otherwise). */
function onResumeInputs(flow: Flow, execution: StoredExecution): InputDefinition[] {
  const declared: InputDefinition[] = [];
  for (const { task } of pausedTaskRuns(flow, execution)) {
    const onResume = task?.properties.onResume;
    if (Array.isArray(onResume))
      declared.push(...(onResume as InputDefinition[]).map((d) => ({ ...d, required: (d as { required?: boolean }).required !== false })));
  }
  return declared;
}

/**
 * Reports → the validate endpoints' inputs: the definition as the flow declares it, the value (a
 * SECRET's never in clear: `******`, as everywhere else in the API), enabled, and `{ message }` errors.
 */
function validatedInputs(reports: readonly InputReport[]): ValidatedInput[] {
  return reports.map(({ definition, value, enabled, errors }) => {
    const { position: _position, ...input } = definition;
    return {
      input,
      value: definition.type === 'SECRET' && value !== null && value !== undefined ? MASK : (value ?? null),
      enabled,
      errors: errors.map((message) => ({ message })),
    };
  });
}

/** Kestra answers bad inputs with 422 `Invalid entity`, one detail per input. */
function asInvalidEntity(e: unknown): unknown {
  return e instanceof InputValidationError
    ? invalidEntity(
        e.message,
        e.problems.map((p) => `inputs.${p.inputId}: ${p.message}`),
      )
    : e;
}

/** The tasks that start a flow named by their `namespace` and `flowId`. */
const SUBFLOW_TYPES = new Set(['io.kestra.plugin.core.flow.Subflow', 'io.kestra.plugin.core.flow.ForEachItem']);

/** What goes on the queue for an execution: the flow source of its revision, inputs, labels, trigger — SECRETs only encrypted. */
export function jobOf(execution: StoredExecution, record: FlowRecord, subflows: readonly JobFlow[] = []): ExecutionJob {
  return {
    tenant: execution.tenantId ?? record.tenant,
    executionId: execution.id,
    namespace: execution.namespace,
    flowId: execution.flowId,
    revision: record.revision,
    source: record.source,
    inputs: execution.inputs,
    labels: execution.labels,
    ...(execution.trigger === undefined ? {} : { trigger: execution.trigger }),
    ...(execution.scheduleDate === undefined ? {} : { scheduleDate: execution.scheduleDate }),
    ...(execution.variables === undefined ? {} : { variables: execution.variables }),
    ...(subflows.length === 0 ? {} : { subflows }),
    ...(execution.secretInputs === undefined || Object.values(execution.secretInputs).every((v) => v === '')
      ? {}
      : { secretInputs: execution.secretInputs }),
  };
}

/**
 * The delayed job of a RETRIED execution's `CREATE_NEW_EXECUTION` retry (its `delayedRetry`): runs
 * at the retry's date, creating the new execution from the RETRIED one.
 */
export function retryJobOf(retried: StoredExecution, record: FlowRecord, subflows: readonly JobFlow[] = []): ExecutionJob | undefined {
  const retry = retried.delayedRetry;
  if (retry === undefined) return undefined;
  return { ...jobOf(retried, record, subflows), executionId: retry.executionId, retryOf: retried.id, runAt: retry.date };
}

/** Over, and not paused (listeners aside: see ExecutionService.isOver). */
export const isOver = (e: StoredExecution): boolean => isTerminal(e.state.current) && e.state.current !== 'PAUSED';
