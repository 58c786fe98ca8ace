import { loadConfig } from '../config/load-config.js';
import type { PebbleflowConfig } from '../config/types.js';
import type { Args, CallContext, Extension } from '../engine/extension.js';
import type { FetchLike } from '../http/fetch.js';
import { SecretError } from '../secrets/errors.js';
import { SecretResolver } from '../secrets/secret-resolver.js';
import { CredentialError } from './errors.js';
import { CredentialRegistry } from './registry.js';
import type { CredentialSummary, TestCredentialResult } from './registry.js';

export interface CredentialSupportOptions {
  config: PebbleflowConfig;
  fetch?: FetchLike;
  now?: () => number;
  env?: Record<string, string | undefined>;
}

export interface CredentialSupport {
  /** Functions `secret` and `credential`, both with prefetch: true. */
  extension: Extension;
  testCredential(id: string, scope?: { tenant?: string; namespace?: string }): Promise<TestCredentialResult>;
  listCredentials(): CredentialSummary[];
  close?(): void;
}

/** What the engine plugs in: `secret()` and `credential()` backed by one resolver and one registry. */
export function createCredentialSupport(options: CredentialSupportOptions): CredentialSupport {
  const config = loadConfig(options.config);
  const secrets = new SecretResolver(config, options.env ?? process.env);
  const registry = new CredentialRegistry({
    config,
    secrets,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return createCredentialSupportFrom(secrets, registry);
}

/** The same over an existing resolver and registry (tests and embedders that tune retries or the clock). */
export function createCredentialSupportFrom(secrets: SecretResolver, registry: CredentialRegistry): CredentialSupport {
  const extension: Extension = {
    functions: {
      secret: {
        argNames: ['key', 'namespace', 'subkey'],
        prefetch: true,
        call: (args: Args, ctx: CallContext) => secretCall(secrets, args, ctx),
      },
      credential: {
        argNames: ['id'],
        prefetch: true,
        call: (args: Args, ctx: CallContext) => {
          const id = args.id;
          if (typeof id !== 'string' || id === '') {
            throw new CredentialError('INVALID_ARGUMENT', "credential() needs the credential id as a string, e.g. credential('my_oauth').");
          }
          const token = registry.token(id, ctx.scope, ctx.scope.signal);
          if (typeof token === 'string') {
            ctx.markSensitive(token);
            return token;
          }
          return token.then((value) => {
            ctx.markSensitive(value);
            return value;
          });
        },
      },
    },
  };
  return {
    extension,
    testCredential: (id, scope) => registry.test(id, scope),
    listCredentials: () => registry.list(),
    close: () => registry.clear(),
  };
}

async function secretCall(secrets: SecretResolver, args: Args, ctx: CallContext): Promise<string> {
  const { key, namespace, subkey } = args;
  if (typeof key !== 'string' || key === '')
    throw new SecretError('SECRET_INVALID_ARGUMENT', "secret() needs the secret key as a string, e.g. secret('MY_KEY').");
  if (namespace !== undefined && namespace !== null && typeof namespace !== 'string')
    throw new SecretError('SECRET_INVALID_ARGUMENT', 'secret(): namespace must be a string.', { key });
  if (subkey !== undefined && subkey !== null && typeof subkey !== 'string')
    throw new SecretError('SECRET_INVALID_ARGUMENT', 'secret(): subkey must be a string.', { key });
  // A cross-namespace read (Kestra 1.3 `namespace=`) stays inside the render's tenant, and needs the target's allow-list.
  const scope = {
    ...(ctx.scope.tenant === undefined ? {} : { tenant: ctx.scope.tenant }),
    ...(ctx.scope.namespace === undefined ? {} : { namespace: ctx.scope.namespace }),
  };
  const options = typeof namespace === 'string' ? { namespace } : {};
  const value =
    typeof subkey === 'string' ? await secrets.resolveSubkey(key, subkey, scope, options) : await secrets.resolve(key, scope, options);
  ctx.markSensitive(value);
  return value;
}
