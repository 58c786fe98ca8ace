import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createCredentialSupport } from '../../src/credentials/index.js';
import { EnvSecretProvider, SecretError, SecretNotFoundError, SecretResolver } from '../../src/secrets/index.js';
import { callContext, callFunction } from '../support/call-context.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pebbleflow-secrets-'));
  writeFileSync(join(dir, 'DB_PASSWORD'), 'from-file\n');
  writeFileSync(join(dir, 'lower_key'), 'lower');
  writeFileSync(join(dir, 'SHARED'), 'file-shared');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'NESTED'), 'nested');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('env provider (Kestra OSS convention)', () => {
  test('decodes SECRET_<KEY> base64 after removing line breaks, looking the key up upper-cased', () => {
    const value = 'a long secret value that base64 wraps over several lines: ' + 'x'.repeat(80);
    const wrapped = b64(value).replace(/(.{76})/g, '$1\n');
    expect(wrapped).toContain('\n');
    const provider = new EnvSecretProvider({ SECRET_MY_SECRET: wrapped, SECRET_CRLF: `${b64('ab')}\r\n` });
    expect(provider.get('my_secret')).toBe(value);
    expect(provider.get('MY_SECRET')).toBe(value);
    expect(provider.get('crlf')).toBe('ab');
  });

  test('skips a value that is not base64, and reads raw values with encoding RAW', () => {
    expect(new EnvSecretProvider({ SECRET_BAD: 'not base64!' }).get('bad')).toBeUndefined();
    expect(new EnvSecretProvider({ SECRET_RAW: 'plain value' }, 'RAW').get('raw')).toBe('plain value');
  });

  test('never reads variables without the SECRET_ prefix', () => {
    expect(new EnvSecretProvider({ PATH: b64('/usr/bin') }).get('PATH')).toBeUndefined();
  });
});

