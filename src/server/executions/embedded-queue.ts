/**
 * The embedded queue: executions run in the server process, at most `concurrency` at a time, in
 * the order they were queued. A kill removes a queued execution or aborts a running one; closing
 * stops taking work, lets running executions finish within a grace period, then hands the rest
 * back (left unfinished in the store, picked up again at the next start).
 */
import { HAND_BACK, type ExecutionJob, type ExecutionProcessor } from './processor.js';
import type { ExecutionQueue } from './queue.js';

export class EmbeddedQueue implements ExecutionQueue {
  readonly mode = 'embedded' as const;
  private readonly processor: ExecutionProcessor;
  private readonly concurrency: number;
  private readonly waiting: ExecutionJob[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
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

  get size(): { waiting: number; running: number } {
    return { waiting: this.waiting.length, running: this.running.size };
  }

  async enqueue(job: ExecutionJob): Promise<void> {
    if (this.closing) throw new Error('The server is stopping: no new executions');
    if (this.running.has(job.executionId) || this.waiting.some((j) => j.executionId === job.executionId)) return;
    this.waiting.push(job);
    this.pump();
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
