export { CredentialError } from './errors.js';
export type { CredentialErrorCode, CredentialErrorDetails } from './errors.js';
export { Redactor, REDACTED, formEncode } from './redaction.js';
export { TokenCache, DEFAULT_MISSING_EXPIRES_IN_TTL_MS } from './token-cache.js';
export type { TokenCacheOptions, CachePolicy } from './token-cache.js';
export type { MintedToken } from './minted-token.js';
export { TokenHttpClient, DEFAULT_RETRY_POLICY, parseRetryAfter } from './token-http-client.js';
export type { RetryPolicy, FetchLike, TokenHttpRequest, TokenHttpResponse } from './token-http-client.js';
export { CredentialRegistry } from './registry.js';
export type { CredentialScope, CredentialSummary, TestCredentialResult, CredentialRegistryOptions } from './registry.js';
export {
  CREDENTIAL_TYPES,
  defineCredentialType,
  mintClientCredentials,
  mintJwtBearer,
  jwtBearerClaims,
  JWT_BEARER_GRANT_TYPE,
  mintPrivateKeyJwt,
  clientAssertionClaims,
  CLIENT_ASSERTION_TYPE,
  mintGitHubApp,
  githubAppJwtClaims,
  GITHUB_API_VERSION,
} from './types/index.js';
export type { CredentialType } from './types/index.js';
export { loadPrivateKey } from './private-key.js';
export { createCredentialSupport, createCredentialSupportFrom } from './support.js';
export type { CredentialSupport, CredentialSupportOptions } from './support.js';
