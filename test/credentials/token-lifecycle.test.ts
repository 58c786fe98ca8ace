/**
 * oauth-peers.md §6 A (concurrency / single flight) and B (expiry & cache) against a real
 * oidc-provider, with an injectable clock.
 */
import fs from 'node:fs';
import { jest } from '@jest/globals';
import { syncBuiltinESMExports } from 'node:module';
import { CredentialError } from '../../src/credentials/index.js';
import { makeRegistry, TestClock } from '../support/credential-fixtures.js';
import { startOAuthServer } from '../support/oauth-server.js';
import type { OAuthServer } from '../support/oauth-server.js';

let server: OAuthServer;
beforeAll(async () => {
  server = await startOAuthServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function secrets(): Record<string, string> {
  return { BASIC: server.clients.basic.secret, POST: server.clients.post.secret, SHORT: server.clients.short.secret };
}
function cc(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'OAUTH2',
    authConfigType: 'CLIENT_CREDENTIALS',
    tokenEndpoint: server.tokenEndpoint,
    clientId: server.clients.basic.id,
    clientSecret: { secret: 'BASIC' },
    scopes: ['api:read'],
    ...extra,
  };
}

describe('A. single flight', () => {
  test('1. 50 concurrent calls on a cold cache make exactly one token request and all get the same token', async () => {
    const { registry } = makeRegistry([cc('x')], secrets());
    const tokens = await Promise.all(Array.from({ length: 50 }, () => registry.token('x')));
    expect(server.tokenRequests()).toHaveLength(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toBe(server.tokenRequests()[0]?.issuedToken);
  });

  test('2. two credentials concurrently: two requests, and each caller gets its own token, never swapped', async () => {
    const { registry } = makeRegistry(
      [cc('a'), cc('b', { clientId: server.clients.post.id, clientSecret: { secret: 'POST' }, clientAuthMethod: 'CLIENT_SECRET_POST' })],
      secrets(),
    );
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? registry.token('b') : registry.token('a'))));
    const requests = server.tokenRequests();
    expect(requests).toHaveLength(2);
    const issuedTo = Object.fromEntries(requests.map((r) => [r.clientId, r.issuedToken]));
    results.forEach((token, i) => expect(token).toBe(i % 2 ? issuedTo['cc-post'] : issuedTo['cc-basic']));
    expect(issuedTo['cc-basic']).not.toBe(issuedTo['cc-post']);
  });

  test('3. same client with a different scope or resource gets a distinct cache entry', async () => {
    const { registry } = makeRegistry(
      [
        cc('read'),
        cc('write', { scopes: ['api:write'] }),
        cc('jwt', { resource: 'https://api.example.test' }),
        cc('read2', { scopes: ['api:read'] }),
      ],
      secrets(),
    );
    const [read, write, jwt] = await Promise.all([registry.token('read'), registry.token('write'), registry.token('jwt')]);
    expect(new Set([read, write, jwt]).size).toBe(3);
    expect(server.tokenRequests()).toHaveLength(3);
    expect(registry.cache.size).toBe(3);
    // read2 mints the same token as read, but is another credential id: the key says so and nothing is shared by accident.
    await registry.token('read2');
    expect(server.tokenRequests()).toHaveLength(4);
  });

  test('3. a different subject (JWT bearer) is a different token', async () => {
    const sa = (id: string, subject: string) => ({
      id,
      type: 'OAUTH2',
      authConfigType: 'JWT_BEARER',
      tokenEndpoint: server.tokenEndpoint,
      issuer: server.clients.serviceAccount.email,
      subject,
      privateKey: { secret: 'SA' },
      scopes: ['api:read'],
    });
    const { registry } = makeRegistry([sa('alice', 'alice@example.com'), sa('bob', 'bob@example.com')], {
      ...secrets(),
      SA: server.clients.serviceAccount.key.pkcs8,
    });
    const [alice, bob] = await Promise.all([registry.token('alice'), registry.token('bob')]);
    expect(alice).not.toBe(bob);
    expect(server.tokenRequests()).toHaveLength(2);
  });

  test('4. a failed shared refresh rejects every waiter with the same error, is not cached, and the next call retries', async () => {
    const { registry } = makeRegistry([cc('x')], secrets(), { retry: { maxAttempts: 2 } });
    server.faults.push(
      { status: 500, body: { error: 'server_error', error_description: 'boom' } },
      { status: 500, body: { error: 'server_error', error_description: 'boom' } },
    );
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => registry.token('x')));
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as unknown) : undefined));
    expect(reasons.every((r) => r === reasons[0])).toBe(true);
    expect(reasons[0]).toBeInstanceOf(CredentialError);
    expect(reasons[0]).toMatchObject({ code: 'OAUTH_ERROR', status: 500, oauthError: 'server_error', retryable: true, credentialId: 'x' });
    expect(server.tokenRequests()).toHaveLength(2);
    expect(registry.cache.inFlightCount).toBe(0);
    expect(registry.cache.size).toBe(0);
    expect(typeof (await registry.token('x'))).toBe('string');
    expect(server.tokenRequests()).toHaveLength(3);
  });

  test('5. inside the refresh window (not yet expired) concurrent callers share one refresh and never get the old token', async () => {
    const clock = new TestClock();
    const { registry } = makeRegistry([cc('x')], secrets(), { now: clock.now });
    const first = await registry.token('x');
    clock.advance(600_000 - 60_000 + 1); // expires_in 600, default window PT1M
    const tokens = await Promise.all(Array.from({ length: 20 }, () => registry.token('x')));
    expect(server.tokenRequests()).toHaveLength(2);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(first);
  });

  test("6. one caller's abort does not cancel the shared refresh the others wait for", async () => {
    const { registry } = makeRegistry([cc('x')], secrets());
    server.faults.push({ delayMs: 300 });
    const controller = new AbortController();
    const aborted = registry.token('x', {}, controller.signal);
    const other = registry.token('x');
    setTimeout(() => controller.abort(), 50);
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    expect(typeof (await other)).toBe('string');
    expect(server.tokenRequests()).toHaveLength(1);
    expect(registry.cache.size).toBe(1);
  });
});

