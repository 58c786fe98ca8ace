/**
 * Runs jq programs and non-linear regular expressions on a worker thread, with a time limit, so
 * that none can freeze the thread that renders. Two lanes, each one thread started on first use:
 * - the synchronous lane serves `renderSync`: the caller blocks in `Atomics.wait` until the reply
 *   or the time limit (the reply is then read with `receiveMessageOnPort`);
 * - the asynchronous lane serves `render`: jobs queue, one runs at a time, the event loop stays free.
 * A job over its time limit terminates its thread (the next job gets a new one); so does a thread
 * that died (out of heap) or whose jq aborted. Starting a thread (and loading jq in it, about
 * 100 ms) is not counted against a job's limit.
 */
import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { WORKER_SOURCE } from './worker-source.js';

export type Job =
  | { readonly kind: 'jq'; readonly json: string; readonly expression: string; readonly maxOutput: number }
  | { readonly kind: 'regex'; readonly source: string; readonly flags: string; readonly input: string; readonly maxMatches: number };

export type JqReply =
  | { readonly ok: true; readonly output: string | undefined }
  | { readonly ok: false; readonly fatal?: boolean; readonly message?: string; readonly stderr?: string; readonly tooLong?: number };

/** `[index, [match, ...groups], named groups]` per match. */
export type RegexMatchData = readonly [number, readonly (string | undefined)[], Readonly<Record<string, string | undefined>> | null];
export type RegexReply =
  | { readonly ok: true; readonly matches: readonly RegexMatchData[] }
  | { readonly ok: false; readonly tooMany?: boolean; readonly message?: string };

/** Why a job produced no reply. */
export class WorkerJobError extends Error {
  constructor(
    readonly reason: 'timeout' | 'crashed' | 'startup',
    message: string,
  ) {
    super(message);
    this.name = 'WorkerJobError';
  }
}

/** How long a new thread may take to start and load jq (generous: machines are shared). */
const STARTUP_MS = 60_000;
/** jq's WebAssembly memory ceiling. */
export const JQ_MEMORY_BYTES = 256 * 1024 * 1024;
/** The thread's JavaScript heap (jq's output is collected there). */
const HEAP_MB = 256;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly shared: Int32Array;
  booted: boolean;
  ready: boolean;
  dead: boolean;
}

function spawn(): Thread {
  const { port1, port2 } = new MessageChannel();
  const shared = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
  const jqPath = createRequire(import.meta.url).resolve('jq-web');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { port: port2, shared, jqPath, jqMemoryBytes: JQ_MEMORY_BYTES },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
  });
  // Idle threads never keep the process alive; the async lane refs its port while a job runs.
  worker.unref();
  port1.unref();
  const thread: Thread = { worker, port: port1, shared, booted: false, ready: false, dead: false };
  return thread;
}

function kill(thread: Thread): void {
  thread.dead = true;
  thread.port.close();
  void thread.worker.terminate().catch(() => undefined);
}

/** Blocks until `shared[index]` is 1 or `ms` passed; true when it is 1. */
function waitFlag(shared: Int32Array, index: number, ms: number): boolean {
  if (Atomics.load(shared, index) === 1) return true;
  Atomics.wait(shared, index, 0, ms);
  return Atomics.load(shared, index) === 1;
}

/** Blocks until `shared[index]` is `value` or `ms` passed; true when it is. */
function waitValue(shared: Int32Array, index: number, value: number, ms: number): boolean {
  const deadline = performance.now() + ms;
  for (;;) {
    const seen = Atomics.load(shared, index);
    if (seen === value) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(shared, index, seen, left);
  }
}

class SyncLane {
  private thread: Thread | null = null;
  private seq = 0;

  run(job: Job, timeoutMs: number): unknown {
    const thread = this.current();
    if (!waitFlag(thread.shared, 2, STARTUP_MS) || (job.kind === 'jq' && !waitFlag(thread.shared, 1, STARTUP_MS))) {
      this.recycle();
      throw new WorkerJobError('startup', `The worker thread did not start within ${STARTUP_MS} ms`);
    }
    const id = ++this.seq;
    Atomics.store(thread.shared, 0, 0);
    thread.port.postMessage({ id, job, announce: false });
    // The time limit counts from when the thread starts the job: on a busy machine, getting it there
    // can take longer than a short regex is allowed to run.
    if (!waitValue(thread.shared, 3, id, STARTUP_MS)) {
      this.recycle();
      throw new WorkerJobError('startup', `The worker thread did not start the job within ${STARTUP_MS} ms`);
    }
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(thread.shared, 0);
      if (seen === id) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        this.recycle();
        throw new WorkerJobError('timeout', `ran for more than ${timeoutMs} ms`);
      }
      Atomics.wait(thread.shared, 0, seen, left);
    }
    // The reply was posted before the flag was set; earlier messages (booted, ready) are skipped.
    for (let received = receiveMessageOnPort(thread.port); received !== undefined; received = receiveMessageOnPort(thread.port)) {
      const message = received.message as { id?: number; reply?: unknown };
      if (message.id === id) {
        if ((message.reply as { fatal?: boolean }).fatal === true) this.recycle();
        return message.reply;
      }
    }
    this.recycle();
    throw new WorkerJobError('crashed', 'the worker thread replied nothing');
  }

  warm(): Thread {
    return this.current();
  }

  private current(): Thread {
    if (this.thread === null || this.thread.dead) {
      const thread = spawn();
      // An 'error' event without a listener would take the process down with the thread.
      thread.worker.on('error', () => (thread.dead = true));
      thread.worker.on('exit', () => (thread.dead = true));
      this.thread = thread;
    }
    return this.thread;
  }

  private recycle(): void {
    if (this.thread !== null) kill(this.thread);
    this.thread = null;
  }
}

