/**
 * Kestra's internal-storage URIs as data: `kestra:///<namespace as path>/<flow slug>/executions/<id>/tasks/<task slug>/<task run id>/<file>`
 * and the other prefixes of Kestra's `StorageContext` (execution inputs, triggers, namespace files, KV store).
 *
 * A URI is only ever turned into a list of checked path segments: no `.` or `..`, no empty segment, no
 * separator or NUL inside a segment. Everything that maps a URI to a file goes through `storagePath`.
 */
import { slugify } from '../engine/builtins/kestra/strings.js';
import { StorageError } from './errors.js';
import { hashToString } from './hashing.js';

export const KESTRA_SCHEME = 'kestra';
export const KESTRA_PROTOCOL = 'kestra://';

/** The identity of one execution: what its files' URIs are made of. */
export interface ExecutionIdentity {
  readonly namespace: string;
  readonly flowId: string;
  readonly executionId: string;
}

/** The identity of one task run (a file a task writes goes under its prefix). */
export interface TaskRunIdentity extends ExecutionIdentity {
  readonly taskId: string;
  readonly taskRunId: string;
}

/** A storage path split into checked segments; `toString()` gives `/a/b/c`. */
export class StoragePath {
  private constructor(readonly segments: readonly string[]) {}

  static of(segments: readonly string[]): StoragePath {
    for (const segment of segments) checkSegment(segment, segments.join('/'));
    return new StoragePath([...segments]);
  }

  /** `/a/b` + `c/d` → `/a/b/c/d` (the relative part is checked the same way). */
  child(relative: string): StoragePath {
    return StoragePath.of([...this.segments, ...splitRelative(relative)]);
  }

  startsWith(prefix: StoragePath): boolean {
    if (prefix.segments.length > this.segments.length) return false;
    return prefix.segments.every((s, i) => this.segments[i] === s);
  }

  get name(): string {
    return this.segments[this.segments.length - 1] ?? '';
  }

  toString(): string {
    return `/${this.segments.join('/')}`;
  }

  /** The `kestra:///…` URI of this path, each segment percent-encoded where a URI needs it. */
  toUri(): string {
    return `${KESTRA_PROTOCOL}/${this.segments.map(encodeSegment).join('/')}`;
  }
}

