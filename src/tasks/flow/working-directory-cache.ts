/**
 * WorkingDirectory's `cache: { patterns, ttl }` (Kestra's `WorkingDirectory.preExecuteTasks` /
 * `postExecuteTasks`): before the children run, the ZIP kept for this task (and `taskrun.value`) is
 * unpacked into the folder; after them, the files matching `patterns` are zipped back — only when one
 * of them changed — into `kestra:///<namespace>/<flow>/<task>/cache[/<hash of value>]/cache.zip` of the
 * tenant's storage, where the next execution (CLI or server, same storage) finds it.
 *
 * The archive comes from an earlier run, maybe of another flow revision: it is treated as untrusted.
 * An entry is written only at a checked relative path inside the folder (no `..`, no absolute path, no
 * way through a symbolic link), as a new regular file; a refused entry is logged and skipped.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { entryStream, zipEntries, ZipWriter } from '../../serdes/zip.js';
import type { RunStorage } from '../../storage/run-storage.js';
import type { WorkingDir } from '../../storage/working-dir.js';
import { asDurationMs } from '../coerce.js';
import { TaskError } from '../types.js';
import type { LogLevel } from '../../flow/schema.js';

export interface CacheOption {
  readonly patterns: readonly string[];
  /** Undefined: the cache never expires. */
  readonly ttlMs: number | undefined;
}

/** What the restore left behind, for deciding whether the cache must be written again. */
export interface RestoredCache {
  /** Kestra's `cacheDownloadedTime`: when the cache was unpacked (epoch ms), 0 when there was none. */
  readonly downloadedAt: number;
  /** Each unpacked file's mtime and size right after unpacking. */
  readonly files: ReadonlyMap<string, { readonly mtimeMs: number; readonly size: number }>;
}

type Log = (level: LogLevel, message: string) => void;

const ARCHIVE = 'WorkingDirectory cache (ZIP)';

/** Reads `cache` as written in the flow (not dynamic in Kestra): `patterns` is required. */
export function cacheOption(raw: unknown): CacheOption | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new TaskError('INVALID_PROPERTY', 'Invalid value for `cache`: expected a map with patterns and ttl');
  const { patterns, ttl } = raw as Record<string, unknown>;
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string')) {
    throw new TaskError('INVALID_PROPERTY', 'Invalid value for `cache.patterns`: expected a list of glob patterns (it is required)');
  }
  return { patterns: patterns as string[], ttlMs: asDurationMs(ttl, 'cache.ttl') };
}

/** `preExecuteTasks`: unpacks the cache into the folder when there is one and it has not expired. */
export async function restoreCache(
  storage: RunStorage,
  wd: WorkingDir,
  cacheId: string,
  objectId: string | undefined,
  cache: CacheOption,
  log: Log,
): Promise<RestoredCache> {
  const none: RestoredCache = { downloadedAt: 0, files: new Map() };
  const stream = await storage.getCacheFile(cacheId, objectId, cache.ttlMs);
  if (stream === undefined) return none;
  const uri = storage.cachePath(cacheId, objectId).toUri();
  log('DEBUG', 'Cache exist, downloading it');
  const temp = await mkdtemp(join(tmpdir(), 'pebbleflow-cache-'));
  const files = new Map<string, { mtimeMs: number; size: number }>();
  try {
    const archive = join(temp, 'cache.zip');
    await pipeline(stream, createWriteStream(archive, { flags: 'wx' }));
    let entries;
    try {
      entries = await zipEntries(archive, ARCHIVE);
    } catch (e) {
      // Kestra fails the task here; a cache that cannot be read is rather ignored, then rewritten.
      log('WARN', `The cache ${uri} is not a readable ZIP archive, it is ignored: ${(e as Error).message}`);
      return none;
    }
    for (const entry of entries.values()) {
      if (entry.name.endsWith('/')) continue;
      try {
        const file = await wd.resolve(entry.name);
        await mkdir(dirname(file), { recursive: true });
        // the folder may not lead out through a link created meanwhile, and the file must be new ('wx')
        if ((await wd.resolve(entry.name)) !== file) throw new Error('it resolves through a symbolic link');
        await pipeline(entryStream(archive, entry, ARCHIVE), createWriteStream(file, { flags: 'wx' }));
        const info = await stat(file);
        files.set(entry.name.replace(/\\/g, '/'), { mtimeMs: info.mtimeMs, size: info.size });
      } catch (e) {
        log('ERROR', `Unable to create the file ${entry.name}: ${(e as Error).message}`);
      }
    }
  } finally {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
  }
  return { downloadedAt: Date.now(), files };
}

/**
 * `postExecuteTasks`: zips the files matching the patterns (paths relative to the folder) into the
 * cache — only when one was modified after the cache was unpacked (any, when none was), as Kestra does.
 * An invalid glob fails the task (Kestra's PatternSyntaxException); any other error is logged.
 */
export async function saveCache(
  storage: RunStorage,
  wd: WorkingDir,
  cacheId: string,
  objectId: string | undefined,
  cache: CacheOption,
  restored: RestoredCache,
  log: Log,
): Promise<void> {
  const matches = await wd.findAllFilesMatching(cache.patterns);
  try {
    let updated = false;
    for (const relative of matches) {
      const info = await stat(join(wd.path, relative)).catch(() => undefined);
      const before = restored.files.get(relative);
      // Kestra: modified after cacheDownloadedTime (ms). A file system clock tick can be coarser than
      // that, so a file unpacked from the cache also counts as changed when its mtime or size moved.
      if (
        info === undefined ||
        Math.floor(info.mtimeMs) > restored.downloadedAt ||
        (restored.downloadedAt > 0 && (before === undefined || before.mtimeMs !== info.mtimeMs || before.size !== info.size))
      ) {
        updated = true;
        break;
      }
    }
    if (!updated) {
      log('DEBUG', "Cache files didn't change, skip updating it");
      return;
    }
    log('DEBUG', 'Cache files changed, we update the cache');
    const temp = await mkdtemp(join(tmpdir(), 'pebbleflow-cache-'));
    try {
      const archive = join(temp, 'cache.zip');
      const writer = new ZipWriter(archive);
      try {
        for (const relative of matches) {
          await writer.entry(relative, createReadStream(join(wd.path, relative)));
        }
        await writer.close();
      } catch (e) {
        writer.destroy();
        throw e;
      }
      const uri = await storage.putCacheFile(archive, cacheId, objectId);
      log('DEBUG', `Caching in ${uri}`);
    } finally {
      await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    }
  } catch (e) {
    log('ERROR', `Unable to execute WorkingDirectory post actions: ${(e as Error).message}`);
  }
}
