/**
 * read(), fileURI(), fileSize(), fileExists(), isFileEmpty() and kv() through a real engine, with the
 * cases of Kestra's tests (core/src/test/java/io/kestra/core/runners/pebble/functions/ReadFileFunctionTest,
 * FileURIFunctionTest, FileSizeFunctionTest, KvFunctionTest).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../src/pebbleflow-engine.js';
import { storageExtension } from '../../src/storage/functions.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { RunStorage } from '../../src/storage/run-storage.js';
import { FlowKV, KVStore } from '../../src/kv/kv-store.js';
import { kvExtension } from '../../src/kv/functions.js';
import type { RenderScope } from '../../src/engine/extension.js';

let dir: string;
let run: RunStorage;
let scope: RenderScope;
const engine = createEngine({ extensions: [storageExtension(), kvExtension()] });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-fn-'));
  const nsDir = join(dir, 'namespaces');
  await mkdir(join(nsDir, 'io.kestra.tests'), { recursive: true });
  await writeFile(join(nsDir, 'io.kestra.tests', 'file.txt'), 'Hello from {{ flow.namespace }}');
  const local = new LocalStorage(join(dir, 'storage'), { namespaceFilesDir: nsDir });
  run = new RunStorage(local, {
    tenant: 'main',
    namespace: 'io.kestra.tests',
    flowId: 'flow',
    executionId: 'EXEC',
    taskId: 't',
    taskRunId: 'R',
  });
  const kv = new FlowKV(new KVStore(local), 'main', 'io.kestra.tests');
  // As the flow runner does: the execution's storage and KV store in the render's runtime.
  scope = { tenant: 'main', namespace: 'io.kestra.tests', runtime: { storage: run, kv } };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const context = { flow: { id: 'flow', namespace: 'io.kestra.tests', tenantId: 'main' }, execution: { id: 'EXEC' } };
const render = (template: string, extra: Record<string, unknown> = {}): Promise<string> =>
  engine.render(template, { ...context, ...extra }, scope);

describe('read()', () => {
  test('a namespace file, rendered with render() (readNamespaceFile)', async () => {
    expect(await render("{{ render(read('file.txt')) }}")).toBe('Hello from io.kestra.tests');
  });

  test('an unknown namespace file fails with the file named (readUnknownNamespaceFile)', async () => {
    await expect(render("{{ read('unknown.txt') }}")).rejects.toThrow("read(): file not found: namespace file 'unknown.txt'");
  });

  test('a file of the current execution, as a URI string or a variable (readInternalStorageFile/URI)', async () => {
    const uri = await run.putData('Hello from a task output', '123456.ion');
    expect(await render(`{{ read('${uri}') }}`)).toBe('Hello from a task output');
    expect(await render('{{ read(file) }}', { file: uri })).toBe('Hello from a task output');
  });

  test("another namespace's file is refused with the reason (readUnauthorizedInternalStorageFile)", async () => {
    const uri = 'kestra:///notme/flow/executions/notme/tasks/task/R/123456.ion';
    await expect(render(`{{ read('${uri}') }}`)).rejects.toThrow(
      /Unable to read the file 'kestra:\/\/\/notme\/flow\/executions\/notme\/tasks\/task\/R\/123456.ion': it belongs to namespace 'notme'/,
    );
    await expect(render("{{ read('../other/secret.txt') }}")).rejects.toThrow(/'\.' or '\.\.' segments/);
    await expect(render("{{ read('/etc/passwd') }}")).rejects.toThrow(/not found|File not found/);
    await expect(render("{{ read('x.txt', namespace='other.ns') }}")).rejects.toThrow(/may only read its own namespace's files/);
  });

  test('a template cannot widen its rights by redefining flow or execution', async () => {
    const other = new RunStorage(run.storage, { ...run.scope, namespace: 'other.ns' });
    const uri = await other.putData('secret', 's.txt');
    await expect(render(`{% set flow = {"namespace": "other.ns", "id": "flow"} %}{{ read('${uri}') }}`)).rejects.toThrow(
      /belongs to namespace 'other.ns'/,
    );
  });

  test('without a run (pebbleflow render), read() says where it works', async () => {
    await expect(engine.render("{{ read('x') }}", context, { namespace: 'io.kestra.tests' })).rejects.toThrow(
      /only exists while a flow runs/,
    );
  });
});

describe('fileURI(), fileSize(), fileExists(), isFileEmpty()', () => {
  test("fileURI gives the namespace file's URI and refuses ../ (FileURIFunctionTest)", async () => {
    expect(await render('{{ fileURI(fileA) }}', { fileA: 'test' })).toBe('kestra:///io/kestra/tests/_files/test');
    await expect(render('{{ fileURI(fileA) }}', { fileA: '../test' })).rejects.toThrow("Path must not contain '../'");
  });

  test('fileSize of a task output (returnsCorrectSize_givenStringUri_andCurrentExecution)', async () => {
    const uri = await run.putData('Hello from a task output', '123456.ion');
    expect(await render(`{{ fileSize('${uri}') }}`)).toBe('24');
    expect(await render("{{ fileSize('file.txt') }}")).toBe('31');
  });

  test('fileExists and isFileEmpty', async () => {
    const full = await run.putData('x', 'full.txt');
    const empty = await run.putData('', 'empty.txt');
    expect(await render(`{{ fileExists('${full}') }} {{ fileExists('${full}.nope') }} {{ fileExists('file.txt') }}`)).toBe(
      'true false true',
    );
    expect(await render(`{{ isFileEmpty('${full}') }} {{ isFileEmpty('${empty}') }}`)).toBe('false true');
    await expect(render(`{{ isFileEmpty('${full}.nope') }}`)).rejects.toThrow(/file not found/);
  });
});

describe('kv()', () => {
  test('reads a value with its type; parents are searched (KvFunctionTest.get)', async () => {
    const kv = new FlowKV(new KVStore(run.storage), 'main', 'io.kestra.tests');
    await kv.store.namespace('main', 'io.kestra.tests').put('my-key', { field: 'value' });
    await kv.store.namespace('main', 'io.kestra').put('parent-key', 42);
    expect(await render("{{ kv('my-key').field }}")).toBe('value');
    expect(await render("{{ kv('parent-key') + 1 }}")).toBe('43');
    expect(await render("{{ kv('my-key', 'io.kestra.tests').field }}")).toBe('value');
  });

  test('a missing key fails with Kestra message unless errorOnMissing is false (KvFunctionTest.getKeyNotFound)', async () => {
    await expect(render("{{ kv('my-key', 'io.kestra.tests', true).field }}")).rejects.toThrow(
      "The key 'my-key' does not exist in the namespace 'io.kestra.tests'. ({{ kv('my-key', 'io.kestra.tests', true).field }}:1)",
    );
    expect(await render("{{ kv('my-key', errorOnMissing=false) ?? 'none' }}")).toBe('none');
  });

  test('another namespace is refused while it does not exist, read once it does (KvFunction through KVStoreService.get)', async () => {
    await expect(render("{{ kv('k', 'company.other') }}")).rejects.toThrow(
      "Cannot access the KV store. The namespace 'company.other' does not exist.",
    );
    await new KVStore(run.storage).namespace('main', 'company.other').put('k', 'shared');
    expect(await render("{{ kv('k', 'company.other') }}")).toBe('shared');
  });
});
