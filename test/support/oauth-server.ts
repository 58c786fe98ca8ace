/**
 * A real OAuth 2.0 authorization server for the tests: oidc-provider 9.13.3 on 127.0.0.1 (random
 * port), configured per oauth-peers.md §3, with a control endpoint for faults and a request log.
 */
import { decodeJwt, jwtVerify } from 'jose';
import type { KoaContext } from 'oidc-provider';
import { closeServer, listen, readBody } from './http.js';
import { generateTestKey } from './keys.js';
import type { TestKey } from './keys.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const JWT_RESOURCE = 'https://api.example.test';

/** One queued misbehaviour, applied to the next token request. */
export interface Fault {
  /** Answer with this status instead of asking the provider. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Body for `status`: an object is sent as JSON, a string as is. */
  readonly body?: unknown;
  /** Wait before answering (or before passing the request on). */
  readonly delayMs?: number;
  /** Never answer; the connection stays open until the client gives up. */
  readonly hang?: boolean;
  /** Cut the connection without an answer. */
  readonly destroy?: boolean;
  /** Let the provider answer, then drop or override fields of its JSON. */
  readonly dropFields?: readonly string[];
  readonly setFields?: Readonly<Record<string, unknown>>;
  /**
   * A buggy or malicious server echoing what it received: `json` answers 400 with the raw body,
   * its URL-encoding, its base64 and the Authorization header in error_description and error_uri;
   * `html` answers 502 with the same inside an HTML page.
   */
  readonly echo?: 'json' | 'html';
}

export interface LoggedRequest {
  readonly at: number;
  readonly path: string;
  /** `Basic`, `Bearer`, … or null. */
  readonly authScheme: string | null;
  readonly authorization: string | null;
  readonly contentType: string | null;
  readonly accept: string | null;
  readonly params: Readonly<Record<string, string>>;
  status?: number;
  faulted: boolean;
  /** The client the request authenticated as (Basic user, or client_id in the body). */
  readonly clientId: string | null;
  /** The access token the provider issued for this request, if any. */
  issuedToken?: string;
}

export interface OAuthClientFixture {
  readonly id: string;
  readonly secret: string;
}

export interface OAuthServer {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly clients: {
    readonly basic: OAuthClientFixture;
    readonly special: OAuthClientFixture;
    readonly post: OAuthClientFixture;
    readonly short: OAuthClientFixture;
    readonly pkjwt: { readonly id: string; readonly key: TestKey };
    readonly serviceAccount: { readonly email: string; readonly key: TestKey };
  };
  readonly faults: Fault[];
  readonly log: LoggedRequest[];
  /** Clears faults and the log. */
  reset(): void;
  /** Token requests only. */
  tokenRequests(): LoggedRequest[];
  close(): Promise<void>;
}

/** oidc-provider warns about Node 20 and its dev-only defaults on every start; expected here, so kept out of test output. */
function quietProviderWarnings(): () => void {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING')) return;
    original(...args);
  };
  return () => {
    console.warn = original;
  };
}

/**
 * oidc-provider checks `value.constructor === Object` on what it `structuredClone`s. Under Jest's
 * vm contexts the global structuredClone builds objects of the outer realm, so client metadata
 * (e.g. a JWKS) would look invalid. Rebuild plain objects and arrays in this realm.
 */
function realmLocalStructuredClone(): () => void {
  const original = globalThis.structuredClone;
  const rebuild = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rebuild);
    if (
      typeof value === 'object' &&
      value !== null &&
      Object.getPrototypeOf(Object.getPrototypeOf(value) ?? {}) === null &&
      value.constructor?.name === 'Object'
    ) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rebuild(v)]));
    }
    return value;
  };
  globalThis.structuredClone = ((value: unknown, options?: Parameters<typeof structuredClone>[1]) =>
    rebuild(original(value, options))) as typeof structuredClone;
  return () => {
    globalThis.structuredClone = original;
  };
}

