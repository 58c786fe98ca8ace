import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig, parseIsoDuration } from '../../src/config/index.js';
import type { ClientCredentialsConfig, GitHubAppConfig, JwtBearerConfig, PrivateKeyJwtConfig } from '../../src/config/index.js';
import { thrownBy } from '../support/leaks.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pebbleflow-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const configError = (fn: () => unknown): ConfigError => thrownBy(fn, ConfigError);

const ISSUE_EXAMPLE = `tenant: main                 # the tenant runs use unless told otherwise
secrets:                     # providers, asked in this order
  - type: env                # Kestra's convention: SECRET_<KEY> holds the base64 of the value
  - type: file
    dir: ./secrets           # one file per key, raw content (Docker/Kubernetes mounted-secret layout)
credentials:
  - id: my_oauth
    type: OAUTH2
    authConfigType: CLIENT_CREDENTIALS
    namespace: company.team  # omit for a tenant-level credential
    tokenEndpoint: https://auth.example.com/oauth2/token
    clientId: my-client
    clientSecret: { secret: MY_CLIENT_SECRET }
`;

describe('loadConfig', () => {
  test('reads the issue example with its defaults', () => {
    const path = writeConfig('example.yaml', ISSUE_EXAMPLE);
    const config = loadConfig(path);
    expect(config.tenant).toBe('main');
    expect(config.source).toBe(path);
    expect(config.secrets).toEqual([
      { type: 'env', encoding: 'BASE64', tenant: 'main' },
      { type: 'file', dir: join(dir, 'secrets'), tenant: 'main' },
    ]);
    const credential = config.credentials[0] as ClientCredentialsConfig;
    expect(credential).toEqual({
      id: 'my_oauth',
      type: 'OAUTH2',
      authConfigType: 'CLIENT_CREDENTIALS',
      tenant: 'main',
      namespace: 'company.team',
      cacheEnabled: true,
      refreshBeforeExpiryMs: 60_000,
      timeoutMs: 10_000,
      tokenEndpoint: 'https://auth.example.com/oauth2/token',
      clientId: 'my-client',
      clientSecret: { secret: 'MY_CLIENT_SECRET' },
      clientAuthMethod: 'CLIENT_SECRET_BASIC',
      scopes: [],
      extraParams: {},
    });
  });

  test('refuses a literal secret, naming the field and its position, never the value', () => {
    const canary = 'CANARY-literal-secret-9f8e7d';
    const path = writeConfig('literal.yaml', ISSUE_EXAMPLE.replace('{ secret: MY_CLIENT_SECRET }', canary));
    const error = configError(() => loadConfig(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.path).toBe('credentials[0].clientSecret');
    expect(error.file).toBe(path);
    expect(error.line).toBe(13);
    expect(error.column).toBe(19);
    expect(error.expected).toBe('a secret reference { secret: NAME }');
    expect(error.message).toContain(`${path}:13:19: credentials[0].clientSecret:`);
    for (const text of [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 }), error.stack ?? ''])
      expect(text).not.toContain(canary);
  });

  test('refuses literal private keys in code too, and a sensitive literal even in a field the type does not use', () => {
    const canary = 'CANARY-pem-body-123456';
    const error = configError(() =>
      loadConfig({
        credentials: [
          { id: 'gh', type: 'GITHUB_APP', appId: 1, installationId: 2, privateKey: canary },
          {
            id: 'cc',
            type: 'OAUTH2',
            authConfigType: 'CLIENT_CREDENTIALS',
            tokenEndpoint: 'https://a.example/t',
            clientId: 'c',
            clientSecret: { secret: 'S' },
            privateKey: canary,
          },
        ],
      }),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['credentials[0].privateKey', 'credentials[1].privateKey']);
    expect(error.line).toBeUndefined();
    expect(JSON.stringify(error) + error.message + inspect(error)).not.toContain(canary);
  });

  test('refuses unknown fields at the key position, and reports every problem at once', () => {
    const path = writeConfig(
      'unknown.yaml',
      `credentials:
  - id: a
    type: OAUTH2
    authConfigType: CLIENT_CREDENTIALS
    tokenEndpoint: https://auth.example.com/token
    clientId: c
    clientSecrte: { secret: X }
  - id: b
    type: OAUTH2
    authConfigType: JWT_BEARER
    tokenEndpoint: https://auth.example.com/token
    issuer: robot@example.com
    privateKey: { secret: PK }
    refreshBeforeExpiry: 5m
flows: []
`,
    );
    const error = configError(() => loadConfig(path));
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i]));
    expect(byPath['credentials[0].clientSecrte']).toMatchObject({ line: 7, column: 5 });
    expect(byPath['credentials[0].clientSecrte']?.message).toContain("unknown field 'clientSecrte'");
    expect(byPath['credentials[0].clientSecret']?.message).toContain("required field 'clientSecret' is missing");
    expect(byPath['credentials[1].refreshBeforeExpiry']).toMatchObject({
      line: 14,
      column: 26,
      expected: 'an ISO-8601 duration such as PT1M or PT30S',
    });
    expect(byPath.flows).toMatchObject({ line: 15, column: 1 });
    expect(error.message).toMatch(/^Invalid pebbleflow config \(4 problems\)/);
  });

  test('reads all four credential types, with numbers or strings for GitHub ids and an Enterprise path kept', () => {
    const config = loadConfig({
      tenant: 'acme',
      credentials: [
        {
          id: 'gcp',
          type: 'OAUTH2',
          authConfigType: 'JWT_BEARER',
          tokenEndpoint: 'https://oauth2.googleapis.com/token',
          issuer: 'robot@x.iam.gserviceaccount.com',
          subject: 'robot@x.iam.gserviceaccount.com',
          privateKey: { secret: 'GCP_PRIVATE_KEY' },
          keyId: 'k1',
          additionalClaims: { scope: 'https://www.googleapis.com/auth/cloud-platform.read-only' },
          assertionLifetime: 'PT30M',
        },
        {
          id: 'pk',
          type: 'OAUTH2',
          authConfigType: 'PRIVATE_KEY_JWT',
          tokenEndpoint: 'http://127.0.0.1:9/token',
          clientId: 'c',
          privateKey: { secret: 'PK' },
          algorithm: 'ES256',
          scopes: 'a b',
          timeout: 'PT2.5S',
        },
        {
          id: 'gh',
          type: 'GITHUB_APP',
          appId: 4242,
          installationId: 99,
          privateKey: { secret: 'GH' },
          apiUrl: 'https://ghe.example.com/api/v3/',
          permissions: { contents: 'read' },
          repositoryIds: [1, '2'],
        },
        {
          id: 'gh2',
          type: 'GITHUB_APP',
          clientId: 'Iv1.abc',
          installationId: '7',
          privateKey: { secret: 'GH' },
          namespace: 'company',
          cacheEnabled: false,
        },
      ],
    });
    const [gcp, pk, gh, gh2] = config.credentials as [JwtBearerConfig, PrivateKeyJwtConfig, GitHubAppConfig, GitHubAppConfig];
    expect(gcp).toMatchObject({
      tenant: 'acme',
      audience: 'https://oauth2.googleapis.com/token',
      algorithm: 'RS256',
      assertionLifetimeMs: 1_800_000,
      keyId: 'k1',
    });
    expect(pk).toMatchObject({ audience: 'http://127.0.0.1:9/token', algorithm: 'ES256', scopes: ['a', 'b'], timeoutMs: 2500 });
    expect(gh).toMatchObject({ appId: '4242', installationId: '99', apiUrl: 'https://ghe.example.com/api/v3', repositoryIds: [1, 2] });
    expect(gh2).toMatchObject({ clientId: 'Iv1.abc', namespace: 'company', cacheEnabled: false, apiUrl: 'https://api.github.com' });
  });

  test('bounds the JWT-bearer assertion lifetime to one hour and refuses years and months', () => {
    const base = {
      id: 'g',
      type: 'OAUTH2',
      authConfigType: 'JWT_BEARER',
      tokenEndpoint: 'https://t.example/token',
      issuer: 'i',
      privateKey: { secret: 'K' },
    };
    expect(configError(() => loadConfig({ credentials: [{ ...base, assertionLifetime: 'PT2H' }] })).message).toContain(
      'must be at most 3600 seconds',
    );
    expect(configError(() => loadConfig({ credentials: [{ ...base, refreshBeforeExpiry: 'P1M' }] })).path).toBe(
      'credentials[0].refreshBeforeExpiry',
    );
  });

  test('refuses the memory provider in a file, accepts it in code and keeps its values out of JSON and inspect', () => {
    const path = writeConfig('memory.yaml', 'secrets:\n  - type: memory\n    values: { A: b }\n');
    const error = configError(() => loadConfig(path));
    expect(error).toMatchObject({ path: 'secrets[0].type', line: 2, column: 11 });
    const canary = 'CANARY-memory-value-5a5a';
    const config = loadConfig({ secrets: [{ type: 'memory', values: { KEY: canary } }] });
    expect(JSON.stringify(config)).not.toContain(canary);
    expect(inspect(config, { depth: 10 })).not.toContain(canary);
    expect((config.secrets[0] as { values: Record<string, string> }).values.KEY).toBe(canary);
  });

  test('allows one id at several levels but not twice at one level', () => {
    const cc = {
      type: 'OAUTH2',
      authConfigType: 'CLIENT_CREDENTIALS',
      tokenEndpoint: 'https://t.example/token',
      clientId: 'c',
      clientSecret: { secret: 'S' },
    };
    expect(
      loadConfig({
        credentials: [
          { id: 'x', ...cc },
          { id: 'x', namespace: 'company', ...cc },
          { id: 'x', tenant: 'other', ...cc },
        ],
      }).credentials,
    ).toHaveLength(3);
    const error = configError(() =>
      loadConfig({
        credentials: [
          { id: 'x', ...cc },
          { id: 'x', ...cc },
        ],
      }),
    );
    expect(error.message).toContain("credential 'x' is already defined at the same level by credentials[0]");
  });

  test('reports YAML syntax errors and missing files with their own codes', () => {
    const path = writeConfig('broken.yaml', 'tenant: main\ncredentials:\n  - id: [unclosed\n');
    const syntax = configError(() => loadConfig(path));
    expect(syntax.code).toBe('CONFIG_SYNTAX');
    expect(syntax.file).toBe(path);
    expect(syntax.line).toBeGreaterThanOrEqual(3);
    const missing = configError(() => loadConfig(join(dir, 'nope.yaml')));
    expect(missing.code).toBe('CONFIG_NOT_FOUND');
    expect(missing.message).toContain('does not exist');
  });

  test('refuses bad URLs, user info in URLs and unknown enum values', () => {
    const error = configError(() =>
      loadConfig({
        credentials: [
          {
            id: 'a',
            type: 'OAUTH2',
            authConfigType: 'CLIENT_CREDENTIALS',
            tokenEndpoint: 'ftp://x/token',
            clientId: 'c',
            clientSecret: { secret: 'S' },
          },
          {
            id: 'b',
            type: 'OAUTH2',
            authConfigType: 'CLIENT_CREDENTIALS',
            tokenEndpoint: 'https://u:CANARY-pw@x/token',
            clientId: 'c',
            clientSecret: { secret: 'S' },
            clientAuthMethod: 'TLS',
          },
          { id: 'c', type: 'OAUTH3' },
        ],
      }),
    );
    expect(error.issues.map((i) => i.path)).toEqual([
      'credentials[0].tokenEndpoint',
      'credentials[1].tokenEndpoint',
      'credentials[1].clientAuthMethod',
      'credentials[2].type',
    ]);
    expect(error.message).not.toContain('CANARY-pw');
  });

  test('extraParams cannot smuggle credentials or change the grant', () => {
    const canary = 'CANARY-extra-secret-77';
    const error = configError(() =>
      loadConfig({
        credentials: [
          {
            id: 'a',
            type: 'OAUTH2',
            authConfigType: 'CLIENT_CREDENTIALS',
            tokenEndpoint: 'https://t.example/token',
            clientId: 'c',
            clientSecret: { secret: 'S' },
            extraParams: { client_secret: canary, grant_type: 'password', ok: 'yes' },
          },
        ],
      }),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['credentials[0].extraParams.client_secret', 'credentials[0].extraParams.grant_type']);
    expect(JSON.stringify(error) + error.message).not.toContain(canary);
  });

  test("without a secrets section, Kestra OSS's env provider is used; an empty list means none", () => {
    expect(loadConfig({}).secrets).toEqual([{ type: 'env', encoding: 'BASE64', tenant: 'main' }]);
    expect(loadConfig({ tenant: 'acme', secrets: [] }).secrets).toEqual([]);
  });

  test('loading a loaded config returns it unchanged', () => {
    const config = loadConfig({ tenant: 't' });
    expect(loadConfig(config)).toBe(config);
  });
});

describe('parseIsoDuration', () => {
  test.each([
    ['PT1M', 60_000],
    ['PT30S', 30_000],
    ['PT0.5S', 500],
    ['P1DT2H', 93_600_000],
    ['PT1H1M1S', 3_661_000],
    ['pt2m', 120_000],
    ['P1W', 604_800_000],
  ])('%s → %d ms', (text, ms) => expect(parseIsoDuration(text)).toBe(ms));
  test.each(['', 'P', 'PT', '5m', 'P1M', 'P1Y', 'PT-1S', '60'])('%j is not a duration', (text) =>
    expect(parseIsoDuration(text)).toBeUndefined(),
  );
});
