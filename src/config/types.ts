/**
 * The project configuration (`pebbleflow.yaml`) after validation and defaulting. The shapes of
 * each credential type and secret provider live with their descriptors
 * (`src/credentials/types/`, `src/secrets/providers/`); the unions here follow those lists.
 */
import type { AnyCredentialConfig } from '../credentials/types/index.js';
import type { RenderLimits } from '../engine/budget.js';
import type { SecretProvider } from '../secrets/provider.js';
import type { AnyProviderTypeConfig } from '../secrets/providers/index.js';

/** A reference to a secret, looked up by this exact name through the secret providers. */
export interface SecretRef {
  readonly secret: string;
}

export type SigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** Where a provider or a credential lives: a tenant, and optionally a namespace inside it. */
export interface ScopedEntry {
  readonly tenant: string;
  /** Absent for a tenant-level entry. */
  readonly namespace?: string;
}

/** A secret provider's scope, and which other namespaces may read it with `secret(key, namespace=…)`. */
export interface SecretProviderScope extends ScopedEntry {
  /**
   * Namespaces (each with its descendants) allowed to read this namespace-level provider from
   * outside its own subtree. Absent: only this namespace and its descendants can.
   */
  readonly allowedNamespaces?: readonly string[];
}

/** A provider object an embedder passed in code (`secrets: [myVault]` or `{ provider: myVault, namespace }`). */
export interface InstanceSecretProviderConfig extends SecretProviderScope {
  readonly type: 'instance';
  /** Not enumerable, so the provider's own fields stay out of `JSON.stringify` and `util.inspect` of the config. */
  readonly provider: SecretProvider;
}

export type SecretProviderConfig = AnyProviderTypeConfig | InstanceSecretProviderConfig;

export interface CredentialCommonConfig extends ScopedEntry {
  readonly id: string;
  readonly description?: string;
  readonly cacheEnabled: boolean;
  readonly refreshBeforeExpiryMs: number;
  /** Limit for one token request; a request still running then is aborted. */
  readonly timeoutMs: number;
}

export type CredentialConfig = AnyCredentialConfig;
export type OAuth2CredentialConfig = Extract<CredentialConfig, { readonly type: 'OAUTH2' }>;

export type { ClientAuthMethod, ClientCredentialsConfig } from '../credentials/types/client-credentials.js';
export type { JwtBearerConfig } from '../credentials/types/jwt-bearer.js';
export type { PrivateKeyJwtConfig } from '../credentials/types/private-key-jwt.js';
export type { GitHubAppConfig } from '../credentials/types/github-app.js';
export type { EnvSecretProviderConfig } from '../secrets/providers/env.js';
export type { FileSecretProviderConfig } from '../secrets/providers/file.js';
export type { MemorySecretProviderConfig } from '../secrets/providers/memory.js';

/** `pebbleflow server` and `pebbleflow worker` settings. */
export interface ServerConfig {
  /** Kestra's basic auth: every API and UI call must carry these (required to listen beyond loopback). */
  readonly basicAuth?: { readonly username: string; readonly password: SecretRef };
  /** Key for SECRET inputs at rest and on the queue (AES-256-GCM; Kestra's `kestra.encryption.secret-key`). */
  readonly encryptionKey?: SecretRef;
}

export interface PebbleflowConfig {
  /** The tenant runs use unless told otherwise. */
  readonly tenant: string;
  /** Providers, asked in this order (more specific namespaces first, see SecretResolver). */
  readonly secrets: readonly SecretProviderConfig[];
  readonly credentials: readonly CredentialConfig[];
  /** Absolute folder of the internal storage and KV store (default `.pebbleflow/storage` beside the config file, or in the working directory). */
  readonly storage: string;
  /** Absolute folder of namespace files (`<dir>/<namespace>/…`); absent: they live inside the storage, as in Kestra. */
  readonly namespaceFiles?: string;
  readonly server?: ServerConfig;
  /** Budgets of every render (`renderLimits:`); absent ones keep the engine's defaults. */
  readonly renderLimits?: RenderLimits;
  /** The locale of every render (`locale:`, Kestra's JVM default); absent: en_US. */
  readonly locale?: string;
  /** Plugin packages to load at start, in order (`plugins:`). */
  readonly plugins: readonly PluginSpec[];
  /** Kestra's `kestra.url`: where executions are shown, for `{{ kestra.url }}` and notification links (no trailing slash). */
  readonly url?: string;
  /** Kestra's `kestra.variables`: `globals.*` and the prefix of `envs.*` (`variables:`). */
  readonly variables?: VariablesConfig;
  /** The file the config came from, when it came from one. */
  readonly source?: string;
}

/** `variables:` (Kestra's `kestra.variables`). */
export interface VariablesConfig {
  /** Values every execution sees as `globals.*` (`kestra.variables.globals`). */
  readonly globals?: Readonly<Record<string, unknown>>;
  /** Environment variables with this prefix become `envs.*` (`kestra.variables.env-vars-prefix`; default `ENV_`). */
  readonly envVarsPrefix?: string;
}

/** A plugin entry: an npm package name or a path, and the folder it is resolved from (the config file's). */
export interface PluginSpec {
  /** As written: `pebbleflow-plugin-foo`, `@scope/name`, `./plugins/mine`, `/abs/path`. */
  readonly specifier: string;
  /** Absolute folder package names and relative paths are resolved from. */
  readonly baseDir: string;
}
