/** How github-app mints a token, imported on first use (the descriptor is in github-app.ts). */
import type { JWTPayload } from 'jose';
import { CredentialError } from '../errors.js';
import { USER_AGENT, type GrantContext } from '../grant.js';
import { MAX_TOKEN_LIFETIME_MS, type MintedToken } from '../minted-token.js';
import { loadPrivateKey } from '../private-key.js';
import { describeBody, describeUrl, type TokenHttpResponse } from '../token-http-client.js';
import type { GitHubAppConfig } from './github-app.js';

export const GITHUB_API_VERSION = '2022-11-28';
/** GitHub recommends `iat` 60 s in the past against clock drift; `exp` must be at most 10 minutes after GitHub's now. */
const IAT_BACKDATE_S = 60;
const JWT_LIFETIME_S = 600;

/** The app JWT claims: `iat = now - 60`, `exp = iat + 600` (so `now + 540`), `iss` = app id (a number) or client id. */
export function githubAppJwtClaims(credential: GitHubAppConfig, nowMs: number): { iat: number; exp: number; iss: number | string } {
  const iat = Math.floor(nowMs / 1000) - IAT_BACKDATE_S;
  return { iat, exp: iat + JWT_LIFETIME_S, iss: githubIssuer(credential) };
}

function githubIssuer(credential: GitHubAppConfig): number | string {
  if (credential.appId !== undefined) return /^\d+$/.test(credential.appId) ? Number(credential.appId) : credential.appId;
  return credential.clientId ?? '';
}

const SKEW_MESSAGE = /'Issued at' claim \('iat'\)|'Expiration time' claim \('exp'\)/;

/**
 * GitHub App installation token: an RS256 app JWT buys `POST /app/installations/{id}/access_tokens`.
 * When GitHub refuses the JWT's time claims, the JWT is re-signed once against the clock of the
 * response's `Date` header (retrying unchanged would fail the same way).
 */
