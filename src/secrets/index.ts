export { SecretError, SecretNotFoundError } from './errors.js';
export type { SecretErrorCode } from './errors.js';
export { EnvSecretProvider, FileSecretProvider, MemorySecretProvider, createSecretProvider } from './providers.js';
export type { SecretProvider } from './providers.js';
export { SecretResolver, namespaceCovers } from './secret-resolver.js';
export type { SecretScope } from './secret-resolver.js';
