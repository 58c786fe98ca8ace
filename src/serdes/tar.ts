/**
 * Gzipped tar archives (POSIX ustar, with pax headers for long paths and big sizes), written and read
 * as streams: the format of plugin-scripts' Python dependency cache (`ResolvedPythonPackages
 * .toZippedArchive`, commons-compress with LONGFILE_POSIX).
 *
 * The reader hands each entry to the caller, which decides where (and whether) it is written: an
 * archive read back from the storage is untrusted, so entries are names and modes, never paths.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { SerdesError } from './errors.js';

const BLOCK = 512;
/** The largest size an ustar header holds (11 octal digits); beyond, a pax `size` record says it. */
const MAX_OCTAL_SIZE = 0o77777777777;

/** A tar archive that cannot be read (truncated, a bad checksum, not gzip) or written. */
export class TarError extends SerdesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERDES_BAD_INPUT', message, options);
  }
}

export interface TarEntry {
  /** The entry's path inside the archive, with `/` separators (a directory's ends with `/` in the archive, not here). */
  readonly name: string;
  /** Regular files and directories; anything else (links, devices) is `other`. */
  readonly type: 'file' | 'directory' | 'other';
  /** Permission bits (`0o755`). */
  readonly mode: number;
  readonly size: number;
}

/** Writes a `.tar.gz` file entry by entry. */
export class TarGzWriter {
  readonly #gzip: Gzip;
  readonly #file: WriteStream;
  readonly #done: Promise<void>;

  constructor(path: string) {
    this.#gzip = createGzip();
    this.#file = createWriteStream(path, { flags: 'wx' });
    this.#gzip.pipe(this.#file);
    this.#done = new Promise((resolve, reject) => {
      this.#file.once('close', resolve);
      this.#file.once('error', reject);
      this.#gzip.once('error', reject);
    });
    // Errors surface through close(); a listener keeps an early one from being unhandled.
    this.#done.catch(() => undefined);
  }

  async directory(name: string, mode: number, mtimeMs: number): Promise<void> {
    await this.#write(header(name.endsWith('/') ? name : `${name}/`, '5', mode, 0, mtimeMs));
  }

  /** A regular file whose content is `content` (exactly `size` bytes). */
  async file(name: string, mode: number, size: number, mtimeMs: number, content: Readable): Promise<void> {
    await this.#write(header(name, '0', mode, size, mtimeMs));
    let written = 0;
    for await (const chunk of content) {
      const buffer = chunk as Buffer;
      written += buffer.length;
      if (written > size) throw new TarError(`${name} grew while it was archived`);
      await this.#write(buffer);
    }
    if (written !== size) throw new TarError(`${name} shrank while it was archived`);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) await this.#write(Buffer.alloc(pad));
  }

  /** Ends the archive (two zero blocks) and waits until the file is written. */
  async close(): Promise<void> {
    await this.#write(Buffer.alloc(2 * BLOCK));
    this.#gzip.end();
    await this.#done;
  }

  /** Stops writing (after a failure); the caller removes the file. */
  destroy(): void {
    this.#gzip.destroy();
    this.#file.destroy();
  }

  async #write(data: Buffer): Promise<void> {
    if (!this.#gzip.write(data)) await once(this.#gzip, 'drain');
  }
}

/** The ustar header of one entry, preceded by a pax header when the name or size does not fit. */
function header(name: string, type: '0' | '5', mode: number, size: number, mtimeMs: number): Buffer {
  const pax: string[] = [];
  const split = splitName(name);
  if (split === undefined) pax.push(paxRecord('path', name));
  if (size > MAX_OCTAL_SIZE) pax.push(paxRecord('size', String(size)));
  const mtime = Math.floor(mtimeMs / 1000);
  const main = block(split ?? { prefix: '', name: asciiName(name) }, type, mode, size > MAX_OCTAL_SIZE ? 0 : size, mtime);
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.join(''), 'utf8');
  const paxHeader = block({ prefix: '', name: asciiName(`PaxHeaders/${name}`) }, 'x', 0o644, body.length, mtime);
  const pad = Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK);
  return Buffer.concat([paxHeader, body, pad, main]);
}

/** A name split into ustar's prefix (155 bytes) and name (100 bytes) fields, or undefined when it cannot be. */
function splitName(name: string): { prefix: string; name: string } | undefined {
  if (!/^[\x20-\x7e]*$/.test(name)) return undefined;
  if (name.length <= 100) return { prefix: '', name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return { prefix, name: rest };
    if (prefix.length <= 155) return undefined;
  }
  return undefined;
}

/** The ASCII stand-in written in the ustar field when a pax `path` holds the real name. */
const asciiName = (name: string): string => name.replace(/[^\x20-\x7e]/g, '_').slice(-100);

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  // The record's length counts its own digits.
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

function block(names: { prefix: string; name: string }, type: string, mode: number, size: number, mtime: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(names.name, 0, 100, 'utf8');
  octal(b, 100, 8, mode & 0o7777);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, size);
  octal(b, 136, 12, mtime);
  b.fill(0x20, 148, 156);
  b.write(type, 156, 1, 'ascii');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.write(names.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  octal(b, 148, 8, sum);
  return b;
}