describe('B. expiry and cache', () => {
  test('7. cc-short (expires_in 3) with a 1 s window: a hit at t+1.9 s, a new request at t+2.1 s', async () => {
    const clock = new TestClock();
    const { registry } = makeRegistry(
      [cc('short', { clientId: server.clients.short.id, clientSecret: { secret: 'SHORT' }, refreshBeforeExpiry: 'PT1S' })],
      secrets(),
      { now: clock.now },
    );
    const first = await registry.token('short');
    clock.advance(1900);
    expect(await registry.token('short')).toBe(first);
    clock.advance(200);
    expect(await registry.token('short')).not.toBe(first);
    expect(server.tokenRequests()).toHaveLength(2);
  });

  test('8. expiry counts from when the request was sent, not from when the answer came', async () => {
    const { registry } = makeRegistry([cc('x')], secrets());
    server.faults.push({ delayMs: 1000 });
    const before = Date.now();
    const result = await registry.test('x');
    const after = Date.now();
    expect(after - before).toBeGreaterThanOrEqual(1000);
    const expiresAt = result.expiresAt?.getTime() ?? 0;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(expiresAt).toBeLessThan(before + 600_000 + 500);
  });

  test('9. a missing expires_in is cached for the bounded default (5 min, minus the refresh window), never forever', async () => {
    const clock = new TestClock();
    const { registry } = makeRegistry([cc('x')], secrets(), { now: clock.now });
    server.faults.push({ dropFields: ['expires_in'] }, { dropFields: ['expires_in'] });
    expect(await registry.test('x')).toMatchObject({ ok: true, expiresAt: null });
    const first = await registry.token('x');
    clock.advance(240_000 - 1);
    expect(await registry.token('x')).toBe(first);
    clock.advance(2);
    expect(await registry.token('x')).not.toBe(first);
    expect(server.tokenRequests()).toHaveLength(3);
  });

  test('10. expires_in as a string is parsed; 0 is used once; negative or non-numeric is a typed error', async () => {
    const clock = new TestClock();
    const { registry } = makeRegistry([cc('x')], secrets(), { now: clock.now });
    server.faults.push({ setFields: { expires_in: '3600' } });
    const result = await registry.test('x');
    expect(result.expiresAt?.getTime()).toBe(clock.now() + 3_600_000);

    server.faults.push({ setFields: { expires_in: 0 } }, { setFields: { expires_in: 0 } });
    const a = await registry.token('x');
    const b = await registry.token('x');
    expect(a).not.toBe(b);
    expect(server.tokenRequests()).toHaveLength(3);

    for (const bad of [-5, 'soon', true]) {
      server.faults.push({ setFields: { expires_in: bad } });
      await expect(registry.test('x')).rejects.toMatchObject({
        code: 'INVALID_TOKEN_RESPONSE',
        message: expect.stringContaining('expires_in is not a non-negative number'),
      });
    }
  });

  test('11. a lifetime shorter than the refresh window: one request, cached for half the lifetime, no tight loop', async () => {
    const clock = new TestClock();
    const { registry } = makeRegistry([cc('x')], secrets(), { now: clock.now });
    server.faults.push({ setFields: { expires_in: 30 } }, { setFields: { expires_in: 30 } });
    const first = await registry.token('x');
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      expect(await registry.token('x')).toBe(first);
    }
    expect(server.tokenRequests()).toHaveLength(1);
    clock.advance(5_001);
    expect(await registry.token('x')).not.toBe(first);
    expect(server.tokenRequests()).toHaveLength(2);
  });

  test('12. cacheEnabled false mints on every call; clear() wipes; nothing touches the file system, env or globals', async () => {
    const spied = [
      'writeFile',
      'writeFileSync',
      'appendFile',
      'appendFileSync',
      'mkdir',
      'mkdirSync',
      'open',
      'openSync',
      'createWriteStream',
    ] as const;
    const spies = spied.map((name) => jest.spyOn(fs, name));
    const promiseSpies = (['writeFile', 'appendFile', 'mkdir', 'open'] as const).map((name) => jest.spyOn(fs.promises, name));
    syncBuiltinESMExports();
    const envBefore = JSON.stringify(process.env);
    const globalsBefore = Object.keys(globalThis).sort().join();
    try {
      const { registry } = makeRegistry([cc('off', { cacheEnabled: false }), cc('on')], secrets());
      for (let i = 0; i < 3; i++) await registry.token('off');
      expect(server.tokenRequests()).toHaveLength(3);
      for (let i = 0; i < 3; i++) await registry.token('on');
      expect(server.tokenRequests()).toHaveLength(4);
      registry.clear();
      await registry.token('on');
      expect(server.tokenRequests()).toHaveLength(5);
      for (const spy of [...spies, ...promiseSpies]) expect(spy).not.toHaveBeenCalled();
      expect(JSON.stringify(process.env)).toBe(envBefore);
      expect(Object.keys(globalThis).sort().join()).toBe(globalsBefore);
    } finally {
      for (const spy of [...spies, ...promiseSpies]) spy.mockRestore();
      syncBuiltinESMExports();
    }
  });
});