export async function startOAuthServer(): Promise<OAuthServer> {
  const restoreWarn = quietProviderWarnings();
  const restoreClone = realmLocalStructuredClone();
  // Imported here, after the filter is in place: the runtime warning fires at import time.
  const { default: Provider, errors } = await import('oidc-provider');
  const { server, origin } = await listen();
  const issuer = origin;
  const tokenEndpoint = `${origin}/token`;
  const pkjwtKey = generateTestKey('rsa');
  const saKey = generateTestKey('rsa');
  const clients = {
    basic: { id: 'cc-basic', secret: 'cc-basic-secret-0123456789abcdefghij' },
    // RFC 6749 §2.3.1: a naive btoa(id + ':' + secret) of this fails.
    special: { id: 'cc-special', secret: 'sp3c!al:+/%=&?# secret with spaces:%2B==~' },
    post: { id: 'cc-post', secret: 'cc-post-secret-0123456789abcdefghij' },
    short: { id: 'cc-short', secret: 'cc-short-secret-0123456789abcdefghij' },
    pkjwt: { id: 'pkjwt-client', key: pkjwtKey },
    serviceAccount: { email: 'robot@lab.iam.gserviceaccount.com', key: saKey },
  };
  const bearerKeys = new Map<string, TestKey>([[clients.serviceAccount.email, saKey]]);

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clients.basic.id,
        client_secret: clients.basic.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read api:write',
      },
      {
        client_id: clients.special.id,
        client_secret: clients.special.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read',
      },
      {
        client_id: clients.post.id,
        client_secret: clients.post.secret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read',
      },
      {
        client_id: clients.short.id,
        client_secret: clients.short.secret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read',
      },
      {
        client_id: clients.pkjwt.id,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'RS256',
        jwks: { keys: [{ ...pkjwtKey.publicJwk, alg: 'RS256', use: 'sig' }] },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read api:write',
      },
      {
        client_id: clients.serviceAccount.email,
        token_endpoint_auth_method: 'none',
        grant_types: [JWT_BEARER],
        response_types: [],
        redirect_uris: [],
        scope: 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/cloud-platform.read-only api:read',
      },
    ],
    scopes: [
      'api:read',
      'api:write',
      'https://www.googleapis.com/auth/cloud-platform',
      'https://www.googleapis.com/auth/cloud-platform.read-only',
    ],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource === JWT_RESOURCE)
            return { scope: 'api:read api:write', accessTokenFormat: 'jwt', audience: resource, jwt: { sign: { alg: 'RS256' } } };
          throw new errors.InvalidTarget();
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx: unknown, _token: unknown, client: { clientId: string }) => (client.clientId === clients.short.id ? 3 : 600),
    },
  });

  // RFC 7523 §2.1: the assertion is the grant; it is verified against the service account's key.
  provider.registerGrantType(
    JWT_BEARER,
    async (ctx: KoaContext) => {
      const { client, params } = ctx.oidc;
      const key = bearerKeys.get(client.clientId);
      let payload: Record<string, unknown>;
      try {
        if (!key || !params.assertion) throw new Error('no key or assertion');
        ({ payload } = await jwtVerify(params.assertion, key.publicKey, {
          issuer: client.clientId,
          audience: [tokenEndpoint, GOOGLE_TOKEN_URL],
          requiredClaims: ['exp', 'iat'],
          algorithms: ['RS256', 'RS384', 'RS512', 'PS256'],
        }));
        if ((payload.exp as number) - (payload.iat as number) > 3600) throw new Error('assertion lifetime over one hour');
      } catch {
        throw new errors.InvalidGrant();
      }
      const requested = (typeof payload.scope === 'string' ? payload.scope : (params.scope ?? '')).split(' ').filter(Boolean);
      const allowed = new Set((client.scope ?? '').split(' '));
      const refused = requested.filter((s) => !allowed.has(s));
      if (refused.length > 0) throw new errors.InvalidScope('requested scope is not allowed', refused.join(' '));
      const token = new provider.ClientCredentials({ client, scope: requested.join(' ') || undefined });
      const value = await token.save();
      ctx.body = {
        access_token: value,
        expires_in: token.expiration,
        token_type: 'Bearer',
        ...(requested.length ? { scope: requested.join(' ') } : {}),
      };
    },
    ['assertion', 'scope'],
  );

  const faults: Fault[] = [];
  const log: LoggedRequest[] = [];

  provider.use(async (ctx, next) => {
    if (ctx.path === '/__control') {
      await control(ctx);
      return;
    }
    if (ctx.method !== 'POST' || ctx.path !== '/token') {
      await next();
      return;
    }
    const raw = await readBody(ctx.req);
    const params = Object.fromEntries(new URLSearchParams(raw));
    const authorization = ctx.get('authorization') || null;
    const entry: LoggedRequest = {
      at: Date.now(),
      path: ctx.path,
      authScheme: authorization?.split(' ')[0] ?? null,
      authorization,
      contentType: ctx.get('content-type') || null,
      accept: ctx.get('accept') || null,
      params: { ...params },
      faulted: false,
      clientId: basicUser(authorization) ?? params.client_id ?? null,
    };
    log.push(entry);
    // Google-style §2.1 requests carry no client_id: identify the client from the assertion's issuer.
    if (params.grant_type === JWT_BEARER && !params.client_id && params.assertion) {
      try {
        const iss = decodeJwt(params.assertion).iss;
        if (iss) params.client_id = iss;
      } catch {
        // left to the grant handler, which answers invalid_grant
      }
    }
    ctx.request.body = new URLSearchParams(params).toString();
    const fault = faults.shift();
    if (fault) {
      entry.faulted = true;
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.hang) {
        await new Promise((r) => ctx.res.once('close', r));
        return;
      }
      if (fault.destroy) {
        ctx.req.socket.destroy();
        return;
      }
      if (fault.echo) {
        const echoed = `body=${raw} encoded=${encodeURIComponent(raw)} b64=${Buffer.from(raw).toString('base64')} auth=${authorization ?? ''}`;
        entry.status = fault.echo === 'json' ? 400 : 502;
        ctx.status = entry.status;
        if (fault.echo === 'json')
          ctx.body = {
            error: 'invalid_request',
            error_description: echoed,
            error_uri: `https://errors.example.test/?q=${encodeURIComponent(echoed)}`,
          };
        else {
          ctx.set('content-type', 'text/html');
          ctx.body = `<html><body><h1>Bad Gateway</h1><pre>${echoed}</pre></body></html>`;
        }
        return;
      }
      if (fault.status !== undefined) {
        for (const [name, value] of Object.entries(fault.headers ?? {})) ctx.set(name, value);
        ctx.status = fault.status;
        ctx.body = fault.body === undefined ? '' : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
        if (typeof fault.body === 'object' && fault.body !== null) ctx.set('content-type', 'application/json');
        entry.status = fault.status;
        return;
      }
    }
    await next();
    entry.status = ctx.status;
    const issued = (ctx.body as { access_token?: unknown } | undefined)?.access_token;
    if (typeof issued === 'string') entry.issuedToken = issued;
    if (fault && (fault.dropFields || fault.setFields) && typeof ctx.body === 'object' && ctx.body !== null) {
      const body: Record<string, unknown> = { ...(ctx.body as Record<string, unknown>), ...fault.setFields };
      for (const field of fault.dropFields ?? []) delete body[field];
      ctx.body = body;
    }
  });

  /** `POST /__control {"reset":true,"faults":[…]}` queues faults; `GET /__control` returns the log. */
  async function control(ctx: KoaContext): Promise<void> {
    if (ctx.method === 'POST') {
      const command = JSON.parse((await readBody(ctx.req)) || '{}') as { reset?: boolean; faults?: Fault[] };
      if (command.reset) reset();
      faults.push(...(command.faults ?? []));
      ctx.body = { queued: faults.length };
    } else {
      ctx.body = { log, pendingFaults: faults.length };
    }
  }

  function reset(): void {
    faults.length = 0;
    log.length = 0;
  }

  server.on('request', provider.callback());
  return {
    issuer,
    tokenEndpoint,
    clients,
    faults,
    log,
    reset,
    tokenRequests: () => log.filter((e) => e.path === '/token'),
    close: async () => {
      await closeServer(server);
      restoreWarn();
      restoreClone();
    },
  };
}

function basicUser(authorization: string | null): string | null {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
}
