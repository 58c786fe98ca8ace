/**
 * Crash-safe file writes: the new content goes to a temporary file in the same folder and is
 * renamed over the old one, so a reader (or a restart after a crash) sees the old file or the new
 * one, never half of one. `durable` also flushes to disk before the rename (what must
 * survive a power cut, not only the process dying: an execution's end). `createExclusive` publishes a file
 * only if none exists yet, atomically (a hard link refuses an existing name), which is how two
 * processes sharing a folder agree on who created an execution.
 */
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

let counter = 0;
/** A temporary name beside `path`, unique in this process (and across processes by the pid). */
const tempName = (path: string): string => `${path}.${process.pid}.${(counter = (counter + 1) % 1e9)}.tmp`;

/** Folders known to exist: creating one is a syscall per write otherwise. */
const madeDirs = new Set<string>();

async function ensureDir(dir: string): Promise<void> {
  if (madeDirs.has(dir)) return;
  await mkdir(dir, { recursive: true });
  if (madeDirs.size > 10_000) madeDirs.clear();
  madeDirs.add(dir);
}

async function writeTemp(path: string, data: string | Buffer, durable: boolean): Promise<string> {
  await ensureDir(dirname(path));
  const temp = tempName(path);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  }
}

export async function writeFileAtomic(path: string, data: string | Buffer, options: { durable?: boolean } = {}): Promise<void> {
  const durable = options.durable === true;
  if (!durable) {
    // Small files, no flush: the synchronous calls take a fraction of a millisecond, where four
    // trips through libuv's thread pool (open, write, close, rename) queue behind every other one.
    writeSyncAtomic(path, data);
    return;
  }
  const temp = await writeTemp(path, data, durable).catch(async (e: NodeJS.ErrnoException) => {
    // The folder was removed behind our back (a test, an operator): make it again once.
    if (e.code !== 'ENOENT') throw e;
    madeDirs.delete(dirname(path));
    return writeTemp(path, data, durable);
  });
  try {
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  if (durable) await syncDir(dirname(path));
}

function writeSyncAtomic(path: string, data: string | Buffer): void {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
  }
  const temp = tempName(path);
  try {
    writeFileSync(temp, data, { mode: 0o600 });
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && madeDirs.delete(dir)) return writeSyncAtomic(path, data);
    throw e;
  }
}

/** Writes `path` only if it does not exist; false when another writer got there first. */
export async function createExclusive(path: string, data: string | Buffer, options: { durable?: boolean } = {}): Promise<boolean> {
  const durable = options.durable === true;
  const temp = await writeTemp(path, data, durable);
  try {
    await link(temp, path);
    if (durable) await syncDir(dirname(path));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
