/**
 * BullMQ as the execution queue (Redis mode). The execution id is the job id, so adding a job
 * twice (a retried request, two servers firing one tick) queues it once. Schedules are BullMQ job
 * schedulers whose next tick is computed with Kestra's cron (a custom repeat strategy), so any
 * number of servers and workers produce one job per tick. A kill removes a waiting job or asks
 * the worker running it to stop.
 */
import { Queue, type JobsOptions, type RepeatOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TriggerDefinition } from '../../flow/triggers.js';
import type { ExecutionJob, JobFlow } from '../executions/processor.js';
import type { ExecutionQueue } from '../executions/queue.js';
import type { FlowRecord } from '../flows/flow-repository.js';
import { triggerUid } from '../store/types.js';
import { bullPattern, DatesTicks, scheduleOfPattern, type ScheduleSpec } from '../triggers/schedule.js';
import type { ScheduleBackend } from '../triggers/trigger-engine.js';
import { keys, QUEUE_NAME, type RedisMessage } from './keys.js';

/** What a schedule's BullMQ job carries: the flow of its revision and the trigger to fire. */
export interface ScheduleJob {
  readonly tenant: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly revision: number;
  readonly source: string;
  readonly triggerId: string;
  /** The flows its Subflow tasks name, as the server had them when it armed the schedule. */
  readonly subflows?: readonly JobFlow[];
  /** ScheduleOnDates: its dates as the server rendered them (epoch ms). */
  readonly dates?: readonly number[];
}

export const EXECUTION_JOB = 'execution';
export const SCHEDULE_JOB = 'schedule';

/** Kestra's cron for BullMQ's schedulers: the next tick strictly after `millis`, in the scheduler's zone. */
export function repeatStrategy(millis: number, opts: RepeatOptions): number | undefined {
  if (opts.pattern === undefined) return undefined;
  return scheduleOfPattern(opts.pattern, opts.tz ?? undefined)
    .next(millis)
    ?.getTime();
}

export const connectionOptions = (url: string): { url: string; maxRetriesPerRequest: null } => ({ url, maxRetriesPerRequest: null });

export const JOB_OPTIONS: JobsOptions = {
  // A job that throws is an infrastructure failure (the run's own failure is a FAILED execution): retry it.
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

export function createQueue(url: string): Queue {
  return new Queue(QUEUE_NAME, { connection: connectionOptions(url), settings: { repeatStrategy } });
}

export class BullExecutionQueue implements ExecutionQueue {
  readonly mode = 'redis' as const;
  readonly queue: Queue;
  private readonly redis: Redis;

  constructor(queue: Queue, redis: Redis) {
    this.queue = queue;
    this.redis = redis;
  }

  async enqueue(job: ExecutionJob): Promise<void> {
    const notBefore = Math.max(
      job.scheduleDate === undefined ? 0 : Date.parse(job.scheduleDate),
      job.runAt === undefined ? 0 : Date.parse(job.runAt),
    );
    const delay = Math.max(0, notBefore - Date.now());
    // A finished job of the same id (a restarted execution) would make `add` a no-op: it goes first.
    const existing = await this.queue.getJob(job.executionId);
    if (existing !== undefined) {
      const state = await existing.getState();
      if (state === 'completed' || state === 'failed') await existing.remove().catch(() => undefined);
    }
    await this.queue.add(EXECUTION_JOB, job, { ...JOB_OPTIONS, jobId: job.executionId, ...(delay > 0 ? { delay } : {}) });
  }

  /**
   * BullMQ ignores a job whose id is active: wait (in the background) until the execution's job is
   * no longer active, then queue. A job that finds nothing to do ends at once (the processor checks).
   */
  async enqueueAfterRun(job: ExecutionJob): Promise<void> {
    void (async () => {
      // The lock of a silent worker expires after seconds: ten minutes is far beyond any hand-over.
      for (let i = 0; i < 2400; i++) {
        const state = await (await this.queue.getJob(job.executionId))?.getState();
        if (state !== 'active') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      await this.enqueue(job);
    })().catch((e: Error) => process.emitWarning(`pebbleflow: could not queue execution ${job.executionId} again: ${e.message}`));
  }

  async kill(tenant: string, executionId: string): Promise<'queued' | 'running' | 'unknown'> {
    // Remembered beside the queue: a worker that picks the job up now sees it and does not run it.
    await this.redis.set(keys.kill(tenant, executionId), '1', 'EX', 86_400);
    const job = await this.queue.getJob(executionId);
    if (job !== undefined) {
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
        try {
          await job.remove();
          return 'queued';
        } catch {
          // taken by a worker meanwhile: it is running
        }
      }
      if (state === 'completed' || state === 'failed') return 'unknown';
    }
    const message: RedisMessage = { t: 'kill', tenant, id: executionId };
    await this.redis.publish(keys.control, JSON.stringify(message));
    return job === undefined ? 'unknown' : 'running';
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Schedules as BullMQ job schedulers, one per Schedule or ScheduleOnDates trigger (`tenant_namespace_flow_trigger`). */
export class BullSchedules implements ScheduleBackend {
  private readonly queue: Queue;
  private readonly tenant: string;
  private readonly armedIds = new Map<string, string>();
  private subflows: (record: FlowRecord) => JobFlow[] = () => [];

  constructor(queue: Queue, tenant: string) {
    this.queue = queue;
    this.tenant = tenant;
  }

  armed(): string[] {
    return [...this.armedIds.keys()];
  }

  /** How the flows a Subflow names are found (the server's execution service knows). */
  setSubflows(find: (record: FlowRecord) => JobFlow[]): void {
    this.subflows = find;
  }

  async arm(record: FlowRecord, trigger: TriggerDefinition, spec: ScheduleSpec): Promise<void> {
    const uid = triggerUid({ tenantId: this.tenant, namespace: record.namespace, flowId: record.id, triggerId: trigger.id });
    const pattern = bullPattern(trigger, spec);
    const version = `${spec.fingerprint}|${record.revision}`;
    if (this.armedIds.get(uid) === version) return;
    const data: ScheduleJob = {
      tenant: this.tenant,
      namespace: record.namespace,
      flowId: record.id,
      revision: record.revision,
      source: record.source,
      triggerId: trigger.id,
      subflows: this.subflows(record),
      ...(spec.ticks instanceof DatesTicks ? { dates: spec.ticks.dates } : {}),
    };
    await this.queue.upsertJobScheduler(uid, { pattern, tz: spec.timezone }, { name: SCHEDULE_JOB, data, opts: JOB_OPTIONS });
    this.armedIds.set(uid, version);
  }

  async disarm(uid: string): Promise<void> {
    this.armedIds.delete(uid);
    await this.queue.removeJobScheduler(uid);
  }

  /** Removes the schedulers of this tenant that no armed trigger backs (a flow deleted while no server ran). */
  async prune(): Promise<void> {
    const prefix = `${this.tenant}_`;
    for (const scheduler of await this.queue.getJobSchedulers(0, -1)) {
      const id = scheduler.key;
      if (id.startsWith(prefix) && !this.armedIds.has(id)) await this.queue.removeJobScheduler(id);
    }
  }

  async stop(): Promise<void> {
    // The schedulers stay in Redis: workers keep firing them while no server runs.
  }
}
