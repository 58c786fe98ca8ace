/**
 * Kestra's file functions for templates — `read(path)`, `fileURI(path)`, `fileSize(path)`,
 * `fileExists(path)`, `isFileEmpty(path)` — as an engine Extension. A path is a `kestra:///…` URI (a
 * file of the current execution, or of the current namespace) or a namespace-file path.
 *
 * Which execution and storage a render belongs to comes from `RenderScope.runtime.storage` (set by
 * the flow runner, out of the template's reach), never from variables a template could overwrite.
 */
import { functionError } from '../engine/builtins/kestra/common.js';
import type { Args, CallContext, Extension, FunctionDefinition, RenderScope } from '../engine/extension.js';
import { StorageError } from './errors.js';
import { RunStorage } from './run-storage.js';
import { isStorageUri, namespaceFileUri } from './uri.js';

/** Largest file `read()` loads into a template. */
export const READ_LIMIT_BYTES = 64 * 1024 * 1024;

/** What the functions need of `RenderScope.runtime` (the flow runner's execution runtime has it). */
export interface StorageRuntime {
  readonly storage?: RunStorage;
}

function storageOf(scope: RenderScope, fn: string): RunStorage {
  const storage = (scope.runtime as StorageRuntime | null | undefined)?.storage;
  if (storage instanceof RunStorage) return storage;
  throw functionError(`The '${fn}' function reads Kestra's internal storage, which only exists while a flow runs (pebbleflow run)`);
}

function pathArg(args: Args, fn: string, expects: string): string {
  if (!Object.hasOwn(args, 'path') || args['path'] === undefined)
    throw functionError(`The '${fn}' function expects an argument 'path' that is ${expects}.`);
  const path = args['path'];
  if (typeof path !== 'string') throw functionError(`Unable to read the file ${String(path)}`);
  return path;
}

/** A StorageError becomes a template error at the call's position; the code stays on `cause`. */
function asTemplateError(e: unknown): unknown {
  return e instanceof StorageError ? functionError(e.message, e) : e;
}

interface Target {
  readonly storage: RunStorage;
  /** The URI, for storage files; the namespace-relative path, for namespace files. */
  readonly uri?: string;
  readonly nsPath?: string;
}

/** Kestra's AbstractFileFunction: a URI is checked against the execution, a plain path is a namespace file. */
function target(args: Args, ctx: CallContext, fn: string, expects: string): Target {
  const path = pathArg(args, fn, expects);
  const storage = storageOf(ctx.scope, fn);
  if (isStorageUri(path)) {
    storage.readablePath(path);
    return { storage, uri: path };
  }
  const ns = args['namespace'];
  if (ns !== undefined && ns !== null && ns !== storage.scope.namespace) {
    throw new StorageError(
      'STORAGE_FORBIDDEN',
      `Unable to read the namespace file '${path}' of namespace '${String(ns)}': a flow of namespace '${storage.scope.namespace}' may only read its own namespace's files`,
    );
  }
  return { storage, nsPath: path };
}

async function withTarget<T>(args: Args, ctx: CallContext, fn: string, expects: string, run: (t: Target) => Promise<T>): Promise<T> {
  try {
    return await run(target(args, ctx, fn, expects));
  } catch (e) {
    if (e instanceof StorageError && e.code === 'STORAGE_NOT_FOUND') {
      const path = String(args['path']);
      const what = isStorageUri(path) ? `'${path}'` : `namespace file '${path}'`;
      throw functionError(`${fn}(): file not found: ${what}`, e);
    }
    throw asTemplateError(e);
  }
}

const URI_OR_NS = 'a path to a namespace file or an internal storage URI';

const read: FunctionDefinition = {
  argNames: ['path', 'namespace'],
  call: (args, ctx) =>
    withTarget(args, ctx, 'read', URI_OR_NS, async (t) => {
      const bytes =
        t.uri !== undefined
          ? await t.storage.readFile(t.uri, READ_LIMIT_BYTES)
          : await t.storage.namespaceFiles().read(t.nsPath ?? '', READ_LIMIT_BYTES);
      return bytes.toString('utf8');
    }),
};

const fileSize: FunctionDefinition = {
  argNames: ['path', 'namespace'],
  call: (args, ctx) =>
    withTarget(args, ctx, 'fileSize', 'a path to the internal storage URI', async (t) => {
      if (t.uri !== undefined) return (await t.storage.stat(t.uri)).size;
      const ns = t.storage.namespaceFiles();
      return (await t.storage.storage.stat(ns.tenant, ns.pathOf(t.nsPath ?? ''))).size;
    }),
};

const fileExists: FunctionDefinition = {
  argNames: ['path', 'namespace'],
  call: (args, ctx) =>
    withTarget(args, ctx, 'fileExists', 'a path to the internal storage URI', async (t) => {
      if (t.uri !== undefined) return t.storage.exists(t.uri);
      const ns = t.storage.namespaceFiles();
      return t.storage.storage.exists(ns.tenant, ns.pathOf(t.nsPath ?? ''));
    }),
};

const isFileEmpty: FunctionDefinition = {
  argNames: ['path', 'namespace'],
  call: (args, ctx) =>
    withTarget(args, ctx, 'isFileEmpty', URI_OR_NS, async (t) => {
      if (t.uri !== undefined) return (await t.storage.stat(t.uri)).size === 0;
      const ns = t.storage.namespaceFiles();
      return (await t.storage.storage.stat(ns.tenant, ns.pathOf(t.nsPath ?? ''))).size === 0;
    }),
};

const fileURI: FunctionDefinition = {
  argNames: ['path'],
  call(args, ctx) {
    if (!Object.hasOwn(args, 'path'))
      throw functionError(`The 'fileURI' function expects an argument 'path' that is a path to a namespace file.`);
    const raw = args['path'];
    if (typeof raw !== 'string')
      throw functionError(`The 'fileURI' function expects an argument 'path' that is a path to a namespace file.`);
    const path = raw.startsWith('/') ? raw.slice(1) : raw;
    if (path.includes('../')) throw functionError("Path must not contain '../'");
    const namespace = ctx.scope.namespace ?? (ctx.scope.runtime as StorageRuntime | null | undefined)?.storage?.scope.namespace;
    if (namespace === undefined) throw functionError(`The 'fileURI' function needs the flow's namespace, which this render does not have`);
    try {
      return namespaceFileUri(namespace, path);
    } catch (e) {
      throw asTemplateError(e);
    }
  },
};

/** `read`, `fileURI`, `fileSize`, `fileExists`, `isFileEmpty`. */
export function storageExtension(): Extension {
  return { functions: { read, fileURI, fileSize, fileExists, isFileEmpty } };
}
