/**
 * A token endpoint cannot make pebbleflow hold more than a few hundred KB, nor hand it a lifetime
 * the clock cannot represent: real servers on 127.0.0.1, the registry and the CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialError } from '../../src/credentials/index.js';
import { MAX_TOKEN_LIFETIME_MS } from '../../src/credentials/minted-token.js';
import { MAX_TOKEN_RESPONSE_BYTES } from '../../src/credentials/token-http-client.js';
import { cli } from '../support/cli.js';
import { makeRegistry } from '../support/credential-fixtures.js';
import { closeServer, listen } from '../support/http.js';

const secret = 'bounds-client-secret-7f6e5d';

function credential(tokenEndpoint: string): Record<string, unknown> {
  return {
    id: 'c',
    type: 'OAUTH2',
    authConfigType: 'CLIENT_CREDENTIALS',
    tokenEndpoint,
    clientId: 'client',
    clientSecret: { secret: 'S' },
    timeout: 'PT30S',
  };
}

/** Answers 200 and streams JSON-looking bytes until the client goes away; counts what it sent. */
async function endlessServer(declaredLength?: number) {
  const state = { requests: 0, sent: 0, closed: 0 };
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const { server, origin } = await listen((req, res: ServerResponse) => {
    state.requests++;
    req.resume();
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(declaredLength === undefined ? {} : { 'content-length': String(declaredLength) }),
    });
    res.write('{"access_token":"');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) state.sent += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => state.closed++);
    pump();
  });
  return { server, origin, state };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('token endpoint answers are read under a cap', () => {
  test.each([
    ['an endless chunked body', undefined],
    ['a body that declares 2 GB', 2 * 1024 ** 3],
  ])('%s is cut off at the cap and refused, not retried, with INVALID_TOKEN_RESPONSE', async (_name, declared) => {
    const { server, origin, state } = await endlessServer(declared);
    try {
      const { registry } = makeRegistry([credential(`${origin}/token`)], { S: secret });
      const before = process.memoryUsage().rss;
      const error = await registry.test('c').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CredentialError);
      expect(error).toMatchObject({ code: 'INVALID_TOKEN_RESPONSE', credentialId: 'c', retryable: false });
      expect((error as Error).message).toBe(
        `Credential 'c': token endpoint ${origin}/token answered with a body over 256 KiB; it was cut off and refused (not retried).`,
      );
      expect(state.requests).toBe(1);
      // The connection is closed by the client, so the server stops sending.
      await until(() => state.closed === 1);
      const sentAtClose = state.sent;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(state.sent).toBe(sentAtClose);
      // Read at most the cap plus socket buffers; the process never held the body.
      expect(sentAtClose).toBeLessThan(64 * 1024 * 1024);
      expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
    } finally {
      await closeServer(server);
    }
  });

  test('an answer just under the cap is read as usual', async () => {
    const token = `tok-${'x'.repeat(MAX_TOKEN_RESPONSE_BYTES - 200)}`;
    const { server, origin } = await listen((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 60 }));
    });
    try {
      const { registry } = makeRegistry([credential(`${origin}/token`)], { S: secret });
      expect(await registry.token('c')).toBe(token);
    } finally {
      await closeServer(server);
    }
  });
});

describe('absurd lifetimes', () => {
  async function answering(body: string) {
    return listen((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  }

  test.each([
    ['1e308', '{"access_token":"t0k3n-value-1","token_type":"bearer","expires_in":1e308}'],
    ['2147483647 ("never")', '{"access_token":"t0k3n-value-1","token_type":"bearer","expires_in":2147483647}'],
    [
      'a JWT access token whose exp is 1e300',
      `{"access_token":"eyJhbGciOiJub25lIn0.${Buffer.from('{"exp":1e300}').toString('base64url')}.x"}`,
    ],
  ])('expires_in %s is read as one year', async (_name, body) => {
    const { server, origin } = await answering(body);
    try {
      const { registry } = makeRegistry([credential(`${origin}/token`)], { S: secret });
      const started = Date.now();
      const result = await registry.test('c');
      expect(result.expiresAt).toBeInstanceOf(Date);
      expect(result.expiresAt!.getTime() - started).toBeGreaterThan(MAX_TOKEN_LIFETIME_MS - 60_000);
      expect(result.expiresAt!.getTime() - started).toBeLessThanOrEqual(MAX_TOKEN_LIFETIME_MS + 60_000);
      expect(() => result.expiresAt!.toISOString()).not.toThrow();
    } finally {
      await closeServer(server);
    }
  });

  test.each([
    ['negative', -5],
    ['NaN text', '"soon"'],
    ['a number too large for a double', '1e400'],
  ])('expires_in %s is refused with INVALID_TOKEN_RESPONSE', async (_name, value) => {
    const { server, origin } = await answering(`{"access_token":"t0k3n-value-2","expires_in":${String(value)}}`);
    try {
      const { registry } = makeRegistry([credential(`${origin}/token`)], { S: secret });
      await expect(registry.test('c')).rejects.toMatchObject({ code: 'INVALID_TOKEN_RESPONSE' });
    } finally {
      await closeServer(server);
    }
  });

  test('`pebbleflow credentials test` against expires_in 1e308 reports a date, not "Invalid time value"', async () => {
    const { server, origin } = await answering('{"access_token":"t0k3n-value-3","token_type":"Bearer","expires_in":1e308}');
    try {
      const dir = mkdtempSync(join(tmpdir(), 'pf-bounds-'));
      writeFileSync(
        join(dir, 'pebbleflow.yaml'),
        `secrets: [{ type: env }]\ncredentials:\n  - { id: c, type: OAUTH2, authConfigType: CLIENT_CREDENTIALS, tokenEndpoint: "${origin}/token", clientId: x, clientSecret: { secret: S } }\n`,
      );
      const r = await cli(['credentials', 'test', 'c'], { cwd: dir, env: { SECRET_S: Buffer.from(secret).toString('base64') } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/expiry {2}expires \d{4}-\d\d-\d\dT[\d:.]+Z \(in 365 days\)/);
      expect(r.stdout).not.toContain('t0k3n-value-3');
    } finally {
      await closeServer(server);
    }
  });
});
