/** Failures of the internal storage, the namespace files and the working directory, each with a stable code. */
import { PebbleflowError } from '../errors/pebbleflow-error.js';

export type StorageErrorCode =
  /** The text is not a `kestra:///…` URI pebbleflow can map to a file (bad scheme, `..`, empty segment…). */
  | 'STORAGE_INVALID_URI'
  /** A path would leave the storage folder, the namespace files folder or a working directory. */
  | 'STORAGE_PATH_ESCAPE'
  /** The file belongs to another namespace or execution than the one reading it. */
  | 'STORAGE_FORBIDDEN'
  /** No file at that URI or path. */
  | 'STORAGE_NOT_FOUND'
  /** A file is larger than the limit of the operation. */
  | 'STORAGE_TOO_LARGE'
  /** The file system refused the operation (permissions, disk full…). */
  | 'STORAGE_IO';

export class StorageError extends PebbleflowError<StorageErrorCode> {
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Turns a Node file-system error into a StorageError a user can act on (`what` names the file as the user knows it). */
export function ioError(error: unknown, what: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new StorageError('STORAGE_NOT_FOUND', `File not found: ${what}`, { cause: error });
  if (code === 'EISDIR') return new StorageError('STORAGE_NOT_FOUND', `${what} is a directory, not a file`, { cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new StorageError('STORAGE_IO', `Permission denied for ${what}`, { cause: error });
  if (code === 'ENOSPC') return new StorageError('STORAGE_IO', `No space left on the device while writing ${what}`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new StorageError('STORAGE_IO', `Storage error on ${what}: ${message}`, { cause: error });
}