export async function mintGitHubApp(credential: GitHubAppConfig, ctx: GrantContext): Promise<MintedToken> {
  const pem = await ctx.resolveSecret(credential.privateKey, 'privateKey');
  const { key, fingerprint } = loadPrivateKey(pem, 'RS256', {
    credentialId: credential.id,
    secretName: credential.privateKey.secret,
    redactor: ctx.redactor,
  });
  const url = `${credential.apiUrl}/app/installations/${encodeURIComponent(credential.installationId)}/access_tokens`;
  const requestBody: Record<string, unknown> = {};
  if (credential.repositories !== undefined) requestBody.repositories = credential.repositories;
  if (credential.repositoryIds !== undefined) requestBody.repository_ids = credential.repositoryIds;
  if (credential.permissions !== undefined) requestBody.permissions = credential.permissions;
  const body = Object.keys(requestBody).length > 0 ? JSON.stringify(requestBody) : '';

  let clockOffsetMs = 0;
  for (let skewRetry = 0; ; skewRetry++) {
    // jose is loaded when a token is first minted, not when the CLI starts.
    const { SignJWT } = await import('jose');
    const jwt = await new SignJWT(githubAppJwtClaims(credential, ctx.now() + clockOffsetMs) as unknown as JWTPayload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(key);
    ctx.redactor.add(jwt);
    const response = await ctx.http.post({
      credentialId: credential.id,
      endpointName: 'GitHub API',
      url,
      body,
      timeoutMs: credential.timeoutMs,
      redactor: ctx.redactor,
      headers: {
        authorization: `Bearer ${jwt}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': GITHUB_API_VERSION,
        'user-agent': USER_AGENT,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      // Secondary rate limits come as 403 with Retry-After.
      isRetryable: (status, headers) =>
        status === 408 || status === 429 || status >= 500 || (status === 403 && headers.get('retry-after') !== null),
    });
    if (response.status === 201 || response.status === 200) return readInstallationToken(response, credential, ctx);
    const message = githubMessage(response);
    if (response.status === 401 && SKEW_MESSAGE.test(message)) {
      const serverDate = Date.parse(response.headers.get('date') ?? '');
      if (Number.isNaN(serverDate)) {
        throw new CredentialError(
          'GITHUB_CLOCK_SKEW',
          `Credential '${credential.id}': GitHub rejected the app JWT's time claims (401 ${message}) and sent no Date header to correct the clock skew; check the system clock.`,
          {
            credentialId: credential.id,
            status: 401,
            redactor: ctx.redactor,
          },
        );
      }
      // Compare against when the request left (HTTP dates have second precision).
      const offsetMs = serverDate - response.sentAt;
      if (skewRetry === 0) {
        clockOffsetMs = offsetMs;
        continue;
      }
      throw new CredentialError(
        'GITHUB_CLOCK_SKEW',
        `Credential '${credential.id}': GitHub rejected the app JWT's time claims (401 ${message}) even after re-signing against GitHub's clock (offset ${Math.round(clockOffsetMs / 1000)} s).`,
        {
          credentialId: credential.id,
          status: 401,
          redactor: ctx.redactor,
        },
      );
    }
    throw githubError(response, message, credential, fingerprint, ctx);
  }
}

function githubMessage(response: TokenHttpResponse): string {
  const message = (response.json as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : `${response.statusText || 'error'} with ${describeBody(response)}`;
}

function githubError(
  response: TokenHttpResponse,
  message: string,
  credential: GitHubAppConfig,
  fingerprint: string,
  ctx: GrantContext,
): CredentialError {
  const app = credential.appId !== undefined ? `app id ${credential.appId}` : `client id ${credential.clientId ?? ''}`;
  const status = response.status;
  let hint = '';
  if (status === 401 && /could not be decoded/i.test(message)) {
    // GitHub says only this for a wrong app id, a wrong key or a bad JWT alike (octokit/auth-app.js#375).
    hint = ` Check that ${app} and the private key with fingerprint ${fingerprint} belong to the same GitHub App.`;
  } else if (status === 404) {
    hint = ` Installation ${credential.installationId} was not found for ${app}: check installationId and that the app is installed there.`;
  } else if (status === 422) {
    hint = ' The requested permissions or repositories are not granted to the installation.';
  } else if (status === 403) {
    hint = ' The installation may be suspended, or a rate limit was hit.';
  }
  const retryable = status === 408 || status === 429 || status >= 500 || (status === 403 && response.headers.get('retry-after') !== null);
  const attempts = response.attempts > 1 ? ` (after ${response.attempts} attempts)` : '';
  return new CredentialError(
    'GITHUB_ERROR',
    `Credential '${credential.id}': GitHub API ${describeUrl(credential.apiUrl)} answered ${status} ${message}${attempts}.${hint}`,
    {
      credentialId: credential.id,
      status,
      errorDescription: message,
      retryable,
      redactor: ctx.redactor,
    },
  );
}

function readInstallationToken(response: TokenHttpResponse, credential: GitHubAppConfig, ctx: GrantContext): MintedToken {
  const invalid = (what: string): CredentialError =>
    new CredentialError('INVALID_TOKEN_RESPONSE', `Credential '${credential.id}': GitHub API answered ${response.status} but ${what}.`, {
      credentialId: credential.id,
      status: response.status,
      redactor: ctx.redactor,
    });
  const json = response.json;
  if (typeof json !== 'object' || json === null) throw invalid('the body is not a JSON object');
  const fields = json as Record<string, unknown>;
  // Token formats vary (the newer `ghs_<appid>_<jwt>` is long): any non-empty string is accepted.
  if (typeof fields.token !== 'string' || fields.token === '') throw invalid('the response has no token');
  ctx.redactor.add(fields.token);
  const serverExpiresAt = typeof fields.expires_at === 'string' ? Date.parse(fields.expires_at) : Number.NaN;
  if (Number.isNaN(serverExpiresAt)) throw invalid('expires_at is missing or not a date');
  // expires_at is on GitHub's clock; translate it to ours when they differ by more than the Date header's precision.
  const serverDate = Date.parse(response.headers.get('date') ?? '');
  const offsetMs = Number.isNaN(serverDate) ? 0 : serverDate - response.sentAt;
  const expiresAt = Math.min(
    Math.abs(offsetMs) > 5_000 ? serverExpiresAt - offsetMs : serverExpiresAt,
    response.sentAt + MAX_TOKEN_LIFETIME_MS,
  );
  const permissions =
    typeof fields.permissions === 'object' && fields.permissions !== null
      ? Object.entries(fields.permissions as Record<string, unknown>).map(([name, level]) => `${name}:${String(level)}`)
      : [];
  return {
    accessToken: fields.token,
    tokenType: 'Bearer',
    expiresAt,
    requestedAt: response.sentAt,
    scope: permissions.length ? permissions.join(' ') : null,
  };
}
