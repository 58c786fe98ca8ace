/**
 * Every secret provider type a config may name. A new type is one descriptor file in this folder
 * and one entry here: the config loader, the editor schema and `SecretProviderConfig` follow.
 */
import type { SecretProviderConfig } from '../../config/types.js';
import type { SecretProvider } from '../provider.js';
import { envProvider } from './env.js';
import { fileProvider } from './file.js';
import { memoryProvider } from './memory.js';
import type { ProviderConfigOf, SecretProviderType } from './provider-type.js';

export const SECRET_PROVIDER_TYPES = [envProvider, fileProvider, memoryProvider] as const;

/** A validated provider entry of one of the types above. */
export type AnyProviderTypeConfig = ProviderConfigOf<(typeof SECRET_PROVIDER_TYPES)[number]>;

/** The provider a config entry describes (an embedder's own instance as it is). */
export function createSecretProvider(config: SecretProviderConfig, env: Readonly<Record<string, string | undefined>>): SecretProvider {
  if (config.type === 'instance') return config.provider;
  const descriptor = SECRET_PROVIDER_TYPES.find((d) => d.type === config.type);
  if (descriptor === undefined) throw new TypeError(`no secret provider type ${config.type}`);
  // Each descriptor creates from its own config; the pairing is by construction.
  return (descriptor as unknown as SecretProviderType<AnyProviderTypeConfig>).create(config, env);
}

export type { SecretProviderType } from './provider-type.js';
export { defineSecretProviderType } from './provider-type.js';
export { envProvider, EnvSecretProvider } from './env.js';
export type { EnvSecretProviderConfig } from './env.js';
export { fileProvider, FileSecretProvider } from './file.js';
export type { FileSecretProviderConfig } from './file.js';
export { memoryProvider, MemorySecretProvider } from './memory.js';
export type { MemorySecretProviderConfig } from './memory.js';
