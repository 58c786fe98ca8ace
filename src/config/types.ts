/** The project configuration (`pebbleflow.yaml`) after validation and defaulting. */

/** A reference to a secret, looked up by this exact name through the secret providers. */
export interface SecretRef {
  readonly secret: string;
}

export type SigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'EdDSA';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

/** Where a provider or a credential lives: a tenant, and optionally a namespace inside it. */
export interface ScopedEntry {
  readonly tenant: string;
  /** Absent for a tenant-level entry. */
  readonly namespace?: string;
}

export interface EnvSecretProviderConfig extends ScopedEntry {
  readonly type: 'env';
  /** BASE64 (Kestra's default: `SECRET_<KEY>` holds base64) or RAW (the value as is). */
  readonly encoding: 'BASE64' | 'RAW';
}

export interface FileSecretProviderConfig extends ScopedEntry {
  readonly type: 'file';
  /** Absolute directory holding one file per key. */
  readonly dir: string;
}

export interface MemorySecretProviderConfig extends ScopedEntry {
  readonly type: 'memory';
  /** Not enumerable, so the values stay out of `JSON.stringify` and `util.inspect` of the config. */
  readonly values: Readonly<Record<string, string>>;
}

export type SecretProviderConfig = EnvSecretProviderConfig | FileSecretProviderConfig | MemorySecretProviderConfig;

export interface CredentialCommonConfig extends ScopedEntry {
  readonly id: string;
  readonly description?: string;
  readonly cacheEnabled: boolean;
  readonly refreshBeforeExpiryMs: number;
  /** Limit for one token request; a request still running then is aborted. */
  readonly timeoutMs: number;
}

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

export interface GitHubAppConfig extends CredentialCommonConfig {
  readonly type: 'GITHUB_APP';
  /** The JWT `iss`: the app id (sent as a number when numeric) or the app's client id. */
  readonly appId?: string;
  readonly clientId?: string;
  readonly installationId: string;
  readonly privateKey: SecretRef;
  /** Without a trailing slash; a GitHub Enterprise path such as `/api/v3` is kept. */
  readonly apiUrl: string;
  readonly repositories?: readonly string[];
  readonly repositoryIds?: readonly number[];
  readonly permissions?: Readonly<Record<string, string>>;
}

export type OAuth2CredentialConfig = ClientCredentialsConfig | JwtBearerConfig | PrivateKeyJwtConfig;
export type CredentialConfig = OAuth2CredentialConfig | GitHubAppConfig;

export interface PebbleflowConfig {
  /** The tenant runs use unless told otherwise. */
  readonly tenant: string;
  /** Providers, asked in this order (more specific namespaces first, see SecretResolver). */
  readonly secrets: readonly SecretProviderConfig[];
  readonly credentials: readonly CredentialConfig[];
  /** The file the config came from, when it came from one. */
  readonly source?: string;
}
