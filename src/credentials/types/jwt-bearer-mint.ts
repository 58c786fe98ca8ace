/** How jwt-bearer mints a token, imported on first use (the descriptor is in jwt-bearer.ts). */
import type { GrantContext } from '../grant.js';
import type { MintedToken } from '../minted-token.js';
import { loadPrivateKey } from '../private-key.js';
import type { JwtBearerConfig } from './jwt-bearer.js';
import { requestToken } from './token-endpoint.js';

export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * The claims of an RFC 7523 §2.1 assertion, shaped like Google's own client signs them:
 * `{iss, sub?, aud, iat, exp, scope?, ...additionalClaims}`, `exp = iat + assertionLifetime` (≤ 1 h),
 * no `jti`/`nbf`. The scopes go into the `scope` claim, space-joined, as Google requires.
 */
export function jwtBearerClaims(credential: JwtBearerConfig, nowMs: number): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  const claims: Record<string, unknown> = {
    ...credential.additionalClaims,
    iss: credential.issuer,
    aud: credential.audience,
    iat,
    exp: iat + Math.floor(credential.assertionLifetimeMs / 1000),
  };
  if (credential.subject !== undefined) claims.sub = credential.subject;
  if (credential.scopes.length > 0 && claims.scope === undefined) claims.scope = credential.scopes.join(' ');
  return claims;
}

/** RFC 7523 §2.1: a signed JWT is the grant (e.g. a Google service account). */
export async function mintJwtBearer(credential: JwtBearerConfig, ctx: GrantContext): Promise<MintedToken> {
  const pem = await ctx.resolveSecret(credential.privateKey, 'privateKey');
  const { key } = loadPrivateKey(pem, credential.algorithm, {
    credentialId: credential.id,
    secretName: credential.privateKey.secret,
    redactor: ctx.redactor,
  });
  const claims = jwtBearerClaims(credential, ctx.now());
  // jose is loaded when a token is first minted, not when the CLI starts.
  const { SignJWT } = await import('jose');
  const assertion = await new SignJWT(claims)
    .setProtectedHeader({ alg: credential.algorithm, typ: 'JWT', ...(credential.keyId === undefined ? {} : { kid: credential.keyId }) })
    .sign(key);
  ctx.redactor.add(assertion);
  const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion }).toString();
  ctx.redactor.add(body, { pieces: false });
  const scopeClaim = claims.scope;
  return requestToken(credential, ctx, body, typeof scopeClaim === 'string' ? scopeClaim : null);
}
