/**
 * The tar.gz reader and writer against GNU tar (Debian's `tar`, always there): what one writes the
 * other reads, long and non-ASCII names (pax headers) and file modes included.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { readTarGz, TarGzWriter, type TarEntry } from '../../src/serdes/tar.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-tar-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LONG = `${'deep/'.repeat(30)}file-with-a-rather-long-name-${'x'.repeat(120)}.py`;
const FILES: Record<string, string> = {
  'pkg/__init__.py': 'VALUE = 42\n',
  'bin/tool': '#!/bin/sh\necho tool\n',
  [LONG]: 'long\n',
  'données/été.txt': 'accents\n',
  'empty.txt': '',
  'big.bin': 'y'.repeat(70_000),
};

async function readAll(archive: string): Promise<{ entries: TarEntry[]; contents: Record<string, string> }> {
  const entries: TarEntry[] = [];
  const contents: Record<string, string> = {};
  await readTarGz(createReadStream(archive), async (entry) => {
    entries.push(entry);
    if (entry.type !== 'file') return undefined;
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
      final(done) {
        contents[entry.name] = Buffer.concat(chunks).toString('utf8');
        done();
      },
    });
    return sink;
  });
  return { entries, contents };
}

test('an archive written here is read back by GNU tar, names, modes and contents kept', async () => {
  const archive = join(dir, 'a.tar.gz');
  const writer = new TarGzWriter(archive);
  await writer.directory('pkg', 0o755, Date.now());
  for (const [name, content] of Object.entries(FILES)) {
    const data = Buffer.from(content, 'utf8');
    await writer.file(name, name === 'bin/tool' ? 0o755 : 0o644, data.length, Date.now(), Readable.from([data]));
  }
  await writer.close();
  const out = join(dir, 'out');
  await mkdir(out);
  execFileSync('tar', ['-xzf', archive, '-C', out]);
  for (const [name, content] of Object.entries(FILES)) expect(await readFile(join(out, name), 'utf8')).toBe(content);
  expect((await stat(join(out, 'bin/tool'))).mode & 0o777).toBe(0o755);
  expect((await stat(join(out, 'pkg/__init__.py'))).mode & 0o777).toBe(0o644);
  // And by the reader here.
  const { contents, entries } = await readAll(archive);
  expect(contents).toEqual(FILES);
  expect(entries.find((e) => e.name === 'pkg')).toEqual({ name: 'pkg', type: 'directory', mode: 0o755, size: 0 });
});

test("GNU tar's archives (pax and gnu long names, a symbolic link) are read here", async () => {
  const src = join(dir, 'src');
  for (const [name, content] of Object.entries(FILES)) {
    await mkdir(join(src, name, '..'), { recursive: true });
    await writeFile(join(src, name), content);
  }
  await chmod(join(src, 'bin/tool'), 0o750);
  execFileSync('ln', ['-s', '../pkg/__init__.py', join(src, 'bin/link')]);
  for (const format of ['pax', 'gnu']) {
    const archive = join(dir, `${format}.tar.gz`);
    execFileSync('tar', ['--format', format, '-czf', archive, '-C', src, '.']);
    const { contents, entries } = await readAll(archive);
    expect(Object.fromEntries(Object.entries(contents).map(([k, v]) => [k.replace(/^\.\//, ''), v]))).toEqual(FILES);
    expect(entries.find((e) => e.name === './bin/tool')?.mode).toBe(0o750);
    expect(entries.find((e) => e.name === './bin/link')?.type).toBe('other');
  }
});

test('a truncated or corrupted archive is refused with a SERDES_BAD_INPUT error', async () => {
  const archive = join(dir, 'a.tar.gz');
  const writer = new TarGzWriter(archive);
  await writer.file('a.txt', 0o644, 3, Date.now(), Readable.from([Buffer.from('abc')]));
  await writer.close();
  const whole = await readFile(archive);
  await writeFile(join(dir, 'cut.tar.gz'), whole.subarray(0, whole.length - 12));
  await expect(readAll(join(dir, 'cut.tar.gz'))).rejects.toMatchObject({ code: 'SERDES_BAD_INPUT' });
  await writeFile(join(dir, 'junk.tar.gz'), 'not gzip at all');
  await expect(readAll(join(dir, 'junk.tar.gz'))).rejects.toMatchObject({ code: 'SERDES_BAD_INPUT' });
  // A header whose checksum does not add up.
  const { gzipSync, gunzipSync } = await import('node:zlib');
  const raw = gunzipSync(whole);
  raw[10] = 0x41;
  await writeFile(join(dir, 'bad.tar.gz'), gzipSync(raw));
  await expect(readAll(join(dir, 'bad.tar.gz'))).rejects.toThrow('checksum');
});

test('a file that changes size while archived fails the writer', async () => {
  const writer = new TarGzWriter(join(dir, 'a.tar.gz'));
  await expect(writer.file('a', 0o644, 2, Date.now(), Readable.from([Buffer.from('abc')]))).rejects.toThrow('grew');
  writer.destroy();
});
