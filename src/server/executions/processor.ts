/**
 * Runs queued executions, whichever queue delivered them (the embedded one or a BullMQ worker):
 * loads the stored execution (or builds it from the job, which carries everything needed), skips
 * one that is already over (a retried job never makes a second run), honours a kill asked for
 * while it waited, decrypts its SECRET inputs, then runs, continues (a half-run execution whose
 * worker died: finished task runs are reused) or resumes it (a paused one, with `resumeInputs`),
 * saving every change and log line.
 */
import { checkFlow } from '../../flow/loader.js';
import type { TaskRegistry } from '../../tasks/registry.js';
import type { TriggerToggleRequest, TriggerToggleResult } from '../../tasks/definition.js';
import type { Flow } from '../../flow/model.js';
import type { FlowRepository as RunnerFlows } from '../../flow/repository.js';
import { isTerminal, type ExecutionTrigger, type Label } from '../../runner/execution.js';
import type { StorageDirs } from '../../runner/runner.js';
import type { FlowEngine } from '../../runner/types.js';
import type { ConcurrencyLimiter } from '../../runner/concurrency.js';
import type { ExecutionStore, LogRecord } from '../store/types.js';
import { isWaitingForSubflows, newExecution, waitedSubflows, withState, type StoredExecution } from './model.js';
import { replayExecution } from '../../runner/runner.js';
import { runExecution } from './run-execution.js';
import { SecretInputError, type SecretBox } from './secret-inputs.js';

/** A flow a Subflow task of the job's flow may start (Redis mode: workers have no flows folder). */
export interface JobFlow {
  readonly namespace: string;
  readonly flowId: string;
  readonly revision: number;
  readonly source: string;
}

/** What a queue message holds: the flow's source and revision, the inputs and the trigger — never a secret in clear. */
export interface ExecutionJob {
  readonly tenant: string;
  readonly executionId: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly revision: number;
  /** The flow YAML of that revision. */
  readonly source: string;
  readonly inputs: Record<string, unknown>;
  readonly labels: readonly Label[];
  readonly trigger?: ExecutionTrigger;
  readonly scheduleDate?: string;
  readonly variables?: Record<string, unknown>;
  /** SECRET inputs, AES-256-GCM encrypted (Redis mode needs `server.encryptionKey`). */
  readonly secretInputs?: Readonly<Record<string, string>>;
  /** Set when the job resumes a paused execution: the values for its Pause's `onResume` (validated). */
  readonly resumeInputs?: Readonly<Record<string, unknown>>;
  /** The flows its Subflow tasks name, at their current revision. */
  readonly subflows?: readonly JobFlow[];
  /**
   * The job of a `CREATE_NEW_EXECUTION` retry: the RETRIED execution whose new execution (Kestra's
   * replay, with `executionId`) is created when the job runs.
   */
  readonly retryOf?: string;
  /** ISO-8601: not run before (a retry's delay). */
  readonly runAt?: string;
}

/** The abort reason of a process that stops: the execution is handed back, not killed. */
export const HAND_BACK = 'pebbleflow:hand-back';

export interface ProcessorOptions {
  readonly store: ExecutionStore;
  /** The task types (core and the config's plugins); default the default registry. */
  readonly registry?: TaskRegistry;
  readonly engine: FlowEngine;
  /** The storage (files, KV store) and namespace files of the runs. */
  readonly storage: StorageDirs;
  readonly workerId: string;
  readonly secretBox?: SecretBox;
  /** SECRET values kept in memory by the process that created the execution (embedded mode without a key). */
  readonly memorySecrets?: Map<string, Readonly<Record<string, string>>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Told about every saved version and every log line (to stream them). */
  readonly onExecution?: (execution: StoredExecution) => void;
  readonly onLog?: (record: LogRecord) => void;
  /** A kill asked for while the job waited (Redis mode keeps it beside the queue). */
  readonly killRequested?: (tenant: string, executionId: string) => Promise<boolean>;
  /** The namespaces that have flows (Redis workers: what the servers published), for the KV store. */
  readonly flowNamespaces?: (tenant: string) => Promise<Iterable<string> | undefined>;
  /** Where Subflow tasks find child flows (default: the flows the job carries). */
  readonly flows?: (job: ExecutionJob) => RunnerFlows;
  /** How a Resume task resumes an execution. */
  readonly resume?: (tenant: string, executionId: string, inputs: Readonly<Record<string, unknown>>) => Promise<void>;
  /** How a Toggle task enables or disables a trigger. */
  readonly toggleTrigger?: (tenant: string, request: TriggerToggleRequest) => Promise<TriggerToggleResult>;
  /**
   * Queues the delayed new execution of a RETRIED execution (its `delayedRetry`, already stored),
   * from the job that ran it (which carries the flow sources); without it the retry waits for the
   * next start of a server.
   */
  readonly scheduleRetry?: (job: ExecutionJob, retried: StoredExecution) => Promise<void>;
  /** Who counts flow `concurrency` slots (Redis workers: every worker's); default the runs of this process. */
  readonly concurrencyLimiter?: ConcurrencyLimiter;
}

