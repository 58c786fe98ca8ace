/**
 * A local OAuth2 authorization server (RFC 6749 §4.4 client_credentials grant) and one protected
 * route, `GET /v1/orders`, on 127.0.0.1 for the demo. Two ways for a client to authenticate:
 * - client_secret_basic: `Authorization: Basic base64(formEncode(id) ":" formEncode(secret))`
 *   (RFC 6749 §2.3.1), so a secret holding `:` `+` `%` `&` `=` only matches if encoded that way;
 * - private_key_jwt (RFC 7523 §2.2): the client assertion's signature is verified against the
 *   client's registered public key, with `iss = sub = client_id`, `aud` = the token endpoint,
 *   `exp` in the future and a `jti` never seen before.
 * The API accepts only access tokens this server minted, and only with the `orders.read` scope.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';
import { closeAll, listen, readBody, sameSecret, sendJson } from './local-http.js';

export const ORDERS_READ_SCOPE = 'orders.read';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Longer-lived assertions are refused: one only has to survive a single token request. */
const MAX_ASSERTION_LIFETIME_S = 300;
const ACCESS_TOKEN_LIFETIME_S = 3600;

export interface SecretClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface KeyClient {
  readonly clientId: string;
  readonly keyId: string;
  readonly algorithm: 'ES256';
  /** PKCS#8 PEM, what the client stores as a secret. */
  readonly privateKeyPem: string;
}

export interface LocalOAuth {
  readonly tokenEndpoint: string;
  readonly apiOrigin: string;
  readonly secretClient: SecretClient;
  readonly keyClient: KeyClient;
  /** Access tokens minted so far. */
  readonly issued: string[];
  close(): Promise<void>;
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

/** RFC 6749 §2.3.1: the Basic user-id and password are application/x-www-form-urlencoded. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError(401, 'invalid_client', 'Client credentials are not form-encoded (RFC 6749 §2.3.1).');
  }
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
  if (m === null) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError(401, 'invalid_client', 'Malformed Basic credentials.');
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

export async function startLocalOAuth(options: { clientSecret: string }): Promise<LocalOAuth> {
  const secretClient: SecretClient = { clientId: 'orders-reporter', clientSecret: options.clientSecret };
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyClient: KeyClient = {
    clientId: 'partner-billing',
    keyId: `partner-${randomBytes(4).toString('hex')}`,
    algorithm: 'ES256',
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const clientPublicKeys = new Map<string, KeyObject>([[keyClient.clientId, publicKey]]);
  const seenJtis = new Set<string>();
  const issued: string[] = [];
  const grants = new Map<string, { clientId: string; scope: string; expiresAt: number }>();
  let tokenEndpoint = '';

  /** The authenticated client id, by whichever single method the request used. */
  async function authenticateClient(req: IncomingMessage, form: URLSearchParams): Promise<string> {
    const basic = basicCredentials(req);
    const assertion = form.get('client_assertion');
    if (basic !== undefined && assertion !== null)
      throw new OAuthError(400, 'invalid_request', 'More than one client authentication method.');
    if (basic !== undefined) {
      if (basic.id !== secretClient.clientId || !sameSecret(basic.secret, secretClient.clientSecret))
        throw new OAuthError(401, 'invalid_client', 'Client authentication failed.');
      return basic.id;
    }
    if (assertion === null) throw new OAuthError(401, 'invalid_client', 'Client authentication is required.');
    if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE)
      throw new OAuthError(400, 'invalid_request', 'Unsupported client_assertion_type.');
    const claimedId = form.get('client_id');
    const key = claimedId === null ? undefined : clientPublicKeys.get(claimedId);
    if (claimedId === null || key === undefined) throw new OAuthError(401, 'invalid_client', 'Unknown client.');
    try {
      // jose checks the signature, iss, sub, aud, and that exp is in the future.
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: [keyClient.algorithm],
        issuer: claimedId,
        subject: claimedId,
        audience: tokenEndpoint,
        requiredClaims: ['exp', 'jti'],
      });
      if (payload.exp! - Math.floor(Date.now() / 1000) > MAX_ASSERTION_LIFETIME_S) throw new Error('the assertion lives too long');
      if (seenJtis.has(payload.jti!)) throw new Error('the jti was already used (replay)');
      seenJtis.add(payload.jti!);
    } catch (e) {
      throw new OAuthError(401, 'invalid_client', `Invalid client assertion: ${(e as Error).message}`);
    }
    return claimedId;
  }

  const token = await listen(async (req, res) => {
    try {
      if (req.method !== 'POST' || req.url !== '/oauth2/token') throw new OAuthError(404, 'not_found', 'Unknown endpoint.');
      const form = new URLSearchParams(await readBody(req));
      const clientId = await authenticateClient(req, form);
      if (form.get('grant_type') !== 'client_credentials')
        throw new OAuthError(400, 'unsupported_grant_type', 'Only client_credentials is supported.');
      const requested = (form.get('scope') ?? ORDERS_READ_SCOPE).split(' ').filter(Boolean);
      if (requested.some((s) => s !== ORDERS_READ_SCOPE))
        throw new OAuthError(400, 'invalid_scope', `Only ${ORDERS_READ_SCOPE} can be granted.`);
      const accessToken = `at_${randomBytes(32).toString('base64url')}`;
      const scope = requested.join(' ');
      issued.push(accessToken);
      grants.set(accessToken, { clientId, scope, expiresAt: Date.now() + ACCESS_TOKEN_LIFETIME_S * 1000 });
      sendJson(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_LIFETIME_S, scope });
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      // RFC 6749 §5.2: a failed Basic authentication answers 401 with a challenge.
      const challenge: Record<string, string> = e.status === 401 ? { 'www-authenticate': 'Basic realm="pebbleflow-demo"' } : {};
      sendJson(res, e.status, { error: e.code, error_description: e.message }, challenge);
    }
  });
  tokenEndpoint = `${token.origin}/oauth2/token`;

  const api = await listen((req, res) => {
    const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const grant = presented === undefined ? undefined : grants.get(presented);
    if (grant === undefined || grant.expiresAt <= Date.now()) {
      return sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (req.method !== 'GET' || req.url !== '/v1/orders') return sendJson(res, 404, { error: 'not_found' });
    if (!grant.scope.split(' ').includes(ORDERS_READ_SCOPE)) return sendJson(res, 403, { error: 'insufficient_scope' });
    return sendJson(res, 200, {
      client: grant.clientId,
      orders: [
        { id: 'ord_1001', sku: 'ABC-0001', quantity: 2, status: 'shipped' },
        { id: 'ord_1002', sku: 'XYZ-0042', quantity: 1, status: 'open' },
      ],
    });
  });

  return {
    tokenEndpoint,
    apiOrigin: api.origin,
    secretClient,
    keyClient,
    issued,
    close: () => closeAll([token, api]),
  };
}
