/** Fields and steps the OAUTH2 credential types share. */
import { field, type FieldReader, type JsonSchema } from '../../config/fields.js';
import { SIGNING_ALGORITHMS } from '../../config/types.js';

/** `tokenEndpoint` and `scopes`, in every OAUTH2 type. */
export const oauth2Properties: Readonly<Record<string, JsonSchema>> = {
  authConfigType: field.oneOf(['CLIENT_CREDENTIALS', 'JWT_BEARER', 'PRIVATE_KEY_JWT'], 'How the token is obtained.'),
  tokenEndpoint: field.url('The OAuth2 token endpoint.'),
  scopes: field.stringList('Requested scopes, sent space-joined.'),
};

/** The key fields of the two JWT-signing types. */
export const signingProperties: Readonly<Record<string, JsonSchema>> = {
  privateKey: field.secretRef('The PEM private key (PKCS#8, or PKCS#1 for RSA).'),
  keyId: field.text('Sent as the JWT header `kid`.'),
  algorithm: field.oneOf(SIGNING_ALGORITHMS, 'The JWT signing algorithm.', 'RS256'),
};

export const extraParamsProperty: JsonSchema = field.stringMap('Extra token request parameters (never credentials or the grant type).');

/** Parameters that carry credentials or change the grant must come from the credential's own fields, never as literals. */
const RESERVED_PARAMS = [
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'assertion',
  'password',
  'refresh_token',
  'code',
];

export function readExtraParams(r: FieldReader): Record<string, string> {
  const params = r.stringMap('extraParams') ?? {};
  for (const name of Object.keys(params)) {
    if (RESERVED_PARAMS.includes(name.toLowerCase())) {
      r.issue(
        ['extraParams', name],
        'a parameter other than credentials or the grant type',
        `'${name}' cannot be set in extraParams (the value is not shown); use the credential's own fields`,
        true,
      );
      delete params[name];
    }
  }
  return params;
}

/** scope (space-joined), audience, resource and extra parameters, shared by the client_credentials grants. */
export function appendTokenParams(
  body: URLSearchParams,
  credential: {
    readonly scopes: readonly string[];
    readonly audience?: string;
    readonly resource?: string;
    readonly extraParams: Readonly<Record<string, string>>;
  },
  options: { audienceIsParam: boolean } = { audienceIsParam: true },
): void {
  if (credential.scopes.length > 0) body.set('scope', credential.scopes.join(' '));
  if (options.audienceIsParam && credential.audience !== undefined) body.set('audience', credential.audience);
  if (credential.resource !== undefined) body.set('resource', credential.resource);
  for (const [name, value] of Object.entries(credential.extraParams)) if (!body.has(name)) body.set(name, value);
}

/** `{ key: value }` when defined, else `{}`: optional fields stay absent rather than `undefined`. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
