import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJson } from '../../src/engine/builtins/kestra/json.js';
import { JDouble } from '../../src/engine/values.js';
import { convertKVValue, FlowKV, KVStore } from '../../src/kv/kv-store.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { StoragePath } from '../../src/storage/uri.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-kv-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const store = (): KVStore => new KVStore(new LocalStorage(join(dir, 'storage')));

describe('KV store', () => {
  test('values keep their types; files sit at <storage>/<tenant>/<ns path>/_kv/<key>.ion', async () => {
    const kv = store().namespace('main', 'company.team');
    await kv.put('s', 'text');
    await kv.put('n', 42);
    await kv.put('d', new JDouble(2));
    await kv.put('b', true);
    await kv.put('m', { a: [1, 'x', null], b: { c: 1.5 } });
    expect((await kv.getValue('s'))?.value).toBe('text');
    expect((await kv.getValue('n'))?.value).toBe(42);
    expect((await kv.getValue('d'))?.value).toEqual(new JDouble(2));
    expect((await kv.getValue('b'))?.value).toBe(true);
    expect(JSON.parse(JSON.stringify((await kv.getValue('m'))?.value))).toEqual({ a: [1, 'x', null], b: { c: 1.5 } });
    expect(await kv.getValue('missing')).toBeUndefined();
    expect((await readdir(join(dir, 'storage', 'main', 'company', 'team', '_kv'))).sort()).toEqual([
      'b.ion',
      'd.ion',
      'm.ion',
      'n.ion',
      's.ion',
    ]);
    expect((await kv.list()).map((e) => e.key)).toEqual(['b', 'd', 'm', 'n', 's']);
  });

  test('overwrite: false refuses an existing key with Kestra message (InternalKVStoreTest)', async () => {
    const kv = store().namespace('main', 'ns');
    await kv.put('k', 'a');
    await expect(kv.put('k', 'b', { overwrite: false })).rejects.toThrow(
      "Cannot set value for key 'k'. Key already exists and `overwrite` is set to `false`.",
    );
    expect((await kv.getValue('k'))?.value).toBe('a');
  });

  test('ttl: an expired entry is reported expired once, then gone; list and get skip it', async () => {
    const kv = store().namespace('main', 'ns');
    const now = Date.now();
    await kv.put('short', 'v', { ttlMs: 1000, now });
    expect((await kv.getValue('short', now + 500))?.value).toBe('v');
    expect(await kv.list(now + 5000)).toEqual([]);
    await expect(kv.getValue('short', now + 5000)).rejects.toMatchObject({
      code: 'KV_EXPIRED',
      message: 'The requested value has expired',
    });
    expect(await kv.getValue('short', now + 5000)).toBeUndefined();
    await expect(kv.put('neg', 'v', { ttlMs: -1 })).rejects.toThrow('ttl cannot be negative');
  });

  test('invalid keys are refused with Kestra message', async () => {
    const kv = store().namespace('main', 'ns');
    await expect(kv.put('../x', 'v')).rejects.toThrow('Key must start with an alphanumeric character');
    await expect(kv.put('', 'v')).rejects.toThrow('Key cannot be null or empty');
  });

  test('a flow inherits its parents; another namespace of the tenant is reachable once it exists (KVStoreServiceTest)', async () => {
    const kv = new FlowKV(store(), 'main', 'company.team');
    await kv.store.namespace('main', 'company').put('shared', 'from parent');
    await kv.store.namespace('main', 'company.other').put('x', 'sibling');
    expect(await kv.getInherited('shared')).toEqual({ value: 'from parent', namespace: 'company' });
    // Kestra OSS allows every namespace (FlowService.isAllowedNamespace is true; EE restricts only with allowedNamespaces).
    expect((await (await kv.namespace('company.other')).getValue('x'))?.value).toBe('sibling');
    // A parent needs no existence check (shouldGetKVStoreForAnyNamespaceWhenAccessingFromChildNamespace).
    const deep = new FlowKV(kv.store, 'main', 'a.b.c');
    expect(await (await deep.namespace('a')).getValue('x')).toBeUndefined();
    // Neither own nor parent, and nothing stored: it does not exist (shouldThrowExceptionWhenAccessingKVStoreForNonExistingNamespace).
    await expect(kv.namespace('company.team.child')).rejects.toMatchObject({
      code: 'KV_NAMESPACE_NOT_FOUND',
      message: expect.stringContaining("Cannot access the KV store. The namespace 'company.team.child' does not exist.") as unknown,
    });
    await expect(kv.namespace('other.team')).rejects.toThrow("namespace 'other.team' does not exist");
    // Another tenant's entries are never seen.
    expect(await new FlowKV(kv.store, 'other', 'company.team').getInherited('shared')).toBeUndefined();
    expect(await kv.store.namespaces('main')).toEqual(['company', 'company.other']);
  });

  // KVStoreServiceTest (kestra-io/kestra core/src/test/java/io/kestra/core/services/KVStoreServiceTest.java),
  // with NamespaceService answering from the flows (NamespaceService.isNamespaceExists).
  describe('when the flows are known, a namespace exists as in Kestra: some flow namespace starts with it, or it has KV entries', () => {
    const flowNamespaces = ['io.kestra.unittest', 'company.team'];
    const flowKV = (from: string): FlowKV => new FlowKV(store(), 'main', from, () => flowNamespaces);

    test('shouldGetKVStoreForExistingNamespaceGivenFromNull, and a namespace some flow namespace starts with, as plain text', async () => {
      const kv = flowKV('other.ns');
      await expect(kv.namespace('io.kestra.unittest')).resolves.toBeDefined();
      await expect(kv.namespace('company')).resolves.toBeDefined();
      await expect(kv.namespace('company.te')).resolves.toBeDefined();
    });

    test('shouldThrowExceptionWhenAccessingKVStoreForNonExistingNamespace', async () => {
      await expect(flowKV('other.ns').namespace('io.kestra.unittest.unknown')).rejects.toMatchObject({
        code: 'KV_NAMESPACE_NOT_FOUND',
        message: "Cannot access the KV store. The namespace 'io.kestra.unittest.unknown' does not exist.",
      });
    });

    test('shouldGetKVStoreForAnyNamespaceWhenAccessingFromChildNamespace (the check is a plain text prefix)', async () => {
      await expect(flowKV('io.kestra.unittest').namespace('io.kestra')).resolves.toBeDefined();
      await expect(flowKV('zzz.team').namespace('zzz.te')).resolves.toBeDefined();
    });

    test('shouldGetKVStoreFromNonExistingNamespaceWithAKV; an expired entry does not count; other stored files do not either', async () => {
      const kv = flowKV('other.ns');
      await kv.store.namespace('main', 'system').put('key', 'value', { ttlMs: 3_600_000 });
      await expect(kv.namespace('system')).resolves.toBeDefined();
      await kv.store.namespace('main', 'stale').put('key', 'value', { ttlMs: 1 });
      await new Promise((r) => setTimeout(r, 5));
      await expect(kv.namespace('stale')).rejects.toThrow("The namespace 'stale' does not exist.");
      // Without flows (an embedder), the stored expired entry makes it exist: the storage is all there is to go by.
      await expect(new FlowKV(kv.store, 'main', 'other.ns').namespace('stale')).resolves.toBeDefined();
      // An execution's file is no KV entry.
      await kv.store.storage.put('main', StoragePath.of(['files', 'only', 'executions', 'x.txt']), Buffer.from('x'));
      await expect(kv.namespace('files.only')).rejects.toThrow("The namespace 'files.only' does not exist.");
      await expect(new FlowKV(kv.store, 'main', 'other.ns').namespace('files.only')).resolves.toBeDefined();
    });

    test('an unknown list of flow namespaces falls back to the storage', async () => {
      const kv = new FlowKV(store(), 'main', 'other.ns', () => undefined);
      await expect(kv.namespace('io.kestra.unittest')).rejects.toThrow(/does not exist\. \(Without flows/);
    });
  });

  test('kvType conversions as kv.Set does them', () => {
    expect(convertKVValue('42', 'NUMBER', parseJson)).toBe(42);
    expect(convertKVValue('1.5', 'NUMBER', parseJson)).toBe(1.5);
    expect(convertKVValue('TRUE', 'BOOLEAN', parseJson)).toBe(true);
    expect(convertKVValue('{"a":1}', 'JSON', parseJson)).toEqual({ a: 1 });
    expect(convertKVValue('PT1H', 'DURATION', parseJson)).toBe('PT1H');
    expect(convertKVValue('2024-01-31T10:00:00Z', 'DATETIME', parseJson)).toBe('2024-01-31T10:00:00Z');
    expect(() => convertKVValue('abc', 'NUMBER', parseJson)).toThrow("'abc' is not a number");
    expect(() => convertKVValue('tomorrow', 'DATETIME', parseJson)).toThrow(/ISO-8601 instant/);
  });
});

test('a writer killed at any moment never leaves a half-written value', async () => {
  const root = join(dir, 'storage');
  const fixture = fileURLToPath(new URL('./kv-writer.fixture.ts', import.meta.url));
  const kv = new KVStore(new LocalStorage(root)).namespace('main', 'company.team');
  for (let round = 0; round < 4; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, root], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    await new Promise((r) => setTimeout(r, 150 + round * 37));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const value = (await kv.getValue('big'))?.value as { n: number; end: string } | undefined;
    expect(value).toBeDefined();
    expect(value?.end).toBe('END');
  }
}, 120_000);
