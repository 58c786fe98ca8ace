/** Where executions wait to run: in the server process (embedded) or on BullMQ (Redis mode). */
import type { ExecutionJob } from './processor.js';

export interface ExecutionQueue {
  readonly mode: 'embedded' | 'redis';
  enqueue(job: ExecutionJob): Promise<void>;
  /**
   * Queues a job for an execution whose own job may still be running: run once that one ended
   * (`enqueue` would drop it as a duplicate). A parent that waits for a subflow execution is
   * continued this way when the child ends.
   */
  enqueueAfterRun(job: ExecutionJob): Promise<void>;
  /** Asks for a kill; 'queued' and 'running' say where it was found, 'unknown' that it was not (it may run elsewhere). */
  kill(tenant: string, executionId: string): Promise<'queued' | 'running' | 'unknown'>;
  close(graceMs?: number): Promise<void>;
}
