/** OAUTH2 / CLIENT_CREDENTIALS: RFC 6749 §4.4, the client authenticated with its secret. */
import { field, type JsonSchema } from '../../config/fields.js';
import type { CredentialCommonConfig, SecretRef } from '../../config/types.js';
import { defineCredentialType } from './credential-type.js';
import { extraParamsProperty, oauth2Properties, optional, readExtraParams } from './oauth2.js';

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
  // The token request code (and its HTTP client) is imported when a token is first minted.
  mint: async (credential, ctx) => (await import('./client-credentials-mint.js')).mintClientCredentials(credential, ctx),
});
