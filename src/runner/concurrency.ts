/**
 * Flow `concurrency` slots: who may run an execution of a flow now. The runner asks a
 * `ConcurrencyLimiter` before an execution starts and releases the slot when it ends; what
 * happens when the limit is reached (QUEUE, CANCEL, FAIL) is the runner's, as in Kestra's
 * `ExecutorService.checkConcurrencyLimit`. The default limiter counts the runs of this process;
 * `FileConcurrencyLimiter` (file-concurrency.ts) counts those of every process sharing a data folder.
 */
import { PebbleflowError, type PebbleflowErrorOptions } from '../errors/pebbleflow-error.js';

export type ConcurrencyErrorCode = 'CONCURRENCY_UNAVAILABLE';

/** The slots cannot be counted (the concurrency folder cannot be read or written): the execution does not start. */
export class ConcurrencyError extends PebbleflowError<ConcurrencyErrorCode> {
  readonly dir: string;
  constructor(dir: string, message: string, options?: PebbleflowErrorOptions) {
    super('CONCURRENCY_UNAVAILABLE', message, options);
    this.dir = dir;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), dir: this.dir };
  }
}

/** One request for a slot of a flow's concurrency limit. */
export interface ConcurrencyRequest {
  readonly tenant: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly executionId: string;
  /** The flow's `concurrency.limit`: executions running at once. */
  readonly limit: number;
  /** Wait in line (first come, first served) for a slot rather than be refused (`behavior: QUEUE`). */
  readonly queue: boolean;
  /**
   * Take a slot whatever the count: an execution that already went past the check (a resumed or
   * restarted one; Kestra checks only CREATED executions) still counts while it runs.
   */
  readonly force?: boolean;
  /** Stops waiting in line: the request ends `aborted`, having left no trace. */
  readonly signal?: AbortSignal;
  /** Called once, before waiting, with the number of executions running. */
  readonly onQueued?: (running: number) => void;
}

export type ConcurrencyGrant =
  | {
      readonly granted: true;
      /** Frees the slot (idempotent); the next in line gets it. */
      release(): Promise<void>;
    }
  | {
      readonly granted: false;
      /** Executions running when the request was refused. */
      readonly running: number;
      /** The signal stopped the wait (else the limit was reached and the request may not wait). */
      readonly aborted: boolean;
    };

export interface ConcurrencyLimiter {
  acquire(request: ConcurrencyRequest): Promise<ConcurrencyGrant>;
}

/** The key of a flow's slots. */
export function concurrencyKey(r: Pick<ConcurrencyRequest, 'tenant' | 'namespace' | 'flowId'>): string {
  return `${r.tenant}\u0000${r.namespace}\u0000${r.flowId}`;
}

/** Read through a call: TypeScript would keep a narrowing from before a callback that may abort. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

interface Waiter {
  readonly limit: number;
  readonly grant: () => void;
}

/** The runs of one process (the server's, a library's): a count and a line of waiters per flow. */
export class InProcessConcurrencyLimiter implements ConcurrencyLimiter {
  readonly #flows = new Map<string, { count: number; waiting: Waiter[] }>();

  async acquire(request: ConcurrencyRequest): Promise<ConcurrencyGrant> {
    const key = concurrencyKey(request);
    let slots = this.#flows.get(key);
    if (slots === undefined) this.#flows.set(key, (slots = { count: 0, waiting: [] }));
    const s = slots;
    const granted = (): ConcurrencyGrant => {
      let released = false;
      return {
        granted: true,
        release: async () => {
          if (released) return;
          released = true;
          s.count--;
          this.#pump(key, s);
        },
      };
    };
    // Those already waiting go first.
    if (request.force === true || (s.count < request.limit && s.waiting.length === 0)) {
      s.count++;
      return granted();
    }
    if (!request.queue || request.signal?.aborted === true)
      return { granted: false, running: s.count, aborted: request.signal?.aborted === true };
    request.onQueued?.(s.count);
    // onQueued may have aborted (a kill seen as the state changed).
    if (aborted(request.signal)) return { granted: false, running: s.count, aborted: true };
    return new Promise<ConcurrencyGrant>((resolve) => {
      const onAbort = (): void => {
        const at = s.waiting.indexOf(waiter);
        if (at >= 0) s.waiting.splice(at, 1);
        resolve({ granted: false, running: s.count, aborted: true });
        this.#pump(key, s);
      };
      const waiter: Waiter = {
        limit: request.limit,
        grant: () => {
          request.signal?.removeEventListener('abort', onAbort);
          resolve(granted());
        },
      };
      s.waiting.push(waiter);
      request.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #pump(key: string, s: { count: number; waiting: Waiter[] }): void {
    while (s.waiting.length > 0 && s.count < s.waiting[0]!.limit) {
      s.count++;
      s.waiting.shift()!.grant();
    }
    if (s.count <= 0 && s.waiting.length === 0) this.#flows.delete(key);
  }
}

/** The default: the runs of this process. */
export const processConcurrencyLimiter: ConcurrencyLimiter = new InProcessConcurrencyLimiter();
