/**
 * The errors `pebbleflow server` and `pebbleflow worker` throw on purpose, in the error family
 * (`PebbleflowError`): a start refused, a data folder another server holds, a SECRET input that
 * cannot be sealed or opened, a flow change the flows folder refuses. This file imports nothing
 * heavy, so `pebbleflow/errors` can list them.
 */
import type { FlowProblem } from '../flow/errors.js';
import { PebbleflowError } from '../errors/pebbleflow-error.js';

export type ServerStartErrorCode = 'SERVER_NEEDS_CREDENTIALS' | 'SERVER_CONFIG';

/** The server cannot start as configured (no credentials beyond loopback, a server secret that does not resolve). */
export class ServerStartError extends PebbleflowError<ServerStartErrorCode> {}

export type DataFolderBusyErrorCode = 'DATA_FOLDER_BUSY';

/** Another live embedded server holds the data folder. */
export class DataFolderBusyError extends PebbleflowError<DataFolderBusyErrorCode> {
  readonly dir: string;
  readonly pid: number;
  constructor(dir: string, pid: number) {
    super(
      'DATA_FOLDER_BUSY',
      `Another pebbleflow server (pid ${pid}) uses the data folder ${dir}: give this one its own --data-dir, or run several servers in Redis mode (--redis URL)`,
    );
    this.dir = dir;
    this.pid = pid;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), dir: this.dir, pid: this.pid };
  }
}

export type SecretInputErrorCode = 'SECRET_INPUT';

/** A SECRET input cannot be kept (no key where one is needed) or read back (damaged, other key). Never carries the value. */
export class SecretInputError extends PebbleflowError<SecretInputErrorCode> {
  constructor(message: string) {
    super('SECRET_INPUT', message);
  }
}

export type FlowRepositoryErrorCode = 'FLOW_INVALID' | 'FLOW_EXISTS' | 'FLOW_NOT_FOUND' | 'FLOW_ID_CHANGED';

/** A flow the API creates, updates or deletes in the flows folder is refused. */
export class FlowRepositoryError extends PebbleflowError<FlowRepositoryErrorCode> {
  readonly problems: readonly FlowProblem[];
  constructor(code: FlowRepositoryErrorCode, message: string, problems: readonly FlowProblem[] = []) {
    super(code, message);
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}
