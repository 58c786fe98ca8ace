/**
 * The embedded queue: executions run in the server process, at most `concurrency` at a time, in
 * the order they were queued (a job with a `runAt`, once that date has come). A kill removes a
 * queued execution or aborts a running one; closing stops taking work, lets running executions
 * finish within a grace period, then hands the rest back (left unfinished in the store, picked up
 * again at the next start; a delayed job, from the RETRIED execution that keeps it).
 */
import { HAND_BACK, type ExecutionJob, type ExecutionProcessor } from './processor.js';
import type { ExecutionQueue } from './queue.js';

export class EmbeddedQueue implements ExecutionQueue {
  readonly mode = 'embedded' as const;
  private readonly processor: ExecutionProcessor;
  private readonly concurrency: number;
  private readonly waiting: ExecutionJob[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  /** Jobs waiting for their `runAt` (a retry's delay); the store keeps them across restarts. */
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  /** Jobs to run again once the running job of their execution ended (`enqueueAfterRun`). */
  private readonly again = new Map<string, ExecutionJob>();
  private closing = false;
  private readonly onError: (job: ExecutionJob, error: unknown) => void;

  constructor(
    processor: ExecutionProcessor,
    options: { concurrency?: number; onError?: (job: ExecutionJob, error: unknown) => void } = {},
  ) {
    this.processor = processor;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.onError =
      options.onError ??
      ((job, e) => process.stderr.write(`pebbleflow: execution ${job.executionId} failed to run: ${(e as Error).message}\n`));
  }

  get size(): { waiting: number; running: number; delayed: number } {
    return { waiting: this.waiting.length, running: this.running.size, delayed: this.delayed.size };
  }

  async enqueue(job: ExecutionJob): Promise<void> {
    if (this.closing) throw new Error('The server is stopping: no new executions');
    if (
      this.running.has(job.executionId) ||
      this.delayed.has(job.executionId) ||
      this.waiting.some((j) => j.executionId === job.executionId)
    )
      return;
    const delay = job.runAt === undefined ? 0 : Date.parse(job.runAt) - Date.now();
    if (delay > 0) {
      // setTimeout's limit (~24.8 days): a longer delay waits again when it fires.
      const timer = setTimeout(
        () => {
          this.delayed.delete(job.executionId);
          if (!this.closing) void this.enqueue(job);
        },
        Math.min(delay, 2 ** 31 - 1),
      );
      this.delayed.set(job.executionId, timer);
      return;
    }
    this.waiting.push(job);
    this.pump();
  }

  async enqueueAfterRun(job: ExecutionJob): Promise<void> {
    if (this.running.has(job.executionId)) this.again.set(job.executionId, job);
    else await this.enqueue(job);
  }

  private pump(): void {
    while (!this.closing && this.running.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      const controller = new AbortController();
      const done = this.processor
        .process(job, controller.signal)
        .catch((e: unknown) => this.onError(job, e))
        .finally(() => {
          this.running.delete(job.executionId);
          const next = this.again.get(job.executionId);
          this.again.delete(job.executionId);
          if (next !== undefined && !this.closing) void this.enqueue(next);
          this.pump();
        });
      this.running.set(job.executionId, { controller, done });
    }
  }

  async kill(_tenant: string, executionId: string): Promise<'queued' | 'running' | 'unknown'> {
    const index = this.waiting.findIndex((j) => j.executionId === executionId);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      return 'queued';
    }
    const run = this.running.get(executionId);
    if (run === undefined) return 'unknown';
    run.controller.abort('killed');
    return 'running';
  }

  /** Resolves once every running execution has finished or been handed back. */
  async close(graceMs = 30_000): Promise<void> {
    this.closing = true;
    this.waiting.length = 0;
    this.again.clear();
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      for (const r of this.running.values()) r.controller.abort(HAND_BACK);
      await all;
    }
  }
}
