import type { CredentialConfig, PebbleflowConfig, SecretRef } from '../config/types.js';
import { SecretError } from '../secrets/errors.js';
import type { SecretResolver } from '../secrets/secret-resolver.js';
import { namespaceCovers, namespaceDepth } from '../secrets/secret-resolver.js';
import { CredentialError } from './errors.js';
import type { GrantContext } from './grant.js';
import type { MintedToken } from './minted-token.js';
import { Redactor } from './redaction.js';
import { TokenCache } from './token-cache.js';
import type { FetchLike, HttpClientOptions, RetryPolicy, TokenHttpClient } from './token-http-client.js';
import { credentialTypeOf } from './types/index.js';

export interface CredentialScope {
  readonly tenant?: string;
  readonly namespace?: string;
}

export interface CredentialRegistryOptions {
  readonly config: PebbleflowConfig;
  readonly secrets: SecretResolver;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
  readonly retry?: Partial<RetryPolicy>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** See TokenCache: lifetime assumed when a response has no expires_in (default 5 minutes). */
  readonly missingExpiresInTtlMs?: number;
}

export interface CredentialSummary {
  readonly id: string;
  readonly type: string;
  readonly authConfigType?: string;
  readonly tenant: string;
  readonly namespace?: string;
  readonly description?: string;
}

export interface TestCredentialResult {
  readonly ok: true;
  readonly tokenType: string;
  readonly expiresAt: Date | null;
  readonly scope: string | null;
}

/**
 * The credentials of one config: finds the one serving a tenant/namespace, mints through its grant
 * and caches per credential. Each registry has its own cache and in-flight map (nothing global).
 */
export class CredentialRegistry {
  readonly cache: TokenCache;
  private readonly config: PebbleflowConfig;
  private readonly secrets: SecretResolver;
  private readonly httpOptions: HttpClientOptions;
  /** The token endpoints' client, made when a token is first minted (its module is imported then, not at start-up). */
  private http: Promise<TokenHttpClient> | undefined;
  private readonly now: () => number;
  /** id → definitions, most specific namespace first. */
  private readonly byId = new Map<string, CredentialConfig[]>();
  private readonly cacheKeys = new WeakMap<CredentialConfig, string>();

  constructor(options: CredentialRegistryOptions) {
    this.config = options.config;
    this.secrets = options.secrets;
    this.now = options.now ?? Date.now;
    this.cache = new TokenCache({
      now: this.now,
      ...(options.missingExpiresInTtlMs === undefined ? {} : { missingExpiresInTtlMs: options.missingExpiresInTtlMs }),
    });
    this.httpOptions = {
      fetch: options.fetch ?? globalThis.fetch,
      now: this.now,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    };
    for (const credential of options.config.credentials) {
      const list = this.byId.get(credential.id) ?? [];
      list.push(credential);
      list.sort((a, b) => namespaceDepth(b.namespace) - namespaceDepth(a.namespace));
      this.byId.set(credential.id, list);
      this.cacheKeys.set(credential, cacheKey(credential));
    }
  }

  /**
   * The credential serving `scope`: same tenant, and a namespace equal to or above the scope's
   * (tenant-level last). The error reveals nothing about other tenants or namespaces.
   */
  find(id: string, scope: CredentialScope = {}): CredentialConfig {
    const tenant = scope.tenant ?? this.config.tenant;
    const candidates = this.byId.get(id);
    if (candidates !== undefined) {
      for (const credential of candidates) {
        if (credential.tenant === tenant && namespaceCovers(credential.namespace, scope.namespace)) return credential;
      }
    }
    const where = scope.namespace === undefined ? `tenant '${tenant}'` : `namespace '${scope.namespace}' of tenant '${tenant}'`;
    throw new CredentialError('CREDENTIAL_NOT_FOUND', `Credential '${id}' is not found in this scope (${where}).`, { credentialId: id });
  }

  /** The access token; synchronous when the cache holds a valid one (the warm path costs a map lookup). */
  token(id: string, scope: CredentialScope = {}, signal?: AbortSignal): string | Promise<string> {
    const credential = this.find(id, scope);
    const key = this.cacheKeys.get(credential) ?? cacheKey(credential);
    if (credential.cacheEnabled) {
      const cached = this.cache.peek(key);
      if (cached !== undefined) return cached.accessToken;
    }
    return this.cache.get(key, () => this.mint(credential), credential, signal).then((token) => token.accessToken);
  }

  /** Mints bypassing the cache (neither read nor written) and reports what came back, never the token. */
  async test(id: string, scope: CredentialScope = {}): Promise<TestCredentialResult> {
    const token = await this.mint(this.find(id, scope));
    return {
      ok: true,
      tokenType: token.tokenType,
      expiresAt: token.expiresAt === null ? null : new Date(token.expiresAt),
      scope: token.scope,
    };
  }

  list(): CredentialSummary[] {
    return this.config.credentials.map((c) => ({
      id: c.id,
      type: c.type,
      ...('authConfigType' in c ? { authConfigType: c.authConfigType } : {}),
      tenant: c.tenant,
      ...(c.namespace === undefined ? {} : { namespace: c.namespace }),
      ...(c.description === undefined ? {} : { description: c.description }),
    }));
  }

  clear(): void {
    this.cache.clear();
  }

  /** One token request through the credential's grant, with a fresh redactor for this operation. */
  mint(credential: CredentialConfig): Promise<MintedToken> {
    const type = credentialTypeOf(credential);
    const redactor = new Redactor();
    this.http ??= import('./token-http-client.js').then(({ TokenHttpClient }) => new TokenHttpClient(this.httpOptions));
    return this.http.then((http) => {
      const ctx: GrantContext = {
        http,
        now: this.now,
        redactor,
        resolveSecret: (ref, field) => this.resolveSecret(credential, ref, field, redactor),
      };
      return type.mint(credential, ctx);
    });
  }

  /** Secrets are resolved in the credential's own scope, so a child namespace cannot shadow them. */
  private async resolveSecret(credential: CredentialConfig, ref: SecretRef, field: string, redactor: Redactor): Promise<string> {
    try {
      const value = await this.secrets.resolve(ref.secret, {
        tenant: credential.tenant,
        ...(credential.namespace === undefined ? {} : { namespace: credential.namespace }),
      });
      redactor.add(value);
      return value;
    } catch (cause) {
      const reason = cause instanceof SecretError ? cause.message : 'the secret providers failed';
      throw new CredentialError(
        'CREDENTIAL_SECRET_MISSING',
        `Credential '${credential.id}': its ${field} refers to secret '${ref.secret}', which cannot be resolved (${reason})`,
        {
          credentialId: credential.id,
          redactor,
          cause,
        },
      );
    }
  }
}

/** Everything that changes the token, canonically ordered: two credentials share a cache entry only if they would mint the same token. */
function cacheKey(credential: CredentialConfig): string {
  const tokenIrrelevant = new Set(['description', 'cacheEnabled', 'refreshBeforeExpiryMs', 'timeoutMs']);
  return JSON.stringify(canonical(Object.fromEntries(Object.entries(credential).filter(([field]) => !tokenIrrelevant.has(field)))));
}

function canonical(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v));
    // Order of scopes, repositories and repository ids does not change the token.
    return key === 'scopes' || key === 'repositories' || key === 'repositoryIds' ? [...items].sort() : items;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k], k)]),
    );
  }
  return value;
}
