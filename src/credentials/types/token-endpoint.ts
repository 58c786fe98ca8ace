/**
 * The token request the OAuth grants share (client credentials, private_key_jwt, JWT bearer): a
 * form POST to the credential's token endpoint, read as an RFC 6749 §5.1 response. Imported by the
 * mint modules only, on first mint.
 */
import { FORM_CONTENT_TYPE, USER_AGENT, type GrantContext } from '../grant.js';
import { readOAuthTokenResponse, type MintedToken } from '../minted-token.js';

export interface TokenEndpointCredential {
  readonly id: string;
  readonly tokenEndpoint: string;
  readonly timeoutMs: number;
}

/**
 * POSTs `body` (a form; a function makes a fresh one per attempt) with `extraHeaders` and reads the
 * token; `requestedScope` is what the response's `scope` defaults to.
 */
export async function requestToken(
  credential: TokenEndpointCredential,
  ctx: GrantContext,
  body: string | (() => Promise<string>),
  requestedScope: string | null,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<MintedToken> {
  const response = await ctx.http.post({
    credentialId: credential.id,
    endpointName: 'token endpoint',
    url: credential.tokenEndpoint,
    headers: { 'content-type': FORM_CONTENT_TYPE, accept: 'application/json', 'user-agent': USER_AGENT, ...extraHeaders },
    body,
    timeoutMs: credential.timeoutMs,
    redactor: ctx.redactor,
  });
  return readOAuthTokenResponse(response, {
    credentialId: credential.id,
    url: credential.tokenEndpoint,
    redactor: ctx.redactor,
    requestedScope,
  });
}