const LOG_FLUSH_MS = 50;

/** Subflows of a job, from the sources it carries. */
class JobFlows implements RunnerFlows {
  private readonly flows = new Map<string, Flow>();
  constructor(
    job: ExecutionJob,
    parse: (f: JobFlow) => Flow,
    readonly namespaces?: (tenant: string) => Promise<Iterable<string> | undefined>,
  ) {
    for (const f of job.subflows ?? []) this.flows.set(`${f.namespace}\u0000${f.flowId}`, parse(f));
  }
  find(namespace: string, id: string): Flow | undefined {
    return this.flows.get(`${namespace}\u0000${id}`);
  }
}

export class ExecutionProcessor {
  private readonly options: ProcessorOptions;
  private readonly parsed = new Map<string, Flow>();
  /** Pending log writes, per execution: each execution's lines are appended in order, executions do not wait for each other. */
  private readonly logWrites = new Map<string, Promise<void>>();

  constructor(options: ProcessorOptions) {
    this.options = options;
  }

  /** A flow source, parsed once per (flow, revision). */
  parse(tenant: string, f: JobFlow): Flow {
    const key = `${tenant}\u0000${f.namespace}\u0000${f.flowId}\u0000${f.revision}`;
    let flow = this.parsed.get(key);
    if (flow === undefined) {
      const { flow: parsed, problems } = checkFlow(
        f.source,
        this.options.registry === undefined ? {} : { registry: this.options.registry },
      );
      if (parsed === undefined)
        throw new Error(`Flow ${f.namespace}.${f.flowId} revision ${f.revision} is invalid: ${problems.map((p) => p.message).join('; ')}`);
      flow = { ...parsed, revision: f.revision };
      if (this.parsed.size > 500) this.parsed.clear();
      this.parsed.set(key, flow);
    }
    return flow;
  }

  /**
   * SECRET input values as the service seals an execution's: encrypted with the server key, else
   * kept in this process's memory (an empty value in the store marks each).
   */
  private sealSecrets(executionId: string, values: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const box = this.options.secretBox;
    if (box !== undefined) return Object.fromEntries(Object.entries(values).map(([id, value]) => [id, box.encrypt(value)]));
    this.options.memorySecrets?.set(executionId, { ...values });
    return Object.fromEntries(Object.keys(values).map((id) => [id, '']));
  }

  private secretsOf(execution: StoredExecution): Record<string, string> {
    const sealed = execution.secretInputs;
    if (sealed === undefined) return {};
    const memory = this.options.memorySecrets?.get(execution.id);
    if (memory !== undefined) return { ...memory };
    const box = this.options.secretBox;
    // An empty value marks a SECRET input that was never written down (no encryption key).
    if (box === undefined || Object.values(sealed).some((v) => v === ''))
      throw new SecretInputError(
        `Execution ${execution.id} has SECRET inputs that only the process that created it knew; set server.encryptionKey so they survive a restart`,
      );
    return Object.fromEntries(Object.entries(sealed).map(([id, value]) => [id, box.decrypt(value)]));
  }

