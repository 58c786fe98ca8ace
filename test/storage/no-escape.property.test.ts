/**
 * Property: whatever URI or relative path a flow gives, storage never touches a file outside its folder.
 * The storage folder sits next to a "bait" folder; after thousands of random URIs (with `..`, encoded
 * dots, separators, links…) every write either failed with a StorageError or landed inside the storage,
 * and the bait folder is untouched.
 */
import fc from 'fast-check';
import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { StorageError } from '../../src/storage/errors.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { parseStorageUri, splitRelative } from '../../src/storage/uri.js';
import { WorkingDir } from '../../src/storage/working-dir.js';

const nasty = fc.constantFrom(
  '..',
  '.',
  '',
  '%2e%2e',
  '%2E%2e',
  '%2f',
  '%5c',
  '..%2f',
  '%00',
  '\\..',
  '/',
  '\\',
  'link',
  'a',
  'b.txt',
  '~',
  '%2e',
  '..\\..',
  'C:',
  'C:\\x',
);
const segment = fc.oneof(nasty, fc.string({ maxLength: 6 }), fc.stringMatching(/^[a-z.%2e5cf\\/]{1,6}$/));
const uriArb = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.constantFrom('kestra:///', 'kestra://', 'kestra:////', 'kestra:///../'))
  .map(([segments, prefix]) => prefix + segments.join('/'));

let dir: string;
let root: string;
let bait: string;
beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'pf-escape-')));
  root = join(dir, 'storage');
  bait = join(dir, 'bait');
  await mkdir(join(root, 'main'), { recursive: true });
  await mkdir(bait);
  await writeFile(join(bait, 'keep.txt'), 'keep');
  // A link planted inside the storage that points at the bait folder.
  await symlink(bait, join(root, 'main', 'link'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('no kestra:// URI writes or reads outside the storage folder', async () => {
  const storage = new LocalStorage(root);
  await fc.assert(
    fc.asyncProperty(uriArb, async (uri) => {
      let path;
      try {
        path = parseStorageUri(uri);
      } catch (e) {
        expect(e).toBeInstanceOf(StorageError);
        return;
      }
      try {
        await storage.put('main', path, 'x');
      } catch (e) {
        expect(e).toBeInstanceOf(StorageError);
        return;
      }
      const list = await storage.list('main', path);
      expect(list.length).toBeLessThanOrEqual(1);
      await expect(realpath(join(root, 'main', ...path.segments))).resolves.toMatch(
        new RegExp(`^${(root + sep).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`),
      );
    }),
    { numRuns: 1500 },
  );
  expect(await readdir(bait)).toEqual(['keep.txt']);
});

test('no relative path resolves outside a working directory', async () => {
  const wd = await WorkingDir.create(join(dir, 'wds'));
  await symlink(bait, join(wd.path, 'link'));
  await fc.assert(
    fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), async (segments) => {
      const relative = segments.join('/');
      try {
        await wd.createFile(relative, 'x');
      } catch (e) {
        expect(e).toBeInstanceOf(StorageError);
        return;
      }
      const full = await wd.resolve(relative);
      expect(full.startsWith(wd.path + sep)).toBe(true);
    }),
    { numRuns: 1500 },
  );
  expect(await readdir(bait)).toEqual(['keep.txt']);
  expect(() => splitRelative('/etc/passwd')).toThrow(StorageError);
  await wd.cleanup();
});
