/**
 * Runs queued executions, whichever queue delivered them (the embedded one or a BullMQ worker):
 * loads the stored execution (or builds it from the job, which carries everything needed), skips
 * one that is already over (a retried job never makes a second run), honours a kill asked for
 * while it waited, decrypts its SECRET inputs, runs it and saves every change and log line.
 */
import { checkFlow } from '../../flow/loader.js';
import type { Flow } from '../../flow/model.js';
import { isTerminal, type ExecutionTrigger, type Label } from '../../runner/execution.js';
import type { FlowEngine } from '../../runner/types.js';
import type { ExecutionStore, LogRecord } from '../store/types.js';
import { newExecution, withState, type StoredExecution } from './model.js';
import { runExecution } from './run-execution.js';
import { SecretInputError, type SecretBox } from './secret-inputs.js';

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
  /** SECRET inputs, AES-256-GCM encrypted (Redis mode needs `server.encryptionKey`). */
  readonly secretInputs?: Readonly<Record<string, string>>;
}

/** The abort reason of a process that stops: the execution is handed back, not killed. */
export const HAND_BACK = 'pebbleflow:hand-back';

export interface ProcessorOptions {
  readonly store: ExecutionStore;
  readonly engine: FlowEngine;
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
  /** Told when an execution reaches a terminal state (Flow triggers). */
  readonly onEnd?: (execution: StoredExecution) => void;
}

const LOG_FLUSH_MS = 50;

export class ExecutionProcessor {
  private readonly options: ProcessorOptions;
  private readonly flows = new Map<string, Flow>();

  constructor(options: ProcessorOptions) {
    this.options = options;
  }

  /** The flow of a job, parsed once per source. */
  private flowOf(job: ExecutionJob): Flow {
    const key = `${job.tenant}\u0000${job.namespace}\u0000${job.flowId}\u0000${job.revision}`;
    let flow = this.flows.get(key);
    if (flow === undefined) {
      const { flow: parsed, problems } = checkFlow(job.source);
      if (parsed === undefined)
        throw new Error(
          `Flow ${job.namespace}.${job.flowId} revision ${job.revision} is invalid: ${problems.map((p) => p.message).join('; ')}`,
        );
      flow = { ...parsed, revision: job.revision };
      if (this.flows.size > 500) this.flows.clear();
      this.flows.set(key, flow);
    }
    return flow;
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

  /** Runs (or finishes) the execution of a job; resolves to its final or handed-back version. */
  async process(job: ExecutionJob, signal: AbortSignal): Promise<StoredExecution> {
    const { store } = this.options;
    const flow = this.flowOf(job);
    let execution = await store.get(job.tenant, job.executionId);
    if (execution === undefined) {
      execution = newExecution({
        tenant: job.tenant,
        flow,
        id: job.executionId,
        inputs: job.inputs,
        labels: job.labels,
        ...(job.trigger === undefined ? {} : { trigger: job.trigger }),
        ...(job.scheduleDate === undefined ? {} : { scheduleDate: job.scheduleDate }),
        ...(job.secretInputs === undefined ? {} : { secretInputs: job.secretInputs }),
      });
      await store.create(execution);
      execution = (await store.get(job.tenant, job.executionId)) ?? execution;
      this.options.onExecution?.(execution);
    }
    if (isTerminal(execution.state.current)) return execution;
    const stored = execution;
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
    const result = await runExecution({
      flow,
      execution: stored,
      workerId: this.options.workerId,
      engine: this.options.engine,
      tenant: job.tenant,
      secretValues,
      signal,
      ...(this.options.env === undefined ? {} : { env: this.options.env }),
      save: async (next) => {
        if (signal.aborted && signal.reason === HAND_BACK && !isTerminal(next.state.current)) return;
        await store.save(next);
        this.options.onExecution?.(next);
      },
      log: (record) => {
        this.options.onLog?.(record);
        pending.push(record);
        flushTimer ??= setTimeout(flush, LOG_FLUSH_MS);
      },
    });
    flush();
    await this.logWrites;
    if (isTerminal(result.state.current)) {
      this.options.memorySecrets?.delete(result.id);
      this.options.onEnd?.(result);
    }
    return result;
  }

  private logWrites: Promise<void> = Promise.resolve();

  private log(records: LogRecord[]): void {
    const first = records[0];
    if (first === undefined) return;
    const write = this.options.store.appendLogs(first.tenantId ?? 'main', first.executionId, records);
    this.logWrites = this.logWrites.then(
      () => write,
      () => write,
    );
    write.catch((e: Error) => process.emitWarning(`pebbleflow: could not write logs of ${first.executionId}: ${e.message}`));
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
    const state_ = state === 'KILLED' ? withState(execution.state, 'KILLED') : withState(withState(execution.state, 'RUNNING'), 'FAILED');
    const done: StoredExecution = { ...execution, state: state_ };
    await this.options.store.save(done);
    this.options.onExecution?.(done);
    this.options.memorySecrets?.delete(done.id);
    this.options.onEnd?.(done);
    return done;
  }
}
