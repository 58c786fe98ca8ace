import { CredentialError } from './errors.js';
import type { Redactor } from './redaction.js';
import { asOAuthError, describeBody, describeUrl } from './token-http-client.js';
import type { TokenHttpResponse } from './token-http-client.js';

/** A token as a grant produced it. Times are epoch milliseconds of the injected clock. */
export interface MintedToken {
  readonly accessToken: string;
  /** Always `Bearer` for OAuth2 (whatever case the server used) and GitHub. */
  readonly tokenType: string;
  /** `null` when the server gave no lifetime (see the missing-expires_in policy in TokenCache). */
  readonly expiresAt: number | null;
  /** When the request that produced the token was sent: lifetimes count from here, not from the answer. */
  readonly requestedAt: number;
  readonly scope: string | null;
}

export interface OAuthResponseContext {
  readonly credentialId: string;
  readonly url: string;
  readonly redactor: Redactor;
  readonly requestedScope: string | null;
}

/** Maps a token endpoint answer (RFC 6749 §5.1 / §5.2) to a token or a typed error. */
export function readOAuthTokenResponse(response: TokenHttpResponse, ctx: OAuthResponseContext): MintedToken {
  const where = `token endpoint ${describeUrl(ctx.url)}`;
  const id = ctx.credentialId;
  if (response.status < 200 || response.status >= 300) {
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    const attempts = response.attempts > 1 ? ` (after ${response.attempts} attempts)` : '';
    const oauth = asOAuthError(response.json);
    if (oauth) {
      const description = oauth.error_description === undefined ? '' : `: ${oauth.error_description}`;
      throw new CredentialError(
        'OAUTH_ERROR',
        `Credential '${id}': ${where} answered ${response.status} ${oauth.error}${description}${attempts}.`,
        {
          credentialId: id,
          status: response.status,
          oauthError: oauth.error,
          ...(oauth.error_description === undefined ? {} : { errorDescription: oauth.error_description }),
          ...(oauth.error_uri === undefined ? {} : { errorUri: oauth.error_uri }),
          retryable,
          redactor: ctx.redactor,
        },
      );
    }
    throw new CredentialError(
      'HTTP_ERROR',
      `Credential '${id}': ${where} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''} with ${describeBody(response)}, not an OAuth error response${attempts}.`,
      {
        credentialId: id,
        status: response.status,
        retryable,
        redactor: ctx.redactor,
      },
    );
  }
  const invalid = (what: string): CredentialError =>
    new CredentialError('INVALID_TOKEN_RESPONSE', `Credential '${id}': ${where} answered ${response.status} but ${what}.`, {
      credentialId: id,
      status: response.status,
      redactor: ctx.redactor,
    });
  const body = response.json;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid(`the body is not a JSON object (${describeBody(response)})`);
  const fields = body as Record<string, unknown>;
  if (typeof fields.access_token !== 'string' || fields.access_token === '') throw invalid('the response has no access_token');
  const accessToken = fields.access_token;
  ctx.redactor.add(accessToken);
  // RFC 6749 §7.1: the type is case-insensitive; a missing one is read as Bearer, anything else (DPoP, mac) cannot be used as a bearer token.
  const tokenType = fields.token_type;
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) {
    throw invalid(
      `token_type '${typeof tokenType === 'string' ? tokenType.slice(0, 20) : typeof tokenType}' is not supported (expected Bearer)`,
    );
  }
  const expiresAt = readExpiry(fields.expires_in, accessToken, response.sentAt, invalid);
  const scope = typeof fields.scope === 'string' ? fields.scope : ctx.requestedScope;
  return { accessToken, tokenType: 'Bearer', expiresAt, requestedAt: response.sentAt, scope };
}

/**
 * The longest lifetime a token is trusted for. Servers that mean "never expires" send sentinels
 * such as 2147483647 or 1e308; the token is then re-minted after a year instead of never.
 */
export const MAX_TOKEN_LIFETIME_MS = 365 * 24 * 3_600_000;

/**
 * `expires_in` as a number or a numeric string, counted from when the request was sent. When it
 * is missing, a JWT access token's own `exp` is used; failing that `null` (TokenCache then applies
 * its bounded default lifetime). Negative, non-numeric or non-finite values are a broken server:
 * an error. A lifetime over a year is read as a year.
 */
function readExpiry(value: unknown, accessToken: string, sentAt: number, invalid: (what: string) => CredentialError): number | null {
  if (value === undefined || value === null) return jwtExpiry(accessToken, sentAt);
  const seconds =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds < 0) throw invalid(`expires_in is not a non-negative number of seconds`);
  return sentAt + Math.min(seconds * 1000, MAX_TOKEN_LIFETIME_MS);
}

/**
 * A JWT's claims, read without checking the signature (the token is the server's, not ours to
 * verify): jose's `decodeJwt`, without loading jose at start-up for it.
 */
function jwtClaims(token: string): Record<string, unknown> {
  const claims: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new TypeError('JWT claims are not an object');
  return claims as Record<string, unknown>;
}

/** A JWT access token's `exp`, bounded like `expires_in`; `null` when there is none or it is not a finite number. */
function jwtExpiry(token: string, sentAt: number): number | null {
  if (token.split('.').length !== 3) return null;
  try {
    const { exp } = jwtClaims(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? Math.min(exp * 1000, sentAt + MAX_TOKEN_LIFETIME_MS) : null;
  } catch {
    return null;
  }
}