describe('SecretResolver', () => {
  test("a missing key fails with Kestra's exact message", async () => {
    const resolver = new SecretResolver(loadConfig({ secrets: [{ type: 'env' }] }), {});
    const error = await resolver.resolve('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretNotFoundError).message).toBe("Cannot find secret for key 'k'.");
    expect((error as SecretNotFoundError).code).toBe('SECRET_NOT_FOUND');
  });

  test('asks providers in order: env first, then the file directory (one raw file per key, exact name)', async () => {
    const config = loadConfig({ secrets: [{ type: 'env' }, { type: 'file', dir }] });
    const resolver = new SecretResolver(config, { SECRET_SHARED: b64('env-shared') });
    expect(await resolver.resolve('SHARED')).toBe('env-shared');
    expect(await resolver.resolve('DB_PASSWORD')).toBe('from-file\n');
    expect(await resolver.resolve('lower_key')).toBe('lower');
    await expect(resolver.resolve('LOWER_KEY')).rejects.toThrow("Cannot find secret for key 'LOWER_KEY'.");
  });

  test('a file key is a file name, never a path', async () => {
    const resolver = new SecretResolver(loadConfig({ secrets: [{ type: 'file', dir: join(dir, 'sub') }] }), {});
    expect(await resolver.resolve('NESTED')).toBe('nested');
    await expect(resolver.resolve('../DB_PASSWORD')).rejects.toThrow(SecretNotFoundError);
    await expect(resolver.resolve('sub/NESTED')).rejects.toThrow(SecretNotFoundError);
  });

  test('scoped providers: the most specific namespace first, parents next, never siblings or other tenants', async () => {
    const config = loadConfig({
      tenant: 'main',
      secrets: [
        { type: 'memory', values: { K: 'tenant', ONLY_TENANT: 't' } },
        { type: 'memory', namespace: 'company', values: { K: 'company' } },
        { type: 'memory', namespace: 'company.team', values: { K: 'team' } },
        { type: 'memory', namespace: 'company.other', values: { K: 'other', SIBLING: 's' } },
        { type: 'memory', tenant: 'acme', values: { K: 'acme', ACME_ONLY: 'a' } },
      ],
    });
    const resolver = new SecretResolver(config, {});
    expect(await resolver.resolve('K', { namespace: 'company.team.sub' })).toBe('team');
    expect(await resolver.resolve('K', { namespace: 'company.team' })).toBe('team');
    expect(await resolver.resolve('K', { namespace: 'company' })).toBe('company');
    expect(await resolver.resolve('K', { namespace: 'companyx' })).toBe('tenant');
    expect(await resolver.resolve('K')).toBe('tenant');
    expect(await resolver.resolve('ONLY_TENANT', { namespace: 'company.team' })).toBe('t');
    await expect(resolver.resolve('SIBLING', { namespace: 'company.team' })).rejects.toThrow("Cannot find secret for key 'SIBLING'.");
    await expect(resolver.resolve('ACME_ONLY', { tenant: 'main' })).rejects.toThrow(SecretNotFoundError);
    expect(await resolver.resolve('K', { tenant: 'acme', namespace: 'company.team' })).toBe('acme');
  });

  test('subkey reads one field of a JSON secret', async () => {
    const resolver = new SecretResolver(
      loadConfig({ secrets: [{ type: 'memory', values: { DB: '{"user":"u","port":5432}', PLAIN: 'x' } }] }),
      {},
    );
    expect(await resolver.resolveSubkey('DB', 'user')).toBe('u');
    expect(await resolver.resolveSubkey('DB', 'port')).toBe('5432');
    await expect(resolver.resolveSubkey('DB', 'nope')).rejects.toThrow("Cannot find subkey 'nope' in secret 'DB'.");
    await expect(resolver.resolveSubkey('PLAIN', 'user')).rejects.toThrow("Secret 'PLAIN' is not a JSON object");
  });
});

describe('secret() function', () => {
  const config = loadConfig({
    secrets: [
      { type: 'env' },
      { type: 'memory', namespace: 'company.team', values: { TEAM_KEY: 'team-value', JSON: '{"a":"b"}' } },
      { type: 'memory', namespace: 'company.other', values: { OTHER_KEY: 'other-value' } },
    ],
  });
  const support = createCredentialSupport({ config, env: { SECRET_MY_SECRET: b64('s3cr3t') } });

  test('is a prefetchable function mapping key, namespace and subkey, and marks the value sensitive', async () => {
    const definition = support.extension.functions?.secret;
    expect(definition?.prefetch).toBe(true);
    expect(definition?.argNames).toEqual(['key', 'namespace', 'subkey']);
    const seen: string[] = [];
    const ctx = callContext({ namespace: 'company.team', onSensitiveValue: (v) => seen.push(v) });
    expect(await callFunction(support.extension, 'secret', ['my_secret'], ctx)).toBe('s3cr3t');
    expect(await callFunction(support.extension, 'secret', ['TEAM_KEY'], ctx)).toBe('team-value');
    expect(await callFunction(support.extension, 'secret', ['JSON'], ctx, { subkey: 'a' })).toBe('b');
    expect(ctx.sensitive).toEqual(['s3cr3t', 'team-value', 'b']);
    expect(seen).toEqual(ctx.sensitive);
  });

  test('reads another namespace of the same tenant with namespace=…', async () => {
    const ctx = callContext({ namespace: 'company.team' });
    await expect(callFunction(support.extension, 'secret', ['OTHER_KEY'], ctx)).rejects.toThrow("Cannot find secret for key 'OTHER_KEY'.");
    expect(await callFunction(support.extension, 'secret', ['OTHER_KEY', 'company.other'], ctx)).toBe('other-value');
    await expect(
      callFunction(support.extension, 'secret', ['OTHER_KEY', 'company.other'], callContext({ tenant: 'acme' })),
    ).rejects.toThrow(SecretNotFoundError);
  });

  test('refuses a non-string key with a typed error', async () => {
    await expect(callFunction(support.extension, 'secret', [42], callContext())).rejects.toMatchObject({ code: 'SECRET_INVALID_ARGUMENT' });
  });
});
