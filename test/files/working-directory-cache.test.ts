/**
 * WorkingDirectory `cache: { patterns, ttl }` end to end (kestra-io/kestra core/src/main/java/io/kestra/
 * plugin/core/flow/WorkingDirectory.java `preExecuteTasks`/`postExecuteTasks`, core/src/test/java/io/
 * kestra/plugin/core/flow/WorkingDirectoryTest.java `cache` with flows/valids/working-directory-cache.yml):
 * executions of one flow sharing one storage folder, as the CLI and the server do.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFlow } from '../../src/flow/loader.js';
import { formatProblem } from '../../src/flow/errors.js';
import { entryText, zipEntries, ZipWriter } from '../../src/serdes/zip.js';
import { cachePath } from '../../src/storage/uri.js';
import { logsOf, project, type Project } from './helpers.js';

let p: Project;
let savedTmp: string | undefined;
let tmp: string;
beforeEach(async () => {
  p = await project();
  // working directories go under the project: an entry escaping one is seen there
  tmp = join(p.dir, 'tmp');
  await mkdir(tmp);
  savedTmp = process.env['TMPDIR'];
  process.env['TMPDIR'] = tmp;
});
afterEach(async () => {
  if (savedTmp === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = savedTmp;
  await p.cleanup();
});

/** The local file of a cache (tenant `main`). */
function cacheFile(flowId: string, taskId: string, value?: string): string {
  return join(p.storageDir, 'main', ...cachePath('io.kestra.tests', flowId, taskId, value).segments);
}

async function zipContent(file: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, entry] of await zipEntries(file)) out[name] = await entryText(file, entry);
  return out;
}

/** What a LocalFiles `outputs: ['**']` task saw in the folder: relative path → content. */
async function seen(r: { outputs: Record<string, unknown> }, taskId: string): Promise<Record<string, string>> {
  const uris = (r.outputs[taskId] as { uris: Record<string, string> }).uris;
  const out: Record<string, string> = {};
  for (const [name, uri] of Object.entries(uris)) out[name] = await p.read(uri);
  return out;
}

/** A flow whose WorkingDirectory first lists everything, then writes `files` (none: only lists). */
function flow(id: string, cache: string, files: Record<string, string> = {}, extra = ''): string {
  const writes =
    Object.keys(files).length === 0
      ? ''
      : `
      - id: write
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
${Object.entries(files)
  .map(([k, v]) => `          ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
  .join('\n')}`;
  return `
id: ${id}
namespace: io.kestra.tests
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
${cache}
    tasks:
      - id: list
        type: io.kestra.plugin.core.storage.LocalFiles
        outputs:
          - "**"${writes}${extra}
`;
}

describe('WorkingDirectory cache', () => {
  test('WorkingDirectoryTest.cache: the first run stores hello.txt, the second finds it before its first task', async () => {
    const yaml = `
id: working-directory-cache
namespace: io.kestra.tests

tasks:
  - id: workingDir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
      ttl: PT5m
      patterns:
        - "*.txt"
    tasks:
      - id: exists
        type: io.kestra.plugin.core.storage.LocalFiles
        outputs:
          - hello.txt
      - id: inputFiles
        type: io.kestra.plugin.core.storage.LocalFiles
        inputs:
          hello.txt: |
            HELLO WORLD
