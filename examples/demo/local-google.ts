/**
 * A local stand-in for Google's OAuth2 token endpoint and one Cloud Resource Manager route, on
 * 127.0.0.1, for the demo and the tests (no internet). The token endpoint implements the RFC 7523
 * JWT Bearer grant as Google does for service accounts: it verifies the RS256 assertion against
 * the service account's public key (kid, iss, aud = token endpoint, iat/exp, at most one hour, a
 * `scope` claim) and answers Google's error shapes. The API accepts only tokens it issued.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { closeAll, listen, readBody, sendJson as json } from './local-http.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const READ_ONLY_SCOPE = 'https://www.googleapis.com/auth/cloud-platform.read-only';

/** The fields of a Google service-account JSON key that a credential uses. */
export interface ServiceAccountKey {
  readonly type: 'service_account';
  readonly project_id: string;
  readonly client_email: string;
  readonly private_key_id: string;
  readonly private_key: string;
  readonly token_uri: string;
}

export interface LocalGoogle {
  readonly tokenEndpoint: string;
  readonly apiOrigin: string;
  readonly serviceAccount: ServiceAccountKey;
  /** Access tokens minted so far. */
  readonly issued: string[];
  /** Requests the token endpoint received (decoded claims of valid assertions, or the error sent). */
  readonly tokenRequests: { readonly ok: boolean; readonly claims?: Record<string, unknown>; readonly error?: string }[];
  close(): Promise<void>;
}

export async function startLocalGoogle(options: { projectId?: string } = {}): Promise<LocalGoogle> {
  const projectId = options.projectId ?? 'pebbleflow-demo';
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyId = randomBytes(20).toString('hex');
  const clientEmail = `demo-runner@${projectId}.iam.gserviceaccount.com`;
  const issued: string[] = [];
  const tokenRequests: LocalGoogle['tokenRequests'] = [];
  const scopes = new Map<string, string>();
  let tokenEndpoint = '';

  const token = await listen((req, res) => {
    void (async () => {
      const fail = (status: number, error: string, description: string): void => {
        tokenRequests.push({ ok: false, error });
        json(res, status, { error, error_description: description });
      };
      if (req.method !== 'POST' || req.url !== '/token') return fail(404, 'not_found', 'Unknown endpoint');
      const form = new URLSearchParams(await readBody(req));
      if (form.get('grant_type') !== JWT_BEARER_GRANT)
        return fail(400, 'unsupported_grant_type', 'Invalid grant_type: ' + String(form.get('grant_type')));
      const assertion = form.get('assertion') ?? '';
      try {
        if (decodeProtectedHeader(assertion).kid !== keyId) return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
        const { payload } = await jwtVerify(assertion, publicKey, {
          algorithms: ['RS256'],
          issuer: clientEmail,
          audience: tokenEndpoint,
          requiredClaims: ['iat', 'exp'],
        });
        if ((payload.exp ?? 0) - (payload.iat ?? 0) > 3600)
          return fail(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
        if (typeof payload.scope !== 'string' || payload.scope === '')
          return fail(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
        const accessToken = `ya29.${randomBytes(32).toString('base64url')}`;
        issued.push(accessToken);
        scopes.set(accessToken, payload.scope);
        tokenRequests.push({ ok: true, claims: { ...payload } });
        json(res, 200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
      } catch (e) {
        fail(400, 'invalid_grant', `Invalid JWT: ${(e as Error).message}`);
      }
    })();
  });
  tokenEndpoint = `${token.origin}/token`;

  const api = await listen((req, res) => {
    const auth = req.headers.authorization ?? '';
    const presented = /^Bearer (.+)$/.exec(auth)?.[1];
    const scope = presented === undefined ? undefined : scopes.get(presented);
    if (scope === undefined) {
      return json(res, 401, {
        error: {
          code: 401,
          message: 'Request had invalid authentication credentials. Expected OAuth 2 access token.',
          status: 'UNAUTHENTICATED',
        },
      });
    }
    const m = /^\/v1\/projects\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method !== 'GET' || m === null) return json(res, 404, { error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } });
    if (!scope.split(' ').some((s) => s === READ_ONLY_SCOPE || s === 'https://www.googleapis.com/auth/cloud-platform')) {
      return json(res, 403, {
        error: { code: 403, message: 'Request had insufficient authentication scopes.', status: 'PERMISSION_DENIED' },
      });
    }
    if (decodeURIComponent(m[1]!) !== projectId) {
      return json(res, 403, { error: { code: 403, message: 'The caller does not have permission', status: 'PERMISSION_DENIED' } });
    }
    return json(res, 200, {
      projectNumber: '123456789012',
      projectId,
      lifecycleState: 'ACTIVE',
      name: 'pebbleflow demo',
      createTime: '2026-01-01T00:00:00.000Z',
    });
  });

  const close = (): Promise<void> => closeAll([token, api]);
  return {
    tokenEndpoint,
    apiOrigin: api.origin,
    serviceAccount: {
      type: 'service_account',
      project_id: projectId,
      client_email: clientEmail,
      private_key_id: keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      token_uri: tokenEndpoint,
    },
    issued,
    tokenRequests,
    close,
  };
}
