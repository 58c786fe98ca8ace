/**
 * `createEngine()`: the template engine configured as Kestra's renderer — Pebble core, Kestra's
 * expression library, and `secret()` / `credential()` backed by the project config.
 */
import { loadConfig } from './config/load-config.js';
import type { PebbleflowConfig, VariablesConfig } from './config/types.js';
import { createCredentialSupport, type CredentialSupport } from './credentials/support.js';
import type { CredentialSummary, TestCredentialResult } from './credentials/registry.js';
import { kestraExtension } from './engine/builtins/kestra/index.js';
import { TemplateEngine, type EngineOptions } from './engine/engine.js';
import type { FetchLike } from './http/fetch.js';
import { storageExtension } from './storage/functions.js';
import { kvExtension } from './kv/functions.js';

export interface CreateEngineOptions extends EngineOptions {
  /**
   * The project config (`pebbleflow.yaml` format): the parsed object, or a path to the file.
   * Without one, `secret()` reads Kestra's `SECRET_<KEY>` environment variables and no credential exists.
   */
  readonly config?: PebbleflowConfig | Record<string, unknown> | string;
  /** The fetch used for token requests (Node's built-in by default; node-fetch fits too). */
  readonly fetch?: FetchLike;
  /** The clock of the token cache, in epoch milliseconds (tests inject one). */
  readonly now?: () => number;
  /** Environment variables the `env` secret provider reads (default `process.env`). */
  readonly env?: Record<string, string | undefined>;
}

/** The default config: Kestra OSS's secrets from the environment, no credentials. */
const DEFAULT_CONFIG = { secrets: [{ type: 'env' }] } as const;

/** The engine users get: a TemplateEngine that also knows the project's credentials. */
export class PebbleflowEngine extends TemplateEngine {
  readonly #credentials: CredentialSupport;
  /** The config's `variables:` (Kestra's `kestra.variables`), which runs on this engine use. */
  readonly variables: VariablesConfig;

  constructor(options: CreateEngineOptions = {}) {
    const config = loadConfig(options.config ?? DEFAULT_CONFIG);
    // The config's render limits and locale, then what is given in code (that wins).
    // read(), fileURI(), fileSize(), fileExists(), isFileEmpty() and kv() reach the run's storage through RenderScope.extras.
    super({
      ...config.renderLimits,
      ...(config.locale === undefined ? {} : { locale: config.locale }),
      ...withoutUndefined(options),
      extensions: [kestraExtension(), storageExtension(), kvExtension(), ...(options.extensions ?? [])],
    });
    this.#credentials = createCredentialSupport({
      config,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    // Registered after the user's extensions: secret() and credential() are not overridable by accident.
    this.addExtension(this.#credentials.extension);
    this.variables = config.variables ?? {};
  }

  /**
   * Kestra's "Test connection": mints a token for the credential bypassing the cache and reports
   * its type, expiry and scope — never the token itself.
   */
  testCredential(id: string, scope?: { tenant?: string; namespace?: string }): Promise<TestCredentialResult> {
    return this.#credentials.testCredential(id, scope);
  }

  /** The credentials of the config (no secret material). */
  listCredentials(): CredentialSummary[] {
    return this.#credentials.listCredentials();
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An engine configured as Kestra's renderer. */
export function createEngine(options: CreateEngineOptions = {}): PebbleflowEngine {
  return new PebbleflowEngine(options);
}