`;
    // StorageContext.getCacheURI("workingdir", null): the task id is slugified
    const file = cacheFile('working-directory-cache', 'workingDir');
    expect(file).toContain(join('io', 'kestra', 'tests', 'working-directory-cache', 'workingdir', 'cache', 'cache.zip'));
    expect(existsSync(file)).toBe(false);

    const first = await p.run(yaml);
    expect(first.state).toBe('SUCCESS');
    expect(first.taskRuns).toHaveLength(3);
    expect(first.taskRuns.find((t) => t.taskId === 'exists')?.outputs).toEqual({ uris: {} });
    expect(existsSync(file)).toBe(true);
    expect(await zipContent(file)).toEqual({ 'hello.txt': 'HELLO WORLD\n' });

    const second = await p.run(yaml);
    expect(second.state).toBe('SUCCESS');
    expect(second.taskRuns).toHaveLength(3);
    expect(Object.keys((second.outputs['exists'] as { uris: Record<string, string> }).uris)).toEqual(['hello.txt']);
    expect(await seen(second, 'exists')).toEqual({ 'hello.txt': 'HELLO WORLD\n' });
  });

  test('only the files matching the patterns come back; unchanged files leave the stored cache alone; a change rewrites it', async () => {
    const cache = '      patterns:\n        - "keep/**"\n        - "*.cfg"';
    const file = cacheFile('patterns', 'wd');
    const first = await p.run(flow('patterns', cache, { 'keep/a.txt': 'A', 'keep/sub/b.txt': 'B', 'top.cfg': 'C', 'other.log': 'no' }));
    expect(first.state).toBe('SUCCESS');
    expect(await seen(first, 'list')).toEqual({});
    expect(await zipContent(file)).toEqual({ 'keep/a.txt': 'A', 'keep/sub/b.txt': 'B', 'top.cfg': 'C' });
    const stored = await stat(file);

    // another revision of the flow that only lists: the cache is unpacked before `list`, other.log is not there
    const second = await p.run(flow('patterns', cache));
    expect(second.state).toBe('SUCCESS');
    expect(await seen(second, 'list')).toEqual({ 'keep/a.txt': 'A', 'keep/sub/b.txt': 'B', 'top.cfg': 'C' });
    expect(logsOf(second, 'wd')).toContain("DEBUG Cache files didn't change, skip updating it");
    const after = await stat(file);
    expect(after.ino).toBe(stored.ino);
    expect(after.mtimeMs).toBe(stored.mtimeMs);

    // a run that changes one cached file writes the cache again
    const third = await p.run(flow('patterns', cache, { 'keep/a.txt': 'A2' }));
    expect(third.state).toBe('SUCCESS');
    expect(await seen(third, 'list')).toEqual({ 'keep/a.txt': 'A', 'keep/sub/b.txt': 'B', 'top.cfg': 'C' });
    expect((await stat(file)).ino).not.toBe(stored.ino);
    expect(await zipContent(file)).toEqual({ 'keep/a.txt': 'A2', 'keep/sub/b.txt': 'B', 'top.cfg': 'C' });
  });

  test('ttl: a cache younger than the ttl is used; an older one is not restored and is deleted', async () => {
    const cache = '      ttl: PT10S\n      patterns:\n        - "*.txt"';
    const file = cacheFile('ttl', 'wd');
    expect((await p.run(flow('ttl', cache, { 'x.txt': 'X' }))).state).toBe('SUCCESS');
    expect(existsSync(file)).toBe(true);

    const fresh = await p.run(flow('ttl', cache));
    expect(await seen(fresh, 'list')).toEqual({ 'x.txt': 'X' });

    const past = new Date(Date.now() - 20_000);
    await utimes(file, past, past);
    const expired = await p.run(flow('ttl', cache));
    expect(expired.state).toBe('SUCCESS');
    expect(await seen(expired, 'list')).toEqual({});
    // InternalStorage.getCacheFile deletes an expired cache; nothing matched afterwards, so none is written
    expect(existsSync(file)).toBe(false);
  });

  test('a ForEach keeps one cache per taskrun.value (StorageContext object id)', async () => {
    const yaml = (write: boolean): string => `
id: per-value
namespace: io.kestra.tests
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: ["a", "b"]
    tasks:
      - id: wd
        type: io.kestra.plugin.core.flow.WorkingDirectory
        cache:
          patterns: ["*.txt"]
        tasks:
          - id: list
            type: io.kestra.plugin.core.storage.LocalFiles
            outputs: ["**"]
