/**
 * Kestra's KV store on the local disk: one file per key at `<storage>/<tenant>/<ns path>/_kv/<key>.ion`
 * (Kestra's `StorageContext.kvPrefix` layout), holding the value and its metadata as one Ion struct.
 * A write goes to a temporary file renamed into place, so a crash never leaves a half-written value.
 * Expired entries read as absent (and are deleted on the way), as in Kestra's `InternalKVStore`.
 */
import { formatJavaDuration, parseDuration } from '../flow/duration.js';
import type { LocalStorage } from '../storage/local-storage.js';
import { StorageError } from '../storage/errors.js';
import { namespaceSegments, parseStorageUri, StoragePath } from '../storage/uri.js';
import { isMap, newMap } from '../engine/values.js';
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { KVType } from './kv-types.js';

export { KV_TYPES, type KVType } from './kv-types.js';

/** The Ion codec, imported when an entry is first read or written (every run builds a KV store; few use it). */
const ion = () => import('../serdes/ion.js');

export type KVErrorCode =
  /** Empty, or not Kestra's key pattern. */
  | 'KV_INVALID_KEY'
  /** `overwrite: false` and the key exists. */
  | 'KV_KEY_EXISTS'
  /** The key's `ttl` has passed (read as missing). */
  | 'KV_EXPIRED'
  /** Another namespace than the flow's own or a parent's, with nothing in it (Kestra: it does not exist). */
  | 'KV_NAMESPACE_NOT_FOUND'
  /** A value that does not fit its `kvType`. */
  | 'KV_INVALID_VALUE'
  /** A stored entry pebbleflow cannot read back. */
  | 'KV_CORRUPT';

export class KVStoreError extends PebbleflowError<KVErrorCode> {
  constructor(code: KVErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

const KEY = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

export function validateKey(key: unknown): string {
  if (typeof key !== 'string' || key === '') throw new KVStoreError('KV_INVALID_KEY', 'Key cannot be null or empty');
  if (!KEY.test(key)) {
    throw new KVStoreError(
      'KV_INVALID_KEY',
      'Key must start with an alphanumeric character (uppercase or lowercase) and can contain alphanumeric characters (uppercase or lowercase), dots (.), underscores (_), and hyphens (-) only.',
    );
  }
  return key;
}

export interface KVEntry {
  readonly key: string;
  readonly description?: string;
  /** ISO-8601 instants. */
  readonly creationDate: string;
  readonly updateDate: string;
  readonly expirationDate?: string;
}

export interface KVPutOptions {
  /** Time to live in milliseconds (negative refused, as Kestra). */
  readonly ttlMs?: number;
  /** Fail when the key exists (default: overwrite, as Kestra). */
  readonly overwrite?: boolean;
  readonly description?: string;
  /** Clock, for tests. */
  readonly now?: number;
}

interface StoredEntry {
  readonly value: unknown;
  readonly entry: KVEntry;
}

/**
 * Converts a rendered value to the type `kvType` asks for, as Kestra's `kv.Set` does with Jackson:
 * NUMBER parses JSON numbers, BOOLEAN is `Boolean.parseBoolean`, DATETIME/DATE must be ISO instants,
 * DURATION an ISO-8601 duration, JSON any JSON document. Only strings are converted.
 */
export function convertKVValue(value: unknown, kvType: KVType | undefined, parseJson: (text: string) => unknown): unknown {
  if (kvType === undefined || typeof value !== 'string') return value;
  const text = value;
  switch (kvType) {
    case 'STRING':
      return text;
    case 'NUMBER': {
      let n: unknown;
      try {
        n = parseJson(text);
      } catch (e) {
        throw new KVStoreError('KV_INVALID_VALUE', `Invalid value for kvType NUMBER: '${text}' is not a number`, { cause: e });
      }
      if (typeof n !== 'number' && typeof n !== 'bigint' && !(typeof n === 'object' && n !== null && 'value' in n)) {
        throw new KVStoreError('KV_INVALID_VALUE', `Invalid value for kvType NUMBER: '${text}' is not a number`);
      }
      return n;
    }
    case 'BOOLEAN':
      return text.toLowerCase() === 'true';
    case 'DATETIME':
    case 'DATE': {
      const d = new Date(text);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(d.getTime())) {
        throw new KVStoreError(
          'KV_INVALID_VALUE',
          `Invalid value for kvType ${kvType}: '${text}' is not an ISO-8601 instant such as 2024-01-31T10:00:00Z`,
        );
      }
      return d.toISOString().replace('.000Z', 'Z');
    }
    case 'DURATION': {
      const ms = parseDuration(text);
      if (ms === undefined)
        throw new KVStoreError('KV_INVALID_VALUE', `Invalid value for kvType DURATION: '${text}' is not an ISO-8601 duration such as PT1H`);
      return formatJavaDuration(ms);
    }
    case 'JSON':
      try {
        return parseJson(text);
      } catch (e) {
        throw new KVStoreError('KV_INVALID_VALUE', `Invalid value for kvType JSON: ${(e as Error).message}`, { cause: e });
      }
  }
}

/** The KV store of every tenant and namespace, persisted under a storage folder. */
export class KVStore {
  constructor(readonly storage: LocalStorage) {}

