/** A source of secret values: the built-in providers implement it, and embedders may pass their own. */
export interface SecretProvider {
  /** A short name for messages (`env`, `file`, `vault`…). */
  readonly type: string;
  /** The value of `key`, or `undefined` when this provider does not hold it. Never throw for a missing key. */
  get(key: string): string | undefined | Promise<string | undefined>;
}

/** Duck-typed: an object with a `get` function (embedders' classes need not extend anything). */
export function isSecretProvider(value: unknown): value is SecretProvider {
  return typeof value === 'object' && value !== null && typeof (value as { get?: unknown }).get === 'function';
}
