/**
 * peers §6 C16 / §3.6: the claims of our JWT-bearer assertion equal those Google's own
 * google-auth-library signs for the same service account and scope. Its token URL is hard-coded,
 * so a gaxios request interceptor sends it to the local server; decoded claims are compared.
 */
import { JWT } from 'google-auth-library';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { makeRegistry } from '../support/credential-fixtures.js';
import { GOOGLE_TOKEN_URL, startOAuthServer } from '../support/oauth-server.js';
import type { OAuthServer } from '../support/oauth-server.js';

let server: OAuthServer;
beforeAll(async () => {
  server = await startOAuthServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

async function googleAssertion(subject?: string): Promise<string> {
  const { email, key } = server.clients.serviceAccount;
  const client = new JWT({ email, key: key.pkcs8, scopes: [SCOPE], ...(subject ? { subject } : {}) });
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      if (String(config.url).startsWith(GOOGLE_TOKEN_URL)) config.url = new URL(server.tokenEndpoint);
      return config;
    },
  });
  const { token } = await client.getAccessToken();
  expect(typeof token).toBe('string');
  const request = server.tokenRequests().at(-1);
  expect(request?.status).toBe(200);
  return request?.params.assertion ?? '';
}

async function ourAssertion(subject?: string): Promise<string> {
  const { email, key } = server.clients.serviceAccount;
  const { registry } = makeRegistry(
    [
      {
        id: 'gcp',
        type: 'OAUTH2',
        authConfigType: 'JWT_BEARER',
        tokenEndpoint: server.tokenEndpoint,
        audience: GOOGLE_TOKEN_URL,
        issuer: email,
        ...(subject ? { subject } : {}),
        privateKey: { secret: 'GCP_PRIVATE_KEY' },
        keyId: key.kid,
        additionalClaims: { scope: SCOPE },
      },
    ],
    { GCP_PRIVATE_KEY: key.pkcs8 },
  );
  expect(await registry.test('gcp')).toMatchObject({ ok: true, scope: SCOPE });
  const request = server.tokenRequests().at(-1);
  expect(request?.status).toBe(200);
  return request?.params.assertion ?? '';
}

describe('Google service account (JWT bearer) cross-check', () => {
  test.each([[undefined], ['robot@lab.iam.gserviceaccount.com'], ['delegated.user@example.com']])(
    'subject %s: same claims as google-auth-library',
    async (subject) => {
      const google = await googleAssertion(subject);
      const ours = await ourAssertion(subject);
      const g = decodeJwt(google);
      const o = decodeJwt(ours);
      const { iat: gIat = 0, exp: gExp = 0, ...gRest } = g;
      const { iat: oIat = 0, exp: oExp = 0, ...oRest } = o;
      expect(oRest).toEqual(gRest);
      expect(gRest).toMatchObject({ iss: server.clients.serviceAccount.email, aud: GOOGLE_TOKEN_URL, scope: SCOPE });
      if (subject) expect(o.sub).toBe(subject);
      expect(oExp - oIat).toBe(gExp - gIat);
      expect(oExp - oIat).toBe(3600);
      expect(Math.abs(oIat - gIat)).toBeLessThanOrEqual(2);
      // Header: same alg; our kid (= private_key_id) and typ are the allowed extras.
      const gh = decodeProtectedHeader(google);
      const oh = decodeProtectedHeader(ours);
      expect(gh).toEqual({ alg: 'RS256' });
      expect(oh).toEqual({ alg: 'RS256', typ: 'JWT', kid: server.clients.serviceAccount.key.kid });
    },
  );
});
