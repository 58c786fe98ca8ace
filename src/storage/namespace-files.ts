/**
 * Namespace files: a folder per namespace (`namespaceFiles: DIR` → `DIR/<namespace>/…`, else inside the
 * storage as Kestra keeps them, `<ns path>/_files/…`). Tasks with `namespaceFiles: { enabled: true }`
 * get them in their working directory; `read('path')` reads one.
 */
import type { Readable } from 'node:stream';
import { namespaceFileMatcher } from './glob.js';
import type { LocalStorage } from './local-storage.js';
import { namespaceFilesPrefix, parseStorageUri, splitRelative, type StoragePath } from './uri.js';
import { StorageError } from './errors.js';

export interface NamespaceFile {
  /** Relative to the namespace root, without a leading slash: `scripts/etl.py`. */
  readonly path: string;
  /** `kestra:///company/team/_files/scripts/etl.py`. */
  readonly uri: string;
}

/** Kestra's `namespaceFiles` task property. */
export interface NamespaceFilesOptions {
  readonly enabled?: boolean;
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
}

export class NamespaceFiles {
  readonly prefix: StoragePath;

  constructor(
    private readonly storage: LocalStorage,
    readonly tenant: string,
    readonly namespace: string,
  ) {
    this.prefix = namespaceFilesPrefix(namespace);
  }

  /** The storage path of a namespace file (relative path checked: no `..`, not absolute). */
  pathOf(relative: string): StoragePath {
    const trimmed = relative.startsWith('/') ? relative.slice(1) : relative;
    if (trimmed === '') throw new StorageError('STORAGE_INVALID_URI', 'A namespace file path cannot be empty');
    splitRelative(trimmed);
    return this.prefix.child(trimmed);
  }

  /** Every file of the namespace, sorted by path. */
  async all(): Promise<NamespaceFile[]> {
    const uris = await this.storage.list(this.tenant, this.prefix);
    const depth = this.prefix.segments.length;
    return uris.map((uri) => ({ uri, path: parseStorageUri(uri).segments.slice(depth).join('/') }));
  }

  /** The files `include`/`exclude` select, with Kestra's matching rules. */
  async matching(options: NamespaceFilesOptions): Promise<NamespaceFile[]> {
    const matches = namespaceFileMatcher(options.include, options.exclude);
    return (await this.all()).filter((f) => matches(f.path));
  }

  async get(relative: string): Promise<Readable> {
    return this.storage.get(this.tenant, this.pathOf(relative));
  }

  async read(relative: string, maxBytes?: number): Promise<Buffer> {
    return this.storage.read(this.tenant, this.pathOf(relative), maxBytes);
  }

  async write(relative: string, data: Parameters<LocalStorage['put']>[2]): Promise<string> {
    return this.storage.put(this.tenant, this.pathOf(relative), data);
  }

  async delete(relative: string): Promise<boolean> {
    return this.storage.delete(this.tenant, this.pathOf(relative));
  }
}
