/** What a task implementation sees of the run it is part of. */
import type { TaskNode } from '../flow/model.js';
import type { LogLevel, TaskTypeSchema } from '../flow/schema.js';

/** The part of a fetch `Response` tasks use: Node's built-in fetch and node-fetch both fit. */
export interface FetchResponseLike {
  readonly status: number;
  readonly url: string;
  readonly headers: {
    forEach(callback: (value: string, key: string) => void): void;
    get(name: string): string | null;
  };
  readonly body: unknown;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface FetchInitLike {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  redirect?: 'follow' | 'manual';
  signal?: AbortSignal;
}

/** A WHATWG-style fetch: Node's global `fetch` (the default) or an injected one such as node-fetch. */
export type FetchLike = (url: string, init?: FetchInitLike) => Promise<FetchResponseLike>;

export type TaskState = 'CREATED' | 'RUNNING' | 'SUCCESS' | 'WARNING' | 'FAILED' | 'SKIPPED';

export interface TaskRunContext {
  readonly task: TaskNode;
  /** Aborted when the task times out or the run is cancelled. */
  readonly signal: AbortSignal;
  readonly fetch: FetchLike;
  /** Renders one template with this task's context (secrets and credentials resolved in the flow's scope). */
  render(template: string): Promise<string>;
  /** Renders every string in a map or list (keys too), as Kestra's `renderObject`. */
  renderValue(value: unknown): Promise<unknown>;
  log(level: LogLevel, message: string): void;
  /** Runs child tasks in order, as the flow does; resolves to the worst state among them. */
  runTasks(tasks: readonly TaskNode[]): Promise<TaskState>;
}

export interface TaskResult {
  readonly outputs?: Readonly<Record<string, unknown>>;
  /** A flowable reports its children's outcome this way; plain tasks throw to fail. */
  readonly state?: 'SUCCESS' | 'WARNING' | 'FAILED';
}

/** A task type: its schema (validation, editor completion) and what it does. */
export interface TaskPlugin extends TaskTypeSchema {
  run(context: TaskRunContext): Promise<TaskResult | void>;
}

/** A task failure a user can act on (Kestra's own wording where there is one). */
export class TaskError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