  /** Runs (or continues, or resumes) the execution of a job; resolves to its last version. */
  /**
   * `save`, when given, writes the run's versions instead of the store's `save`: Redis mode's
   * fenced save, which refuses (throws) once this process no longer owns the job.
   */
  async process(
    job: ExecutionJob,
    signal: AbortSignal,
    save?: (execution: StoredExecution) => Promise<void>,
  ): Promise<StoredExecution | undefined> {
    const { store } = this.options;
    const flow = this.parse(job.tenant, { namespace: job.namespace, flowId: job.flowId, revision: job.revision, source: job.source });
    let execution = await store.get(job.tenant, job.executionId);
    if (job.retryOf !== undefined) {
      // Also when the new execution exists (a crash before the delay was removed): removes it.
      execution = (await this.createRetry(job, job.retryOf)) ?? execution;
      // The RETRIED execution was deleted before its new execution was made: nothing to replay.
      if (execution === undefined) return undefined;
    }
    if (execution === undefined) {
      execution = newExecution({
        tenant: job.tenant,
        flow,
        id: job.executionId,
        inputs: job.inputs,
        labels: job.labels,
        ...(job.trigger === undefined ? {} : { trigger: job.trigger }),
        ...(job.scheduleDate === undefined ? {} : { scheduleDate: job.scheduleDate }),
        ...(job.variables === undefined ? {} : { variables: job.variables }),
        ...(job.secretInputs === undefined ? {} : { secretInputs: job.secretInputs }),
      });
      await store.create(execution);
      execution = (await store.get(job.tenant, job.executionId)) ?? execution;
      this.options.onExecution?.(execution);
    }
    const stored: StoredExecution = execution;
    if (isTerminal(stored.state.current)) return stored;
    // A paused execution waits for a resume job; a stray job (a retry) leaves it paused.
    if (stored.state.current === 'PAUSED' && job.resumeInputs === undefined) return stored;
    // Waiting for subflow executions: it goes on once one of them ended (a job queued meanwhile, a restart).
    if (isWaitingForSubflows(stored) && !(await this.anySubflowOver(stored))) return stored;
    if ((await this.options.killRequested?.(job.tenant, job.executionId)) === true) return this.finishWithoutRun(stored, 'KILLED');

    let secretValues: Record<string, string>;
    try {
      secretValues = this.secretsOf(stored);
    } catch (e) {
      this.log([this.record(stored, 'ERROR', (e as Error).message)]);
      return this.finishWithoutRun(stored, 'FAILED');
    }

    const pending: LogRecord[] = [];
    let flushTimer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      if (pending.length > 0) this.log(pending.splice(0));
    };
    const continued = stored.taskRunList.length > 0;
    // Executions this run wrote logs for (its own, its Subflows'): their writes are waited for at the end.
    const written = new Set<string>();
    const known = (id: string): boolean => written.has(id);
    const handingBack = (): boolean => signal.aborted && signal.reason === HAND_BACK;
    const scheduled = new Set<string>();
    const result = await runExecution({
      flow,
      execution: stored,
      workerId: this.options.workerId,
      engine: this.options.engine,
      storage: this.options.storage,
      ...(this.options.registry === undefined ? {} : { registry: this.options.registry }),
      tenant: job.tenant,
      ...(this.options.secretBox === undefined ? {} : { encryptionKey: this.options.secretBox.outputKey }),
      secretValues,
      sealSecrets: (id, values) => this.sealSecrets(id, values),
      forgetSecrets: (id) => this.options.memorySecrets?.delete(id),
      signal,
      handingBack,
      ...(this.options.concurrencyLimiter === undefined ? {} : { concurrencyLimiter: this.options.concurrencyLimiter }),
      flows: this.options.flows?.(job) ?? new JobFlows(job, (f) => this.parse(job.tenant, f), this.options.flowNamespaces),
      ...(job.resumeInputs === undefined ? {} : { resumeInputs: job.resumeInputs }),
      ...(this.options.resume === undefined ? {} : { resume: (id, inputs) => this.options.resume!(job.tenant, id, inputs) }),
      ...(this.options.toggleTrigger === undefined
        ? {}
        : { toggleTrigger: (request: TriggerToggleRequest) => this.options.toggleTrigger!(job.tenant, request) }),
      ...(this.options.env === undefined ? {} : { env: this.options.env }),
      executions: { find: (id) => store.get(job.tenant, id), logs: (id) => store.logs(job.tenant, id) },
      ...(continued ? { previousLogs: await store.logs(job.tenant, job.executionId) } : {}),
      save: async (next) => {
        await (save ?? ((e: StoredExecution) => store.save(e)))(next);
        this.options.onExecution?.(next);
        // Stored with its RETRIED state; queued before this job ends (a crash in between: the next
        // server start queues it from the store).
        if (next.delayedRetry !== undefined && !scheduled.has(next.id)) {
          scheduled.add(next.id);
          await this.options.scheduleRetry?.(job, next);
        }
      },
      log: (record) => {
        this.options.onLog?.(record);
        written.add(record.executionId);
        pending.push(record);
        flushTimer ??= setTimeout(flush, LOG_FLUSH_MS);
      },
    });
    flush();
    await Promise.all([...this.logWrites.entries()].filter(([id]) => id === job.executionId || known(id)).map(([, p]) => p));
    // A retry's new execution runs with the same SECRET inputs: kept for it.
    if (isTerminal(result.state.current) && result.delayedRetry === undefined) this.options.memorySecrets?.delete(result.id);
    // A child it now waits for ended before the wait was stored (a quick resume, a kill): its end
    // found no waiting parent to continue, so this job goes on.
    if (!handingBack() && isWaitingForSubflows(result) && (await this.anySubflowOver(result)))
      return this.process({ ...job, resumeInputs: undefined, retryOf: undefined }, signal, save);
    return result;
  }

  /** One of the subflow executions it waits for has ended (or is gone: the task run then fails). */
  private async anySubflowOver(execution: StoredExecution): Promise<boolean> {
    const tenant = execution.tenantId ?? 'main';
    for (const id of waitedSubflows(execution)) {
      const child = await this.options.store.get(tenant, id);
      if (child === undefined || isTerminal(child.state.current)) return true;
    }
    return false;
  }

  /**
   * Kestra's executor when a `RESTART_FAILED_FLOW` delay is due: the RETRIED execution's replay is
   * created (with the id chosen when it was retried: created once, however often this runs), then
   * the delay is removed from the RETRIED execution.
   */
  private async createRetry(job: ExecutionJob, retriedId: string): Promise<StoredExecution | undefined> {
    const { store } = this.options;
    const retried: StoredExecution | undefined = await store.get(job.tenant, retriedId);
    if (retried === undefined) return undefined;
    const next: StoredExecution = {
      ...replayExecution(retried, job.executionId),
      tenantId: job.tenant,
      ...(retried.secretInputs === undefined ? {} : { secretInputs: retried.secretInputs }),
    };
    const memory = this.options.memorySecrets?.get(retried.id);
    if (memory !== undefined) {
      this.options.memorySecrets?.set(next.id, memory);
      this.options.memorySecrets?.delete(retried.id);
    }
    // Insert only: a job run twice (a crash, a re-queue at start) finds it made.
    if (await store.create(next)) this.options.onExecution?.(next);
    if (retried.delayedRetry?.executionId === job.executionId) {
      const { delayedRetry: _done, ...rest } = retried;
      await store.save(rest);
    }
    return (await store.get(job.tenant, job.executionId)) ?? next;
  }

  /** Appends log lines, one write per execution, in order. */
  private log(records: LogRecord[]): void {
    const byExecution = new Map<string, LogRecord[]>();
    for (const r of records) {
      let list = byExecution.get(r.executionId);
      if (list === undefined) byExecution.set(r.executionId, (list = []));
      list.push(r);
    }
    for (const [executionId, list] of byExecution) {
      const tenant = list[0]?.tenantId ?? 'main';
      const previous = this.logWrites.get(executionId) ?? Promise.resolve();
      const next = previous
        .then(() => this.options.store.appendLogs(tenant, executionId, list))
        .catch((e: Error) => process.emitWarning(`pebbleflow: could not write logs of ${executionId}: ${e.message}`));
      this.logWrites.set(executionId, next);
      void next.then(() => {
        if (this.logWrites.get(executionId) === next) this.logWrites.delete(executionId);
      });
    }
  }

  private record(execution: StoredExecution, level: LogRecord['level'], message: string): LogRecord {
    return {
      tenantId: execution.tenantId ?? 'main',
      namespace: execution.namespace,
      flowId: execution.flowId,
      executionId: execution.id,
      timestamp: new Date().toISOString(),
      level,
      thread: this.options.workerId,
      message,
    };
  }

  private async finishWithoutRun(execution: StoredExecution, state: 'KILLED' | 'FAILED'): Promise<StoredExecution> {
    const next = state === 'KILLED' ? withState(execution.state, 'KILLED') : withState(withState(execution.state, 'RUNNING'), 'FAILED');
    const done: StoredExecution = { ...execution, state: next };
    await this.options.store.save(done);
    this.options.onExecution?.(done);
    this.options.memorySecrets?.delete(done.id);
    return done;
  }
}