function octal(b: Buffer, offset: number, length: number, value: number): void {
  b.write(value.toString(8).padStart(length - 1, '0') + '\u0000', offset, length, 'ascii');
}

// --- reading -----------------------------------------------------------------------------------------

/**
 * Reads a `.tar.gz` stream; for each entry, `onEntry` returns where its content goes (a file's), or
 * undefined to skip it. Entries come in archive order; a file's writable is ended before the next entry.
 */
export async function readTarGz(source: Readable, onEntry: (entry: TarEntry) => Promise<Writable | undefined>): Promise<void> {
  const gunzip = createGunzip();
  source.once('error', (e) => gunzip.destroy(e));
  source.pipe(gunzip);
  let buffer: Buffer = Buffer.alloc(0);
  let ended = false;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  const iterator = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  /** At least `n` bytes buffered, or false at the end of the stream. */
  const fill = async (n: number): Promise<boolean> => {
    while (buffer.length < n && !ended) {
      let next: IteratorResult<Buffer>;
      try {
        next = await iterator.next();
      } catch (e) {
        throw new TarError(`The archive is not a readable gzip stream: ${(e as Error).message}`, { cause: e });
      }
      if (next.done === true) ended = true;
      else buffer = buffer.length === 0 ? next.value : Buffer.concat([buffer, next.value]);
    }
    return buffer.length >= n;
  };
  const take = (n: number): Buffer => {
    const out = buffer.subarray(0, n);
    buffer = buffer.subarray(n);
    return out;
  };
  /** Streams `size` bytes (and the padding) to `out`, or skips them; `failed` settles when `out` fails. */
  const body = async (size: number, out: Writable | undefined, failed: Promise<void>): Promise<void> => {
    let left = size;
    while (left > 0) {
      if (!(await fill(1))) throw new TarError('The archive ends inside an entry');
      const chunk = take(Math.min(left, buffer.length));
      left -= chunk.length;
      if (out !== undefined && !out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) {
      if (!(await fill(pad))) throw new TarError('The archive ends inside an entry');
      take(pad);
    }
  };
  const text = async (size: number): Promise<string> => {
    if (size > 1024 * 1024) throw new TarError('An archive header record is too large');
    if (!(await fill(size))) throw new TarError('The archive ends inside a header');
    const out = take(size).toString('utf8');
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) {
      if (!(await fill(pad))) throw new TarError('The archive ends inside a header');
      take(pad);
    }
    return out;
  };
  try {
    for (;;) {
      if (!(await fill(BLOCK))) throw new TarError('The archive ends without its end-of-archive blocks');
      const h = take(BLOCK);
      if (h.every((byte) => byte === 0)) return;
      checkSum(h);
      const type = String.fromCharCode(h[156]!);
      const size = parseSize(h);
      if (type === 'x') {
        pax = parsePax(await text(size));
        continue;
      }
      if (type === 'g') {
        await text(size);
        continue;
      }
      if (type === 'L') {
        longName = (await text(size)).replace(/\0+$/, '');
        continue;
      }
      const prefix = field(h, 345, 155);
      const name = pax['path'] ?? longName ?? (prefix === '' ? field(h, 0, 100) : `${prefix}/${field(h, 0, 100)}`);
      const realSize = pax['size'] === undefined ? size : Number(pax['size']);
      if (!Number.isSafeInteger(realSize) || realSize < 0) throw new TarError(`Invalid size for ${name}`);
      pax = {};
      longName = undefined;
      const entry: TarEntry = {
        name: name.replace(/\/+$/, ''),
        type: type === '0' || type === '\0' || type === '7' ? 'file' : type === '5' ? 'directory' : 'other',
        mode: parseInt(field(h, 100, 8).trim() || '0', 8) & 0o7777,
        size: type === '5' ? 0 : realSize,
      };
      const out = entry.type === 'file' ? await onEntry(entry) : (await onEntry(entry), undefined);
      // Settles when the destination is written, rejects as soon as it fails (a write error is never unhandled).
      const finished =
        out === undefined
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              out.once('finish', resolve);
              out.once('error', reject);
            });
      finished.catch(() => undefined);
      // Links and devices have no content worth reading; a directory's size is 0.
      const failed = finished.then(() => new Promise<never>(() => undefined));
      failed.catch(() => undefined);
      await body(entry.type === 'directory' ? 0 : realSize, out, failed);
      if (out !== undefined) {
        out.end();
        await finished;
      }
    }
  } finally {
    source.unpipe(gunzip);
    gunzip.destroy();
  }
}

function field(h: Buffer, offset: number, length: number): string {
  const raw = h.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

function parseSize(h: Buffer): number {
  // Base-256 (GNU) for sizes beyond 8 GiB.
  if ((h[124]! & 0x80) !== 0) {
    let value = 0;
    for (let i = 125; i < 136; i++) value = value * 256 + h[i]!;
    return value;
  }
  const text = field(h, 124, 12).trim();
  const value = text === '' ? 0 : parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new TarError('Invalid entry size in the archive');
  return value;
}

function checkSum(h: Buffer): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  if (parseInt(field(h, 148, 8).trim(), 8) !== sum) throw new TarError('The archive has a corrupted header (checksum)');
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\d+ ([^=]+)=(.*)$/s.exec(line);
    if (m !== null) out[m[1]!] = m[2]!;
  }
  return out;
}
