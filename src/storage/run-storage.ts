/**
 * The storage as one execution (or one task run of it) sees it — Kestra's `runContext.storage()`:
 * files it writes go under its own prefix; files it reads must be its namespace's (namespace files,
 * or files of its namespace's executions) or, for a subflow, its parent execution's. Anything else —
 * another namespace, `..`, an absolute path, a KV entry — is refused with a message that says why.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { StorageError } from './errors.js';
import type { LocalStorage, PutOptions, StorageData, StoredFileInfo } from './local-storage.js';
import { NamespaceFiles } from './namespace-files.js';
import {
  cachePath,
  executionPrefix,
  inputFilePath,
  namespaceOf,
  parseStorageUri,
  relationTo,
  StoragePath,
  taskRunPrefix,
  type ExecutionIdentity,
} from './uri.js';

export interface RunStorageScope extends ExecutionIdentity {
  readonly tenant: string;
  /** Set for a task run: the files it writes go under `…/tasks/<task>/<task run id>/`. */
  readonly taskId?: string;
  readonly taskRunId?: string;
  /** The execution that started this one (a Subflow's parent): its files are readable too, as in Kestra. */
  readonly parent?: ExecutionIdentity;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random 22-character base-62 id, the shape of Kestra's ids. */
export function randomId(): string {
  let out = '';
  for (const byte of randomBytes(22)) out += BASE62[byte % 62];
  return out;
}

export class RunStorage {
  constructor(
    readonly storage: LocalStorage,
    readonly scope: RunStorageScope,
  ) {}

  /** The same execution, seen from one of its task runs. */
  forTaskRun(taskId: string, taskRunId: string): RunStorage {
    return new RunStorage(this.storage, { ...this.scope, taskId, taskRunId });
  }

  get executionPrefix(): StoragePath {
    return executionPrefix(this.scope);
  }

  /** Where this context writes: the task run's prefix, else the execution's. */
  get contextPrefix(): StoragePath {
    const { taskId, taskRunId } = this.scope;
    return taskId !== undefined && taskRunId !== undefined ? taskRunPrefix({ ...this.scope, taskId, taskRunId }) : this.executionPrefix;
  }

  namespaceFiles(): NamespaceFiles {
    return new NamespaceFiles(this.storage, this.scope.tenant, this.scope.namespace);
  }

  // --- access rules -----------------------------------------------------------------------------

  /** The checked path of a URI this context may read, or a StorageError saying why it may not. */
  readablePath(uri: string): StoragePath {
    if (typeof uri !== 'string')
      throw new StorageError('STORAGE_INVALID_URI', `Invalid internal storage uri, got ${uri === null ? 'null' : typeof uri}`);
    const path = parseStorageUri(uri.trim());
    if (path.startsWith(this.executionPrefix)) return path;
    if (relationTo(path, this.scope.namespace) !== undefined) return path;
    const parent = this.scope.parent;
    if (parent !== undefined && path.startsWith(executionPrefix(parent))) return path;
    const owner = namespaceOf(path);
    if (owner === undefined) {
      throw new StorageError('STORAGE_FORBIDDEN', `Unable to read the file '${uri}' as it is not an execution file or a namespace file`);
    }
    throw new StorageError(
      'STORAGE_FORBIDDEN',
      `Unable to read the file '${uri}': it belongs to namespace '${owner}', and a flow of namespace '${this.scope.namespace}' may only read its own namespace's files and executions`,
    );
  }

  // --- reading ----------------------------------------------------------------------------------

  async getFile(uri: string): Promise<Readable> {
    return this.storage.get(this.scope.tenant, this.readablePath(uri));
  }

  async readFile(uri: string, maxBytes?: number): Promise<Buffer> {
    return this.storage.read(this.scope.tenant, this.readablePath(uri), maxBytes);
  }

  async stat(uri: string): Promise<StoredFileInfo> {
    return this.storage.stat(this.scope.tenant, this.readablePath(uri));
  }

