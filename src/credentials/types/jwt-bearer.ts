/** OAUTH2 / JWT_BEARER: RFC 7523 §2.1, a signed JWT is the grant (e.g. a Google service account). */
import { EXPECTED, field, type JsonSchema } from '../../config/fields.js';
import type { CredentialCommonConfig, SecretRef, SigningAlgorithm } from '../../config/types.js';
import { defineCredentialType } from './credential-type.js';
import { oauth2Properties, optional, signingProperties } from './oauth2.js';

export interface JwtBearerConfig extends CredentialCommonConfig {
  readonly type: 'OAUTH2';
  readonly authConfigType: 'JWT_BEARER';
  readonly tokenEndpoint: string;
  readonly issuer: string;
  readonly subject?: string;
  /** The assertion's `aud`; defaults to the token endpoint. */
  readonly audience: string;
  readonly privateKey: SecretRef;
  readonly keyId?: string;
  readonly algorithm: SigningAlgorithm;
  readonly additionalClaims: Readonly<Record<string, unknown>>;
  readonly scopes: readonly string[];
  readonly assertionLifetimeMs: number;
}

/** Google's and RFC 7523's maximum: an assertion lives at most one hour. */
const MAX_ASSERTION_LIFETIME_MS = 3_600_000;
/** Claims set from the credential's own fields. */
const RESERVED_CLAIMS = ['iss', 'aud', 'iat', 'exp', 'nbf'];

const properties: Readonly<Record<string, JsonSchema>> = {
  ...oauth2Properties,
  issuer: field.text('The assertion `iss` (a service account: its client_email).'),
  subject: field.text('The assertion `sub` (the delegated user, or the issuer).'),
  audience: field.text('The assertion `aud`; default: the token endpoint.'),
  ...signingProperties,
  additionalClaims: {
    type: 'object',
    description: 'More claims for the assertion (e.g. `scope` for Google); iss, aud, iat, exp and nbf are set from the fields above.',
    [EXPECTED]: 'a mapping of claim names to values',
  },
  assertionLifetime: field.duration('How long the assertion is valid; at most PT1H.', 'PT1H'),
};

export const jwtBearer = defineCredentialType<JwtBearerConfig>({
  type: 'OAUTH2',
  authConfigType: 'JWT_BEARER',
  title: 'an OAUTH2 JWT_BEARER credential',
  description: 'OAuth2 JWT bearer grant (RFC 7523 §2.1), e.g. a Google service account.',
  properties,
  required: ['tokenEndpoint', 'issuer', 'privateKey'],
  read(r, common) {
    const tokenEndpoint = r.url('tokenEndpoint');
    const issuer = r.string('issuer');
    const privateKey = r.secretRef('privateKey');
    const claims = r.raw('additionalClaims');
    const additionalClaims = typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? { ...claims } : {};
    for (const name of Object.keys(additionalClaims)) {
      if (RESERVED_CLAIMS.includes(name))
        r.issue(
          ['additionalClaims', name],
          'a claim other than iss, aud, iat, exp, nbf',
          `claim '${name}' is set from the credential's own fields and cannot be overridden`,
          true,
        );
    }
    const assertionLifetimeMs = r.duration('assertionLifetime', MAX_ASSERTION_LIFETIME_MS, MAX_ASSERTION_LIFETIME_MS);
    if (assertionLifetimeMs <= 0) r.issue('assertionLifetime', 'a positive duration', 'must be a positive duration');
    if (tokenEndpoint === undefined || issuer === undefined || privateKey === undefined) return undefined;
    return {
      ...common,
      type: 'OAUTH2',
      authConfigType: 'JWT_BEARER',
      tokenEndpoint,
      issuer,
      ...optional('subject', r.string('subject')),
      audience: r.string('audience') ?? tokenEndpoint,
      privateKey,
      ...optional('keyId', r.string('keyId')),
      algorithm: (r.string('algorithm') as SigningAlgorithm | undefined) ?? 'RS256',
      additionalClaims: Object.freeze(additionalClaims),
      scopes: r.stringList('scopes') ?? [],
      assertionLifetimeMs,
    };
  },
  // The token request code (and its HTTP client) is imported when a token is first minted.
  mint: async (credential, ctx) => (await import('./jwt-bearer-mint.js')).mintJwtBearer(credential, ctx),
});
