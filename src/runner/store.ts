/**
 * Where executions are kept while they run and after: the runner reports every change of the
 * execution and of its task runs to an `ExecutionStore`. The CLI keeps them in files under
 * `.pebbleflow/executions/` (so `pebbleflow resume` can continue a paused run); the server plugs
 * in its own store. Everything a store receives is already masked.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { Execution, TaskRun } from '../flow/execution.js';
import { clonePlain } from './context.js';
import type { LogEntry } from './types.js';
import { parseJsonKeepingOrder } from '../engine/builtins/kestra/json.js';
import { stringifyKeepingOrder } from '../engine/map-order.js';

/** What changed. */
export type ExecutionChange = { readonly kind: 'execution' } | { readonly kind: 'taskRun'; readonly taskRun: Readonly<TaskRun> };

export interface ExecutionStore {
  /**
   * Called on every change of the execution or of one of its task runs, with the live execution
   * (outputs and inputs masked): serialise what you keep now, it goes on changing. A returned
   * promise is awaited before the run goes on.
   */
  save(execution: Readonly<Execution>, change: ExecutionChange): void | Promise<void>;
  /** A log line of the execution (already masked). */
  log?(entry: LogEntry): void | Promise<void>;
  /** Called before the run returns (and when it pauses): write whatever is pending. */
  flush?(): Promise<void>;
  /**
   * The clear values of the SECRET inputs of an execution the run creates (a Subflow's child),
   * before its first save, for a store that keeps them sealed (a server re-runs it after a
   * restart or a retry). Saved executions only ever show them masked.
   */
  secretInputs?(executionId: string, values: Readonly<Record<string, string>>): void;
}

/** A store that keeps nothing (the default). */
export const NO_STORE: ExecutionStore = { save: () => undefined };

/** Keeps the last state of each execution in memory (tests, embedders). */
export class MemoryExecutionStore implements ExecutionStore {
  readonly executions = new Map<string, Execution>();
  readonly logs = new Map<string, LogEntry[]>();
  save(execution: Readonly<Execution>): void {
    this.executions.set(execution.id, clonePlain(execution as Execution));
  }
  log(entry: LogEntry): void {
    const id = entry.executionId ?? '';
    let list = this.logs.get(id);
    if (list === undefined) this.logs.set(id, (list = []));
    list.push(entry);
  }
  get(id: string): Execution | undefined {
    const found = this.executions.get(id);
    return found === undefined ? undefined : clonePlain(found);
  }
}

/** One execution as a file holds it. */
export interface StoredExecution {
  readonly version: 1;
  readonly execution: Execution;
  readonly logs: LogEntry[];
  /** What the CLI needs to continue it (flow source, file, flows folder, config, tenant). */
  readonly meta: Readonly<Record<string, unknown>>;
}

const EXECUTION_ID = /^[0-9A-Za-z]{1,64}$/;
/** Logs kept per stored execution (the oldest are dropped first). */
const MAX_STORED_LOGS = 10_000;

export type ExecutionStoreErrorCode = 'EXECUTION_NOT_FOUND' | 'INVALID_EXECUTION_ID' | 'INVALID_STORED_EXECUTION';

/** A stored execution that cannot be read (unknown id, a file this version cannot read). */
export class ExecutionStoreError extends PebbleflowError<ExecutionStoreErrorCode> {
  constructor(code: ExecutionStoreErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * Executions as JSON files (`<dir>/<executionId>.json`, mode 0600), written atomically (temporary
 * file, then rename). Changes are coalesced: at most one write per `debounceMs`, and `flush()`
 * writes at once, so a run of thousands of task runs does not write thousands of files.
 */
export class FileExecutionStore implements ExecutionStore {
  readonly dir: string;
  readonly #meta: Record<string, unknown>;
  readonly #debounceMs: number;
  readonly #pending = new Map<string, { execution: Readonly<Execution>; logs: LogEntry[]; dirty: boolean }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(dir: string, options: { meta?: Record<string, unknown>; debounceMs?: number } = {}) {
    this.dir = dir;
    this.#meta = { ...(options.meta ?? {}) };
    this.#debounceMs = options.debounceMs ?? 200;
  }

  save(execution: Readonly<Execution>): void {
    const entry = this.#pending.get(execution.id);
    if (entry === undefined) this.#pending.set(execution.id, { execution, logs: this.#loadLogs(execution.id), dirty: true });
    else {
      entry.execution = execution;
      entry.dirty = true;
    }
    this.#schedule();
  }

  log(entry: LogEntry): void {
    const id = entry.executionId;
    if (id === undefined) return;
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    pending.logs.push(entry);
    pending.dirty = true;
    this.#schedule();
    if (pending.logs.length > MAX_STORED_LOGS) pending.logs.splice(0, pending.logs.length - MAX_STORED_LOGS);
  }

  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writeAll();
  }

  /** Writes pending changes now, synchronously (for signal handlers). */
  flushSync(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writeAll();
  }

  /** The stored execution, or an `ExecutionStoreError`. */
  load(id: string): StoredExecution {
    return FileExecutionStore.read(this.dir, id);
  }

  static read(dir: string, id: string): StoredExecution {
    if (!EXECUTION_ID.test(id)) throw new ExecutionStoreError('INVALID_EXECUTION_ID', `Invalid execution id \`${id}\``);
    let text: string;
    try {
      text = readFileSync(join(dir, `${id}.json`), 'utf8');
    } catch {
      throw new ExecutionStoreError('EXECUTION_NOT_FOUND', `No execution ${id} in ${dir}`);
    }
    let parsed: unknown;
    try {
      parsed = parseJsonKeepingOrder(text);
    } catch {
      throw new ExecutionStoreError('INVALID_STORED_EXECUTION', `The stored execution ${id} is not valid JSON`);
    }
    const stored = parsed as Partial<StoredExecution>;
    if (stored.version !== 1 || typeof stored.execution !== 'object' || stored.execution === null || stored.execution.id !== id)
      throw new ExecutionStoreError('INVALID_STORED_EXECUTION', `The stored execution ${id} is not one this version can read`);
    return { version: 1, execution: stored.execution, logs: Array.isArray(stored.logs) ? stored.logs : [], meta: stored.meta ?? {} };
  }

  /** Ids of the stored executions. */
  static list(dir: string): string[] {
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
        .filter((id) => EXECUTION_ID.test(id));
    } catch {
      return [];
    }
  }

  #loadLogs(id: string): LogEntry[] {
    try {
      return [...FileExecutionStore.read(this.dir, id).logs];
    } catch {
      return [];
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#writeAll();
    }, this.#debounceMs);
    this.#timer.unref();
  }

  #writeAll(): void {
    let made = false;
    for (const [id, entry] of this.#pending) {
      if (!entry.dirty) continue;
      if (!made) mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      made = true;
      entry.dirty = false;
      const { execution, logs } = entry;
      const record: StoredExecution = { version: 1, execution: execution, logs, meta: this.#meta };
      const file = join(this.dir, `${id}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, stringifyKeepingOrder(record)!, { mode: 0o600 });
      renameSync(tmp, file);
    }
    // Keep the entries (their logs) so later changes of the same executions append to them.
  }
}
