/**
 * Execution and log events inside one process: what `wait=true`, the follow streams and Flow
 * triggers listen to. In Redis mode the server feeds this bus from Redis, so listeners do not
 * care where an execution runs.
 */
import type { LogRecord } from '../store/types.js';
import type { StoredExecution } from './model.js';

type Listener<T> = (value: T) => void;

export class ExecutionEvents {
  private readonly executionListeners = new Set<Listener<StoredExecution>>();
  private readonly logListeners = new Set<Listener<LogRecord>>();

  emitExecution(execution: StoredExecution): void {
    for (const l of this.executionListeners) safely(l, execution);
  }

  emitLog(record: LogRecord): void {
    for (const l of this.logListeners) safely(l, record);
  }

  onExecution(listener: Listener<StoredExecution>): () => void {
    this.executionListeners.add(listener);
    return () => this.executionListeners.delete(listener);
  }

  onLog(listener: Listener<LogRecord>): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }
}

function safely<T>(listener: Listener<T>, value: T): void {
  try {
    listener(value);
  } catch (e) {
    process.emitWarning(`pebbleflow: an execution listener failed: ${(e as Error).message}`);
  }
}
