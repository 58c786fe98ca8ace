/**
 * oauth-peers.md §6 E: secrets, keys, assertions, Basic header values and tokens never reach an
 * error (message, stack, String, JSON, inspect, cause chain), a console, or an inspected object,
 * even when the server echoes them back raw, URL-encoded, base64-encoded or in a Basic header.
 */
import { inspect } from 'node:util';
import { jest } from '@jest/globals';
import { CredentialError, createCredentialSupportFrom, Redactor, REDACTED } from '../../src/credentials/index.js';
import { callContext, callFunction } from '../support/call-context.js';
import { closeServer, listen } from '../support/http.js';
import { makeRegistry } from '../support/credential-fixtures.js';
import { captureError, expectNoLeak } from '../support/leaks.js';
import { startOAuthServer } from '../support/oauth-server.js';
import type { OAuthServer } from '../support/oauth-server.js';

let server: OAuthServer;
beforeAll(async () => {
  server = await startOAuthServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const WRONG_SECRET = 'CANARY-wrong-secret:+/%=&-7c1d';
const GARBAGE_KEY_CANARY = 'CANARY-not-a-pem-4e2f9a';

function fixture() {
  const { special, post, pkjwt, serviceAccount } = server.clients;
  return makeRegistry(
    [
      {
        id: 'basic',
        type: 'OAUTH2',
        authConfigType: 'CLIENT_CREDENTIALS',
        tokenEndpoint: server.tokenEndpoint,
        clientId: special.id,
        clientSecret: { secret: 'SPECIAL' },
      },
      {
        id: 'post',
        type: 'OAUTH2',
        authConfigType: 'CLIENT_CREDENTIALS',
        tokenEndpoint: server.tokenEndpoint,
        clientId: post.id,
        clientSecret: { secret: 'POST' },
        clientAuthMethod: 'CLIENT_SECRET_POST',
      },
      {
        id: 'wrong',
        type: 'OAUTH2',
        authConfigType: 'CLIENT_CREDENTIALS',
        tokenEndpoint: server.tokenEndpoint,
        clientId: special.id,
        clientSecret: { secret: 'WRONG' },
      },
      {
        id: 'pk',
        type: 'OAUTH2',
        authConfigType: 'PRIVATE_KEY_JWT',
        tokenEndpoint: server.tokenEndpoint,
        clientId: pkjwt.id,
        privateKey: { secret: 'PK' },
      },
      {
        id: 'sa',
        type: 'OAUTH2',
        authConfigType: 'JWT_BEARER',
        tokenEndpoint: server.tokenEndpoint,
        issuer: serviceAccount.email,
        privateKey: { secret: 'SA' },
        scopes: ['api:read'],
      },
      {
        id: 'garbage',
        type: 'OAUTH2',
        authConfigType: 'PRIVATE_KEY_JWT',
        tokenEndpoint: server.tokenEndpoint,
        clientId: pkjwt.id,
        privateKey: { secret: 'GARBAGE' },
      },
    ],
    {
      SPECIAL: special.secret,
      POST: post.secret,
      WRONG: WRONG_SECRET,
      PK: pkjwt.key.pkcs1 ?? '',
      SA: serviceAccount.key.pkcs8,
      GARBAGE: `${GARBAGE_KEY_CANARY}\nnot base64 at all`,
    },
    { retry: { maxAttempts: 1 } },
  );
}

/** The raw canaries plus what was actually on the wire (assertions, Basic values, issued tokens). */
function canaries(): string[] {
  const { special, post, pkjwt, serviceAccount } = server.clients;
  const values = [special.secret, post.secret, WRONG_SECRET, GARBAGE_KEY_CANARY, pkjwt.key.pkcs1 ?? '', serviceAccount.key.pkcs8];
  const pemLine = (pkjwt.key.pkcs1 ?? '').split('\n')[3] ?? '';
  const out = new Set<string>([pemLine, ...values, ...values.map(encodeURIComponent), ...values.map(b64)]);
  for (const request of server.tokenRequests()) {
    if (request.authorization) out.add(request.authorization.split(' ')[1] ?? '');
    if (request.params.client_assertion) out.add(request.params.client_assertion);
    if (request.params.assertion) out.add(request.params.assertion);
    if (request.params.client_secret) out.add(request.params.client_secret);
    if (request.issuedToken) out.add(request.issuedToken);
  }
  return [...out].filter((c) => c.length >= 8);
}

describe('E. secrets never in errors', () => {
  test('24/25. for every failure mode, no secret, key, assertion, Basic value or token in any error text', async () => {
    const { registry } = fixture();
    const { special } = server.clients;
    const failures: Array<[string, string, () => void]> = [
      ['basic', 'server echoes body and Basic header (JSON)', () => server.faults.push({ echo: 'json' })],
      ['basic', 'server echoes in an HTML 502', () => server.faults.push({ echo: 'html' })],
      ['post', 'server echoes the form body with the secret', () => server.faults.push({ echo: 'json' })],
      ['pk', 'server echoes the client assertion', () => server.faults.push({ echo: 'json' })],
      ['sa', 'server echoes the jwt-bearer assertion', () => server.faults.push({ echo: 'json' })],
      [
        'basic',
        'secret in every OAuth field, raw, URL-encoded and base64',
        () =>
          server.faults.push({
            status: 400,
            body: {
              error: special.secret,
              error_description: `${encodeURIComponent(special.secret)} / ${b64(special.secret)} / Basic ${b64(`cc-special:${special.secret}`)}`,
              error_uri: `https://x.test/?s=${encodeURIComponent(special.secret)}`,
            },
          }),
      ],
      ['basic', 'a real token in a response we refuse', () => server.faults.push({ setFields: { token_type: 'mac' } })],
      ['basic', 'a real token next to a broken expires_in', () => server.faults.push({ setFields: { expires_in: -1 } })],
      ['wrong', 'wrong secret (invalid_client)', () => undefined],
      ['garbage', 'a private key that is not PEM', () => undefined],
      ['basic', 'the connection is cut', () => server.faults.push({ destroy: true })],
    ];
    for (const [id, what, arrange] of failures) {
      arrange();
      const error = await captureError(registry.test(id));
      expect(error).toBeInstanceOf(CredentialError);
      try {
        expectNoLeak(error, canaries());
      } catch (leak) {
        throw new Error(`${what}: ${(leak as Error).message}`);
      }
    }
    // The test can fail: the echo really carried the secrets back.
    expect(server.tokenRequests().filter((r) => r.faulted).length).toBeGreaterThanOrEqual(8);
  });

  test('25. the redacted error still says what happened', async () => {
    const { registry } = fixture();
    server.faults.push({ echo: 'json' });
    const error = (await captureError(registry.test('post'))) as CredentialError;
    expect(error.oauthError).toBe('invalid_request');
    expect(error.errorDescription).toBe(`body=${REDACTED} encoded=${REDACTED} b64=${REDACTED} auth=`);
    expect(error.message).toContain(`answered 400 invalid_request: body=${REDACTED}`);
    expect(error.errorUri).toContain('https://errors.example.test/');
  });

  test('24. the cause chain of a network error is a sanitized copy', async () => {
    const closed = await listen();
    await closeServer(closed.server);
    const { registry } = makeRegistry(
      [
        {
          id: 'x',
          type: 'OAUTH2',
          authConfigType: 'CLIENT_CREDENTIALS',
          tokenEndpoint: `${closed.origin}/token`,
          clientId: 'c',
          clientSecret: { secret: 'S' },
        },
      ],
      { S: 'CANARY-network-secret-123' },
      { retry: { maxAttempts: 1 } },
    );
    const error = (await captureError(registry.test('x'))) as CredentialError;
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.cause).toBeInstanceOf(Error);
    expect(Object.keys(error.cause as object)).toEqual(expect.not.arrayContaining(['request', 'response', 'config']));
    expectNoLeak(error, ['CANARY-network-secret-123', b64('CANARY-network-secret-123')]);
  });

  test('24/26. nothing is logged, and inspecting the registry, resolver, cache or config shows no secret or token', async () => {
    const spies = (['log', 'info', 'debug', 'warn', 'error', 'trace'] as const).map((level) => jest.spyOn(console, level));
    try {
      const { registry, secrets, config } = fixture();
      const support = createCredentialSupportFrom(secrets, registry);
      const token = (await callFunction(support.extension, 'credential', ['basic'], callContext())) as string;
      await captureError(registry.test('wrong'));
      const all = [...canaries(), token];
      for (const text of [
        inspect(registry, { depth: 10 }),
        inspect(secrets, { depth: 10 }),
        inspect(registry.cache, { depth: 10, showHidden: true }),
        JSON.stringify(registry.cache),
        inspect(config, { depth: 10 }),
        JSON.stringify(config),
        inspect(support, { depth: 10 }),
      ]) {
        for (const canary of all) expect(text.includes(canary)).toBe(false);
      }
      const logged = spies.flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(' ')));
      for (const line of logged) for (const canary of all) expect(line.includes(canary)).toBe(false);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('Redactor', () => {
  test('removes raw, URL-encoded, form-encoded, base64, base64url and JSON-escaped forms and Authorization values', () => {
    const secret = 'p@ss word:+/%=&"\\';
    const redactor = new Redactor().add(secret);
    const forms = [
      secret,
      encodeURIComponent(secret),
      new URLSearchParams([['', secret]]).toString().slice(1),
      b64(secret),
      Buffer.from(secret).toString('base64url'),
      JSON.stringify(secret).slice(1, -1),
    ];
    for (const form of forms) expect(redactor.redact(`before ${form} after`)).toBe(`before ${REDACTED} after`);
    expect(redactor.redact('Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==')).toBe(`Authorization: Basic ${REDACTED}`);
    expect(redactor.redact('nothing secret here')).toBe('nothing secret here');
  });
});