  namespace(tenant: string, namespace: string): NamespaceKV {
    return new NamespaceKV(this.storage, tenant, namespace);
  }

  /** Whether the namespace has anything in the storage (its own or a child's files, KV entries, namespace files). */
  namespaceExists(tenant: string, namespace: string): Promise<boolean> {
    return this.storage.hasNamespace(tenant, namespace);
  }

  /** Every namespace of a tenant that has a KV folder (for PurgeKV). */
  async namespaces(tenant: string): Promise<string[]> {
    const folders = await this.storage.findFolders(tenant, '_kv', ['executions', '_files', '_kv']);
    return folders.map((p) => p.segments.slice(0, -1).join('.')).sort();
  }
}

/** The KV entries of one namespace. */
export class NamespaceKV {
  private readonly prefix: StoragePath;

  constructor(
    private readonly storage: LocalStorage,
    readonly tenant: string,
    readonly namespace: string,
  ) {
    this.prefix = StoragePath.of([...namespaceSegments(namespace), '_kv']);
  }

  private pathOf(key: string): StoragePath {
    return this.prefix.child(`${validateKey(key)}.ion`);
  }

  private async load(key: string): Promise<StoredEntry | undefined> {
    let text: string;
    try {
      text = (await this.storage.read(this.tenant, this.pathOf(key), 512 * 1024 * 1024)).toString('utf8');
    } catch (e) {
      if (e instanceof StorageError && e.code === 'STORAGE_NOT_FOUND') return undefined;
      throw e;
    }
    const [doc] = (await ion()).parseIon(text);
    if (!isMap(doc) || !isMap(doc['meta']))
      throw new KVStoreError('KV_CORRUPT', `The KV entry '${key}' of namespace '${this.namespace}' is not readable`);
    const meta = doc['meta'];
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const entry: KVEntry = {
      key,
      creationDate: str(meta['creationDate']) ?? '',
      updateDate: str(meta['updateDate']) ?? '',
      ...(str(meta['expirationDate']) === undefined ? {} : { expirationDate: str(meta['expirationDate']) }),
      ...(str(meta['description']) === undefined ? {} : { description: str(meta['description']) }),
    };
    return { value: doc['value'], entry };
  }

  private static expired(entry: KVEntry, now: number): boolean {
    return entry.expirationDate !== undefined && now > Date.parse(entry.expirationDate);
  }

  /** Stores a value (any engine value: text, numbers, booleans, maps, lists). */
  async put(key: string, value: unknown, options: KVPutOptions = {}): Promise<void> {
    const path = this.pathOf(key);
    const now = options.now ?? Date.now();
    if (options.ttlMs !== undefined && options.ttlMs < 0) throw new KVStoreError('KV_INVALID_VALUE', 'ttl cannot be negative');
    const previous = await this.load(key).catch(() => undefined);
    const live = previous !== undefined && !NamespaceKV.expired(previous.entry, now);
    if (options.overwrite === false && live) {
      throw new KVStoreError(
        'KV_KEY_EXISTS',
        `Cannot set value for key '${key}'. Key already exists and \`overwrite\` is set to \`false\`.`,
      );
    }
    const meta = newMap();
    const iso = new Date(now).toISOString();
    meta['creationDate'] = live ? previous.entry.creationDate : iso;
    meta['updateDate'] = iso;
    if (options.ttlMs !== undefined) meta['expirationDate'] = new Date(now + options.ttlMs).toISOString();
    if (options.description !== undefined) meta['description'] = options.description;
    const doc = newMap();
    doc['value'] = value;
    doc['meta'] = meta;
    await this.storage.put(this.tenant, path, `${(await ion()).toIonLine(doc)}\n`);
  }

  /**
   * The value, or undefined when there is none. An expired entry is deleted and reported with
   * KV_EXPIRED, as Kestra's `getValue` throws `ResourceExpiredException`.
   */
  async getValue(key: string, now = Date.now()): Promise<{ value: unknown } | undefined> {
    const stored = await this.load(key);
    if (stored === undefined) return undefined;
    if (NamespaceKV.expired(stored.entry, now)) {
      await this.delete(key);
      throw new KVStoreError('KV_EXPIRED', 'The requested value has expired');
    }
    return { value: stored.value };
  }

  /** The entry (without its value); undefined when absent or expired. */
  async get(key: string, now = Date.now()): Promise<KVEntry | undefined> {
    const stored = await this.load(key);
    if (stored === undefined) return undefined;
    if (NamespaceKV.expired(stored.entry, now)) {
      await this.delete(key);
      return undefined;
    }
    return stored.entry;
  }

