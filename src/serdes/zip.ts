/**
 * The ZIP container of .xlsx files (and of WorkingDirectory cache archives), on node:zlib alone: a reader that finds entries through the central
 * directory of a local file and streams one entry at a time, and a streaming writer (deflated entries
 * with data descriptors, so nothing is held in memory). No ZIP64: entries and files stay under 4 GiB.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { SerdesError } from './errors.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly offset: number;
}

/** What the ZIP file is to the user, for error messages (`.xlsx (ZIP)` unless told). */
const XLSX = '.xlsx (ZIP)';

function bad(message: string, what: string = XLSX): SerdesError {
  return new SerdesError('SERDES_BAD_INPUT', `Not a valid ${what} file: ${message}`);
}

/** The entries of a local ZIP file, from its central directory. */
export async function zipEntries(path: string, what: string = XLSX): Promise<Map<string, ZipEntry>> {
  const handle = await open(path);
  try {
    const { size } = await handle.stat();
    const tailSize = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailSize);
    await handle.read(tail, 0, tailSize, size - tailSize);
    let eocd = -1;
    for (let i = tailSize - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw bad('no end of central directory', what);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = Buffer.alloc(cdSize);
    await handle.read(cd, 0, cdSize, cdOffset);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    while (p + 46 <= cd.length && cd.readUInt32LE(p) === 0x02014b50) {
      const method = cd.readUInt16LE(p + 10);
      const compressedSize = cd.readUInt32LE(p + 20);
      const uncompressed = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const local = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      entries.set(name, { name, method, compressedSize, size: uncompressed, offset: local });
      p += 46 + nameLen + extraLen + commentLen;
    }
    // the data of each entry starts after its local header (whose name/extra lengths may differ)
    for (const e of entries.values()) {
      const header = Buffer.alloc(30);
      await handle.read(header, 0, 30, e.offset);
      if (header.readUInt32LE(0) !== 0x04034b50) throw bad(`no local header for ${e.name}`, what);
      (e as { offset: number }).offset = e.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    }
    return entries;
  } finally {
    await handle.close();
  }
}

/** The uncompressed bytes of one entry, streamed. */
export function entryStream(path: string, entry: ZipEntry, what: string = XLSX): Readable {
  const raw =
    entry.compressedSize === 0
      ? Readable.from([])
      : createReadStream(path, { start: entry.offset, end: entry.offset + entry.compressedSize - 1 });
  if (entry.method === 0) return raw;
  if (entry.method !== 8) throw bad(`compression method ${entry.method} of ${entry.name}`, what);
  const inflate = zlib.createInflateRaw();
  raw.on('error', (e: Error) => inflate.destroy(e));
  return raw.pipe(inflate);
}

export async function entryText(path: string, entry: ZipEntry): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of entryStream(path, entry)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// --- writing ------------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(crc: number, buf: Uint8Array): number {
  let c = crc ^ -1;
  for (let i = 0; i < buf.length; i++) c = (CRC_TABLE[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** A ZIP file written entry after entry; an entry's text is written in pieces, deflated as it comes. */
export class ZipWriter {
  private readonly out: WriteStream;
  private offset = 0;
  private readonly central: Buffer[] = [];
  private failure: Error | undefined;
  private readonly stamp = { time: 0, date: ((2000 - 1980) << 9) | (1 << 5) | 1 };

  constructor(path: string) {
    this.out = createWriteStream(path);
    this.out.on('error', (e) => (this.failure = e));
  }

  private async raw(buf: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.offset += buf.length;
    if (!this.out.write(buf)) await once(this.out, 'drain');
  }

  /** Writes one entry whose content comes from `pieces` (strings are UTF-8). */
  async entry(name: string, pieces: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>): Promise<void> {
    const nameBuf = Buffer.from(name, 'utf8');
    const start = this.offset;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0x0808, 6); // data descriptor, UTF-8 names
    header.writeUInt16LE(8, 8);
    header.writeUInt16LE(this.stamp.time, 10);
    header.writeUInt16LE(this.stamp.date, 12);
    header.writeUInt16LE(nameBuf.length, 26);
    await this.raw(Buffer.concat([header, nameBuf]));
    let crc = 0;
    let size = 0;
    let compressed = 0;
    const deflate = zlib.createDeflateRaw({ level: 6 });
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    const drainTo = async (): Promise<void> => {
      while (chunks.length > 0) {
        const c = chunks.shift() as Buffer;
        compressed += c.length;
        await this.raw(c);
      }
    };
    for await (const piece of pieces) {
      const buf = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.from(piece);
      if (buf.length === 0) continue;
      crc = crc32(crc, buf);
      size += buf.length;
      if (!deflate.write(buf)) await once(deflate, 'drain');
      await drainTo();
    }
    deflate.end();
    await once(deflate, 'end');
    await drainTo();
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(compressed, 8);
    descriptor.writeUInt32LE(size, 12);
    await this.raw(descriptor);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0808, 8);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt16LE(this.stamp.time, 12);
    cd.writeUInt16LE(this.stamp.date, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(compressed, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt32LE(start, 42);
    this.central.push(Buffer.concat([cd, nameBuf]));
  }

  async close(): Promise<void> {
    const cdStart = this.offset;
    const cd = Buffer.concat(this.central);
    await this.raw(cd);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.central.length, 8);
    end.writeUInt16LE(this.central.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(cdStart, 16);
    await this.raw(end);
    await new Promise<void>((resolve) => this.out.end(resolve));
    if (this.failure !== undefined) throw this.failure;
  }

  destroy(): void {
    this.out.destroy();
  }
}
