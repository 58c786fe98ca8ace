export { SecretError, SecretNotFoundError } from './errors.js';
export type { SecretErrorCode } from './errors.js';
export type { SecretProvider } from './provider.js';
export { isSecretProvider } from './provider.js';
export {
  SECRET_PROVIDER_TYPES,
  createSecretProvider,
  defineSecretProviderType,
  EnvSecretProvider,
  FileSecretProvider,
  MemorySecretProvider,
} from './providers/index.js';
export type { SecretProviderType } from './providers/index.js';
export { SecretResolver, namespaceCovers } from './secret-resolver.js';
export type { SecretScope, ResolveOptions } from './secret-resolver.js';