interface Pending {
  readonly id: number;
  readonly job: Job;
  readonly timeoutMs: number;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (error: WorkerJobError) => void;
}

class AsyncLane {
  private thread: Thread | null = null;
  private readonly queue: Pending[] = [];
  private running: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private startupTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  private readonly readyWaiters: { readonly resolve: () => void; readonly reject: (e: WorkerJobError) => void }[] = [];

  run(job: Job, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.seq, job, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once a thread has loaded jq (its port keeps the process alive until then, so that `await jqReady()` returns). */
  warm(): Promise<void> {
    const thread = this.current();
    if (thread.ready) return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    thread.port.ref();
    return ready;
  }

  private pump(): void {
    if (this.running !== null) return;
    const next = this.queue[0];
    if (next === undefined) {
      // Idle: the process may exit, unless someone awaits jqReady().
      if (this.readyWaiters.length === 0) this.thread?.port.unref();
      return;
    }
    const thread = this.current();
    thread.port.ref();
    if (!thread.booted || (next.job.kind === 'jq' && !thread.ready)) return; // pump() runs again on 'booted' / 'ready'
    this.queue.shift();
    this.running = next;
    thread.port.postMessage({ id: next.id, job: next.job, announce: true });
    // The job's own time limit starts when the thread says it started it (see `started`).
    this.timer = setTimeout(
      () => this.abandon(new WorkerJobError('startup', `The worker thread did not start the job within ${STARTUP_MS} ms`)),
      STARTUP_MS,
    );
  }

  private started(job: Pending): void {
    if (this.timer !== null) clearTimeout(this.timer);
    // setTimeout takes at most 2^31 - 1 ms (a larger delay, Infinity included, would fire at once).
    const delay = Math.min(job.timeoutMs, MAX_TIMER_MS);
    this.timer = setTimeout(() => this.abandon(new WorkerJobError('timeout', `ran for more than ${job.timeoutMs} ms`)), delay);
  }

  private current(): Thread {
    if (this.thread !== null && !this.thread.dead) return this.thread;
    const thread = spawn();
    this.thread = thread;
    thread.port.on('message', (message: { id?: number; reply?: unknown; booted?: boolean; ready?: boolean; started?: number }) => {
      if (thread !== this.thread) return;
      if (message.started !== undefined) {
        if (this.running !== null && message.started === this.running.id) this.started(this.running);
        return;
      }
      if (message.booted === true) thread.booted = true;
      if (message.ready === true) {
        thread.ready = true;
        if (this.startupTimer !== null) clearTimeout(this.startupTimer);
        this.startupTimer = null;
        for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
      }
      const running = this.running;
      if (running !== null && message.id === running.id) {
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = null;
        this.running = null;
        if ((message.reply as { fatal?: boolean }).fatal === true) this.recycle();
        running.resolve(message.reply);
      }
      this.pump();
    });
    const died = (): void => {
      if (thread === this.thread) this.abandon(new WorkerJobError('crashed', 'the worker thread stopped (out of memory?)'));
    };
    thread.worker.on('error', died);
    thread.worker.on('exit', died);
    this.startupTimer = setTimeout(() => {
      if (thread === this.thread && !thread.ready)
        this.abandon(new WorkerJobError('startup', `did not start within ${STARTUP_MS} ms`), true);
    }, STARTUP_MS);
    this.startupTimer.unref();
    return thread;
  }

  /** Fails the running job (or, when the thread never started, every queued one) and replaces the thread. */
  private abandon(error: WorkerJobError, all = false): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const running = this.running;
    this.running = null;
    this.recycle();
    running?.reject(error);
    if (all) {
      for (const pending of this.queue.splice(0)) pending.reject(error);
      for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
    }
    this.pump();
  }

  private recycle(): void {
    if (this.thread !== null) kill(this.thread);
    this.thread = null;
  }
}

const syncLane = new SyncLane();
const asyncLane = new AsyncLane();

/** Runs a job, blocking the calling thread until the reply or the time limit. */
export function runBlocking(job: Job, timeoutMs: number): unknown {
  return syncLane.run(job, timeoutMs);
}

/** Runs a job without blocking the event loop. */
export function runQueued(job: Job, timeoutMs: number): Promise<unknown> {
  return asyncLane.run(job, timeoutMs);
}

/** Starts both threads and resolves once jq is loaded in the asynchronous one. */
export function warmWorkers(): Promise<void> {
  syncLane.warm();
  return asyncLane.warm();
}
