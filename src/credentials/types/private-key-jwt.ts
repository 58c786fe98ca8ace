/** OAUTH2 / PRIVATE_KEY_JWT: client_credentials with private_key_jwt client authentication (RFC 7523 §2.2). */
import { field, type JsonSchema } from '../../config/fields.js';
import type { CredentialCommonConfig, SecretRef, SigningAlgorithm } from '../../config/types.js';
import { defineCredentialType } from './credential-type.js';
import { extraParamsProperty, oauth2Properties, optional, readExtraParams, signingProperties } from './oauth2.js';

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
  // The token request code (and its HTTP client) is imported when a token is first minted.
  mint: async (credential, ctx) => (await import('./private-key-jwt-mint.js')).mintPrivateKeyJwt(credential, ctx),
});
