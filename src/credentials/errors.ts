import { PebbleflowError } from '../errors/pebbleflow-error.js';
import { Redactor, sanitizeCause } from './redaction.js';

export type CredentialErrorCode =
  /** No credential with that id serves the render's tenant and namespace. */
  | 'CREDENTIAL_NOT_FOUND'
  /** A secret the credential refers to (clientSecret, privateKey) cannot be resolved. */
  | 'CREDENTIAL_SECRET_MISSING'
  /** The private key is not a usable PEM key for the configured algorithm. */
  | 'INVALID_PRIVATE_KEY'
  /** The token endpoint answered an RFC 6749 §5.2 error (`oauthError`, `errorDescription`). */
  | 'OAUTH_ERROR'
  /** The server answered an HTTP error that is not an OAuth error response (an HTML 502, an empty 500, a redirect). */
  | 'HTTP_ERROR'
  /** A 2xx answer that is not a usable token response. */
  | 'INVALID_TOKEN_RESPONSE'
  /** The endpoint could not be reached (DNS, refused, reset). */
  | 'NETWORK_ERROR'
  /** The endpoint did not answer within the credential's `timeout`. */
  | 'TIMEOUT'
  /** GitHub refused the installation-token request. */
  | 'GITHUB_ERROR'
  /** GitHub rejected the app JWT's time claims and the skew could not be corrected. */
  | 'GITHUB_CLOCK_SKEW'
  /** The caller's render was aborted while waiting for a token. */
  | 'ABORTED'
  | 'INVALID_ARGUMENT';

export interface CredentialErrorDetails {
  readonly credentialId?: string;
  readonly status?: number;
  readonly oauthError?: string;
  readonly errorDescription?: string;
  readonly errorUri?: string;
  readonly retryable?: boolean;
  readonly cause?: unknown;
  /** Sensitive values of the failed operation; removed from every text the error carries. */
  readonly redactor?: Redactor;
}

/**
 * A credential could not produce a token. Every text it carries (message, OAuth fields, stack and
 * the whole cause chain) has been passed through the operation's redactor, and the cause chain is
 * a sanitized copy, so `JSON.stringify`, `util.inspect` and logging are safe.
 */
export class CredentialError extends PebbleflowError<CredentialErrorCode> {
  readonly credentialId: string | undefined;
  readonly status: number | undefined;
  readonly oauthError: string | undefined;
  readonly errorDescription: string | undefined;
  readonly errorUri: string | undefined;
  /** Whether trying again later may succeed (network, timeout, 408, 429, 5xx). */
  readonly retryable: boolean;

  constructor(code: CredentialErrorCode, message: string, details: CredentialErrorDetails = {}) {
    const redactor = details.redactor ?? new Redactor();
    const cause = sanitizeCause(details.cause, redactor);
    super(code, redactor.redact(message), { cause });
    this.credentialId = details.credentialId;
    this.status = details.status;
    this.oauthError = details.oauthError === undefined ? undefined : redactor.redact(details.oauthError);
    this.errorDescription = details.errorDescription === undefined ? undefined : redactor.redact(details.errorDescription);
    this.errorUri = details.errorUri === undefined ? undefined : redactor.redact(details.errorUri);
    this.retryable = details.retryable ?? false;
    if (this.stack !== undefined) this.stack = redactor.redact(this.stack);
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      credentialId: this.credentialId,
      status: this.status,
      oauthError: this.oauthError,
      errorDescription: this.errorDescription,
      errorUri: this.errorUri,
      retryable: this.retryable,
    };
  }
}
