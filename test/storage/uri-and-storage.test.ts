import { mkdtemp, mkdir, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { StorageError } from '../../src/storage/errors.js';
import {
  cachePath,
  executionPrefix,
  namespaceFileUri,
  namespaceOf,
  parseStorageUri,
  relationTo,
  StoragePath,
  taskRunPrefix,
} from '../../src/storage/uri.js';
import { RunStorage } from '../../src/storage/run-storage.js';
import { hashToString } from '../../src/storage/hashing.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-storage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exec = { namespace: 'company.team', flowId: 'My Flow_1', executionId: 'EXEC1' };

describe('kestra:// URIs', () => {
  test("Kestra's layout: namespace as folders, slugified flow and task ids", () => {
    // StorageContext.PREFIX_FORMAT_TASK in kestra-io/kestra core/src/main/java/io/kestra/core/storages/StorageContext.java
    expect(executionPrefix(exec).toUri()).toBe('kestra:///company/team/my-flow-1/executions/EXEC1');
    expect(
      taskRunPrefix({ ...exec, taskId: 'my_task', taskRunId: 'RUN1' })
        .child('out.ion')
        .toUri(),
    ).toBe('kestra:///company/team/my-flow-1/executions/EXEC1/tasks/my-task/RUN1/out.ion');
  });

  test("fileURI's namespace-file URI (FileURIFunctionTest)", () => {
    expect(namespaceFileUri('my.namespace', 'test')).toBe('kestra:///my/namespace/_files/test');
  });

  test('percent-escapes are decoded per segment and re-encoded on the way out', () => {
    const p = parseStorageUri('kestra:///a/b/my%20file.csv');
    expect(p.segments).toEqual(['a', 'b', 'my file.csv']);
    expect(p.toUri()).toBe('kestra:///a/b/my%20file.csv');
    expect(parseStorageUri('kestra:///a/x+y.csv').name).toBe('x+y.csv');
  });

  test.each([
    ['kestra:///a/../b', 'STORAGE_PATH_ESCAPE'],
    ['kestra:///a/%2e%2e/b', 'STORAGE_PATH_ESCAPE'],
    ['kestra:///a/./b', 'STORAGE_PATH_ESCAPE'],
    ['kestra:///a//b', 'STORAGE_INVALID_URI'],
    ['kestra:///a/%2Fb', 'STORAGE_INVALID_URI'],
    ['kestra:///a/b%5Cc', 'STORAGE_INVALID_URI'],
    ['kestra:///a/%00', 'STORAGE_INVALID_URI'],
    ['kestra://host/a', 'STORAGE_INVALID_URI'],
    ['file:///etc/passwd', 'STORAGE_INVALID_URI'],
    ['/etc/passwd', 'STORAGE_INVALID_URI'],
    ['kestra:///a?x=1', 'STORAGE_INVALID_URI'],
    ['kestra:///a/%zz', 'STORAGE_INVALID_URI'],
  ])('%s is refused with %s', (uri, code) => {
    let error: unknown;
    try {
      parseStorageUri(uri);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe(code);
  });

  test('relationTo tells own namespace files and executions from a child namespace', () => {
    const own = parseStorageUri('kestra:///company/team/flow/executions/E/tasks/t/R/f.ion');
    expect(relationTo(own, 'company.team')).toEqual({ kind: 'execution', flowSlug: 'flow', executionId: 'E' });
    expect(relationTo(own, 'company')).toBeUndefined();
    expect(relationTo(parseStorageUri('kestra:///company/team/_files/a/b.txt'), 'company.team')).toEqual({
      kind: 'namespace-file',
      relative: ['a', 'b.txt'],
    });
    expect(relationTo(parseStorageUri('kestra:///company/team/_kv/key.ion'), 'company.team')).toBeUndefined();
    expect(namespaceOf(own)).toBe('company.team');
    expect(namespaceOf(parseStorageUri('kestra:///a/executions/tasks/flow/executions/E/tasks/t/R/f'))).toBe('a.executions.tasks');
  });
});

describe('LocalStorage', () => {
  test('put/get/stat/list/delete, one file per URI under <root>/<tenant>', async () => {
    const storage = new LocalStorage(join(dir, 'storage'));
    const path = StoragePath.of(['company', 'team', 'f', 'executions', 'E', 'tasks', 't', 'R', 'a.txt']);
    const uri = await storage.put('main', path, 'hello');
    expect(uri).toBe('kestra:///company/team/f/executions/E/tasks/t/R/a.txt');
    expect(
      await readFile(join(dir, 'storage', 'main', 'company', 'team', 'f', 'executions', 'E', 'tasks', 't', 'R', 'a.txt'), 'utf8'),
    ).toBe('hello');
    expect((await storage.read('main', path)).toString()).toBe('hello');
    expect((await storage.stat('main', path)).size).toBe(5);
    expect(await storage.exists('main', path)).toBe(true);
    expect(await storage.exists('other', path)).toBe(false);
    const other = StoragePath.of(['company', 'team', 'f', 'executions', 'E', 'tasks', 't', 'R', 'b.txt']);
    await storage.put('main', other, Readable.from([Buffer.from('x'), Buffer.from('y')]));
    expect((await storage.read('main', other)).toString()).toBe('xy');
    expect(await storage.list('main', StoragePath.of(['company']))).toEqual([
      'kestra:///company/team/f/executions/E/tasks/t/R/a.txt',
      'kestra:///company/team/f/executions/E/tasks/t/R/b.txt',
    ]);
    expect(await storage.delete('main', path)).toBe(true);
    expect(await storage.delete('main', path)).toBe(false);
    await expect(storage.get('main', path)).rejects.toMatchObject({ code: 'STORAGE_NOT_FOUND' });
  });

  test('a write that goes over maxBytes fails and leaves nothing behind', async () => {
    const storage = new LocalStorage(join(dir, 'storage'));
    const path = StoragePath.of(['n', 'f', 'big.bin']);
    const chunks = Readable.from(
      (function* () {
        for (let i = 0; i < 10; i++) yield Buffer.alloc(1000, 1);
      })(),
    );
    await expect(storage.put('main', path, chunks, { maxBytes: 5000 })).rejects.toMatchObject({ code: 'STORAGE_TOO_LARGE' });
    expect(await readdir(join(dir, 'storage', 'main', 'n', 'f'))).toEqual([]);
  });

  test('a symbolic link inside the storage that leads out is refused', async () => {
    const root = join(dir, 'storage');
    const outside = join(dir, 'outside');
    await mkdir(join(root, 'main', 'ns'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'top secret');
    await symlink(outside, join(root, 'main', 'ns', 'link'));
    const storage = new LocalStorage(root);
    await expect(storage.read('main', StoragePath.of(['ns', 'link', 'secret.txt']))).rejects.toMatchObject({ code: 'STORAGE_PATH_ESCAPE' });
    await expect(storage.put('main', StoragePath.of(['ns', 'link', 'new.txt']), 'x')).rejects.toMatchObject({
      code: 'STORAGE_PATH_ESCAPE',
    });
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  test('namespace files live in their own folder when configured (DIR/<namespace>/…)', async () => {
    const nsDir = join(dir, 'nsfiles');
    await mkdir(join(nsDir, 'company.team', 'scripts'), { recursive: true });
    await writeFile(join(nsDir, 'company.team', 'scripts', 'etl.py'), 'print(1)');
    const storage = new LocalStorage(join(dir, 'storage'), { namespaceFilesDir: nsDir });
    expect((await storage.read('main', parseStorageUri('kestra:///company/team/_files/scripts/etl.py'))).toString()).toBe('print(1)');
  });
});

describe('RunStorage access rules', () => {
  const scope = { tenant: 'main', namespace: 'company.team', flowId: 'flow', executionId: 'E1', taskId: 't', taskRunId: 'R1' };

  test('writes go under the task run, reads of its execution and namespace are allowed', async () => {
    const run = new RunStorage(new LocalStorage(join(dir, 's')), scope);
    const uri = await run.putData('data', 'out.txt');
    expect(uri).toBe('kestra:///company/team/flow/executions/E1/tasks/t/R1/out.txt');
    expect((await run.readFile(uri)).toString()).toBe('data');
    // Another execution of the same namespace (a KV-stored URI, as in kv.Set's example) is readable.
    const other = new RunStorage(run.storage, { ...scope, executionId: 'E2' });
    expect((await other.readFile(uri)).toString()).toBe('data');
  });

  test('another namespace, a child namespace, the KV store and non-execution paths are refused', async () => {
    const run = new RunStorage(new LocalStorage(join(dir, 's')), scope);
    const stranger = new RunStorage(run.storage, { ...scope, namespace: 'company' });
    const uri = await run.putData('data', 'out.txt');
    await expect(stranger.readFile(uri)).rejects.toMatchObject({
      code: 'STORAGE_FORBIDDEN',
      message: expect.stringContaining("it belongs to namespace 'company.team'"),
    });
    expect(() => run.readablePath('kestra:///company/team/_kv/key.ion')).toThrow(StorageError);
    expect(() => run.readablePath('kestra:///etc/passwd')).toThrow(/not an execution file or a namespace file/);
  });

  test('a subflow may read its parent execution files', async () => {
    const parent = new RunStorage(new LocalStorage(join(dir, 's')), { ...scope, namespace: 'other.ns', flowId: 'parent' });
    const uri = await parent.putData('p', 'p.txt');
    const child = new RunStorage(parent.storage, { ...scope, parent: { namespace: 'other.ns', flowId: 'parent', executionId: 'E1' } });
    expect((await child.readFile(uri)).toString()).toBe('p');
  });

  test('deleteExecutionFiles removes inputs, outputs and triggers of this execution only', async () => {
    const run = new RunStorage(new LocalStorage(join(dir, 's')), scope);
    const a = await run.putData('a', 'a.txt');
    const b = await run.putInput('file', 'data.csv', 'x,y');
    const keep = await new RunStorage(run.storage, { ...scope, executionId: 'E2' }).putData('k', 'k.txt');
    expect((await run.deleteExecutionFiles()).sort()).toEqual([a, b].sort());
    expect(await run.exists(keep)).toBe(true);
  });
});

describe('cache files (InternalStorage getCacheFile / putCacheFile / deleteCacheFile)', () => {
  test('StorageContextTest.shouldGetTaskCachePrefix: per flow and cache id, a murmur3 folder per object id', () => {
    expect(cachePath('namespace', 'flowid', 'taskid', null).toString()).toBe('/namespace/flowid/taskid/cache/cache.zip');
    expect(cachePath('namespace', 'flowid', 'taskid', 'value').toString()).toBe(
      '/namespace/flowid/taskid/cache/7d04fd3bbbc0946dc06caf7356fdf051/cache.zip',
    );
    // WorkingDirectoryTest.cache: getCacheURI("workingdir", null) for the task `workingDir` (Slugify.of)
    expect(cachePath('io.kestra.tests', 'working-directory-cache', 'workingDir').toUri()).toBe(
      'kestra:///io/kestra/tests/working-directory-cache/workingdir/cache/cache.zip',
    );
  });

  test("Hashing.hashToString is Guava's murmur3_128 (empty, a short tail, two blocks and a long tail)", () => {
    expect(hashToString('')).toBe('00000000000000000000000000000000');
    expect(hashToString('The quick brown fox jumps over the lazy dog')).toBe('6c1b07bc7bbc4be347939ac4a93c437a');
    expect(hashToString('value')).toBe('7d04fd3bbbc0946dc06caf7356fdf051');
  });

  test('a cache older than the ttl is not returned and is deleted; without ttl it is kept', async () => {
    const run = new RunStorage(new LocalStorage(join(dir, 's')), {
      tenant: 'main',
      namespace: 'company.team',
      flowId: 'f',
      executionId: 'E1',
    });
    const local = join(dir, 'c.zip');
    await writeFile(local, 'zip bytes');
    expect(await run.putCacheFile(local, 'wd', 'v')).toBe(run.cachePath('wd', 'v').toUri());
    const file = join(dir, 's', 'main', ...run.cachePath('wd', 'v').segments);
    expect(await readFile(file, 'utf8')).toBe('zip bytes');
    const read = async (ttl?: number): Promise<string | undefined> => {
      const stream = await run.getCacheFile('wd', 'v', ttl);
      if (stream === undefined) return undefined;
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    };
    expect(await run.getCacheFile('wd', undefined)).toBeUndefined();
    expect(await read(60_000)).toBe('zip bytes');
    const past = new Date(Date.now() - 120_000);
    await utimes(file, past, past);
    expect(await read()).toBe('zip bytes');
    expect(await read(60_000)).toBeUndefined();
    expect(await run.deleteCacheFile('wd', 'v')).toBe(false);
  });
});
