/**
 * Reads a file the user named (a flow, a config, an inputs or context file) only if it is a regular
 * file under a size cap: `/dev/zero`, a FIFO or a 2 GB file gets a clear error at once instead of
 * a read that never ends or exhausts memory.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** The largest flow, config, inputs or context file read (flows of thousands of tasks stay far below). */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

export type SourceFileErrorCode = 'NOT_FOUND' | 'UNREADABLE' | 'NOT_A_FILE' | 'TOO_LARGE';

/** Why a file was not read; `message` completes "Cannot read X: …" and never quotes content. */
export class SourceFileError extends Error {
  readonly code: SourceFileErrorCode;
  constructor(code: SourceFileErrorCode, message: string) {
    super(message);
    this.name = 'SourceFileError';
    this.code = code;
  }
}

/** `12.5 MiB`, `300 KiB`, `12 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The file's text (UTF-8), or a `SourceFileError`. */
export function readSourceFile(path: string, maxBytes: number = MAX_SOURCE_BYTES): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang; it is refused just below.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SourceFileError('NOT_FOUND', 'no such file');
    if (code === 'EISDIR') throw new SourceFileError('NOT_A_FILE', 'it is a folder, not a file');
    throw new SourceFileError('UNREADABLE', code ?? (e as Error).message);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new SourceFileError('NOT_A_FILE', `it is ${kindOf(stat)}, not a regular file`);
    if (stat.size > maxBytes)
      throw new SourceFileError('TOO_LARGE', `it is ${formatBytes(stat.size)}, over the ${formatBytes(maxBytes)} limit`);
    // Read at most one byte past the cap: a file that grows (or a /proc file that reports size 0) is still bounded.
    let buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(stat.size + 1, 64 * 1024)));
    let used = 0;
    for (;;) {
      if (used === buffer.length) {
        if (used > maxBytes) throw new SourceFileError('TOO_LARGE', `it is over the ${formatBytes(maxBytes)} limit`);
        const bigger = Buffer.alloc(Math.min(maxBytes + 1, buffer.length * 2));
        buffer.copy(bigger);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, used, buffer.length - used, null);
      if (n === 0) break;
      used += n;
    }
    return buffer.toString('utf8', 0, used);
  } finally {
    closeSync(fd);
  }
}
