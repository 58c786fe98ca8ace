/**
 * A secret provider type, described once: its config fields as schema data and how a validated
 * entry becomes a provider. Adding a type is one file like its siblings here, plus one line in
 * `./index.ts`.
 */
import type { FieldReader, JsonSchema } from '../../config/fields.js';
import type { SecretProviderScope } from '../../config/types.js';
import type { SecretProvider } from '../provider.js';

export interface SecretProviderType<C extends SecretProviderScope & { readonly type: string }> {
  /** The `type` field's value (`env`, `file`…). */
  readonly type: C['type'];
  /** How messages name an entry of this type: `an env secret provider`. */
  readonly title: string;
  /** One line for the editor schema. */
  readonly description: string;
  /** The type's own fields (type, tenant, namespace and allowedNamespaces are added by the loader). */
  readonly properties: Readonly<Record<string, JsonSchema>>;
  readonly required: readonly string[];
  /** Refused in a config file (values that must not sit in a file in plain text). */
  readonly inCodeOnly?: boolean;
  /** The config of an entry whose fields passed the schema; `undefined` when a required part is missing. */
  read(r: FieldReader, scope: SecretProviderScope): C | undefined;
  create(config: C, env: Readonly<Record<string, string | undefined>>): SecretProvider;
}

export function defineSecretProviderType<C extends SecretProviderScope & { readonly type: string }>(
  descriptor: SecretProviderType<C>,
): SecretProviderType<C> {
  return descriptor;
}

export type ProviderConfigOf<D> = D extends SecretProviderType<infer C> ? C : never;
