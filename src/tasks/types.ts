/** Shapes shared by task implementations: fetch, the error class, and re-exports of the task API. */
import type { StateType } from '../flow/execution.js';
import type { TaskDefinition } from './definition.js';
import type { LegacyTaskPlugin } from './legacy.js';

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

export type { TaskRunContext, TaskResult, TaskDefinition } from './definition.js';
export type { LegacyTaskPlugin } from './legacy.js';

/** A task run's state as tasks see it (Kestra's `State.Type`). */
export type TaskState = StateType;

/** A task type: a `defineTask` definition, or the older plugin shape (bare JSON Schema properties). */
export type TaskPlugin = TaskDefinition | LegacyTaskPlugin;

/** A task failure a user can act on (Kestra's own wording where there is one). */
export class TaskError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
