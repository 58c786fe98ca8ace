export type SecretErrorCode = 'SECRET_NOT_FOUND' | 'SECRET_INVALID_ARGUMENT' | 'SECRET_SUBKEY_NOT_FOUND' | 'SECRET_PROVIDER_ERROR';

/** A secret could not be resolved. Messages name keys, never values. */
export class SecretError extends Error {
  readonly code: SecretErrorCode;
  readonly key: string | undefined;

  constructor(code: SecretErrorCode, message: string, options?: { key?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.key = options?.key;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, key: this.key, message: this.message };
  }
}

/** Kestra's `SecretNotFoundException`, with its exact text. */
export class SecretNotFoundError extends SecretError {
  constructor(key: string) {
    super('SECRET_NOT_FOUND', `Cannot find secret for key '${key}'.`, { key });
  }
}
