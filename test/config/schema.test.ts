/**
 * schema/pebbleflow.schema.json is generated from the descriptors the loader uses, and the two
 * agree: what the loader accepts the editor schema accepts, and the structural mistakes the loader
 * refuses the schema refuses too. The checks only the loader makes are listed here on purpose.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { configJsonSchema } from '../../src/config/schema.js';

const file = new URL('../../schema/pebbleflow.schema.json', import.meta.url);
const committed = JSON.parse(readFileSync(file, 'utf8')) as object;
const editor = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(committed);

function loaderAccepts(config: object): boolean {
  try {
    loadConfig(config);
    return true;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return false;
  }
}

const cc = {
  id: 'cc',
  type: 'OAUTH2',
  authConfigType: 'CLIENT_CREDENTIALS',
  tokenEndpoint: 'https://auth.example.com/token',
  clientId: 'c',
  clientSecret: { secret: 'S' },
};
const jwt = {
  id: 'gcp',
  type: 'OAUTH2',
  authConfigType: 'JWT_BEARER',
  tokenEndpoint: 'https://oauth2.googleapis.com/token',
  issuer: 'robot@x.iam.gserviceaccount.com',
  privateKey: { secret: 'K' },
};
const gh = { id: 'gh', type: 'GITHUB_APP', appId: 1, installationId: 2, privateKey: { secret: 'G' } };

const valid: [string, object][] = [
  ['examples/pebbleflow.yaml', parse(readFileSync(new URL('../../examples/pebbleflow.yaml', import.meta.url), 'utf8')) as object],
  ['an empty config', {}],
  ['no providers', { secrets: [] }],
  [
    'scoped providers with an allow-list',
    {
      secrets: [
        { type: 'env', encoding: 'RAW' },
        { type: 'file', dir: 's', namespace: 'company.team', allowedNamespaces: ['company.ops'] },
      ],
    },
  ],
  [
    'client credentials, every field',
    {
      credentials: [
        {
          ...cc,
          clientAuthMethod: 'CLIENT_SECRET_POST',
          scopes: 'a b',
          audience: 'x',
          resource: 'r',
          extraParams: { p: 1 },
          timeout: 'PT2.5S',
          cacheEnabled: false,
        },
      ],
    },
  ],
  [
    'JWT bearer, every field',
    {
      credentials: [
        {
          ...jwt,
          subject: 's',
          keyId: 'k',
          algorithm: 'ES256',
          additionalClaims: { scope: 'x' },
          assertionLifetime: 'PT30M',
          scopes: ['a'],
        },
      ],
    },
  ],
  [
    'private_key_jwt',
    {
      credentials: [
        {
          id: 'p',
          type: 'OAUTH2',
          authConfigType: 'PRIVATE_KEY_JWT',
          tokenEndpoint: 'http://127.0.0.1:9/t',
          clientId: 'c',
          privateKey: { secret: 'P' },
        },
      ],
    },
  ],
  [
    'GitHub App, every field',
    {
      credentials: [
        {
          ...gh,
          apiUrl: 'https://ghe.example.com/api/v3',
          repositories: ['r'],
          repositoryIds: [1, '2'],
          permissions: { contents: 'read' },
          namespace: 'company',
        },
      ],
    },
  ],
];

const structural: [string, object][] = [
  ['an unknown top-level field', { flows: [] }],
  ['an unknown credential field', { credentials: [{ ...cc, clientSecrte: { secret: 'X' } }] }],
  ['a missing required field', { credentials: [{ ...jwt, issuer: undefined }] }],
  ['a literal secret', { credentials: [{ ...cc, clientSecret: 'literal' }] }],
  ['a bad secret name', { credentials: [{ ...cc, clientSecret: { secret: 'a b' } }] }],
  ['an unknown type', { credentials: [{ id: 'x', type: 'OAUTH3' }] }],
  ['an unknown authConfigType', { credentials: [{ ...cc, authConfigType: 'PASSWORD' }] }],
  ['a bad enum value', { credentials: [{ ...cc, clientAuthMethod: 'TLS' }] }],
  ['a bad duration', { credentials: [{ ...cc, refreshBeforeExpiry: '5m' }] }],
  ['a year-long duration', { credentials: [{ ...cc, timeout: 'P1Y' }] }],
  ['a bad id', { credentials: [{ ...cc, id: 'a b' }] }],
  ['a bad namespace', { credentials: [{ ...cc, namespace: 'Company Team' }] }],
  ['a non-http URL', { credentials: [{ ...cc, tokenEndpoint: 'ftp://x/token' }] }],
  ['a bad permission level', { credentials: [{ ...gh, permissions: { contents: 'all' } }] }],
  ['an unknown provider type', { secrets: [{ type: 'vault' }] }],
  ['the memory provider (in a file)', { secrets: [{ type: 'memory', values: {} }] }],
  ['a file provider without dir', { secrets: [{ type: 'file' }] }],
  ['an unknown provider field', { secrets: [{ type: 'env', dir: 'x' }] }],
];

/** What only the loader checks (a JSON Schema cannot say it, or editors would not show it well). */
const loaderOnly: [string, object][] = [
  ['a URL with user info', { credentials: [{ ...cc, tokenEndpoint: 'https://u:p@x/token' }] }],
  ['an assertion lifetime over one hour', { credentials: [{ ...jwt, assertionLifetime: 'PT2H' }] }],
  ['a reserved claim', { credentials: [{ ...jwt, additionalClaims: { iss: 'x' } }] }],
  ['a credential in extraParams', { credentials: [{ ...cc, extraParams: { client_secret: 'x' } }] }],
  ['a GitHub App with neither appId nor clientId', { credentials: [{ ...gh, appId: undefined }] }],
  ['a zero timeout', { credentials: [{ ...cc, timeout: 'PT0S' }] }],
  ['one id twice at one level', { credentials: [cc, cc] }],
  ['allowedNamespaces on a tenant-level provider', { secrets: [{ type: 'env', allowedNamespaces: ['a'] }] }],
];

const json = (config: object): object => JSON.parse(JSON.stringify(config)) as object;

describe('schema/pebbleflow.schema.json', () => {
  test('is generated from the descriptors (regenerate: npx tsx src/cli/main.ts schema --config > schema/pebbleflow.schema.json)', () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });

  test.each(valid)('accepts %s, as the loader does', (_name, config) => {
    expect(loaderAccepts(json(config))).toBe(true);
    expect(editor(json(config))).toBe(true);
  });

  test.each(structural)('refuses %s, as the loader does', (name, config) => {
    // The memory provider is accepted in code but not in a file: check the loader on a file's terms.
    if (name.startsWith('the memory provider')) expect(() => loadConfig(json(config))).not.toThrow();
    else expect(loaderAccepts(json(config))).toBe(false);
    expect(editor(json(config))).toBe(false);
  });

  test.each(loaderOnly)('leaves %s to the loader', (_name, config) => {
    expect(loaderAccepts(json(config))).toBe(false);
    expect(editor(json(config))).toBe(true);
  });
});
