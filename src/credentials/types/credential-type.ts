/**
 * A credential type, described once: its config fields as schema data (validation, the editor
 * schema, error messages), how a validated entry becomes its config, and how it mints a token.
 * Adding a type is one file like its siblings here, plus one line in `./index.ts`.
 */
import type { FieldReader, JsonSchema } from '../../config/fields.js';
import type { CredentialCommonConfig } from '../../config/types.js';
import type { GrantContext } from '../grant.js';
import type { MintedToken } from '../minted-token.js';

export interface CredentialType<C extends CredentialCommonConfig & { readonly type: string }> {
  /** The `type` field's value (`OAUTH2`, `GITHUB_APP`). */
  readonly type: C['type'];
  /** For OAUTH2, the `authConfigType` field's value (`CLIENT_CREDENTIALS`…); absent for other types. */
  readonly authConfigType?: string;
  /** How messages name an entry of this type: `an OAUTH2 CLIENT_CREDENTIALS credential`. */
  readonly title: string;
  /** One line for the editor schema. */
  readonly description: string;
  /** The type's own fields (the common ones — id, namespace, timeout… — are added by the loader). */
  readonly properties: Readonly<Record<string, JsonSchema>>;
  readonly required: readonly string[];
  /**
   * The config of an entry whose fields passed the schema, with defaults applied; reports through
   * `r` what a schema cannot express. `undefined` when a required part is missing (already reported).
   */
  read(r: FieldReader, common: CredentialCommonConfig): C | undefined;
  /** Mints one token (no cache here; the registry caches). */
  mint(credential: C, ctx: GrantContext): Promise<MintedToken>;
}

/** Identity function that checks a descriptor against its config type. */
export function defineCredentialType<C extends CredentialCommonConfig & { readonly type: string }>(
  descriptor: CredentialType<C>,
): CredentialType<C> {
  return descriptor;
}

/** The config type a descriptor produces. */
export type ConfigOf<D> = D extends CredentialType<infer C> ? C : never;
