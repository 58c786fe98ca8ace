import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretProviderConfig } from '../config/types.js';
import { SecretError } from './errors.js';

/** A source of secret values. `get` answers `undefined` when it does not hold the key. */
export interface SecretProvider {
  readonly type: string;
  get(key: string): string | undefined | Promise<string | undefined>;
}

// Java's basic Base64 decoder alphabet; padding optional, as Java accepts it.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/**
 * Kestra's OSS convention: `SECRET_<KEY>` holds the base64 of the value, line breaks are removed
 * before decoding, and the key is upper-cased for the lookup (`secret('my_key')` → `SECRET_MY_KEY`).
 * A value that is not valid base64 is treated as absent, as Kestra skips it.
 */
export class EnvSecretProvider implements SecretProvider {
  readonly type = 'env';
  // Private fields stay out of util.inspect and JSON.stringify (the env holds every secret).
  readonly #env: Readonly<Record<string, string | undefined>>;
  private readonly encoding: 'BASE64' | 'RAW';

  constructor(env: Readonly<Record<string, string | undefined>>, encoding: 'BASE64' | 'RAW' = 'BASE64') {
    this.#env = env;
    this.encoding = encoding;
  }

  get(key: string): string | undefined {
    const raw = this.#env[`SECRET_${key.toUpperCase()}`];
    if (raw === undefined) return undefined;
    if (this.encoding === 'RAW') return raw;
    const compact = raw.replace(/\r\n|[\n\u000B\f\r\u0085\u2028\u2029]/g, '');
    if (!BASE64.test(compact)) return undefined;
    return Buffer.from(compact, 'base64').toString('utf8');
  }
}

/** One file per key, raw content (the Docker / Kubernetes mounted-secret layout). Read on every lookup, so rotation needs no restart. */
export class FileSecretProvider implements SecretProvider {
  readonly type = 'file';
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async get(key: string): Promise<string | undefined> {
    // A key is a file name, never a path: no separators, no dot-files, no `..`.
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(key)) return undefined;
    try {
      return await readFile(join(this.dir, key), 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
      throw new SecretError('SECRET_PROVIDER_ERROR', `Cannot read secret '${key}' from the file provider (${code ?? 'I/O error'}).`, {
        key,
      });
    }
  }
}

/** Values given in code (tests, embedding applications). */
export class MemorySecretProvider implements SecretProvider {
  readonly type = 'memory';
  readonly #values: ReadonlyMap<string, string>;

  constructor(values: Readonly<Record<string, string>>) {
    this.#values = new Map(Object.entries(values));
  }

  get(key: string): string | undefined {
    return this.#values.get(key);
  }
}

export function createSecretProvider(config: SecretProviderConfig, env: Readonly<Record<string, string | undefined>>): SecretProvider {
  switch (config.type) {
    case 'env':
      return new EnvSecretProvider(env, config.encoding);
    case 'file':
      return new FileSecretProvider(config.dir);
    case 'memory':
      return new MemorySecretProvider(config.values);
  }
}