${
  write
    ? `          - id: write
            type: io.kestra.plugin.core.storage.LocalFiles
            inputs:
              v.txt: "{{ parent.taskrun.value }}"`
    : ''
}
`;
    const first = await p.run(yaml(true));
    expect(first.state).toBe('SUCCESS');
    expect(await zipContent(cacheFile('per-value', 'wd', 'a'))).toEqual({ 'v.txt': 'a' });
    expect(await zipContent(cacheFile('per-value', 'wd', 'b'))).toEqual({ 'v.txt': 'b' });
    expect(existsSync(cacheFile('per-value', 'wd'))).toBe(false);

    const second = await p.run(yaml(false));
    expect(second.state).toBe('SUCCESS');
    const lists = second.taskRuns.filter((t) => t.taskId === 'list');
    expect(lists).toHaveLength(2);
    const contents: string[] = [];
    for (const t of lists) {
      const uris = (t.outputs as { uris: Record<string, string> }).uris;
      expect(Object.keys(uris)).toEqual(['v.txt']);
      contents.push(await p.read(uris['v.txt'] as string));
    }
    expect(contents.sort()).toEqual(['a', 'b']);
  });

  test('the cache is written after a failed child too (postExecuteTasks runs after the loop breaks)', async () => {
    const file = cacheFile('failing', 'wd');
    const r = await p.run(
      flow(
        'failing',
        '      patterns: ["*.txt"]',
        { 'x.txt': 'X' },
        `
      - id: boom
        type: io.kestra.plugin.core.execution.Fail
        errorMessage: boom`,
      ),
    );
    expect(r.state).toBe('FAILED');
    expect(await zipContent(file)).toEqual({ 'x.txt': 'X' });
  });

  test('an archive entry never lands outside the working directory (.., absolute path); the others are unpacked', async () => {
    const tag = randomBytes(6).toString('hex');
    const absolute = join(p.dir, `abs-${tag}.txt`);
    const file = cacheFile('evil', 'wd');
    await mkdir(join(file, '..'), { recursive: true });
    const writer = new ZipWriter(file);
    await writer.entry(`../escape-${tag}.txt`, ['pwned']);
    await writer.entry(`../../escape-${tag}.txt`, ['pwned']);
    await writer.entry(`ok/../../escape-${tag}.txt`, ['pwned']);
    await writer.entry(absolute, ['pwned']);
    await writer.entry('dir/', []);
    await writer.entry('ok.txt', ['fine']);
    await writer.close();

    const r = await p.run(flow('evil', '      patterns: ["*.txt"]'));
    expect(r.state).toBe('SUCCESS');
    expect(await seen(r, 'list')).toEqual({ 'ok.txt': 'fine' });
    expect(logsOf(r, 'wd').filter((l) => l.startsWith(`ERROR Unable to create the file`))).toHaveLength(4);
    expect(existsSync(absolute)).toBe(false);
    expect(existsSync(join(p.dir, `escape-${tag}.txt`))).toBe(false);
    expect((await readdir(tmp)).filter((n) => n.includes(tag))).toEqual([]);
  });

  test('a cache that is not a ZIP archive is ignored with a warning, then replaced', async () => {
    const file = cacheFile('garbage', 'wd');
    await mkdir(join(file, '..'), { recursive: true });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, 'not a zip');
    const r = await p.run(flow('garbage', '      patterns: ["*.txt"]', { 'x.txt': 'X' }));
    expect(r.state).toBe('SUCCESS');
    expect(logsOf(r, 'wd').some((l) => l.startsWith('WARN') && l.includes('not a readable ZIP archive'))).toBe(true);
    expect(await zipContent(file)).toEqual({ 'x.txt': 'X' });
  });

  test('cache.patterns is required and the ttl must be a duration (WorkingDirectory.Cache @NotNull patterns)', () => {
    const problems = (cache: string): string[] =>
      checkFlow(
        `id: f
namespace: io.kestra.tests
tasks:
  - id: wd
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache: ${cache}
    tasks:
      - id: log
        type: io.kestra.plugin.core.log.Log
        message: hi
`,
        { file: 'f.yaml' },
      ).problems.map(formatProblem);
    expect(problems('{ patterns: ["node_modules/**"], ttl: PT1H }')).toEqual([]);
    expect(problems('{ ttl: PT1H }')).toEqual(['f.yaml:6:5: Missing required property `patterns` (at tasks[0].cache)']);
    expect(problems('{ patterns: ["a"], ttl: soon }')).toEqual([
      'f.yaml:6:36: Invalid value for `ttl`: expected an ISO-8601 duration such as PT1H, got `soon` (at tasks[0].cache.ttl)',
    ]);
    expect(problems('{ patterns: ["a"], pattern: ["b"] }')).toEqual([
      'f.yaml:6:31: Unknown property `pattern` (did you mean `patterns`?) (at tasks[0].cache.pattern)',
    ]);
  });
});
