/** `type: env`: Kestra OSS's secrets from environment variables. */
import { field } from '../../config/fields.js';
import type { SecretProviderScope } from '../../config/types.js';
import type { SecretProvider } from '../provider.js';
import { defineSecretProviderType } from './provider-type.js';

export interface EnvSecretProviderConfig extends SecretProviderScope {
  readonly type: 'env';
  /** BASE64 (Kestra's default: `SECRET_<KEY>` holds base64) or RAW (the value as is). */
  readonly encoding: 'BASE64' | 'RAW';
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

export const envProvider = defineSecretProviderType<EnvSecretProviderConfig>({
  type: 'env',
  title: 'an env secret provider',
  description: "Kestra's convention: SECRET_<KEY> holds the base64 of the value.",
  properties: {
    encoding: field.oneOf(['BASE64', 'RAW'], 'SECRET_<KEY> holds base64 (default) or the raw value.', 'BASE64'),
  },
  required: [],
  read: (r, scope) => ({ type: 'env', encoding: (r.string('encoding') as 'BASE64' | 'RAW' | undefined) ?? 'BASE64', ...scope }),
  create: (config, env) => new EnvSecretProvider(env, config.encoding),
});
