/**
 * The internal storage on the local disk: one file per `kestra://` URI under `<root>/<tenant>/…`, as
 * Kestra's `LocalStorage` lays it out. Namespace files (`kestra:///<ns>/_files/…`) may live in a folder
 * of their own (`namespaceFiles: DIR` in the config, `DIR/<namespace>/…`).
 *
 * Every operation maps a checked `StoragePath` to a file and then verifies, on the real file system
 * (symbolic links resolved), that the file is inside its folder. Writes go to a temporary file that is
 * renamed into place, so a reader never sees a half-written file.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ioError, StorageError } from './errors.js';
import { namespaceSegments, StoragePath } from './uri.js';

const TENANT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const TEMP_SUFFIX = '.pftmp';

export interface StoredFileInfo {
  readonly uri: string;
  readonly size: number;
  readonly lastModified: Date;
  readonly created: Date;
}

/** What `put` accepts: bytes, text, a Node stream or any async iterable of chunks (a fetch body). */
export type StorageData = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

export interface LocalStorageOptions {
  /** Where namespace files live (`DIR/<namespace>/…`); default: inside the storage, `<ns path>/_files/…` as in Kestra. */
  readonly namespaceFilesDir?: string;
}

export interface PutOptions {
  /** Fails with STORAGE_TOO_LARGE (and writes nothing) once more than this many bytes arrived. */
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
}

export class LocalStorage {
  readonly root: string;
  readonly namespaceFilesDir: string | undefined;
  #realRoot: string | undefined;
  #realNsRoot: string | undefined;

  constructor(root: string, options: LocalStorageOptions = {}) {
    if (!isAbsolute(root)) throw new TypeError(`The storage folder must be an absolute path, got '${root}'`);
    this.root = resolve(root);
    this.namespaceFilesDir = options.namespaceFilesDir === undefined ? undefined : resolve(options.namespaceFilesDir);
  }

  // --- mapping a URI to a file ------------------------------------------------------------------

  /** The folder a path lives in and the path's file inside it (before any check against the disk). */
  private locate(tenant: string, path: StoragePath): { base: string; file: string; nsFiles: boolean } {
    if (!TENANT.test(tenant)) throw new StorageError('STORAGE_INVALID_URI', `Invalid tenant id '${tenant}'`);
    const s = path.segments;
    const filesAt = s.indexOf('_files');
    if (this.namespaceFilesDir !== undefined && filesAt > 0 && !s.slice(0, filesAt).includes('executions')) {
      const namespace = s.slice(0, filesAt).join('.');
      namespaceSegments(namespace);
      const base = join(this.namespaceFilesDir, namespace);
      return { base, file: join(base, ...s.slice(filesAt + 1)), nsFiles: true };
    }
    const base = join(this.root, tenant);
    return { base, file: join(base, ...s), nsFiles: false };
  }

  private async realBase(nsFiles: boolean): Promise<string> {
    if (nsFiles) {
      this.#realNsRoot ??= await realpathDeep(this.namespaceFilesDir ?? this.root);
      return this.#realNsRoot;
    }
    if (this.#realRoot === undefined) {
      await mkdir(this.root, { recursive: true });
      this.#realRoot = await realpath(this.root);
    }
    return this.#realRoot;
  }

  /** Resolves symbolic links (of the deepest existing ancestor) and refuses anything outside the folder. */
  private async checked(tenant: string, path: StoragePath): Promise<string> {
    const { file, nsFiles } = this.locate(tenant, path);
    const realBase = await this.realBase(nsFiles);
    let full: string;
    try {
      full = await realpathDeep(file);
    } catch (e) {
      throw ioError(e, path.toUri());
    }
    if (full !== realBase && !full.startsWith(realBase + sep)) throw escape(path);
    return full;
  }

  // --- writing --------------------------------------------------------------------------------------

