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
      // Readable from company.team with secret(key, namespace='company.other'): see the allow-list tests below.
      { type: 'memory', namespace: 'company.other', allowedNamespaces: ['company.team'], values: { OTHER_KEY: 'other-value' } },
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
    // Another tenant is never read: there the allow-list grants nothing, so the read is refused outright.
    await expect(
      callFunction(support.extension, 'secret', ['OTHER_KEY', 'company.other'], callContext({ tenant: 'acme' })),
    ).rejects.toMatchObject({ name: 'SecretError', code: 'SECRET_ACCESS_DENIED' });
  });

  test('refuses a non-string key with a typed error', async () => {
    await expect(callFunction(support.extension, 'secret', [42], callContext())).rejects.toMatchObject({ code: 'SECRET_INVALID_ARGUMENT' });
  });
});

describe("cross-namespace reads: allowed only by the target's allowedNamespaces", () => {
  const config = loadConfig({
    secrets: [
      { type: 'memory', values: { TENANT_KEY: 'tenant-value' } },
      { type: 'memory', namespace: 'company', values: { PARENT_KEY: 'parent-value' } },
      { type: 'memory', namespace: 'company.team', values: { TEAM_KEY: 'team-value' } },
      { type: 'memory', namespace: 'company.data', values: { DATA_KEY: 'data-value' } },
      { type: 'memory', namespace: 'company.ops', allowedNamespaces: ['company.team'], values: { OPS_KEY: 'ops-value' } },
    ],
  });
  const resolver = new SecretResolver(config, {});
  const team = { namespace: 'company.team' };

  test('a sibling without an allow-list is refused with a message that is the same whether the key exists or not', async () => {
    const existing = await resolver.resolve('DATA_KEY', team, { namespace: 'company.data' }).catch((e: unknown) => e);
    const missing = await resolver.resolve('NO_SUCH_KEY', team, { namespace: 'company.data' }).catch((e: unknown) => e);
    expect(existing).toBeInstanceOf(SecretError);
    expect(existing).toMatchObject({ code: 'SECRET_ACCESS_DENIED' });
    expect((existing as Error).message).toBe(
      "secret('DATA_KEY', namespace='company.data') is not allowed from namespace 'company.team': no secret provider of 'company.data' lists it in allowedNamespaces.",
    );
    expect((missing as Error).message.replace('NO_SUCH_KEY', 'DATA_KEY')).toBe((existing as Error).message);
    expect(JSON.stringify(existing) + String(existing)).not.toContain('data-value');
  });

  test('a child namespace is another subtree too: a parent cannot read it without an allow-list', async () => {
    await expect(resolver.resolve('TEAM_KEY', { namespace: 'company' }, { namespace: 'company.team' })).rejects.toMatchObject({
      code: 'SECRET_ACCESS_DENIED',
    });
  });

  test("the caller's own namespace and its parents need no allow-list", async () => {
    expect(await resolver.resolve('TEAM_KEY', team, { namespace: 'company.team' })).toBe('team-value');
    expect(await resolver.resolve('PARENT_KEY', team, { namespace: 'company' })).toBe('parent-value');
    expect(await resolver.resolve('TENANT_KEY', team, { namespace: 'company' })).toBe('tenant-value');
  });

  test('an allow-list entry covers the namespace and its descendants, and the read still falls back to what the caller sees', async () => {
    expect(await resolver.resolve('OPS_KEY', team, { namespace: 'company.ops' })).toBe('ops-value');
    expect(await resolver.resolve('OPS_KEY', { namespace: 'company.team.sub' }, { namespace: 'company.ops' })).toBe('ops-value');
    expect(await resolver.resolve('TENANT_KEY', team, { namespace: 'company.ops' })).toBe('tenant-value');
    // Allowed into company.ops does not mean allowed into its siblings.
    await expect(resolver.resolve('DATA_KEY', team, { namespace: 'company.ops' })).rejects.toThrow(SecretNotFoundError);
    await expect(resolver.resolve('OPS_KEY', { namespace: 'company.data' }, { namespace: 'company.ops' })).rejects.toMatchObject({
      code: 'SECRET_ACCESS_DENIED',
    });
  });

  test('the config refuses allowedNamespaces on a tenant-level provider, and bad namespace names', () => {
    expect(() => loadConfig({ secrets: [{ type: 'env', allowedNamespaces: ['company'] }] })).toThrow(/allowedNamespaces only applies/);
    expect(() => loadConfig({ secrets: [{ type: 'env', namespace: 'a', allowedNamespaces: ['not a namespace'] }] })).toThrow(
      /secrets\[0\]\.allowedNamespaces\[0\]: expected a namespace such as company\.team/,
    );
  });
});

describe('secret providers given in code', () => {
  class Vault {
    readonly type = 'vault';
    readonly asked: string[] = [];
    readonly #values = new Map([['VAULT_KEY', 'vault-value']]);
    get(key: string): Promise<string | undefined> {
      this.asked.push(key);
      return Promise.resolve(this.#values.get(key));
    }
  }

  test('a provider object, bare or scoped, is asked like a configured one', async () => {
    const vault = new Vault();
    const scoped = new Vault();
    const config = loadConfig({ secrets: [vault, { provider: scoped, namespace: 'company.team' }, { type: 'env' }] });
    const resolver = new SecretResolver(config, { SECRET_ENV_KEY: b64('env-value') });
    expect(await resolver.resolve('VAULT_KEY')).toBe('vault-value');
    expect(await resolver.resolve('ENV_KEY')).toBe('env-value');
    expect(vault.asked).toEqual(['VAULT_KEY', 'ENV_KEY']);
    expect(scoped.asked).toEqual([]);
    await resolver.resolve('VAULT_KEY', { namespace: 'company.team' });
    expect(scoped.asked).toEqual(['VAULT_KEY']);
    expect(JSON.stringify(config)).not.toContain('vault-value');
  });

  test('createEngine takes them through its config', async () => {
    const { createEngine } = await import('../../src/index.js');
    const engine = createEngine({ config: { secrets: [new Vault()] } });
    const seen: string[] = [];
    expect(await engine.render("{{ secret('VAULT_KEY') }}", {}, { onSensitiveValue: (v) => seen.push(v) })).toBe('vault-value');
    expect(seen).toEqual(['vault-value']);
  });

  test('an object without get() is refused', () => {
    expect(() => loadConfig({ secrets: [{ provider: { type: 'x' } }] })).toThrow(
      /secrets\[0\]\.provider: expected a secret provider object/,
    );
  });
});
