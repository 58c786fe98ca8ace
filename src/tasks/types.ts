/** Shapes shared by task implementations: fetch, the error class, and re-exports of the task API. */
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { StateType } from '../flow/execution.js';
import type { TaskDefinition } from './definition.js';
import type { LegacyTaskPlugin } from './legacy.js';

// One fetch type for the whole library (tasks and token requests take the same one).
export type { FetchLike, FetchInitLike, FetchResponseLike } from '../http/fetch.js';

export type { TaskRunContext, TaskResult, TaskDefinition } from './definition.js';
export type { LegacyTaskPlugin } from './legacy.js';

/** A task run's state as tasks see it (Kestra's `State.Type`). */
export type TaskState = StateType;

/** A task type: a `defineTask` definition, or the older plugin shape (bare JSON Schema properties). */
export type TaskPlugin = TaskDefinition | LegacyTaskPlugin;

export type TaskErrorCode =
  /** A property is missing or has a value the task cannot use. */
  | 'INVALID_PROPERTY'
  /** The flow names a task type no one registered. */
  | 'UNKNOWN_TYPE'
  /** Something Kestra supports that a local run cannot do (kestra:// files). */
  | 'UNSUPPORTED'
  /** An output must be encrypted and the run has no usable server key (`server.encryptionKey`). */
  | 'ENCRYPTION_NOT_CONFIGURED'
  /** The task needs an optional npm package or a program that is not installed (the message says what to install). */
  | 'DEPENDENCY_MISSING'
  /** A git command failed (clone, fetch, push): git's own message, credentials masked. */
  | 'GIT_FAILED'
  /** The SMTP server refused the message or could not be reached. */
  | 'MAIL_FAILED'
  /** A SQL task's database refused the connection or a statement (the driver's message, secrets masked). */
  | 'SQL_FAILED'
  /** The chat completion endpoint answered with an error, or not at all. */
  | 'CHAT_COMPLETION_FAILED'
  /** The task's `timeout` elapsed. */
  | 'TIMEOUT'
  /** The execution was cancelled while the task ran. */
  | 'CANCELLED'
  /** A Fail task's condition held. */
  | 'FAIL_TASK'
  /** Request: the server could not be reached, or the exchange broke. */
  | 'HTTP_ERROR'
  /** Request: a status the task does not allow. */
  | 'HTTP_STATUS'
  /** Request: no answer within the connect or read timeout. */
  | 'HTTP_TIMEOUT'
  /** Request: the answer is over the body size limit. */
  | 'HTTP_BODY_TOO_LARGE'
  /** The task run was killed (the execution, its parent's end, an Exit). */
  | 'KILLED'
  /** An Assert condition rendered falsy. */
  | 'ASSERTION_FAILED'
  /** A Labels task tried to set a `system.` label. */
  | 'SYSTEM_LABEL'
  /** SetVariables with `overwrite: false` met an existing variable. */
  | 'VARIABLE_EXISTS'
  /** UnsetVariables reached into a variable that is not a map. */
  | 'VARIABLE_MISSING'
  /** Subflow: no flow with that namespace and id. */
  | 'SUBFLOW_NOT_FOUND'
  /** Subflow: the child flow is disabled. */
  | 'SUBFLOW_DISABLED'
  /** Subflow/ForEachItem: the child execution's inputs are invalid (Kestra's first violation, `id: message`). */
  | 'SUBFLOW_INVALID_INPUT'
  /** WaitFor was stopped between two iterations. */
  | 'WAITFOR_INTERRUPTED'
  /** kv.Get/kv.Delete with `errorOnMissing`: no such key in the namespace. */
  | 'KV_NOT_FOUND'
  /** state.Get/state.Delete with `errorOnMissing`: no such state. */
  | 'STATE_NOT_FOUND'
  /** storage.Delete with `errorOnMissing`: no file at that URI. */
  | 'FILE_NOT_FOUND'
  /** FilterItems/DeduplicateItems: an item the expression cannot evaluate (with `errorOrNullBehavior: FAIL`). */
  | 'INVALID_ITEM'
  /** A script task's process ended with a non-zero exit code (outputs kept on the error). */
  | 'SCRIPT_FAILED';

/** A task failure a user can act on (Kestra's own wording where there is one). */
export class TaskError extends PebbleflowError<TaskErrorCode> {
  constructor(code: TaskErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
