import type { PebbleflowConfig, SecretProviderConfig } from '../config/types.js';
import { SecretError, SecretNotFoundError } from './errors.js';
import { createSecretProvider } from './providers.js';
import type { SecretProvider } from './providers.js';

export interface SecretScope {
  readonly tenant?: string;
  readonly namespace?: string;
}

interface ScopedProvider {
  readonly tenant: string;
  readonly namespace: string | undefined;
  readonly provider: SecretProvider;
}

/** `company.team` sees `company.team` and `company`, never `company.other` nor `companyx`. */
export function namespaceCovers(owner: string | undefined, namespace: string | undefined): boolean {
  if (owner === undefined) return true;
  if (namespace === undefined) return false;
  return namespace === owner || namespace.startsWith(`${owner}.`);
}

/** Depth used to order matches: the most specific namespace first, tenant-level last. */
export function namespaceDepth(namespace: string | undefined): number {
  return namespace === undefined ? 0 : namespace.split('.').length;
}

/**
 * Resolves secrets in a tenant/namespace scope. Providers that serve the scope are asked from
 * the most specific namespace to the tenant level, in config order within one level; providers
 * of other tenants or sibling namespaces are never asked.
 */
export class SecretResolver {
  private readonly defaultTenant: string;
  private readonly providers: readonly ScopedProvider[];

  constructor(config: Pick<PebbleflowConfig, 'tenant' | 'secrets'>, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.defaultTenant = config.tenant;
    this.providers = config.secrets.map((entry: SecretProviderConfig) => ({
      tenant: entry.tenant,
      namespace: entry.namespace,
      provider: createSecretProvider(entry, env),
    }));
  }

  /** The value of `key`, or `SecretNotFoundError` (`Cannot find secret for key 'k'.`). */
  async resolve(key: string, scope: SecretScope = {}): Promise<string> {
    const value = await this.find(key, scope);
    if (value === undefined) throw new SecretNotFoundError(key);
    return value;
  }

  /** `secret(key, subkey=…)`: the secret holds a JSON object and one of its string fields is wanted. */
  async resolveSubkey(key: string, subkey: string, scope: SecretScope = {}): Promise<string> {
    const value = await this.resolve(key, scope);
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new SecretError('SECRET_SUBKEY_NOT_FOUND', `Secret '${key}' is not a JSON object, so it has no subkey '${subkey}'.`, { key });
    }
    const field =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)[subkey] : undefined;
    if (field === undefined || field === null) {
      throw new SecretError('SECRET_SUBKEY_NOT_FOUND', `Cannot find subkey '${subkey}' in secret '${key}'.`, { key });
    }
    return typeof field === 'string' ? field : JSON.stringify(field);
  }

  private async find(key: string, scope: SecretScope): Promise<string | undefined> {
    for (const entry of this.providersFor(scope)) {
      const value = await entry.provider.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  private providersFor(scope: SecretScope): ScopedProvider[] {
    const tenant = scope.tenant ?? this.defaultTenant;
    return this.providers
      .map((entry, order) => ({ entry, order }))
      .filter(({ entry }) => entry.tenant === tenant && namespaceCovers(entry.namespace, scope.namespace))
      .sort((a, b) => namespaceDepth(b.entry.namespace) - namespaceDepth(a.entry.namespace) || a.order - b.order)
      .map(({ entry }) => entry);
  }
}
