/** OAUTH2 / CLIENT_CREDENTIALS: RFC 6749 §4.4, the client authenticated with its secret. */
import { field, type JsonSchema } from '../../config/fields.js';
import type { CredentialCommonConfig, SecretRef } from '../../config/types.js';
import { FORM_CONTENT_TYPE, USER_AGENT, type GrantContext } from '../grant.js';
import { readOAuthTokenResponse, type MintedToken } from '../minted-token.js';
import { formEncode } from '../redaction.js';
import { defineCredentialType } from './credential-type.js';
import { appendTokenParams, extraParamsProperty, oauth2Properties, optional, readExtraParams } from './oauth2.js';

export type ClientAuthMethod = 'CLIENT_SECRET_BASIC' | 'CLIENT_SECRET_POST';

export interface ClientCredentialsConfig extends CredentialCommonConfig {
  readonly type: 'OAUTH2';
  readonly authConfigType: 'CLIENT_CREDENTIALS';
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: SecretRef;
  readonly clientAuthMethod: ClientAuthMethod;
  readonly scopes: readonly string[];
  readonly audience?: string;
  readonly resource?: string;
  readonly extraParams: Readonly<Record<string, string>>;
}

const properties: Readonly<Record<string, JsonSchema>> = {
  ...oauth2Properties,
  clientId: field.text('The OAuth2 client id.'),
  clientSecret: field.secretRef('The client secret.'),
  clientAuthMethod: field.oneOf(
    ['CLIENT_SECRET_BASIC', 'CLIENT_SECRET_POST'],
    'Basic (RFC 6749 §2.3.1 form-encoding) or in the body.',
    'CLIENT_SECRET_BASIC',
  ),
  audience: field.text('Sent as the `audience` parameter.'),
  resource: field.text('Sent as the `resource` parameter (RFC 8707).'),
  extraParams: extraParamsProperty,
};

export const clientCredentials = defineCredentialType<ClientCredentialsConfig>({
  type: 'OAUTH2',
  authConfigType: 'CLIENT_CREDENTIALS',
  title: 'an OAUTH2 CLIENT_CREDENTIALS credential',
  description: 'OAuth2 client_credentials with a client secret.',
  properties,
  required: ['tokenEndpoint', 'clientId', 'clientSecret'],
  read(r, common) {
    const tokenEndpoint = r.url('tokenEndpoint');
    const clientId = r.string('clientId');
    const clientSecret = r.secretRef('clientSecret');
    const extraParams = readExtraParams(r);
    if (tokenEndpoint === undefined || clientId === undefined || clientSecret === undefined) return undefined;
    return {
      ...common,
      type: 'OAUTH2',
      authConfigType: 'CLIENT_CREDENTIALS',
      tokenEndpoint,
      clientId,
      clientSecret,
      clientAuthMethod: (r.string('clientAuthMethod') as ClientAuthMethod | undefined) ?? 'CLIENT_SECRET_BASIC',
      scopes: r.stringList('scopes') ?? [],
      ...optional('audience', r.string('audience')),
      ...optional('resource', r.string('resource')),
      extraParams,
    };
  },
  mint: mintClientCredentials,
});

/** RFC 6749 §4.4 client credentials, the client authenticated with its secret (Basic or in the body). */
export async function mintClientCredentials(credential: ClientCredentialsConfig, ctx: GrantContext): Promise<MintedToken> {
  const secret = await ctx.resolveSecret(credential.clientSecret, 'clientSecret');
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = { 'content-type': FORM_CONTENT_TYPE, accept: 'application/json', 'user-agent': USER_AGENT };
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
  const response = await ctx.http.post({
    credentialId: credential.id,
    endpointName: 'token endpoint',
    url: credential.tokenEndpoint,
    headers,
    body: body.toString(),
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
