/** `type: memory`: values given in code (tests, embedding applications); refused in a config file. */
import { EXPECTED } from '../../config/fields.js';
import type { SecretProviderScope } from '../../config/types.js';
import type { SecretProvider } from '../provider.js';
import { defineSecretProviderType } from './provider-type.js';

export interface MemorySecretProviderConfig extends SecretProviderScope {
  readonly type: 'memory';
  /** Not enumerable, so the values stay out of `JSON.stringify` and `util.inspect` of the config. */
  readonly values: Readonly<Record<string, string>>;
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

export const memoryProvider = defineSecretProviderType<MemorySecretProviderConfig>({
  type: 'memory',
  title: 'a memory secret provider',
  description: 'Values given in code; refused in a config file.',
  properties: {
    values: {
      type: 'object',
      additionalProperties: { type: 'string', [EXPECTED]: 'a string value (the value is not shown)' },
      description: 'Secret names to values.',
      [EXPECTED]: 'a mapping of secret names to string values',
    },
  },
  required: [],
  // A file would hold the secrets in plain text, which is what providers exist to avoid.
  inCodeOnly: true,
  read(r, scope) {
    const values = r.raw('values');
    const copy: Record<string, string> = {};
    if (typeof values === 'object' && values !== null)
      for (const [name, value] of Object.entries(values)) if (typeof value === 'string') copy[name] = value;
    const provider = { type: 'memory' as const, ...scope } as MemorySecretProviderConfig;
    Object.defineProperty(provider, 'values', { value: Object.freeze(copy), enumerable: false });
    return provider;
  },
  create: (config) => new MemorySecretProvider(config.values),
});
