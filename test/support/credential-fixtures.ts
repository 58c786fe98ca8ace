import { loadConfig } from '../../src/config/index.js';
import type { PebbleflowConfig } from '../../src/config/index.js';
import { CredentialRegistry } from '../../src/credentials/index.js';
import type { RetryPolicy } from '../../src/credentials/index.js';
import { SecretResolver } from '../../src/secrets/index.js';

/** A settable clock for expiry tests. */
export class TestClock {
  private value: number;
  constructor(start = Date.now()) {
    this.value = start;
  }
  readonly now = (): number => this.value;
  advance(ms: number): void {
    this.value += ms;
  }
}

export interface RegistryFixture {
  readonly config: PebbleflowConfig;
  readonly secrets: SecretResolver;
  readonly registry: CredentialRegistry;
}

/** A registry over memory secrets, with fast retries unless told otherwise. */
export function makeRegistry(
  credentials: readonly Record<string, unknown>[],
  values: Record<string, string>,
  options: { now?: () => number; retry?: Partial<RetryPolicy>; fetch?: typeof fetch; missingExpiresInTtlMs?: number; tenant?: string } = {},
): RegistryFixture {
  const config = loadConfig({ ...(options.tenant ? { tenant: options.tenant } : {}), secrets: [{ type: 'memory', values }], credentials });
  const secrets = new SecretResolver(config, {});
  const registry = new CredentialRegistry({
    config,
    secrets,
    retry: { baseDelayMs: 10, maxDelayMs: 50, ...options.retry },
    ...(options.now ? { now: options.now } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.missingExpiresInTtlMs === undefined ? {} : { missingExpiresInTtlMs: options.missingExpiresInTtlMs }),
  });
  return { config, secrets, registry };
}
