import { CredentialError } from './errors.js';
import type { MintedToken } from './minted-token.js';

export interface TokenCacheOptions {
  /** The clock, in epoch milliseconds. */
  readonly now?: () => number;
  /**
   * Lifetime assumed for a token whose response had no `expires_in` (and is not a JWT with `exp`).
   * Default 5 minutes: short enough that a token the server meant to be short-lived is not reused
   * for long, long enough not to mint on every call. Never "forever".
   */
  readonly missingExpiresInTtlMs?: number;
}

export interface CachePolicy {
  readonly refreshBeforeExpiryMs: number;
  readonly cacheEnabled: boolean;
}

interface Entry {
  readonly token: MintedToken;
  /** From this instant the token is not handed out any more and a refresh is made. */
  readonly refreshAt: number;
}

export const DEFAULT_MISSING_EXPIRES_IN_TTL_MS = 300_000;

/**
 * In-memory token cache with single flight. It never writes anywhere else, and holds one entry per
 * key (the key covers tenant, credential and everything that changes the token).
 *
 * Policy:
 * - a token is handed out while `now < expiresAt - refreshBeforeExpiry`, expiry counted from when
 *   the request was sent;
 * - a token whose lifetime is not longer than that window is used, and cached for half its lifetime
 *   (a 0-second token is used once and not cached), so a short-lived token never causes a tight loop;
 * - concurrent calls for one key share one mint; a failed mint rejects all of them with the same
 *   error and is not cached, the next call tries again.
 */
export class TokenCache {
  // ECMAScript private fields: util.inspect and JSON.stringify of the cache never show a token.
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<MintedToken>>();
  private readonly now: () => number;
  readonly missingExpiresInTtlMs: number;

  constructor(options: TokenCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    this.missingExpiresInTtlMs = options.missingExpiresInTtlMs ?? DEFAULT_MISSING_EXPIRES_IN_TTL_MS;
  }

  /** The cached token when it may still be handed out; synchronous, for the warm path. */
  peek(key: string): MintedToken | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() < entry.refreshAt) return entry.token;
    this.#entries.delete(key);
    return undefined;
  }

  /**
   * The cached token, or the result of `mint` (shared by every concurrent caller of the key).
   * `signal` lets one caller stop waiting without cancelling the mint the others wait for.
   */
  get(key: string, mint: () => Promise<MintedToken>, policy: CachePolicy, signal?: AbortSignal): Promise<MintedToken> {
    if (!policy.cacheEnabled) return withSignal(mint(), signal);
    const cached = this.peek(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = (async () => {
        try {
          const token = await mint();
          const refreshAt = this.refreshTime(token, policy.refreshBeforeExpiryMs);
          if (refreshAt > this.now()) this.#entries.set(key, { token, refreshAt });
          return token;
        } finally {
          this.#inFlight.delete(key);
        }
      })();
      this.#inFlight.set(key, pending);
    }
    return withSignal(pending, signal);
  }

  /** When a freshly minted token stops being handed out. */
  refreshTime(token: MintedToken, refreshBeforeExpiryMs: number): number {
    const expiresAt = token.expiresAt ?? token.requestedAt + this.missingExpiresInTtlMs;
    const lifetime = expiresAt - token.requestedAt;
    if (lifetime > refreshBeforeExpiryMs) return expiresAt - refreshBeforeExpiryMs;
    return token.requestedAt + Math.max(0, lifetime) / 2;
  }

  invalidate(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  toJSON(): Record<string, number> {
    return { size: this.size, inFlight: this.inFlightCount };
  }
}

function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function abortError(): CredentialError {
  return new CredentialError(
    'ABORTED',
    'The render was aborted while waiting for a token; the token request itself goes on for other callers.',
  );
}
