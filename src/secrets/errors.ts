import { PebbleflowError } from '../errors/pebbleflow-error.js';

export type SecretErrorCode =
  | 'SECRET_NOT_FOUND'
  | 'SECRET_INVALID_ARGUMENT'
  | 'SECRET_SUBKEY_NOT_FOUND'
  | 'SECRET_PROVIDER_ERROR'
  /** `secret(key, namespace=…)` names a namespace whose providers do not allow the caller's. */
  | 'SECRET_ACCESS_DENIED';

/** A secret could not be resolved. Messages name keys, never values. */
export class SecretError extends PebbleflowError<SecretErrorCode> {
  readonly key: string | undefined;

  constructor(code: SecretErrorCode, message: string, options?: { key?: string; cause?: unknown }) {
    super(code, message, options);
    this.key = options?.key;
  }

  override toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, key: this.key, message: this.message };
  }
}

/** Kestra's `SecretNotFoundException`, with its exact text. */
export class SecretNotFoundError extends SecretError {
  declare readonly code: 'SECRET_NOT_FOUND';
  constructor(key: string) {
    super('SECRET_NOT_FOUND', `Cannot find secret for key '${key}'.`, { key });
  }
}
