/** How client-credentials mints a token, imported on first use (the descriptor is in client-credentials.ts). */
import type { GrantContext } from '../grant.js';
import type { MintedToken } from '../minted-token.js';
import { formEncode } from '../redaction.js';
import type { ClientCredentialsConfig } from './client-credentials.js';
import { appendTokenParams } from './oauth2.js';
import { requestToken } from './token-endpoint.js';

/** RFC 6749 §4.4 client credentials, the client authenticated with its secret (Basic or in the body). */
export async function mintClientCredentials(credential: ClientCredentialsConfig, ctx: GrantContext): Promise<MintedToken> {
  const secret = await ctx.resolveSecret(credential.clientSecret, 'clientSecret');
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = {};
  if (credential.clientAuthMethod === 'CLIENT_SECRET_BASIC') {
    // RFC 6749 §2.3.1: id and secret are form-encoded before base64, so `:` `+` `%` in a secret survive.
    const basic = Buffer.from(`${formEncode(credential.clientId)}:${formEncode(secret)}`, 'utf8').toString('base64');
    ctx.redactor.add(basic, { pieces: false });
    headers.authorization = `Basic ${basic}`;
  } else {
    body.set('client_id', credential.clientId);
    body.set('client_secret', secret);
  }
  appendTokenParams(body, credential);
  ctx.redactor.add(body.toString(), { pieces: false });
  return requestToken(credential, ctx, body.toString(), credential.scopes.length ? credential.scopes.join(' ') : null, headers);
}
