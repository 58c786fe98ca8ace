import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, type JWTPayload } from 'jose';
import { startLocalGitHub, type LocalGitHub } from '../examples/demo/local-github.js';
import { startLocalOAuth, type LocalOAuth } from '../examples/demo/local-oauth.js';
import { awkwardClientSecret, DEMO_NAMES } from '../examples/demo/scenarios.js';
import { formEncode } from '../src/credentials/index.js';

import { runDemo } from './support/cli.js';

describe('npm run demo -- all', () => {
  const work = mkdtempSync(join(tmpdir(), 'pebbleflow-demo-test-'));
  const sensitiveFile = join(work, 'sensitive.json');
  let run: { code: number; stdout: string; stderr: string };
  let sensitive: Record<string, string[]>;

  beforeAll(async () => {
    run = await runDemo(['all'], { env: { PEBBLEFLOW_DEMO_SENSITIVE_OUT: sensitiveFile } });
    sensitive = JSON.parse(readFileSync(sensitiveFile, 'utf8')) as Record<string, string[]>;
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('every credential type runs its flow to SUCCESS, in order, and the API answers are logged', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const successLines = run.stdout.split('\n').filter((line) => line.startsWith('✔ SUCCESS'));
    expect(successLines).toHaveLength(4);
    const flowIds = ['google_api_with_credential_demo', 'client_credentials_demo', 'private_key_jwt_demo', 'github_app_demo'];
    successLines.forEach((line, i) => {
      expect(line).toMatch(
        new RegExp(`^✔ SUCCESS {2}company\\.team\\.${flowIds[i]} {2}execution [0-9A-Za-z]{22} · 2 task runs · (\\d+ ms|\\d+\\.\\d+ s)$`),
      );
    });
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(successLines[3]);
    expect(run.stdout).toContain('INFO  code=200 body={"projectNumber":"123456789012","projectId":"pebbleflow-demo"');
    expect(run.stdout).toContain('INFO  orders-reporter sees 2 orders: ord_1001, ord_1002');
    expect(run.stdout).toContain('INFO  client=partner-billing first order=ord_1001 (shipped)');
    expect(run.stdout).toContain('INFO  acme/demo (default branch main, 3 open issues, private: true)');
  });

  test('each demo minted a token from its own generated secret, and none of those values is printed', () => {
    expect(Object.keys(sensitive).sort()).toEqual([...DEMO_NAMES].sort());
    const output = run.stdout + run.stderr;
    for (const name of DEMO_NAMES) {
      const [secret, ...tokens] = sensitive[name]!;
      expect(tokens.length).toBeGreaterThanOrEqual(1);
      // A PEM is checked line by line too: a key reformatted into the output must not pass.
      const needles = [secret!, ...secret!.split('\n').filter((line) => line.length >= 20), formEncode(secret!), ...tokens];
      for (const needle of needles) {
        if (output.includes(needle)) throw new Error(`${name}: a secret or token (${needle.slice(0, 6)}…) appears in the demo output`);
      }
    }
    expect(sensitive['client-credentials']![0]).toMatch(/[:+/%=&]/);
    expect(output).not.toMatch(/ya29\.|ghs_|at_[A-Za-z0-9_-]{20}|PRIVATE KEY/);
  });
});

test('npm run demo -- --help lists every choice; an unknown one exits 2 and says what is allowed', async () => {
  const help = await runDemo(['--help']);
  expect(help.code).toBe(0);
  for (const name of [...DEMO_NAMES, 'all']) expect(help.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
  const unknown = await runDemo(['oauth']);
  expect(unknown.code).toBe(2);
  expect(unknown.stdout).toBe('');
  expect(unknown.stderr).toContain("Unknown demo 'oauth'. Choose one of: jwt-bearer, client-credentials, private-key-jwt, github-app, all");
}, 60_000);

describe('the local OAuth2 server checks what it receives', () => {
  let oauth: LocalOAuth;
  beforeAll(async () => {
    oauth = await startLocalOAuth({ clientSecret: awkwardClientSecret() });
  });
  afterAll(() => oauth.close());

  const tokenRequest = (init: { basic?: string; form: Record<string, string> }): Promise<Response> =>
    fetch(oauth.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(init.basic === undefined ? {} : { authorization: `Basic ${Buffer.from(init.basic).toString('base64')}` }),
      },
      body: new URLSearchParams(init.form).toString(),
    });

  test('client_secret_basic: only the RFC 6749 §2.3.1 form-encoded secret is accepted', async () => {
    const { clientId, clientSecret } = oauth.secretClient;
    const raw = await tokenRequest({ basic: `${clientId}:${clientSecret}`, form: { grant_type: 'client_credentials' } });
    expect(raw.status).toBe(401);
    expect(((await raw.json()) as { error: string }).error).toBe('invalid_client');
    const encoded = await tokenRequest({ basic: `${clientId}:${formEncode(clientSecret)}`, form: { grant_type: 'client_credentials' } });
    expect(encoded.status).toBe(200);
    const { access_token } = (await encoded.json()) as { access_token: string };
    const orders = await fetch(`${oauth.apiOrigin}/v1/orders`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(orders.status).toBe(200);
    expect((await fetch(`${oauth.apiOrigin}/v1/orders`, { headers: { authorization: 'Bearer at_forged' } })).status).toBe(401);
  });

  test('private_key_jwt: signature, iss = sub = client_id, aud, exp and a fresh jti are all required', async () => {
    const client = oauth.keyClient;
    const key = createPrivateKey(client.privateKeyPem);
    const now = Math.floor(Date.now() / 1000);
    const assertion = (claims: Record<string, unknown>): Promise<string> =>
      new SignJWT({
        iss: client.clientId,
        sub: client.clientId,
        aud: oauth.tokenEndpoint,
        jti: `jti-${Math.random()}`,
        iat: now,
        exp: now + 60,
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', kid: client.keyId })
        .sign(key);
    const send = async (jwt: string): Promise<number> =>
      (
        await tokenRequest({
          form: {
            grant_type: 'client_credentials',
            client_id: client.clientId,
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: jwt,
          },
        })
      ).status;
    const good = await assertion({});
    expect(await send(good)).toBe(200);
    expect(await send(good)).toBe(401); // replayed jti
    expect(await send(await assertion({ aud: 'https://elsewhere.example/token' }))).toBe(401);
    expect(await send(await assertion({ sub: 'someone-else' }))).toBe(401);
    expect(await send(await assertion({ iat: now - 600, exp: now - 300 }))).toBe(401);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(
      await send(
        await new SignJWT({ iss: client.clientId, sub: client.clientId, aud: oauth.tokenEndpoint, jti: 'other-key', exp: now + 60 })
          .setProtectedHeader({ alg: 'ES256' })
          .sign(otherKey),
      ),
    ).toBe(401);
  });
});

describe('the local GitHub double checks the app JWT', () => {
  let github: LocalGitHub;
  beforeAll(async () => {
    github = await startLocalGitHub();
  });
  afterAll(() => github.close());

  const appJwt = (claims: Record<string, unknown>): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    // `iss` is the app id as a number, as GitHub documents it (jose's types want a string).
    return new SignJWT({ iss: github.appId, iat: now - 60, exp: now + 540, ...claims } as unknown as JWTPayload)
      .setProtectedHeader({ alg: 'RS256' })
      .sign(createPrivateKey(github.privateKeyPem));
  };
  const createToken = (jwt: string, body: unknown = { repositories: ['demo'] }): Promise<Response> =>
    fetch(`${github.apiUrl}/app/installations/${github.installationId}/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}` },
      body: JSON.stringify(body),
    });

  test('a valid app JWT gets a 201 installation token that reads only the selected repository', async () => {
    const res = await createToken(await appJwt({}));
    expect(res.status).toBe(201);
    const answer = (await res.json()) as { token: string; expires_at: string; permissions: unknown; repository_selection: string };
    expect(answer).toEqual({
      token: expect.stringMatching(/^ghs_\w{36}$/),
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      permissions: expect.any(Object),
      repository_selection: 'selected',
    });
    expect((await fetch(`${github.apiUrl}/repos/acme/demo`, { headers: { authorization: `token ${answer.token}` } })).status).toBe(200);
    expect((await fetch(`${github.apiUrl}/repos/acme/website`, { headers: { authorization: `Bearer ${answer.token}` } })).status).toBe(404);
    expect((await fetch(`${github.apiUrl}/repos/acme/demo`, { headers: { authorization: 'token ghs_forged' } })).status).toBe(401);
  });

  test('a wrong issuer, an exp more than 10 minutes ahead, or another key is refused with 401', async () => {
    expect((await createToken(await appJwt({ iss: github.appId + 1 }))).status).toBe(401);
    expect((await createToken(await appJwt({ exp: Math.floor(Date.now() / 1000) + 20 * 60 }))).status).toBe(401);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Math.floor(Date.now() / 1000);
    expect(
      (
        await createToken(
          await new SignJWT({ iss: String(github.appId), iat: now, exp: now + 60 }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey),
        )
      ).status,
    ).toBe(401);
  });
});
