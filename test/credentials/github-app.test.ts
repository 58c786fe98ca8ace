/**
 * GitHub App installation tokens against the GitHub double (oauth-peers.md §4): claims (§6 C14),
 * clock skew (C15), expiry (B13), errors (D23), separate apps (A3).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { request } from '@octokit/request';
import type { CredentialError } from '../../src/credentials/index.js';
import { makeRegistry } from '../support/credential-fixtures.js';
import { startGitHubDouble } from '../support/github-double.js';
import type { GitHubDouble } from '../support/github-double.js';
import { generateTestKey } from '../support/keys.js';
import { captureError, expectNoLeak } from '../support/leaks.js';

const appA = generateTestKey('rsa');
const appB = generateTestKey('rsa');
const stranger = generateTestKey('rsa');
let github: GitHubDouble;

beforeAll(async () => {
  github = await startGitHubDouble(
    [
      {
        appId: 4242,
        clientId: 'Iv1.aaaa4242',
        publicKey: appA.publicKey,
        installations: { '100': { permissions: { contents: 'read', metadata: 'read' }, repositories: ['octo/one', 'octo/two'] } },
      },
      {
        appId: 5151,
        clientId: 'Iv1.bbbb5151',
        publicKey: appB.publicKey,
        installations: { '100': { permissions: { issues: 'write' }, repositories: [] } },
      },
    ],
    { pathPrefix: '/api/v3' },
  );
});
afterAll(() => github.close());
beforeEach(() => github.reset());

const keys = { GH_A: appA.pkcs1 ?? '', GH_A8: appA.pkcs8, GH_B: appB.pkcs1 ?? '', STRANGER: stranger.pkcs1 ?? '' };
const gh = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  type: 'GITHUB_APP',
  appId: 4242,
  installationId: 100,
  privateKey: { secret: 'GH_A' },
  apiUrl: github.apiUrl,
  ...extra,
});

describe('GitHub App installation tokens', () => {
  test('14. app JWT: RS256, iat = now - 60, exp within 10 minutes, iss = the app id as a number; GitHub headers sent', async () => {
    const { registry } = makeRegistry(
      [gh('a'), gh('by-client-id', { appId: undefined, clientId: 'Iv1.aaaa4242', privateKey: { secret: 'GH_A8' } })],
      keys,
    );
    const now = Math.floor(Date.now() / 1000);
    const token = await registry.token('a');
    expect(token).toMatch(/^ghs_4242_[A-Za-z0-9_-]{64}$/);
    const [mint] = github.minted();
    expect(mint?.header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(mint?.claims?.iss).toBe(4242);
    const { iat = 0, exp = 0 } = mint?.claims as { iat?: number; exp?: number };
    expect(Math.abs(iat - (now - 60))).toBeLessThanOrEqual(2);
    expect(exp - now).toBeGreaterThanOrEqual(530);
    expect(exp - now).toBeLessThanOrEqual(600);
    expect(mint).toMatchObject({ accept: 'application/vnd.github+json', apiVersion: '2022-11-28', userAgent: 'pebbleflow' });
    await registry.token('by-client-id');
    expect(github.minted()[1]?.claims?.iss).toBe('Iv1.aaaa4242');
  });

  test('13. expires_at is parsed; testCredential reports it and the permissions, never the token', async () => {
    const { registry } = makeRegistry([gh('a', { permissions: { contents: 'read' }, repositories: ['octo/one'] })], keys);
    const before = Date.now();
    const result = await registry.test('a');
    expect(Object.keys(result).sort()).toEqual(['expiresAt', 'ok', 'scope', 'tokenType']);
    expect(result).toMatchObject({ ok: true, tokenType: 'Bearer', scope: 'contents:read' });
    const expiresAt = result.expiresAt?.getTime() ?? 0;
    expect(expiresAt).toBeGreaterThan(before + 3_595_000);
    expect(expiresAt).toBeLessThanOrEqual(before + 3_601_000);
    expect(github.minted()[0]?.body).toEqual({ repositories: ['octo/one'], permissions: { contents: 'read' } });
  });

  test('13. refreshed ahead of expires_at, by the refresh window', async () => {
    github.state.tokenLifetimeSec = 62;
    const { registry } = makeRegistry([gh('a')], keys);
    const first = await registry.token('a');
    expect(await registry.token('a')).toBe(first);
    const started = Date.now();
    let second = first;
    // expires_at has second precision, so the refresh (62 s lifetime - 60 s window) comes after 1–2 s.
    for (let i = 0; i < 40 && second === first; i++) {
      await new Promise((r) => setTimeout(r, 100));
      second = await registry.token('a');
    }
    expect(second).not.toBe(first);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(github.minted()).toHaveLength(2);
  });

  test('3. two apps with the same installation id get separate tokens', async () => {
    const { registry } = makeRegistry([gh('a'), gh('b', { appId: '5151', privateKey: { secret: 'GH_B' } })], keys);
    const [a, b] = await Promise.all([registry.token('a'), registry.token('b')]);
    expect(a).toMatch(/^ghs_4242_/);
    expect(b).toMatch(/^ghs_5151_/);
    expect(github.minted()).toHaveLength(2);
  });

  test('1. concurrent calls make one mint', async () => {
    const { registry } = makeRegistry([gh('a')], keys);
    const tokens = await Promise.all(Array.from({ length: 30 }, () => registry.token('a')));
    expect(new Set(tokens).size).toBe(1);
    expect(github.state.requests).toHaveLength(1);
  });

  test("15. GitHub's clock 120 s behind: 401 'Issued at', one re-sign from the Date header, then 201", async () => {
    github.state.clockOffsetSec = -120;
    const { registry } = makeRegistry([gh('a')], keys);
    expect(await registry.token('a')).toMatch(/^ghs_/);
    const [rejected, accepted] = github.state.requests;
    expect(rejected).toMatchObject({ status: 401, message: expect.stringContaining("'Issued at' claim ('iat')") });
    expect(accepted?.status).toBe(201);
    const shift = ((accepted?.claims?.iat as number) ?? 0) - ((rejected?.claims?.iat as number) ?? 0);
    expect(shift).toBeGreaterThanOrEqual(-122);
    expect(shift).toBeLessThanOrEqual(-118);
  });

  test("15. GitHub's clock 900 s ahead: the 'exp must be … future' 401 is corrected the same way", async () => {
    github.state.clockOffsetSec = 900;
    const { registry } = makeRegistry([gh('a')], keys);
    expect(await registry.token('a')).toMatch(/^ghs_/);
    expect(github.state.requests.map((r) => r.status)).toEqual([401, 201]);
    expect(github.state.requests[0]?.message).toContain("'Expiration time' claim ('exp') must be a numeric value");
    // Our clock did not move: the cached token still counts from our side.
    expect((await registry.test('a')).expiresAt?.getTime()).toBeLessThan(Date.now() + 3_601_000);
  });

  test('15. at most one skew retry; without a Date header, a clear error', async () => {
    const { registry } = makeRegistry([gh('a')], keys);
    github.state.faults.push(
      { status: 401, message: "'Expiration time' claim ('exp') is too far in the future" },
      { status: 401, message: "'Expiration time' claim ('exp') is too far in the future" },
    );
    await expect(registry.test('a')).rejects.toMatchObject({
      code: 'GITHUB_CLOCK_SKEW',
      status: 401,
      message: expect.stringContaining('even after re-signing against GitHub'),
    });
    expect(github.state.requests).toHaveLength(2);

    github.reset();
    github.state.clockOffsetSec = -120;
    github.state.sendDate = false;
    const error = await captureError(registry.test('a'));
    expect(error).toMatchObject({
      code: 'GITHUB_CLOCK_SKEW',
      message: expect.stringContaining('sent no Date header to correct the clock skew; check the system clock'),
    });
    expect(github.state.requests).toHaveLength(1);
  });

  test('23. a key that does not belong to the app: the message names the app id and the key fingerprint, never the key or JWT', async () => {
    const { registry } = makeRegistry([gh('a', { privateKey: { secret: 'STRANGER' } })], keys);
    const error = (await captureError(registry.test('a'))) as CredentialError;
    const fingerprint = `SHA256:${createHash('sha256')
      .update(createPublicKey(stranger.privateKey).export({ type: 'spki', format: 'der' }))
      .digest('base64')}`;
    expect(error).toMatchObject({ code: 'GITHUB_ERROR', status: 401, retryable: false });
    expect(error.message).toBe(
      `Credential 'a': GitHub API ${github.apiUrl} answered 401 A JSON web token could not be decoded. Check that app id 4242 and the private key with fingerprint ${fingerprint} belong to the same GitHub App.`,
    );
    const jwt = github.state.requests[0]?.jwt ?? '';
    expect(jwt.split('.')).toHaveLength(3);
    expectNoLeak(error, [jwt, stranger.pkcs1 ?? '', (stranger.pkcs1 ?? '').split('\n')[2] ?? '']);
  });

  test('23. unknown installation → 404; permissions not granted → 422; neither retried', async () => {
    const { registry } = makeRegistry([gh('missing', { installationId: 999 }), gh('greedy', { permissions: { contents: 'write' } })], keys);
    await expect(registry.test('missing')).rejects.toMatchObject({
      code: 'GITHUB_ERROR',
      status: 404,
      message: expect.stringContaining('Installation 999 was not found for app id 4242'),
    });
    await expect(registry.test('greedy')).rejects.toMatchObject({
      code: 'GITHUB_ERROR',
      status: 422,
      errorDescription: 'The permissions requested are not granted to this installation.',
    });
    expect(github.state.requests).toHaveLength(2);
  });

  test('23. 403 with Retry-After (secondary rate limit) and 429 are retried; a plain 403 is not', async () => {
    const { registry } = makeRegistry([gh('a')], keys);
    github.state.faults.push(
      { status: 403, message: 'You have exceeded a secondary rate limit.', headers: { 'retry-after': '1' } },
      { status: 429, message: 'API rate limit exceeded' },
    );
    const started = Date.now();
    expect(await registry.test('a')).toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(github.state.requests.map((r) => r.status)).toEqual([403, 429, 201]);

    github.reset();
    github.state.faults.push({ status: 403, message: 'This installation has been suspended' });
    await expect(registry.test('a')).rejects.toMatchObject({
      status: 403,
      retryable: false,
      message: expect.stringContaining('This installation has been suspended'),
    });
    expect(github.state.requests).toHaveLength(1);
  });

  test('peer: @octokit/auth-app mints against the same double, with the same iss and a 600 s JWT like ours', async () => {
    const auth = createAppAuth({
      appId: 4242,
      privateKey: keys.GH_A,
      installationId: 100,
      request: request.defaults({ baseUrl: github.apiUrl }),
    });
    const { registry } = makeRegistry([gh('a')], keys);
    await registry.test('a');
    const installation = await auth({ type: 'installation' });
    expect(installation.token).toMatch(/^ghs_4242_/);
    const [ours, theirs] = github.minted();
    expect(theirs?.claims?.iss).toBe(ours?.claims?.iss);
    expect(((theirs?.claims?.exp as number) ?? 0) - ((theirs?.claims?.iat as number) ?? 0)).toBe(600);
    expect(((ours?.claims?.exp as number) ?? 0) - ((ours?.claims?.iat as number) ?? 0)).toBe(600);
    // We back-date iat further (60 s, GitHub's advice) than octokit (30 s).
    expect(((theirs?.claims?.iat as number) ?? 0) - ((ours?.claims?.iat as number) ?? 0)).toBeGreaterThanOrEqual(29);
  });
});