  /** Stores `data` at `path` (replacing any file there) and returns its `kestra:///…` URI. */
  async put(tenant: string, path: StoragePath, data: StorageData, options: PutOptions = {}): Promise<string> {
    const target = await this.checked(tenant, path);
    await this.mkdirs(tenant, path, target);
    const temp = `${dirname(target)}${sep}.${path.name.slice(0, 100)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    try {
      const source: AsyncIterable<Uint8Array> =
        typeof data === 'string' || data instanceof Uint8Array ? Readable.from([Buffer.from(data)]) : (data as AsyncIterable<Uint8Array>);
      const sink = createWriteStream(temp, { flags: 'wx' });
      const opts = options.signal === undefined ? {} : { signal: options.signal };
      if (options.maxBytes === undefined) await pipeline(source, sink, opts);
      else await pipeline(source, byteLimit(options.maxBytes, path.toUri()), sink, opts);
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw ioError(e, path.toUri());
    }
    return path.toUri();
  }

  /** Stores a local file at `path`: renamed when `move` and on the same disk, copied otherwise. */
  async putFile(tenant: string, path: StoragePath, localFile: string, options: { move?: boolean } = {}): Promise<string> {
    const target = await this.checked(tenant, path);
    await this.mkdirs(tenant, path, target);
    const info = await stat(localFile).catch((e: unknown) => {
      throw ioError(e, localFile);
    });
    if (!info.isFile()) throw new StorageError('STORAGE_NOT_FOUND', `${localFile} is not a regular file`);
    const temp = `${dirname(target)}${sep}.${path.name.slice(0, 100)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    try {
      if (options.move === true) {
        try {
          await rename(localFile, target);
          return path.toUri();
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        }
      }
      await copyFile(localFile, temp);
      await rename(temp, target);
      if (options.move === true) await unlink(localFile).catch(() => undefined);
    } catch (e) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw ioError(e, path.toUri());
    }
    return path.toUri();
  }

