/**
 * Every credential type, in the order the editor schema lists them. A new type is one descriptor
 * file in this folder and one entry here: the config loader, the editor schema
 * (`npx tsx src/cli/main.ts schema --config`), the registry and `CredentialConfig` all follow.
 */
import type { ConfigOf, CredentialType } from './credential-type.js';
import { clientCredentials } from './client-credentials.js';
import { githubApp } from './github-app.js';
import { jwtBearer } from './jwt-bearer.js';
import { privateKeyJwt } from './private-key-jwt.js';

export const CREDENTIAL_TYPES = [clientCredentials, jwtBearer, privateKeyJwt, githubApp] as const;

/** A validated credential of any type. */
export type AnyCredentialConfig = ConfigOf<(typeof CREDENTIAL_TYPES)[number]>;

/** The descriptor that produced a credential config (matched on `type` and `authConfigType`). */
export function credentialTypeOf(credential: AnyCredentialConfig): CredentialType<AnyCredentialConfig> {
  const auth = (credential as { authConfigType?: string }).authConfigType;
  const found = CREDENTIAL_TYPES.find((d) => d.type === credential.type && d.authConfigType === auth);
  if (found === undefined) throw new TypeError(`no credential type ${credential.type}${auth === undefined ? '' : `/${auth}`}`);
  // Each descriptor reads and mints its own config; the pairing is by construction.
  return found;
}

export type { CredentialType } from './credential-type.js';
export { defineCredentialType } from './credential-type.js';
export { clientCredentials } from './client-credentials.js';
export type { ClientCredentialsConfig, ClientAuthMethod } from './client-credentials.js';
export { jwtBearer } from './jwt-bearer.js';
export type { JwtBearerConfig } from './jwt-bearer.js';
export { privateKeyJwt } from './private-key-jwt.js';
export type { PrivateKeyJwtConfig } from './private-key-jwt.js';
export { githubApp } from './github-app.js';
export type { GitHubAppConfig } from './github-app.js';
// The mint functions (and the claims they sign) are exported by ../index.ts from the *-mint.ts modules:
// this module is loaded with the config, and minting code is imported when a token is first minted.
