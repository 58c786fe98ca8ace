import type { PebbleflowConfig, SecretProviderConfig } from '../config/types.js';
import { SecretError, SecretNotFoundError } from './errors.js';
import type { SecretProvider } from './provider.js';
import { createSecretProvider } from './providers/index.js';

export interface SecretScope {
  readonly tenant?: string;
  readonly namespace?: string;
}

interface ScopedProvider {
  readonly tenant: string;
  readonly namespace: string | undefined;
  /** Namespaces outside this provider's subtree that may read it with `secret(key, namespace=…)`. */
  readonly allowedNamespaces: readonly string[];
  readonly provider: SecretProvider;
}

export interface ResolveOptions {
  /**
   * `secret(key, namespace=…)`: read as from this namespace. Reading the caller's own namespace or
   * one of its parents is always allowed (the caller sees those providers anyway); any other
   * namespace only through providers whose `allowedNamespaces` cover the caller's namespace.
   */
  readonly namespace?: string;
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
      allowedNamespaces: entry.allowedNamespaces ?? [],
      provider: createSecretProvider(entry, env),
    }));
  }

  /** The value of `key`, or `SecretNotFoundError` (`Cannot find secret for key 'k'.`). */
  async resolve(key: string, scope: SecretScope = {}, options: ResolveOptions = {}): Promise<string> {
    const value = await this.find(key, this.providersAsked(key, scope, options.namespace));
    if (value === undefined) throw new SecretNotFoundError(key);
    return value;
  }

  /** `secret(key, subkey=…)`: the secret holds a JSON object and one of its string fields is wanted. */
  async resolveSubkey(key: string, subkey: string, scope: SecretScope = {}, options: ResolveOptions = {}): Promise<string> {
    const value = await this.resolve(key, scope, options);
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

  private async find(key: string, providers: readonly ScopedProvider[]): Promise<string | undefined> {
    for (const entry of providers) {
      const value = await entry.provider.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /**
   * The providers a read may ask. Across namespaces (a sibling, a child, another branch) only those
   * that allow the caller, plus those the caller sees anyway; none allowing it is a refusal that
   * depends on the config alone, so it says nothing about whether the key exists.
   */
  private providersAsked(key: string, scope: SecretScope, target: string | undefined): ScopedProvider[] {
    const caller = scope.namespace;
    if (target === undefined || target === caller) return this.providersFor(scope);
    const candidates = this.providersFor({ ...scope, namespace: target });
    // A parent of the caller's namespace: every provider serving it serves the caller too.
    if (namespaceCovers(target, caller) && caller !== undefined) return candidates;
    const seenAnyway = (p: ScopedProvider): boolean => namespaceCovers(p.namespace, caller);
    const grants = (p: ScopedProvider): boolean =>
      caller !== undefined && p.namespace !== undefined && p.allowedNamespaces.some((allowed) => namespaceCovers(allowed, caller));
    if (!candidates.some((p) => !seenAnyway(p) && grants(p))) {
      const from = caller === undefined ? 'the tenant level' : `namespace '${caller}'`;
      throw new SecretError(
        'SECRET_ACCESS_DENIED',
        `secret('${key}', namespace='${target}') is not allowed from ${from}: no secret provider of '${target}' lists it in allowedNamespaces.`,
        { key },
      );
    }
    return candidates.filter((p) => seenAnyway(p) || grants(p));
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