  async delete(key: string): Promise<boolean> {
    return this.storage.delete(this.tenant, this.pathOf(key));
  }

  /** Every live entry, sorted by key. */
  async list(now = Date.now()): Promise<KVEntry[]> {
    const uris = await this.storage.list(this.tenant, this.prefix);
    const out: KVEntry[] = [];
    for (const uri of uris) {
      const name = parseStorageUri(uri).name;
      if (!name.endsWith('.ion')) continue;
      const key = name.slice(0, -'.ion'.length);
      if (!KEY.test(key) || parseStorageUri(uri).segments.length !== this.prefix.segments.length + 1) continue;
      const stored = await this.load(key).catch(() => undefined);
      if (stored !== undefined && !NamespaceKV.expired(stored.entry, now)) out.push(stored.entry);
    }
    return out;
  }

  /** Every entry, expired ones included (PurgeKV decides which to drop). */
  async listAll(): Promise<(KVEntry & { expired: boolean })[]> {
    const uris = await this.storage.list(this.tenant, this.prefix);
    const now = Date.now();
    const out: (KVEntry & { expired: boolean })[] = [];
    for (const uri of uris) {
      const path = parseStorageUri(uri);
      if (path.segments.length !== this.prefix.segments.length + 1 || !path.name.endsWith('.ion')) continue;
      const key = path.name.slice(0, -'.ion'.length);
      if (!KEY.test(key)) continue;
      const stored = await this.load(key).catch(() => undefined);
      if (stored !== undefined) out.push({ ...stored.entry, expired: NamespaceKV.expired(stored.entry, now) });
    }
    return out;
  }
}

/** `a.b` is `a.b.c`'s parent namespace (a flow may read its parents' KV entries, as in Kestra). */
export function isParentNamespace(parent: string, child: string): boolean {
  return child.startsWith(`${parent}.`);
}

/**
 * The namespaces that have flows in a tenant (Kestra's `FlowRepository.findDistinctNamespace`);
 * undefined when they cannot be known (a Redis worker before any server published them).
 */
export type FlowNamespaces = (tenant: string) => Iterable<string> | undefined | Promise<Iterable<string> | undefined>;

/**
 * The KV store as a flow of `fromNamespace` sees it, within its tenant. As in Kestra (OSS, and EE
 * without `allowedNamespaces`), any namespace of the tenant may be read and written; one that is
 * neither the flow's own nor a parent must exist: as Kestra's `NamespaceService`, a namespace
 * some flow's namespace starts with, or one with KV entries. Without `flowNamespaces` (an
 * embedder that has no flows), a namespace exists once something of it is in the storage.
 */
export class FlowKV {
  constructor(
    readonly store: KVStore,
    readonly tenant: string,
    readonly fromNamespace: string,
    readonly flowNamespaces?: FlowNamespaces,
  ) {}

  /** Kestra's `KVStoreService.get`: the flow's own namespace, a parent, or another namespace that exists. */
  async namespace(namespace: string = this.fromNamespace): Promise<NamespaceKV> {
    const kv = this.store.namespace(this.tenant, namespace);
    // KVStoreService.get skips the existence check when the flow's namespace starts with the
    // asked one, as plain text (so `company.te` from `company.team`, as Kestra).
    if (this.fromNamespace.startsWith(namespace)) return kv;
    const flowNamespaces = await this.flowNamespaces?.(this.tenant);
    if (!(await this.#exists(namespace, kv, flowNamespaces))) {
      throw new KVStoreError(
        'KV_NAMESPACE_NOT_FOUND',
        `Cannot access the KV store. The namespace '${namespace}' does not exist.` +
          (flowNamespaces === undefined
            ? ' (Without flows, a namespace exists once something of it is in the storage: a KV entry, a namespace file, a file of one of its executions.)'
            : ''),
      );
    }
    return kv;
  }

  async #exists(namespace: string, kv: NamespaceKV, flowNamespaces: Iterable<string> | undefined): Promise<boolean> {
    if (flowNamespaces === undefined) return this.store.namespaceExists(this.tenant, namespace);
    // NamespaceService.isNamespaceExists compares as plain text: `company.te` exists when
    // `company.team` has flows.
    for (const ns of flowNamespaces) if (ns.startsWith(namespace)) return true;
    // "you can add KV without creating a namespace … or having flows in it" (KVStoreService.get).
    return (await kv.list()).length > 0;
  }

  /** The value from the flow's namespace, else the nearest parent that has the key (Kestra's `kv()` inheritance). */
  async getInherited(key: string): Promise<{ value: unknown; namespace: string } | undefined> {
    let ns = this.fromNamespace;
    for (;;) {
      const found = await this.store.namespace(this.tenant, ns).getValue(key);
      if (found !== undefined) return { value: found.value, namespace: ns };
      const dot = ns.lastIndexOf('.');
      if (dot < 0) return undefined;
      ns = ns.slice(0, dot);
    }
  }
}