  private async mkdirs(tenant: string, path: StoragePath, target: string): Promise<void> {
    try {
      await mkdir(dirname(target), { recursive: true });
    } catch (e) {
      throw ioError(e, path.toUri());
    }
    // A folder created by someone else between the check and mkdir could be a link: check again.
    const again = await this.checked(tenant, path);
    if (again !== target) throw escape(path);
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isSymbolicLink() === true || existing?.isDirectory() === true) {
      throw new StorageError('STORAGE_INVALID_URI', `Cannot write ${path.toUri()}: a folder or link is in the way`);
    }
  }

  // --- reading --------------------------------------------------------------------------------------

  /** A stream of the file's bytes; fails with STORAGE_NOT_FOUND before returning when there is no file. */
  async get(tenant: string, path: StoragePath): Promise<Readable> {
    const file = await this.checked(tenant, path);
    try {
      const handle = await open(file, 'r');
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        throw new StorageError('STORAGE_NOT_FOUND', `File not found: ${path.toUri()} (it is a folder)`);
      }
      return handle.createReadStream();
    } catch (e) {
      throw ioError(e, path.toUri());
    }
  }

  /** The whole file, refusing files larger than `maxBytes`. */
  async read(tenant: string, path: StoragePath, maxBytes = 256 * 1024 * 1024): Promise<Buffer> {
    const info = await this.stat(tenant, path);
    if (info.size > maxBytes) {
      throw new StorageError(
        'STORAGE_TOO_LARGE',
        `File ${path.toUri()} is ${info.size} bytes, more than the ${maxBytes} bytes allowed here`,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of await this.get(tenant, path)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async stat(tenant: string, path: StoragePath): Promise<StoredFileInfo> {
    const file = await this.checked(tenant, path);
    let info: Stats;
    try {
      info = await stat(file);
    } catch (e) {
      throw ioError(e, path.toUri());
    }
    if (!info.isFile()) throw new StorageError('STORAGE_NOT_FOUND', `File not found: ${path.toUri()} (it is a folder)`);
    return { uri: path.toUri(), size: info.size, lastModified: info.mtime, created: info.birthtime };
  }

  async exists(tenant: string, path: StoragePath): Promise<boolean> {
    try {
      const file = await this.checked(tenant, path);
      return (await stat(file)).isFile();
    } catch (e) {
      if (e instanceof StorageError && e.code !== 'STORAGE_NOT_FOUND' && e.code !== 'STORAGE_IO') throw e;
      return false;
    }
  }

  // --- deleting and listing -------------------------------------------------------------------------

  /** Deletes a file (or a folder and everything in it); false when nothing was there. */
  async delete(tenant: string, path: StoragePath): Promise<boolean> {
    const file = await this.checked(tenant, path);
    const info = await lstat(file).catch(() => undefined);
    if (info === undefined) return false;
    try {
      await rm(file, { recursive: true, force: true });
    } catch (e) {
      throw ioError(e, path.toUri());
    }
    return true;
  }

  /** Deletes everything under a prefix; returns the URIs of the deleted files, deepest first (as Kestra's). */
  async deleteByPrefix(tenant: string, prefix: StoragePath): Promise<string[]> {
    const uris = await this.list(tenant, prefix);
    await this.delete(tenant, prefix);
    return uris.sort().reverse();
  }

  /**
   * Folders named `name` anywhere in a tenant's storage, not descending into folders named in `skip`
   * (e.g. every `_kv` folder without walking the execution files).
   */
  async findFolders(tenant: string, name: string, skip: readonly string[]): Promise<StoragePath[]> {
    const base = await this.checked(tenant, StoragePath.of([]));
    const out: StoragePath[] = [];
    const walk = async (abs: string, segments: string[]): Promise<void> => {
      let entries;
      try {
        entries = await readdir(abs, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (!entry.isDirectory()) continue;
        if (entry.name === name) out.push(StoragePath.of([...segments, entry.name]));
        if (!skip.includes(entry.name)) await walk(join(abs, entry.name), [...segments, entry.name]);
      }
    };
    await walk(base, []);
    return out;
  }

  /**
   * Whether a namespace (or one below it) has anything here: stored files, KV entries, namespace files.
   * The local stand-in for Kestra's "the namespace exists" (it has flows), which KV access from another
   * namespace requires.
   */
  async hasNamespace(tenant: string, namespace: string): Promise<boolean> {
    const segments = namespaceSegments(namespace);
    const isDir = async (path: string): Promise<boolean> => (await stat(path).catch(() => undefined))?.isDirectory() === true;
    if (await isDir(await this.checked(tenant, StoragePath.of(segments)))) return true;
    if (this.namespaceFilesDir === undefined) return false;
    const names = await readdir(this.namespaceFilesDir).catch(() => [] as string[]);
    for (const name of names)
      if ((name === namespace || name.startsWith(`${namespace}.`)) && (await isDir(join(this.namespaceFilesDir, name)))) return true;
    return false;
  }

  /** Every file under a prefix (recursively), as `kestra:///…` URIs; in-progress writes are not listed. */
  async list(tenant: string, prefix: StoragePath): Promise<string[]> {
    const dir = await this.checked(tenant, prefix);
    const out: string[] = [];
    const walk = async (abs: string, segments: string[]): Promise<void> => {
      let entries;
      try {
        entries = await readdir(abs, { withFileTypes: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw ioError(e, prefix.toUri());
      }
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (entry.name.endsWith(TEMP_SUFFIX)) continue;
        if (entry.isDirectory()) await walk(join(abs, entry.name), [...segments, entry.name]);
        else if (entry.isFile()) out.push(StoragePath.of([...segments, entry.name]).toUri());
      }
    };
    await walk(dir, [...prefix.segments]);
    return out;
  }
}

function escape(path: StoragePath): StorageError {
  return new StorageError(
    'STORAGE_PATH_ESCAPE',
    `Refused ${path.toUri()}: it resolves outside the storage folder (through a symbolic link)`,
  );
}

/** `realpath` of the deepest existing ancestor, with the part that does not exist yet appended. */
export async function realpathDeep(file: string): Promise<string> {
  let probe = file;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await realpath(probe);
      return rest.length === 0 ? real : join(real, ...rest.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      const parent = dirname(probe);
      if (parent === probe) throw e;
      rest.push(probe.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      probe = parent;
    }
  }
}

/** A pass-through that fails once more than `max` bytes went through. */
export function byteLimit(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > max) callback(new StorageError('STORAGE_TOO_LARGE', `${what} is larger than the limit of ${max} bytes`));
      else callback(null, chunk);
    },
  });
}
