/**
 * `pebbleflow worker`: runs the executions servers queue on BullMQ, and fires the schedules they
 * register. Each worker resolves secrets from its own config and keeps its own token cache; a job
 * never carries a secret in clear. A kill reaches the worker running the execution; SIGTERM stops
 * taking jobs, lets running executions finish within the grace period, then puts their jobs back
 * in the queue for another worker. A worker that dies without a word (SIGKILL, a lost machine)
 * loses its job locks after a few seconds, and BullMQ gives the jobs to another worker.
 */
import { WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { checkFlow } from '../../flow/loader.js';
import { SCHEDULE_ON_DATES_TRIGGER, SCHEDULE_TRIGGER } from '../../flow/triggers.js';
import { isTerminal } from '../../runner/execution.js';
import { ExecutionEvents } from '../executions/events.js';
import { HAND_BACK, ExecutionProcessor, type ExecutionJob } from '../executions/processor.js';
import { isWaitingForSubflows, type StoredExecution } from '../executions/model.js';
import { ExecutionService, retryJobOf } from '../executions/service.js';
import type { FlowRecord } from '../flows/flow-repository.js';
import { processRuntime } from '../runtime.js';
import { triggerUid } from '../store/types.js';
import { scheduleNextDate, scheduledExecution } from '../triggers/rendering.js';
import { isTooLate, missedTicks, scheduleSpec } from '../triggers/schedule.js';
import {
  BullExecutionQueue,
  connectionOptions,
  createQueue,
  EXECUTION_JOB,
  repeatStrategy,
  SCHEDULE_JOB,
  type ScheduleJob,
} from './bull.js';
import { keys, QUEUE_NAME, type RedisMessage } from './keys.js';
import { RedisConcurrencyLimiter } from './redis-concurrency.js';
import { LockLostError, RedisExecutionStore } from './redis-store.js';

export interface WorkerOptions {
  readonly redisUrl: string;
  readonly config?: string | object;
  readonly concurrency?: number;
  readonly graceMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: (line: string) => void;
  /** How long a job stays locked by a silent worker before another takes it (default 10 s). */
  readonly lockDurationMs?: number;
}

export interface StartedWorker {
  readonly id: string;
  readonly queueName: string;
  close(): Promise<void>;
}

const KILLED = 'pebbleflow:killed';

export async function startWorker(options: WorkerOptions): Promise<StartedWorker> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const runtime = await processRuntime(options.config, env);
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null, connectionName: `pebbleflow-worker-${runtime.workerId}` });
  redis.on('error', (e: Error) => log(`pebbleflow worker: Redis: ${e.message}`));
  await redis.ping();
  const subscriber = redis.duplicate();
  subscriber.on('error', () => undefined);
  const store = new RedisExecutionStore(redis);
  const producer = new BullExecutionQueue(createQueue(options.redisUrl), redis);
  // Flow concurrency counted across every worker of the deployment, not per process.
  const concurrencyLimiter = new RedisConcurrencyLimiter(redis);
  const processor = new ExecutionProcessor({
    store,
    registry: runtime.registry,
    engine: runtime.engine,
    storage: runtime.storage,
    workerId: runtime.workerId,
    env,
    concurrencyLimiter,
    ...(runtime.secretBox === undefined ? {} : { secretBox: runtime.secretBox }),
    killRequested: async (tenant, id) => (await redis.get(keys.kill(tenant, id))) !== null,
    flowNamespaces: async (tenant) => {
      const published = await redis.get(keys.flowNamespaces(tenant));
      return published === null ? undefined : (JSON.parse(published) as string[]);
    },
    // A Resume task: the servers have the flows, they validate and queue the resume.
    resume: async (tenant, id, inputs) => {
      const message: RedisMessage = { t: 'resume', tenant, id, inputs: { ...inputs } };
      if ((await redis.publish(keys.events, JSON.stringify(message))) === 0)
        throw new Error(`No server is listening to resume execution ${id}`);
    },
    // A Toggle task: the servers have the flows and the schedules; each applies it (the same state).
    toggleTrigger: async (tenant, request) => {
      const message: RedisMessage = { t: 'toggle', tenant, ...request };
      if ((await redis.publish(keys.events, JSON.stringify(message))) === 0)
        throw new Error(`No server is listening to toggle trigger ${request.triggerId} of ${request.namespace}.${request.flowId}`);
      return 'toggled';
    },
    // A CREATE_NEW_EXECUTION retry: a delayed BullMQ job (kept in Redis), with the flow sources the
    // job that ran the RETRIED execution carries (its own flow, or one of its Subflows').
    scheduleRetry: async (job, retried) => {
      const own = retried.namespace === job.namespace && retried.flowId === job.flowId;
      const source = own ? job.source : job.subflows?.find((f) => f.namespace === retried.namespace && f.flowId === retried.flowId)?.source;
      if (source === undefined) {
        log(
          `pebbleflow worker: no source of ${retried.namespace}.${retried.flowId} to retry execution ${retried.id}; a server queues it at its next start`,
        );
        return;
      }
      const record: FlowRecord = {
        tenant: job.tenant,
        namespace: retried.namespace,
        id: retried.flowId,
        revision: retried.flowRevision,
        source,
        deleted: false,
        updated: new Date().toISOString(),
        flow: processor.parse(job.tenant, { namespace: retried.namespace, flowId: retried.flowId, revision: retried.flowRevision, source }),
      };
      const retryJob = retryJobOf(retried, record, job.subflows ?? []);
      if (retryJob !== undefined) await producer.enqueue(retryJob);
    },
  });
  // Schedules create executions the way the server does (inputs checked, SECRETs encrypted), with
  // the Subflow sources the schedule's job carries.
  const serviceFor = (tenant: string, job: ScheduleJob): ExecutionService => {
    const records = new Map(
      (job.subflows ?? []).map((f) => {
        const record: FlowRecord = {
          tenant,
          namespace: f.namespace,
          id: f.flowId,
          revision: f.revision,
          source: f.source,
          deleted: false,
          updated: new Date().toISOString(),
          flow: processor.parse(tenant, f),
        };
        return [`${f.namespace}\u0000${f.flowId}`, record];
      }),
    );
    return new ExecutionService({
      tenant,
      store,
      queue: producer,
      events: new ExecutionEvents(),
      engine: runtime.engine,
      memorySecrets: new Map(),
      flows: { get: (namespace, id) => records.get(`${namespace}\u0000${id}`) },
      ...(runtime.secretBox === undefined ? {} : { secretBox: runtime.secretBox }),
    });
  };

  const runExecution = async (job: Job<ExecutionJob>, token: string | undefined, signal: AbortSignal | undefined): Promise<string> => {
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal?.reason === HAND_BACK ? HAND_BACK : 'killed');
    if (signal?.aborted === true) forward();
    signal?.addEventListener('abort', forward, { once: true });
    // Fencing: the run's saves (and so a task's attempt, which waits for its save) land only while
    // this worker holds the job's lock, checked in the same Redis step as the write. A worker starved
    // past its lock finds another one owns the job: it stops instead of running task runs that one runs too.
    const lockKey = `${worker.toKey(String(job.id))}:lock`;
    const save = async (execution: StoredExecution): Promise<void> => {
      if (token === undefined) return store.save(execution);
      try {
        await store.saveHolding(execution, lockKey, token);
      } catch (e) {
        if (e instanceof LockLostError) controller.abort(HAND_BACK);
        throw e;
      }
    };
    try {
      const result = await processor.process(job.data, controller.signal, save);
      if (controller.signal.aborted && controller.signal.reason === HAND_BACK && signal?.aborted !== true) {
        // Lost the lock: the job is no longer this worker's to move.
        throw new WaitingError();
      }
      // A retry's job whose RETRIED execution was deleted meanwhile: nothing to run.
      if (result === undefined) return 'gone';
      if (isTerminal(result.state.current) || result.state.current === 'PAUSED') return result.state.current;
      // Waiting for subflow executions: the end of one queues it again (the servers read the states).
      if (isWaitingForSubflows(result)) return 'WAITING';
      // Handed back at shutdown: the job waits for another worker, which resumes the execution.
      await job.moveToWait(token);
      throw new WaitingError();
    } finally {
      signal?.removeEventListener('abort', forward);
    }
  };

  const fireSchedule = async (job: Job<ScheduleJob>): Promise<string> => {
    const data = job.data;
    const tick = job.opts.prevMillis ?? Number(String(job.id).split(':').at(-1));
    const { flow, problems } = checkFlow(data.source, { registry: runtime.registry });
    if (flow === undefined)
      throw new Error(
        `Flow ${data.namespace}.${data.flowId} revision ${data.revision} is invalid: ${problems.map((p) => p.message).join('; ')}`,
      );
    const trigger = flow.triggers.find(
      (t) => t.id === data.triggerId && (t.type === SCHEDULE_TRIGGER || t.type === SCHEDULE_ON_DATES_TRIGGER),
    );
    if (trigger === undefined || trigger.disabled || flow.disabled) return 'no trigger';
    const record: FlowRecord = {
      tenant: data.tenant,
      namespace: data.namespace,
      id: data.flowId,
      revision: data.revision,
      source: data.source,
      deleted: false,
      updated: new Date().toISOString(),
      flow: { ...flow, revision: data.revision },
    };
    const spec = scheduleSpec(trigger, data.dates);
    const uid = triggerUid({ tenantId: data.tenant, namespace: data.namespace, flowId: data.flowId, triggerId: trigger.id });
    const state = await store.getTrigger(data.tenant, uid);
    if (state?.disabled === true) return 'stopped';
    const now = Date.now();
    // BullMQ runs one job for the first missed tick once a worker is back; the rest follow the policy.
    const later = missedTicks({ ...spec, recover: 'ALL' }, tick, now);
    // With ALL, ticks between the last one fired and this job's are run too: a job lost on the way
    // (a worker that stalled past BullMQ's limit, a job that failed every attempt) loses no tick.
    const lastFired = state?.fingerprint === spec.fingerprint && state.date !== undefined ? Date.parse(state.date) : undefined;
    const earlier =
      spec.recover === 'ALL' && lastFired !== undefined && lastFired < tick ? missedTicks(spec, lastFired, tick - 1) : undefined;
    let ticks: number[];
    if (later.ticks.length === 0) ticks = [...(earlier?.ticks ?? []), tick];
    else if (spec.recover === 'ALL') ticks = [...(earlier?.ticks ?? []), tick, ...later.ticks];
    else if (spec.recover === 'LAST') ticks = later.ticks.slice(-1);
    else ticks = [];
    if (later.capped || earlier?.capped === true)
      log(`pebbleflow worker: ${data.namespace}.${data.flowId} trigger ${trigger.id}: only the most recent missed ticks are run`);
    const service = serviceFor(data.tenant, data);
    for (const t of ticks) {
      if (isTooLate(spec, t, now)) continue;
      const request = await scheduledExecution(runtime.engine, record, trigger, spec, t, log);
      if (request !== undefined) await service.create(record, request);
    }
    // Never backwards: jobs of one schedule may finish out of order on several workers.
    const last = Math.max(tick, ...ticks, lastFired ?? 0);
    // Kestra's nextEvaluationDate (with conditions, the next tick whose conditions hold); BullMQ
    // fires every cron tick regardless, those whose conditions fail make nothing.
    const next = await scheduleNextDate(runtime.engine, record, trigger, spec, last, log);
    await store.saveTrigger({
      ...state,
      tenantId: data.tenant,
      namespace: data.namespace,
      flowId: data.flowId,
      triggerId: trigger.id,
      date: new Date(last).toISOString(),
      ...(next === undefined ? {} : { nextExecutionDate: new Date(next).toISOString() }),
      fingerprint: spec.fingerprint,
      updatedDate: new Date().toISOString(),
    });
    return `${ticks.length} tick(s)`;
  };

  const lockDuration = options.lockDurationMs ?? 10_000;
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job, token?: string, signal?: AbortSignal) => {
      if (job.name === EXECUTION_JOB) return runExecution(job as Job<ExecutionJob>, token, signal);
      if (job.name === SCHEDULE_JOB) return fireSchedule(job as Job<ScheduleJob>);
      throw new Error(`unknown job ${job.name}`);
    },
    {
      connection: connectionOptions(options.redisUrl),
      concurrency: options.concurrency ?? 8,
      settings: { repeatStrategy },
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      // A job whose worker died is given to another one, however many times that happens.
      maxStalledCount: 1000,
      name: runtime.workerId,
    },
  );
  worker.on('error', (e: Error) => log(`pebbleflow worker: ${e.message}`));
  // A lock that could not be renewed may already be another worker's: stop the run, save nothing more.
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) worker.cancelJob(id, HAND_BACK);
  });
  worker.on('failed', (job, e: Error) => {
    if (job !== undefined && !(e instanceof WaitingError)) log(`pebbleflow worker: job ${job.id} failed: ${e.message}`);
  });

  await subscriber.subscribe(keys.control);
  subscriber.on('message', (_channel: string, text: string) => {
    try {
      const message = JSON.parse(text) as RedisMessage;
      if (message.t === 'kill') worker.cancelJob(message.id, KILLED);
    } catch {
      // not ours
    }
  });
  await worker.waitUntilReady();

  return {
    id: runtime.workerId,
    queueName: QUEUE_NAME,
    async close() {
      let timer: NodeJS.Timeout | undefined;
      const closing = worker.close();
      const graceful = await Promise.race([
        closing.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), options.graceMs ?? 30_000))),
      ]);
      clearTimeout(timer);
      if (!graceful) {
        log(`pebbleflow worker: grace period over: handing running executions back to the queue`);
        worker.cancelAllJobs(HAND_BACK);
        await closing;
      }
      await producer.close();
      await concurrencyLimiter.close();
      subscriber.disconnect();
      await redis.quit().catch(() => undefined);
    },
  };
}
