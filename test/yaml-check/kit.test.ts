/** The YAML-check kit: positions, duplicate keys in one pass, problems, and bounded source files. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFlowFile } from '../../src/flow/loader.js';
import { MAX_SOURCE_BYTES, ProblemList, parseYaml, readSourceFile, SourceFileError } from '../../src/yaml-check/index.js';
import { runTs } from '../support/cli.js';
import { thrownBy } from '../support/leaks.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-yaml-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sourceError = (fn: () => unknown): SourceFileError => thrownBy(fn, SourceFileError);

describe('parseYaml', () => {
  test('finds duplicate keys in block and flow maps, at any depth, with both positions', () => {
    const source = 'a: 1\nb:\n  c: 1\n  c: 2\nd: { e: 1, e: 2 }\na: 3\n"1": x\n1: y\n';
    const { duplicates, index, syntax } = parseYaml(source);
    expect(syntax).toEqual([]);
    expect(duplicates.map((d) => [d.path.join('.'), index.offset(d.offset).line, index.offset(d.firstOffset).line])).toEqual([
      ['b.c', 4, 3],
      ['d.e', 5, 5],
      ['a', 6, 1],
    ]);
  });

  test('indexes keys and values; a missing path resolves to its nearest parent', () => {
    const { index } = parseYaml('top:\n  list:\n    - name: x\n      value: 1\n', { file: 'f.yaml' });
    expect(index.at(['top', 'list', 0, 'value'])).toEqual({ file: 'f.yaml', line: 4, column: 14 });
    expect(index.at(['top', 'list', 0, 'value'], 'key')).toEqual({ file: 'f.yaml', line: 4, column: 7 });
    expect(index.at(['top', 'list', 0, 'missing'])).toEqual({ file: 'f.yaml', line: 3, column: 7 });
  });

  test('is linear in the number of keys: 40 000 flow variables load in well under the old 6–8 s', async () => {
    // Measured in a child process: plain Node, as a user runs it (best of three, duplicate found).
    const r = await runTs(fileURLToPath(new URL('./load-40k.measure.ts', import.meta.url)), []);
    expect(r.stderr).toBe('');
    const { bestMs, problems } = JSON.parse(r.stdout) as { bestMs: number; problems: string[] };
    console.log(`checkFlow of 40 000 variables: best of 3 = ${bestMs} ms`);
    expect(problems).toEqual(['40004: Duplicate key `v7`']);
    // About a second on a busy 2-core machine; quadratic duplicate detection took 6–8 s unloaded, 11–28 s loaded.
    expect(bestMs).toBeLessThan(5000);
  });
});

describe('ProblemList', () => {
  test('keeps the first problem per path when asked to, and sorts by position', () => {
    const { index } = parseYaml('a: 1\nb: 2\n');
    const list = new ProblemList<{ code: 'X'; message: string; path: string; line?: number; column?: number }>(index, {
      onePerPath: true,
    });
    list.add('X', 'second line', ['b']);
    list.add('X', 'first line', ['a']);
    list.add('X', 'dropped', ['a']);
    expect(list.sorted().map((p) => `${p.path}@${p.line}: ${p.message}`)).toEqual(['a@1: first line', 'b@2: second line']);
  });
});

describe('readSourceFile', () => {
  test('reads a regular file', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'a: 1\n');
    expect(readSourceFile(file)).toBe('a: 1\n');
  });

  test('refuses /dev/zero at once instead of reading forever', () => {
    const error = sourceError(() => readSourceFile('/dev/zero'));
    expect(error.code).toBe('NOT_A_FILE');
    expect(error.message).toBe('it is a character device, not a regular file');
  });

  test('refuses a FIFO without waiting for a writer, and a folder', () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(sourceError(() => readSourceFile(fifo)).message).toBe('it is a FIFO, not a regular file');
    expect(sourceError(() => readSourceFile(dir)).code).toBe('NOT_A_FILE');
  });

  test('refuses a file over the cap without reading it', () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, '');
    truncateSync(big, MAX_SOURCE_BYTES + 1); // sparse: costs no disk
    const error = sourceError(() => readSourceFile(big));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toBe('it is 8 MiB, over the 8 MiB limit');
    expect(sourceError(() => readSourceFile(join(dir, 'small-cap.yaml'), 4)).code).toBe('NOT_FOUND');
    writeFileSync(join(dir, 'five.txt'), '12345');
    expect(sourceError(() => readSourceFile(join(dir, 'five.txt'), 4)).code).toBe('TOO_LARGE');
  });

  test('the flow loader reports these as problems with their own codes', () => {
    expect(checkFlowFile('/dev/zero').problems).toEqual([
      { code: 'NOT_A_FILE', message: 'Cannot read flow file: it is a character device, not a regular file', path: '', file: '/dev/zero' },
    ]);
    expect(checkFlowFile(join(dir, 'big.yaml'), 'big.yaml').problems[0]).toMatchObject({ code: 'FILE_TOO_LARGE', file: 'big.yaml' });
  });
});
