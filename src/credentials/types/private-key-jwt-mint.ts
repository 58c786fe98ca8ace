/** How private-key-jwt mints a token, imported on first use (the descriptor is in private-key-jwt.ts). */
import { randomUUID } from 'node:crypto';
import type { GrantContext } from '../grant.js';
import type { MintedToken } from '../minted-token.js';
import { loadPrivateKey } from '../private-key.js';
import { appendTokenParams } from './oauth2.js';
import type { PrivateKeyJwtConfig } from './private-key-jwt.js';
import { requestToken } from './token-endpoint.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Short-lived on purpose: the assertion only has to survive one request (and its retries). */
const CLIENT_ASSERTION_LIFETIME_S = 60;

/** `iss = sub = client_id`, `aud` (token endpoint by default), a fresh `jti`, `exp = iat + 60 s`. */
export function clientAssertionClaims(credential: PrivateKeyJwtConfig, nowMs: number): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: credential.clientId,
    sub: credential.clientId,
    aud: credential.audience,
    jti: randomUUID(),
    iat,
    exp: iat + CLIENT_ASSERTION_LIFETIME_S,
  };
}

/** RFC 7523 §2.2 / OIDC Core §9 private_key_jwt client authentication on the client_credentials grant. */
export async function mintPrivateKeyJwt(credential: PrivateKeyJwtConfig, ctx: GrantContext): Promise<MintedToken> {
  const pem = await ctx.resolveSecret(credential.privateKey, 'privateKey');
  const { key } = loadPrivateKey(pem, credential.algorithm, {
    credentialId: credential.id,
    secretName: credential.privateKey.secret,
    redactor: ctx.redactor,
  });
  // A new assertion (new jti) per attempt: servers with replay detection reject a reused one.
  const buildBody = async (): Promise<string> => {
    // jose is loaded when a token is first minted, not when the CLI starts.
    const { SignJWT } = await import('jose');
    const assertion = await new SignJWT(clientAssertionClaims(credential, ctx.now()))
      .setProtectedHeader({ alg: credential.algorithm, typ: 'JWT', ...(credential.keyId === undefined ? {} : { kid: credential.keyId }) })
      .sign(key);
    ctx.redactor.add(assertion);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: credential.clientId,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    // `audience` is the assertion's audience here, not a token request parameter.
    appendTokenParams(body, credential, { audienceIsParam: false });
    ctx.redactor.add(body.toString(), { pieces: false });
    return body.toString();
  };
  return requestToken(credential, ctx, buildBody, credential.scopes.length ? credential.scopes.join(' ') : null);
}