  async exists(uri: string): Promise<boolean> {
    return this.storage.exists(this.scope.tenant, this.readablePath(uri));
  }

  /** Every file under a prefix this context may read (recursively, by name), as `kestra:///…` URIs; none when it is no folder. */
  async list(uri: string): Promise<string[]> {
    return this.storage.list(this.scope.tenant, this.readablePath(uri));
  }

  // --- writing ----------------------------------------------------------------------------------

  /** A name for a new file: the given one, else a random id with the extension (`.ion`). */
  static fileName(name: string | undefined, extension = ''): string {
    if (name !== undefined && name !== '') return name;
    return `${randomId()}${extension}`;
  }

  /** Stores bytes or a stream under this context's prefix; returns the URI. */
  async putData(data: StorageData, name: string, options?: PutOptions): Promise<string> {
    return this.storage.put(this.scope.tenant, this.contextPrefix.child(name), data, options);
  }

  /** Stores a local file under this context's prefix (its own name unless `name` is given); returns the URI. */
  async putFile(localFile: string, name?: string, options: { move?: boolean } = {}): Promise<string> {
    return this.storage.putFile(this.scope.tenant, this.contextPrefix.child(name ?? basename(localFile)), localFile, options);
  }

  /** Stores a FILE input's content as `…/executions/<id>/inputs/<input>/<file name>`; returns the URI. */
  async putInput(inputId: string, fileName: string, data: StorageData): Promise<string> {
    return this.storage.put(this.scope.tenant, inputFilePath(this.scope, inputId, fileName), data);
  }

  /** Deletes a file this context may read; false when it did not exist. */
  async deleteFile(uri: string): Promise<boolean> {
    const path = this.readablePath(uri);
    if (!(await this.storage.exists(this.scope.tenant, path))) return false;
    return this.storage.delete(this.scope.tenant, path);
  }

  // --- cache (Kestra's InternalStorage getCacheFile / putCacheFile / deleteCacheFile) ------------------

  /** Where the cache `cacheId` (a task id) of this flow is kept, per object id (`taskrun.value`) when given. */
  cachePath(cacheId: string, objectId?: string | null): StoragePath {
    return cachePath(this.scope.namespace, this.scope.flowId, cacheId, objectId);
  }

  /**
   * The cache's content, or undefined when there is none. With a `ttlMs`, a cache last written more than
   * that long ago is expired: it is deleted and undefined returned (`InternalStorage.getCacheFile`).
   */
  async getCacheFile(cacheId: string, objectId: string | null | undefined, ttlMs?: number): Promise<Readable | undefined> {
    const path = this.cachePath(cacheId, objectId);
    if (!(await this.storage.exists(this.scope.tenant, path))) return undefined;
    if (ttlMs !== undefined) {
      const { lastModified } = await this.storage.stat(this.scope.tenant, path);
      if (Date.now() > lastModified.getTime() + ttlMs) {
        await this.storage.delete(this.scope.tenant, path);
        return undefined;
      }
    }
    return this.storage.get(this.scope.tenant, path);
  }

  /** Stores a local ZIP file as the cache (the local file is moved away); returns its URI. */
  async putCacheFile(localFile: string, cacheId: string, objectId?: string | null): Promise<string> {
    return this.storage.putFile(this.scope.tenant, this.cachePath(cacheId, objectId), localFile, { move: true });
  }

  /** Deletes the cache; false when there was none. */
  async deleteCacheFile(cacheId: string, objectId?: string | null): Promise<boolean> {
    const path = this.cachePath(cacheId, objectId);
    if (!(await this.storage.exists(this.scope.tenant, path))) return false;
    return this.storage.delete(this.scope.tenant, path);
  }

  /** Deletes every file of the current execution (inputs, outputs, triggers); returns their URIs. */
  async deleteExecutionFiles(): Promise<string[]> {
    return this.storage.deleteByPrefix(this.scope.tenant, this.executionPrefix);
  }
}

export { StoragePath };
