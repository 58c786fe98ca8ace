/**
 * What a server or worker process sets up from the project config: the flow engine (secrets and
 * credentials, one token cache per process), the secret values the process itself needs (the
 * basic-auth password, the SECRET-input encryption key), and its worker id.
 */
import { hostname } from 'node:os';
import { loadConfig } from '../config/load-config.js';
import { pluginRegistry } from '../plugins/load-plugins.js';
import type { TaskRegistry } from '../tasks/registry.js';
import type { PebbleflowConfig } from '../config/types.js';
import { createFlowEngine, type StorageDirs } from '../runner/runner.js';
import type { FlowEngine } from '../runner/types.js';
import { SecretResolver } from '../secrets/secret-resolver.js';
import { SecretBox } from './executions/secret-inputs.js';
import { ServerStartError } from './errors.js';

export { ServerStartError };

export interface ProcessRuntime {
  readonly config: PebbleflowConfig;
  readonly engine: FlowEngine;
  readonly secretBox?: SecretBox;
  /** The resolved basic-auth password (servers only need it). */
  readonly password?: string;
  readonly workerId: string;
  /** The internal storage and KV store (the config's `storage`) and the namespace files its runs use. */
  readonly storage: StorageDirs;
  /** The task types its flows may use: the core ones and the config's `plugins` (loaded at start). */
  readonly registry: TaskRegistry;
}

export async function processRuntime(
  configInput: string | object | undefined,
  env: Readonly<Record<string, string | undefined>>,
  /** The storage folder without a config (a server's: `<data folder>/storage`); default `.pebbleflow/storage` in the working directory. */
  defaultStorage?: string,
): Promise<ProcessRuntime> {
  const input = configInput ?? { secrets: [{ type: 'env' }], ...(defaultStorage === undefined ? {} : { storage: defaultStorage }) };
  const config = loadConfig(input);
  // The config's plugins, as `pebbleflow run` loads them: a plugin that cannot be loaded stops the start (PluginError).
  const { registry } = await pluginRegistry(input);
  const resolver = new SecretResolver(config, env);
  let password: string | undefined;
  let key: string | undefined;
  try {
    if (config.server?.basicAuth !== undefined)
      password = await resolver.resolve(config.server.basicAuth.password.secret, { tenant: config.tenant });
    if (config.server?.encryptionKey !== undefined)
      key = await resolver.resolve(config.server.encryptionKey.secret, { tenant: config.tenant });
  } catch (e) {
    throw new ServerStartError('SERVER_CONFIG', `server settings: ${(e as Error).message}`);
  }
  const { engine, storage } = await createFlowEngine({ config, env });
  return {
    config,
    engine,
    storage,
    registry,
    workerId: `${hostname()}:${process.pid}`,
    ...(key === undefined ? {} : { secretBox: new SecretBox(key) }),
    ...(password === undefined ? {} : { password }),
  };
}
