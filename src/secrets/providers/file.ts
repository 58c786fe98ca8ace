/** `type: file`: one file per key (the Docker / Kubernetes mounted-secret layout). */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { field } from '../../config/fields.js';
import type { SecretProviderScope } from '../../config/types.js';
import { SecretError } from '../errors.js';
import type { SecretProvider } from '../provider.js';
import { defineSecretProviderType } from './provider-type.js';

export interface FileSecretProviderConfig extends SecretProviderScope {
  readonly type: 'file';
  /** Absolute directory holding one file per key. */
  readonly dir: string;
}

/** One file per key, raw content (the Docker / Kubernetes mounted-secret layout). Read on every lookup, so rotation needs no restart. */
export class FileSecretProvider implements SecretProvider {
  readonly type = 'file';
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async get(key: string): Promise<string | undefined> {
    // A key is a file name, never a path: no separators, no dot-files, no `..`.
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(key)) return undefined;
    try {
      return await readFile(join(this.dir, key), 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
      throw new SecretError('SECRET_PROVIDER_ERROR', `Cannot read secret '${key}' from the file provider (${code ?? 'I/O error'}).`, {
        key,
      });
    }
  }
}

export const fileProvider = defineSecretProviderType<FileSecretProviderConfig>({
  type: 'file',
  title: 'a file secret provider',
  description: 'One file per key, raw content, read on every lookup.',
  properties: { dir: field.text('The folder (relative to the config file) holding one file per key.') },
  required: ['dir'],
  read(r, scope) {
    const dir = r.string('dir');
    return dir === undefined ? undefined : { type: 'file', dir: resolve(r.baseDir, dir), ...scope };
  },
  create: (config) => new FileSecretProvider(config.dir),
});
