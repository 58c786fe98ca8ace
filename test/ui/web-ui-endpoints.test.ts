/**
 * The web UI's server side without a browser: what the Credentials page is given (credentials
 * with their grant and the secret keys they read; providers with their keys — never a value) and
 * how Test connection reports success and refusal without letting anything else's text through.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { CredentialError } from '../../src/credentials/errors.js';
import { HttpError } from '../../src/server/http/errors.js';
import { SecretError } from '../../src/secrets/errors.js';
import { credentialViews, secretProviderViews, testConnection, UI_HEADERS } from '../../src/server/ui/web-ui.js';

const VALUE = 'v4lue-that-must-stay-on-the-server';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pebbleflow-ui-secrets-'));
  writeFileSync(join(dir, 'DB_PASSWORD'), VALUE);
  writeFileSync(join(dir, 'api.key'), VALUE);
  writeFileSync(join(dir, '.hidden'), VALUE);
  mkdirSync(join(dir, 'nested'));
  symlinkSync(join(dir, 'nested'), join(dir, 'LINKED_DIR'));
  symlinkSync(join(dir, 'DB_PASSWORD'), join(dir, 'LINKED'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('secret providers are listed with their keys only: env SECRET_* suffixes, file names, memory keys', async () => {
  const config = loadConfig({
    secrets: [
      { type: 'env' },
      { type: 'file', dir, namespace: 'company.team' },
      { type: 'memory', values: { TOKEN_B: VALUE, TOKEN_A: VALUE } },
      { type: 'file', dir: join(dir, 'missing') },
    ],
  });
  const env = { SECRET_API_KEY: Buffer.from(VALUE).toString('base64'), SECRET_: 'x', OTHER: VALUE, PATH: '/bin' };
  const views = await secretProviderViews(config, env);
  expect(views).toEqual([
    { provider: 'env', tenant: 'main', keys: ['API_KEY'] },
    // Files with a key-like name, links to files too (Kubernetes' layout); no dot-files, no folders.
    { provider: 'file', tenant: 'main', namespace: 'company.team', keys: ['DB_PASSWORD', 'LINKED', 'api.key'] },
    { provider: 'memory', tenant: 'main', keys: ['TOKEN_A', 'TOKEN_B'] },
    { provider: 'file', tenant: 'main', keys: [] },
  ]);
  const text = JSON.stringify(views);
  expect(text).not.toContain(VALUE);
  expect(text).not.toContain(Buffer.from(VALUE).toString('base64'));
});

test('credentials show type, grant, scope and the secret keys they read', () => {
  const config = loadConfig({
    tenant: 'acme',
    credentials: [
      {
        id: 'cc',
        type: 'OAUTH2',
        authConfigType: 'CLIENT_CREDENTIALS',
        tokenEndpoint: 'https://idp.example/token',
        clientId: 'c',
        clientSecret: { secret: 'CC_SECRET' },
        description: 'd',
      },
      {
        id: 'jwt',
        type: 'OAUTH2',
        authConfigType: 'JWT_BEARER',
        tokenEndpoint: 'https://oauth2.googleapis.com/token',
        issuer: 'robot@x',
        privateKey: { secret: 'GCP_KEY' },
        namespace: 'company',
      },
      { id: 'gh', type: 'GITHUB_APP', appId: 1, installationId: 2, privateKey: { secret: 'GH_KEY' } },
    ],
  });
  expect(credentialViews(config)).toEqual([
    {
      id: 'cc',
      type: 'OAUTH2',
      grant: 'CLIENT_CREDENTIALS',
      tenant: 'acme',
      description: 'd',
      endpoint: 'https://idp.example/token',
      secretKeys: ['CC_SECRET'],
    },
    {
      id: 'jwt',
      type: 'OAUTH2',
      grant: 'JWT_BEARER',
      tenant: 'acme',
      namespace: 'company',
      endpoint: 'https://oauth2.googleapis.com/token',
      secretKeys: ['GCP_KEY'],
    },
    {
      id: 'gh',
      type: 'GITHUB_APP',
      grant: 'INSTALLATION_TOKEN',
      tenant: 'acme',
      endpoint: 'https://api.github.com',
      secretKeys: ['GH_KEY'],
    },
  ]);
});

test('Test connection: what the token is on success; the OAuth error and description on refusal; nothing else passes', async () => {
  const scope = { tenant: 'main' };
  const expires = new Date(Date.now() + 3_600_000);
  const ok = await testConnection({ testCredential: async () => ({ tokenType: 'Bearer', expiresAt: expires, scope: 'a b' }) }, 'x', scope);
  expect(ok).toMatchObject({ ok: true, tokenType: 'Bearer', expiresAt: expires.toISOString(), scope: 'a b' });
  expect(Object.keys(ok).sort()).toEqual(['expiresAt', 'ms', 'ok', 'scope', 'tokenType']);

  const refused = await testConnection(
    {
      testCredential: async () => {
        throw new CredentialError('OAUTH_ERROR', "Credential 'x': invalid_client", {
          status: 401,
          oauthError: 'invalid_client',
          errorDescription: 'bad secret',
        });
      },
    },
    'x',
    scope,
  );
  expect(refused).toMatchObject({
    ok: false,
    code: 'OAUTH_ERROR',
    oauthError: 'invalid_client',
    errorDescription: 'bad secret',
    status: 401,
  });

  const missing = await testConnection(
    {
      testCredential: async () => {
        throw new SecretError('SECRET_NOT_FOUND', "Secret 'CC' not found", { key: 'CC' });
      },
    },
    'x',
    scope,
  );
  expect(missing).toMatchObject({ ok: false, code: 'SECRET_NOT_FOUND', message: "Secret 'CC' not found" });

  // An unexpected error's text could hold anything: it is not passed on.
  const odd = await testConnection(
    {
      testCredential: async () => {
        throw new Error(`boom ${VALUE}`);
      },
    },
    'x',
    scope,
  );
  expect(odd).toMatchObject({ ok: false, code: 'ERROR', message: 'The token request failed' });
  expect(JSON.stringify(odd)).not.toContain(VALUE);

  await expect(
    testConnection(
      {
        testCredential: async () => {
          throw new CredentialError('CREDENTIAL_NOT_FOUND', 'No credential nope');
        },
      },
      'nope',
      scope,
    ),
  ).rejects.toBeInstanceOf(HttpError);
});

test('UI pages forbid inline script, other origins and framing', () => {
  const csp = UI_HEADERS['content-security-policy']!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain("frame-ancestors 'none'");
});