const SEGMENT_SAFE = /^[A-Za-z0-9._~!$&'()*+,;=:@-]+$/;

function encodeSegment(segment: string): string {
  if (SEGMENT_SAFE.test(segment)) return segment;
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function checkSegment(segment: string, whole: string): void {
  if (segment === '') throw new StorageError('STORAGE_INVALID_URI', `Invalid storage path '${whole}': empty path segment`);
  if (segment === '.' || segment === '..') {
    throw new StorageError(
      'STORAGE_PATH_ESCAPE',
      `Invalid storage path '${whole}': files must be accessed with their full path, not with '.' or '..' segments`,
    );
  }
  if (/[/\\\u0000]/.test(segment)) {
    throw new StorageError('STORAGE_INVALID_URI', `Invalid storage path '${whole}': a segment holds '/', '\\' or a NUL character`);
  }
}

/** Splits a relative path (`a/b/c.txt`) into checked segments; absolute paths are refused. */
export function splitRelative(relative: string): string[] {
  if (relative.startsWith('/') || relative.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(relative)) {
    throw new StorageError('STORAGE_PATH_ESCAPE', `Invalid path '${relative}': only relative paths are accepted here`);
  }
  const segments = relative.split('/');
  for (const segment of segments) checkSegment(segment, relative);
  return segments;
}

export function isStorageUri(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(KESTRA_PROTOCOL);
}

/**
 * Parses `kestra:///a/b/c.txt` into its checked path. Percent-escapes are decoded per segment;
 * a host part (`kestra://host/…`), a query or a fragment is refused.
 */
export function parseStorageUri(uri: string): StoragePath {
  if (typeof uri !== 'string' || !uri.startsWith(KESTRA_PROTOCOL)) {
    throw new StorageError('STORAGE_INVALID_URI', `Invalid internal storage uri, got uri '${String(uri)}': it must start with kestra:///`);
  }
  const rest = uri.slice(KESTRA_PROTOCOL.length);
  if (!rest.startsWith('/')) {
    throw new StorageError(
      'STORAGE_INVALID_URI',
      `Invalid internal storage uri '${uri}': expected kestra:/// followed by a path (three slashes), as task outputs print it`,
    );
  }
  if (/[?#]/.test(rest))
    throw new StorageError('STORAGE_INVALID_URI', `Invalid internal storage uri '${uri}': no query or fragment allowed`);
  const raw = rest.slice(1).split('/');
  const segments = raw.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      throw new StorageError('STORAGE_INVALID_URI', `Invalid internal storage uri '${uri}': bad percent-escape in '${s}'`, { cause: e });
    }
  });
  try {
    return StoragePath.of(segments);
  } catch (e) {
    if (e instanceof StorageError)
      throw new StorageError(e.code, `${e.message.replace(/^Invalid storage path '[^']*'/, `Invalid internal storage uri '${uri}'`)}`);
    throw e;
  }
}

/** `company.team` → `["company", "team"]` (Kestra stores namespaces as folders). */
export function namespaceSegments(namespace: string): string[] {
  const segments = namespace.split('.');
  for (const s of segments)
    if (s === '' || s === '..' || /[/\\\u0000]/.test(s)) throw new StorageError('STORAGE_INVALID_URI', `Invalid namespace '${namespace}'`);
  return segments;
}

/** `/company/team/my-flow/executions/<id>`: every file of one execution lives under it. */
export function executionPrefix(id: ExecutionIdentity): StoragePath {
  return StoragePath.of([...namespaceSegments(id.namespace), slugify(id.flowId), 'executions', id.executionId]);
}

/** `/company/team/my-flow/executions/<id>/tasks/<task slug>/<task run id>`: where a task run's files go. */
export function taskRunPrefix(id: TaskRunIdentity): StoragePath {
  return StoragePath.of([...executionPrefix(id).segments, 'tasks', slugify(id.taskId), id.taskRunId]);
}

/** `/…/executions/<id>/inputs/<input id>/<file name>`: a FILE input's content. */
export function inputFilePath(id: ExecutionIdentity, inputId: string, fileName: string): StoragePath {
  return StoragePath.of([...executionPrefix(id).segments, 'inputs', inputId, fileName]);
}

/** `/company/team/_files`: the namespace files of a namespace, as Kestra addresses them. */
export function namespaceFilesPrefix(namespace: string): StoragePath {
  return StoragePath.of([...namespaceSegments(namespace), '_files']);
}

/** `kestra:///company/team/_files/<path>`: the URI Kestra's `fileURI()` gives a namespace file. */
export function namespaceFileUri(namespace: string, relativePath: string): string {
  return namespaceFilesPrefix(namespace).child(relativePath).toUri();
}

/**
 * Kestra's `StorageContext.getCacheURI`: `/<namespace as path>/<flow slug>/<cache id slug>/cache/cache.zip`, or
 * with an object id (a WorkingDirectory's `taskrun.value`) `…/cache/<murmur3 hash of it>/cache.zip`.
 */
export function cachePath(namespace: string, flowId: string, cacheId: string, objectId?: string | null): StoragePath {
  const base = [...namespaceSegments(namespace), slugify(flowId), slugify(cacheId), 'cache'];
  return StoragePath.of(
    objectId === undefined || objectId === null ? [...base, 'cache.zip'] : [...base, hashToString(objectId), 'cache.zip'],
  );
}

/** What a storage path is to a namespace: one of its namespace files, one of its executions' files, or neither. */
export type NamespaceRelation =
  | { readonly kind: 'namespace-file'; readonly relative: readonly string[] }
  | { readonly kind: 'execution'; readonly flowSlug: string; readonly executionId: string }
  | undefined;

const EXECUTION_PARTS = new Set(['tasks', 'trigger', 'inputs']);

/** Whether `path` is a namespace file or an execution file of exactly `namespace` (not a child namespace). */
export function relationTo(path: StoragePath, namespace: string): NamespaceRelation {
  const ns = namespaceSegments(namespace);
  const s = path.segments;
  if (s.length <= ns.length + 1 || !ns.every((segment, i) => s[i] === segment)) return undefined;
  const next = s[ns.length];
  if (next === '_files') return { kind: 'namespace-file', relative: s.slice(ns.length + 1) };
  // <flow slug>/executions/<id>/(tasks|trigger|inputs)/…
  if (s[ns.length + 1] === 'executions' && s.length > ns.length + 4 && EXECUTION_PARTS.has(s[ns.length + 3] ?? '')) {
    return { kind: 'execution', flowSlug: next ?? '', executionId: s[ns.length + 2] ?? '' };
  }
  return undefined;
}

/**
 * The namespace a path belongs to, read as Kestra does for its error messages: from the end for execution
 * files (namespaces and ids may contain the words `executions` and `tasks`), else before `_files`.
 */
export function namespaceOf(path: StoragePath): string | undefined {
  const s = path.segments;
  for (let i = s.length - 3; i >= 2; i--) {
    if (s[i] === 'executions' && EXECUTION_PARTS.has(s[i + 2] ?? '')) return s.slice(0, i - 1).join('.');
  }
  const filesAt = s.indexOf('_files');
  return filesAt > 0 ? s.slice(0, filesAt).join('.') : undefined;
}
