/**
 * Wire format and auth methods (peers §6 F), assertion claims (C 16–17), error mapping,
 * retries and timeouts (D 18–22) against a real oidc-provider.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { CredentialError, formEncode, parseRetryAfter, TokenHttpClient } from '../../src/credentials/index.js';
import { makeRegistry } from '../support/credential-fixtures.js';
import { closeServer, listen } from '../support/http.js';
import { captureError } from '../support/leaks.js';
import { generateTestKey } from '../support/keys.js';
import { JWT_RESOURCE, startOAuthServer } from '../support/oauth-server.js';
import type { OAuthServer } from '../support/oauth-server.js';

let server: OAuthServer;
beforeAll(async () => {
  server = await startOAuthServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function values(): Record<string, string> {
  return {
    BASIC: server.clients.basic.secret,
    SPECIAL: server.clients.special.secret,
    POST: server.clients.post.secret,
    PK_PKCS1: server.clients.pkjwt.key.pkcs1 ?? '',
    PK_PKCS8: server.clients.pkjwt.key.pkcs8,
    SA: server.clients.serviceAccount.key.pkcs8,
    WRONG_SA: generateTestKey('rsa').pkcs8,
  };
}
const cc = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  type: 'OAUTH2',
  authConfigType: 'CLIENT_CREDENTIALS',
  tokenEndpoint: server.tokenEndpoint,
  clientId: server.clients.basic.id,
  clientSecret: { secret: 'BASIC' },
  ...extra,
});
const pkjwt = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  type: 'OAUTH2',
  authConfigType: 'PRIVATE_KEY_JWT',
  tokenEndpoint: server.tokenEndpoint,
  clientId: server.clients.pkjwt.id,
  privateKey: { secret: 'PK_PKCS1' },
  keyId: server.clients.pkjwt.key.kid,
  scopes: ['api:read'],
  ...extra,
});
const bearer = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  type: 'OAUTH2',
  authConfigType: 'JWT_BEARER',
  tokenEndpoint: server.tokenEndpoint,
  issuer: server.clients.serviceAccount.email,
  privateKey: { secret: 'SA' },
  keyId: server.clients.serviceAccount.key.kid,
  scopes: ['api:read'],
  ...extra,
});

describe('F. wire format and client authentication', () => {
  test('27. client_secret_basic with a secret full of :+/%=& is form-encoded per RFC 6749 §2.3.1; no secret in the body', async () => {
    const { registry } = makeRegistry(
      [cc('special', { clientId: server.clients.special.id, clientSecret: { secret: 'SPECIAL' } })],
      values(),
    );
    expect(await registry.test('special')).toMatchObject({ ok: true, tokenType: 'Bearer' });
    const [request] = server.tokenRequests();
    expect(request?.status).toBe(200);
    expect(request?.authScheme).toBe('Basic');
    expect(request?.params).not.toHaveProperty('client_secret');
    expect(request?.params).not.toHaveProperty('client_id');
    const decoded = Buffer.from(request?.authorization?.split(' ')[1] ?? '', 'base64').toString('utf8');
    expect(decoded).toBe(`${formEncode(server.clients.special.id)}:${formEncode(server.clients.special.secret)}`);
    expect(decoded).not.toContain(server.clients.special.secret);
  });

  test('28. client_secret_post sends client_id and client_secret in the body and no Authorization header', async () => {
    const { registry } = makeRegistry(
      [cc('post', { clientId: server.clients.post.id, clientSecret: { secret: 'POST' }, clientAuthMethod: 'CLIENT_SECRET_POST' })],
      values(),
    );
    await registry.test('post');
    const [request] = server.tokenRequests();
    expect(request).toMatchObject({ status: 200, authorization: null });
    expect(request?.params).toMatchObject({
      grant_type: 'client_credentials',
      client_id: server.clients.post.id,
      client_secret: server.clients.post.secret,
    });
  });

  test('29. form body, Accept JSON, scopes space-joined, audience and extra parameters passed, resource gives a JWT access token for it', async () => {
    const { registry } = makeRegistry(
      [cc('x', { scopes: ['api:read', 'api:write'], resource: JWT_RESOURCE, audience: 'urn:aud', extraParams: { tenant_hint: 'blue' } })],
      values(),
    );
    const token = await registry.token('x');
    const [request] = server.tokenRequests();
    expect(request?.contentType).toBe('application/x-www-form-urlencoded');
    expect(request?.accept).toBe('application/json');
    expect(request?.params).toMatchObject({
      scope: 'api:read api:write',
      resource: JWT_RESOURCE,
      audience: 'urn:aud',
      tenant_hint: 'blue',
    });
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    expect(decodeJwt(token)).toMatchObject({ aud: JWT_RESOURCE, client_id: server.clients.basic.id, scope: 'api:read api:write' });
  });
});

describe('the test server control endpoint', () => {
  test('POST /__control queues faults, GET /__control returns the request log', async () => {
    const queued = await fetch(`${server.issuer}/__control`, {
      method: 'POST',
      body: JSON.stringify({ reset: true, faults: [{ status: 503, body: { error: 'temporarily_unavailable' } }] }),
    });
    expect(await queued.json()).toEqual({ queued: 1 });
    const { registry } = makeRegistry([cc('x')], values());
    expect(await registry.test('x')).toMatchObject({ ok: true });
    const { log, pendingFaults } = (await (await fetch(`${server.issuer}/__control`)).json()) as {
      log: Array<{ status: number; faulted: boolean; authScheme: string }>;
      pendingFaults: number;
    };
    expect(pendingFaults).toBe(0);
    expect(log.map((e) => [e.status, e.faulted, e.authScheme])).toEqual([
      [503, true, 'Basic'],
      [200, false, 'Basic'],
    ]);
  });
});

describe('injected fetch', () => {
  test('an injected fetch (here node-fetch) carries every token request', async () => {
    const { default: nodeFetch } = await import('node-fetch');
    const seen: string[] = [];
    const injected = ((url: string, init: unknown) => {
      seen.push(String(url));
      return nodeFetch(url, init as never);
    }) as unknown as typeof fetch;
    const { registry } = makeRegistry([cc('x'), pkjwt('pk')], values(), { fetch: injected });
    expect(await registry.test('x')).toMatchObject({ ok: true });
    expect(await registry.test('pk')).toMatchObject({ ok: true });
    expect(seen).toEqual([server.tokenEndpoint, server.tokenEndpoint]);
    expect(server.tokenRequests()).toHaveLength(2);
  });
});

describe('C. assertion claims', () => {
  test('17. private_key_jwt: iss = sub = client_id, aud = token endpoint by default, kid set, exp ≤ 300 s, and a fresh jti every request', async () => {
    const { registry } = makeRegistry(
      [pkjwt('pk'), pkjwt('pk8', { privateKey: { secret: 'PK_PKCS8' } }), pkjwt('iss', { audience: server.issuer })],
      values(),
    );
    await registry.test('pk');
    await registry.test('pk');
    await registry.test('pk8');
    await registry.test('iss');
    const requests = server.tokenRequests();
    expect(requests.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const assertions = requests.map((r) => r.params.client_assertion ?? '');
    const claims = assertions.map((a) => decodeJwt(a));
    for (const [i, claim] of claims.entries()) {
      expect(claim).toMatchObject({
        iss: server.clients.pkjwt.id,
        sub: server.clients.pkjwt.id,
        aud: i === 3 ? server.issuer : server.tokenEndpoint,
      });
      expect((claim.exp ?? 0) - (claim.iat ?? 0)).toBeLessThanOrEqual(300);
      expect(decodeProtectedHeader(assertions[i] ?? '')).toMatchObject({ alg: 'RS256', kid: server.clients.pkjwt.key.kid });
      expect(requests[i]?.params.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    }
    expect(new Set(claims.map((c) => c.jti)).size).toBe(4);
  });

  test('16. jwt-bearer: iss, aud = token endpoint, scope claim space-joined, sub when configured, exp = iat + 3600, kid', async () => {
    const { registry } = makeRegistry(
      [bearer('sa', { subject: 'user@example.com', scopes: ['api:read', 'https://www.googleapis.com/auth/cloud-platform'] })],
      values(),
    );
    const before = Math.floor(Date.now() / 1000);
    expect(await registry.test('sa')).toMatchObject({ ok: true, scope: 'api:read https://www.googleapis.com/auth/cloud-platform' });
    const [request] = server.tokenRequests();
    expect(request?.params.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(request?.params).not.toHaveProperty('client_id');
    const claims = decodeJwt(request?.params.assertion ?? '');
    expect(claims).toMatchObject({
      iss: server.clients.serviceAccount.email,
      sub: 'user@example.com',
      aud: server.tokenEndpoint,
      scope: 'api:read https://www.googleapis.com/auth/cloud-platform',
    });
    expect(Math.abs((claims.iat ?? 0) - before)).toBeLessThanOrEqual(2);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(claims).not.toHaveProperty('jti');
    expect(decodeProtectedHeader(request?.params.assertion ?? '')).toMatchObject({
      alg: 'RS256',
      kid: server.clients.serviceAccount.key.kid,
    });
  });

  test('signs with every supported algorithm family and refuses a key that does not fit the algorithm', async () => {
    const ec = generateTestKey('ec-p256');
    const ed = generateTestKey('ed25519');
    const { registry } = makeRegistry(
      [
        pkjwt('es', { privateKey: { secret: 'EC' }, algorithm: 'ES256' }),
        pkjwt('ed', { privateKey: { secret: 'ED' }, algorithm: 'EdDSA' }),
        pkjwt('mismatch', { privateKey: { secret: 'EC' }, algorithm: 'RS256' }),
        pkjwt('garbage', { privateKey: { secret: 'GARBAGE' } }),
      ],
      { EC: ec.pkcs8, ED: ed.pkcs8, GARBAGE: 'not a key at all' },
    );
    // The provider only knows the client's RSA key, so these are refused there: what matters is what we sent.
    await captureError(registry.test('es'));
    await captureError(registry.test('ed'));
    const [es, ed25519] = server.tokenRequests();
    expect(decodeProtectedHeader(es?.params.client_assertion ?? '').alg).toBe('ES256');
    expect(decodeProtectedHeader(ed25519?.params.client_assertion ?? '').alg).toBe('EdDSA');
    await expect(registry.test('mismatch')).rejects.toMatchObject({
      code: 'INVALID_PRIVATE_KEY',
      message: "Credential 'mismatch': the private key in secret 'EC' is an EC prime256v1 key, which cannot sign RS256.",
    });
    await expect(registry.test('garbage')).rejects.toMatchObject({ code: 'INVALID_PRIVATE_KEY' });
    expect(server.tokenRequests()).toHaveLength(2);
  });
});

describe('D. errors', () => {
  test('18. OAuth errors map to CredentialError with status, error, description and the credential id', async () => {
    const { registry } = makeRegistry(
      [
        cc('bad-secret', { clientSecret: { secret: 'POST' } }),
        cc('bad-scope', {
          clientId: server.clients.post.id,
          clientSecret: { secret: 'POST' },
          clientAuthMethod: 'CLIENT_SECRET_POST',
          scopes: ['api:write'],
        }),
        cc('bad-target', { resource: 'https://unknown.example.test' }),
        bearer('bad-grant', { privateKey: { secret: 'WRONG_SA' } }),
        cc('faulted'),
      ],
      values(),
    );
    const cases: Array<[string, Record<string, unknown>]> = [
      ['bad-secret', { status: 401, oauthError: 'invalid_client', errorDescription: 'client authentication failed' }],
      ['bad-scope', { status: 400, oauthError: 'invalid_scope', errorDescription: 'requested scope is not allowed' }],
      ['bad-target', { status: 400, oauthError: 'invalid_target' }],
      ['bad-grant', { status: 400, oauthError: 'invalid_grant', errorDescription: 'grant request is invalid' }],
    ];
    for (const [id, expected] of cases) {
      const error = await captureError(registry.test(id));
      expect(error).toBeInstanceOf(CredentialError);
      expect(error).toMatchObject({ code: 'OAUTH_ERROR', credentialId: id, retryable: false, ...expected });
      expect((error as Error).message).toContain(
        `Credential '${id}': token endpoint ${server.tokenEndpoint} answered ${String(expected.status)} ${String(expected.oauthError)}`,
      );
    }
    for (const [status, error] of [
      [400, 'invalid_request'],
      [400, 'unsupported_grant_type'],
      [400, 'unauthorized_client'],
    ] as const) {
      server.faults.push({
        status,
        body: { error, error_description: 'grant type not allowed', error_uri: 'https://docs.example.test/errors' },
      });
      await expect(registry.test('faulted')).rejects.toMatchObject({
        code: 'OAUTH_ERROR',
        status,
        oauthError: error,
        errorDescription: 'grant type not allowed',
        errorUri: 'https://docs.example.test/errors',
      });
    }
  });

  test('19. other 4xx are not retried; 5xx, 429 and network errors are, a bounded number of times', async () => {
    const { registry } = makeRegistry([cc('x')], values(), { retry: { maxAttempts: 3 } });
    server.faults.push({ status: 400, body: { error: 'invalid_request' } });
    await expect(registry.test('x')).rejects.toMatchObject({ status: 400 });
    expect(server.tokenRequests()).toHaveLength(1);

    server.reset();
    for (let i = 0; i < 10; i++) server.faults.push({ status: 503, body: { error: 'temporarily_unavailable' } });
    const error = await captureError(registry.test('x'));
    expect(error).toMatchObject({
      code: 'OAUTH_ERROR',
      status: 503,
      retryable: true,
      message: expect.stringContaining('after 3 attempts'),
    });
    expect(server.tokenRequests()).toHaveLength(3);

    server.reset();
    const { registry: patient } = makeRegistry([cc('x')], values(), { retry: { maxAttempts: 4 } });
    server.faults.push({ destroy: true }, { status: 429 }, { status: 408 });
    expect(await patient.test('x')).toMatchObject({ ok: true });
    expect(server.tokenRequests()).toHaveLength(4);
  });

  test('19. backoff is exponential with jitter and bounded', () => {
    const client = new TokenHttpClient({ fetch: globalThis.fetch, now: Date.now, retry: { baseDelayMs: 200, maxDelayMs: 1000 } });
    const samples = Array.from({ length: 50 }, () => client.backoff(1));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...samples)).toBeLessThanOrEqual(200);
    expect(new Set(samples).size).toBeGreaterThan(1);
    expect(client.backoff(3)).toBeGreaterThanOrEqual(400);
    expect(client.backoff(30)).toBeLessThanOrEqual(1000);
  });

  test('19. Retry-After in seconds is honoured', async () => {
    const { registry } = makeRegistry([cc('x')], values());
    server.faults.push({ status: 429, headers: { 'retry-after': '2' }, body: { error: 'slow_down' } });
    await registry.test('x');
    const [first, second] = server.tokenRequests();
    const waited = (second?.at ?? 0) - (first?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(2000);
    expect(waited).toBeLessThan(2600);
  });

  test('19. Retry-After as an HTTP-date is honoured, and a huge Retry-After is capped', async () => {
    const { registry } = makeRegistry([cc('x')], values(), { retry: { retryAfterCapMs: 300 } });
    const { registry: uncapped } = makeRegistry([cc('y')], values());
    const date = new Date(Date.now() + 2000);
    server.faults.push({ status: 503, headers: { 'retry-after': date.toUTCString() } });
    await uncapped.test('y');
    const [first, second] = server.tokenRequests();
    // HTTP dates have second precision: the wait is until that second, i.e. 1–2 s here.
    expect(second?.at ?? 0).toBeGreaterThanOrEqual(Math.floor(date.getTime() / 1000) * 1000 - 5);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);

    server.reset();
    server.faults.push({ status: 503, headers: { 'retry-after': '3600' } });
    await registry.test('x');
    const [a, b] = server.tokenRequests();
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(300);
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeLessThan(1500);
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT'))).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  test('20. an HTML 502 or an empty 500 gives a useful message without echoing the body', async () => {
    const { registry } = makeRegistry([cc('x')], values(), { retry: { maxAttempts: 1 } });
    const page = '<html><body><h1>502 Bad Gateway</h1><p>upstream nginx-internal-7</p></body></html>';
    server.faults.push({ status: 502, headers: { 'content-type': 'text/html' }, body: page });
    const html = (await captureError(registry.test('x'))) as CredentialError;
    expect(html).toMatchObject({ code: 'HTTP_ERROR', status: 502, retryable: true });
    expect(html.message).toBe(
      `Credential 'x': token endpoint ${server.tokenEndpoint} answered 502 Bad Gateway with a text/html body of ${Buffer.byteLength(page)} bytes, not an OAuth error response.`,
    );
    expect(html.message).not.toContain('nginx-internal-7');
    server.faults.push({ status: 500 });
    const empty = (await captureError(registry.test('x'))) as CredentialError;
    expect(empty.message).toBe(
      `Credential 'x': token endpoint ${server.tokenEndpoint} answered 500 Internal Server Error with an empty body, not an OAuth error response.`,
    );
  });

  test('21. a 200 that is not JSON, has no access_token or an unusable token_type is an error; bearer in any case becomes Bearer', async () => {
    const { registry } = makeRegistry([cc('x')], values());
    server.faults.push({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"access_token": "abc' });
    await expect(registry.test('x')).rejects.toMatchObject({
      code: 'INVALID_TOKEN_RESPONSE',
      message: expect.stringContaining('the body is not a JSON object'),
    });
    server.faults.push({ status: 200, body: { token_type: 'Bearer', expires_in: 60 } });
    await expect(registry.test('x')).rejects.toMatchObject({
      code: 'INVALID_TOKEN_RESPONSE',
      message: expect.stringContaining('has no access_token'),
    });
    server.faults.push({ setFields: { token_type: 'DPoP' } });
    await expect(registry.test('x')).rejects.toMatchObject({
      code: 'INVALID_TOKEN_RESPONSE',
      message: expect.stringContaining("token_type 'DPoP' is not supported"),
    });
    server.faults.push({ setFields: { token_type: 'bearer' } });
    expect(await registry.test('x')).toMatchObject({ tokenType: 'Bearer' });
  });

  test('22. a token endpoint that hangs is cut off at the configured timeout', async () => {
    const { registry } = makeRegistry([cc('x', { timeout: 'PT0.5S' })], values());
    server.faults.push({ hang: true });
    const started = Date.now();
    const error = await captureError(registry.test('x'));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({
      code: 'TIMEOUT',
      retryable: true,
      message: `Credential 'x': token endpoint ${server.tokenEndpoint} did not answer within 500 ms (timeout).`,
    });
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2000);
    expect(server.tokenRequests()).toHaveLength(1);
  });

  test('a redirect is not followed, so credentials only go to the configured URL', async () => {
    const { registry } = makeRegistry([cc('x')], values());
    server.faults.push({ status: 307, headers: { location: 'http://127.0.0.1:9/steal' } });
    await expect(registry.test('x')).rejects.toMatchObject({
      code: 'HTTP_ERROR',
      status: 307,
      message: expect.stringContaining('it is not followed'),
    });
    expect(server.tokenRequests()).toHaveLength(1);
  });

  test('an unreachable endpoint is a NETWORK_ERROR after the bounded retries', async () => {
    const closed = await listen();
    await closeServer(closed.server);
    const { registry } = makeRegistry([cc('x', { tokenEndpoint: `${closed.origin}/token` })], values(), { retry: { maxAttempts: 2 } });
    await expect(registry.test('x')).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      retryable: true,
      message: `Credential 'x': cannot reach token endpoint ${closed.origin}/token: ECONNREFUSED (after 2 attempts).`,
    });
  });

  test('a missing secret names the credential, the field and the secret', async () => {
    const { registry } = makeRegistry([cc('x', { clientSecret: { secret: 'NOPE' } })], values());
    await expect(registry.test('x')).rejects.toMatchObject({
      code: 'CREDENTIAL_SECRET_MISSING',
      message: "Credential 'x': its clientSecret refers to secret 'NOPE', which cannot be resolved (Cannot find secret for key 'NOPE'.)",
    });
    expect(server.tokenRequests()).toHaveLength(0);
  });
});
