/** OAUTH2 / PRIVATE_KEY_JWT: client_credentials with private_key_jwt client authentication (RFC 7523 §2.2). */
import { randomUUID } from 'node:crypto';
import { field, type JsonSchema } from '../../config/fields.js';
import type { CredentialCommonConfig, SecretRef, SigningAlgorithm } from '../../config/types.js';
import { FORM_CONTENT_TYPE, USER_AGENT, type GrantContext } from '../grant.js';
import { readOAuthTokenResponse, type MintedToken } from '../minted-token.js';
import { loadPrivateKey } from '../private-key.js';
import { defineCredentialType } from './credential-type.js';
import { appendTokenParams, extraParamsProperty, oauth2Properties, optional, readExtraParams, signingProperties } from './oauth2.js';

export interface PrivateKeyJwtConfig extends CredentialCommonConfig {
  readonly type: 'OAUTH2';
  readonly authConfigType: 'PRIVATE_KEY_JWT';
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly privateKey: SecretRef;
  readonly keyId?: string;
  readonly algorithm: SigningAlgorithm;
  readonly scopes: readonly string[];
  /** The client assertion's `aud`; defaults to the token endpoint (set the issuer URL if the server wants that). */
  readonly audience: string;
  readonly resource?: string;
  readonly extraParams: Readonly<Record<string, string>>;
}

const properties: Readonly<Record<string, JsonSchema>> = {
  ...oauth2Properties,
  clientId: field.text('The OAuth2 client id (the assertion `iss` and `sub`).'),
  ...signingProperties,
  audience: field.text('The client assertion `aud`; default: the token endpoint.'),
  resource: field.text('Sent as the `resource` parameter (RFC 8707).'),
  extraParams: extraParamsProperty,
};

export const privateKeyJwt = defineCredentialType<PrivateKeyJwtConfig>({
  type: 'OAUTH2',
  authConfigType: 'PRIVATE_KEY_JWT',
  title: 'an OAUTH2 PRIVATE_KEY_JWT credential',
  description: 'OAuth2 client_credentials with private_key_jwt client authentication (RFC 7523 §2.2).',
  properties,
  required: ['tokenEndpoint', 'clientId', 'privateKey'],
  read(r, common) {
    const tokenEndpoint = r.url('tokenEndpoint');
    const clientId = r.string('clientId');
    const privateKey = r.secretRef('privateKey');
    const extraParams = readExtraParams(r);
    if (tokenEndpoint === undefined || clientId === undefined || privateKey === undefined) return undefined;
    return {
      ...common,
      type: 'OAUTH2',
      authConfigType: 'PRIVATE_KEY_JWT',
      tokenEndpoint,
      clientId,
      privateKey,
      ...optional('keyId', r.string('keyId')),
      algorithm: (r.string('algorithm') as SigningAlgorithm | undefined) ?? 'RS256',
      scopes: r.stringList('scopes') ?? [],
      audience: r.string('audience') ?? tokenEndpoint,
      ...optional('resource', r.string('resource')),
      extraParams,
    };
  },
  mint: mintPrivateKeyJwt,
});

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
  const response = await ctx.http.post({
    credentialId: credential.id,
    endpointName: 'token endpoint',
    url: credential.tokenEndpoint,
    headers: { 'content-type': FORM_CONTENT_TYPE, accept: 'application/json', 'user-agent': USER_AGENT },
    body: buildBody,
    timeoutMs: credential.timeoutMs,
    redactor: ctx.redactor,
  });
  return readOAuthTokenResponse(response, {
    credentialId: credential.id,
    url: credential.tokenEndpoint,
    redactor: ctx.redactor,
    requestedScope: credential.scopes.length ? credential.scopes.join(' ') : null,
  });
}
