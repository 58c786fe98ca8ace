import { BodyTooLargeError, readBodyCapped, type FetchHeadersLike, type FetchLike, type FetchResponseLike } from '../http/fetch.js';
import { CredentialError } from './errors.js';
import type { Redactor } from './redaction.js';

export type { FetchLike } from '../http/fetch.js';

/**
 * The most a token endpoint's answer may weigh. Real ones are a few KB (a JWT access token with
 * many claims stays under 10 KB); past this the answer is refused unread, not retried.
 */
export const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;

/** How failed token requests are retried. */
export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  readonly maxAttempts: number;
  /** First backoff delay; doubled after every failure, with jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Longest wait a `Retry-After` header can impose. */
  readonly retryAfterCapMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
  retryAfterCapMs: 30_000,
});

export interface HttpClientOptions {
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly retry?: Partial<RetryPolicy>;
  /** Waits between attempts; injectable so tests can observe the delays. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface TokenHttpRequest {
  readonly credentialId: string;
  /** Used in messages: `token endpoint`, `GitHub API`. */
  readonly endpointName: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** A function is called for every attempt (an assertion with a fresh `jti` per attempt). */
  readonly body: string | (() => string | Promise<string>);
  readonly timeoutMs: number;
  readonly redactor: Redactor;
  /** Statuses worth retrying; by default 408, 429 and 5xx. */
  readonly isRetryable?: (status: number, headers: FetchHeadersLike) => boolean;
}

export interface TokenHttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: FetchHeadersLike;
  readonly text: string;
  /** The parsed body when it is JSON, else `undefined`. */
  readonly json: unknown;
  /** When the request that got this response was sent (token expiry is counted from here). */
  readonly sentAt: number;
  readonly attempts: number;
}

export function defaultIsRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` as delta-seconds or an HTTP-date, in milliseconds from now; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null, wallNow: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - wallNow);
}

/** The endpoint as messages show it: no query string, no fragment (they are not ours to print). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POSTs to a token endpoint: one shared implementation of timeouts, bounded retries with
 * exponential backoff and jitter that honour `Retry-After`, and redirect refusal (a redirected
 * POST would carry the client's credentials to a host nobody configured).
 */
export class TokenHttpClient {
  readonly policy: RetryPolicy;
  private readonly fetchImpl: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(options: HttpClientOptions) {
    this.fetchImpl = options.fetch;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now;
  }

  /**
   * Resolves with the final response, successful or not, once no retry is warranted; rejects with
   * a `CredentialError` (NETWORK_ERROR, TIMEOUT, HTTP_ERROR for a redirect) when there is none.
   */
  async post(request: TokenHttpRequest): Promise<TokenHttpResponse> {
    const isRetryable = request.isRetryable ?? defaultIsRetryable;
    const where = `${request.endpointName} ${describeUrl(request.url)}`;
    for (let attempt = 1; ; attempt++) {
      const body = typeof request.body === 'string' ? request.body : await request.body();
      const sentAt = this.now();
      let response: FetchResponseLike;
      let text: string;
      try {
        response = await this.fetchImpl(request.url, {
          method: 'POST',
          headers: request.headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(request.timeoutMs),
        });
        text = (await readBodyCapped(response, MAX_TOKEN_RESPONSE_BYTES)).toString('utf8');
      } catch (cause) {
        if (cause instanceof BodyTooLargeError) {
          // A server that answers this much is broken or hostile: asking again would only cost more.
          throw new CredentialError(
            'INVALID_TOKEN_RESPONSE',
            `Credential '${request.credentialId}': ${where} answered with a body over ${MAX_TOKEN_RESPONSE_BYTES / 1024} KiB; it was cut off and refused (not retried).`,
            { credentialId: request.credentialId, redactor: request.redactor },
          );
        }
        if (isTimeout(cause)) {
          // The timeout bounds how long a caller waits; retrying would multiply it.
          throw new CredentialError(
            'TIMEOUT',
            `Credential '${request.credentialId}': ${where} did not answer within ${formatMs(request.timeoutMs)} (timeout).`,
            {
              credentialId: request.credentialId,
              retryable: true,
              cause,
              redactor: request.redactor,
            },
          );
        }
        if (attempt < this.policy.maxAttempts) {
          await this.sleep(this.backoff(attempt));
          continue;
        }
        throw new CredentialError(
          'NETWORK_ERROR',
          `Credential '${request.credentialId}': cannot reach ${where}: ${networkReason(cause)} (after ${attempt} attempt${attempt > 1 ? 's' : ''}).`,
          {
            credentialId: request.credentialId,
            retryable: true,
            cause,
            redactor: request.redactor,
          },
        );
      }
      if (response.status >= 300 && response.status < 400) {
        throw new CredentialError(
          'HTTP_ERROR',
          `Credential '${request.credentialId}': ${where} answered ${response.status} (a redirect); it is not followed, so that credentials are only sent to the configured URL.`,
          {
            credentialId: request.credentialId,
            status: response.status,
            redactor: request.redactor,
          },
        );
      }
      if (response.status >= 400 && isRetryable(response.status, response.headers) && attempt < this.policy.maxAttempts) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        await this.sleep(
          retryAfter === undefined ? this.backoff(attempt) : Math.min(retryAfter, this.policy.retryAfterCapMs) + Math.random() * 100,
        );
        continue;
      }
      return {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        text,
        json: parseJson(text),
        sentAt,
        attempts: attempt,
      };
    }
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, so synchronized clients spread out. */
  backoff(attempt: number): number {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// Errors are duck-typed, not `instanceof`: fetch's DOMException and undici errors may come from another realm (vm contexts, test runners).
interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}

function isTimeout(cause: unknown): boolean {
  const error = cause as ErrorLike | null;
  return (
    typeof error === 'object' &&
    error !== null &&
    (error.name === 'TimeoutError' || (error.name === 'AbortError' && /timeout/i.test(String(error.message))))
  );
}

function networkReason(cause: unknown): string {
  // The most precise reason sits deepest: a system error code, else the innermost message ("fetch failed" says nothing).
  let current = cause as ErrorLike | null;
  let innermost = 'network error';
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if (typeof current.code === 'string') return current.code;
    if (typeof current.message === 'string' && current.message) innermost = current.message;
    current = current.cause as ErrorLike | null;
  }
  return innermost;
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Content type and size of a body we will not print. */
export function describeBody(response: TokenHttpResponse): string {
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim();
  if (response.text.length === 0) return 'an empty body';
  return `a ${type || 'untyped'} body of ${Buffer.byteLength(response.text)} bytes`;
}

export interface OAuthErrorBody {
  readonly error: string;
  readonly error_description?: string;
  readonly error_uri?: string;
}

export function asOAuthError(json: unknown): OAuthErrorBody | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const body = json as Record<string, unknown>;
  if (typeof body.error !== 'string' || body.error === '') return undefined;
  return {
    error: body.error,
    ...(typeof body.error_description === 'string' ? { error_description: body.error_description } : {}),
    ...(typeof body.error_uri === 'string' ? { error_uri: body.error_uri } : {}),
  };
}
