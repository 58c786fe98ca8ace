/**
 * Crash-safe file writes: the new content goes to a temporary file in the same folder and is
 * renamed over the old one, so a reader (or a restart after a crash) sees the old file or the new
 * one, never half of one. `durable` also flushes to disk before the rename (states that must
 * survive a power cut: an execution's creation and its end). `createExclusive` publishes a file
 * only if none exists yet, atomically (a hard link refuses an existing name), which is how two
 * processes sharing a folder agree on who created an execution.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

async function writeTemp(path: string, data: string | Buffer, durable: boolean): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
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
  const temp = await writeTemp(path, data, durable);
  try {
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  if (durable) await syncDir(dirname(path));
}

/** Writes `path` only if it does not exist; false when another writer got there first. */
export async function createExclusive(path: string, data: string | Buffer): Promise<boolean> {
  const temp = await writeTemp(path, data, true);
  try {
    await link(temp, path);
    await syncDir(dirname(path));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
