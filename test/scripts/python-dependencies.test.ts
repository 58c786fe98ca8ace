/**
 * Python `dependencies` with plugin-scripts' dependency cache (kestra-io/plugin-scripts
 * plugin-script-python/src/main/java/io/kestra/plugin/scripts/python/internals/PythonEnvironmentManager.java,
 * PythonDependenciesResolver.getRequirementsHashKey, ResolvedPythonPackages.toZippedArchive): a first
 * successful run installs with pip and stores the packages as a tar.gz cache; the next run with the
 * same requirements unpacks them and does not call pip (here: the wheel it would install is gone, and
 * pip has no index); `dependencyCacheEnabled: false` and a failed run store nothing. Real python3, real
 * pip, a wheel made at test time, no network.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { requirementsHash } from '../../src/scripts/python-dependencies.js';
import { cachePath } from '../../src/storage/uri.js';
import { logsOf, project, type Project } from '../files/helpers.js';

const python = (() => {
  try {
    execFileSync('python3', ['-m', 'pip', '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!python) console.warn('\n*** python3 with pip is missing: the Python dependency cache tests are SKIPPED ***\n');
if (!python && process.env['CI'] === 'true') throw new Error('python3 with pip is required under CI=true');
const describePython = python ? describe : describe.skip;

let p: Project;
let wheel: string;
beforeEach(async () => {
  p = await project();
  wheel = join(p.dir, 'pfcached-1.0-py3-none-any.whl');
  execFileSync('python3', [
    '-c',
    [
      'import sys, zipfile',
      "w = zipfile.ZipFile(sys.argv[1], 'w')",
      "w.writestr('pfcached/__init__.py', 'VALUE = \"from the wheel\"\\n')",
      "w.writestr('pfcached-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: pfcached\\nVersion: 1.0\\n')",
      "w.writestr('pfcached-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')",
      "w.writestr('pfcached-1.0.dist-info/RECORD', '')",
      'w.close()',
    ].join('\n'),
    wheel,
  ]);
});
afterEach(async () => {
  await p.cleanup();
});

const flow = (extra = '', script = 'import pfcached\nfrom kestra import Kestra\nKestra.outputs({"value": pfcached.VALUE})'): string => `
id: deps
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    dependencies:
      - "{{ inputs.wheel }}"
    env:
      PIP_NO_INDEX: "1"
      PIP_CONFIG_FILE: /dev/null
    ${extra}
    script: |
${script
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
inputs:
  - id: wheel
    type: STRING
`;

const localVersion = (): string =>
  execFileSync('python3', ['--version'], { encoding: 'utf8' })
    .trim()
    .replace(/^Python /, '');
const hashOf = (version: string, requirements: string[]): string => {
  const digest = createHash('sha256');
  for (const line of [`#pyversion: ${version}`, ...requirements]) digest.update(line);
  return digest.digest('hex');
};
const cacheFile = (hash: string): string =>
  join(
    p.storageDir,
    'main',
    ...cachePath('company.team', 'deps', 'python-dependencies-v0-io.kestra.plugin.scripts.python.Script', hash).segments,
  );

test("the key is the SHA-256 of '#pyversion: <version>' and the requirements, in their given order (getRequirementsHashKey)", () => {
  expect(requirementsHash('3.11.7', ['pandas', 'requests==2.0'])).toBe(
    createHash('sha256').update('#pyversion: 3.11.7pandasrequests==2.0').digest('hex'),
  );
  expect(requirementsHash('3.11.7', ['requests==2.0', 'pandas'])).not.toBe(requirementsHash('3.11.7', ['pandas', 'requests==2.0']));
});

describePython('Python dependency cache', () => {
  test('the second run unpacks the cache the first one stored, and does not call pip', async () => {
    const first = await p.run(flow(), { inputs: { wheel } });
    expect(first.state).toBe('SUCCESS');
    expect(first.outputs['py']).toMatchObject({ vars: { value: 'from the wheel' } });
    const hash = hashOf(localVersion(), [wheel]);
    expect(logsOf(first, 'py')).toContain(`DEBUG Could not find python dependencies cache for key: ${hash}`);
    expect(logsOf(first, 'py')).toContain(`DEBUG Uploading python dependencies cache for key: ${hash}`);
    expect(existsSync(cacheFile(hash))).toBe(true);
    // The archive is Kestra's: requirements.txt first, then the packages, readable by GNU tar.
    const listing = execFileSync('tar', ['-tzf', cacheFile(hash)], { encoding: 'utf8' }).split('\n');
    expect(listing[0]).toBe('requirements.txt');
    expect(listing).toContain('pfcached/__init__.py');

    // pip could not install it now: the wheel is gone and there is no index.
    await rm(wheel);
    const second = await p.run(flow(), { inputs: { wheel } });
    expect(second.state).toBe('SUCCESS');
    expect(second.outputs['py']).toMatchObject({ vars: { value: 'from the wheel' } });
    expect(logsOf(second, 'py')).toEqual(
      expect.arrayContaining([`DEBUG Restoring python dependencies cache for key: ${hash}`, 'DEBUG Cache restored successfully']),
    );
    expect(logsOf(second, 'py').some((l) => l.includes('Uploading python dependencies cache'))).toBe(false);
  }, 60_000);

  test('the key follows pythonVersion; disabled or failed runs store nothing', async () => {
    const pinned = await p.run(flow('pythonVersion: "3.9"'), { inputs: { wheel } });
    expect(pinned.state).toBe('SUCCESS');
    expect(existsSync(cacheFile(hashOf('3.9', [wheel])))).toBe(true);
    expect(existsSync(cacheFile(hashOf(localVersion(), [wheel])))).toBe(false);

    const disabled = await p.run(flow('dependencyCacheEnabled: false'), { inputs: { wheel } });
    expect(disabled.state).toBe('SUCCESS');
    expect(existsSync(cacheFile(hashOf(localVersion(), [wheel])))).toBe(false);

    const failed = await p.run(flow('', 'import pfcached\nraise SystemExit(3)'), { inputs: { wheel } });
    expect(failed.state).toBe('FAILED');
    expect(existsSync(cacheFile(hashOf(localVersion(), [wheel])))).toBe(false);
  }, 60_000);

  test('a cache that cannot be read is installed again and rewritten; entries outside the folder are never written', async () => {
    const hash = hashOf(localVersion(), [wheel]);
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(cacheFile(hash), '..'), { recursive: true });
    await writeFile(cacheFile(hash), 'not a tar.gz');
    const r = await p.run(flow(), { inputs: { wheel } });
    expect(r.state).toBe('SUCCESS');
    expect(logsOf(r, 'py').some((l) => l.startsWith(`WARN The python dependencies cache for key ${hash} cannot be read`))).toBe(true);
    expect(execFileSync('tar', ['-tzf', cacheFile(hash)], { encoding: 'utf8' })).toContain('pfcached/__init__.py');

    // A hostile archive: a path out of the folder, and a symbolic link.
    const evil = join(p.dir, 'evil');
    await mkdir(join(evil, 'pfcached'), { recursive: true });
    await writeFile(join(evil, 'pfcached', '__init__.py'), 'VALUE = "from the cache"\n');
    await writeFile(join(p.dir, 'escaped.txt'), 'original');
    execFileSync('ln', ['-s', '/etc', join(evil, 'link')]);
    execFileSync('tar', [
      '-czf',
      cacheFile(hash),
      '-C',
      evil,
      'pfcached',
      'link',
      '-P',
      '--transform',
      's,^,,',
      join(p.dir, 'escaped.txt'),
    ]);
    await rm(wheel);
    const hostile = await p.run(flow(), { inputs: { wheel } });
    expect(hostile.state).toBe('SUCCESS');
    expect(hostile.outputs['py']).toMatchObject({ vars: { value: 'from the cache' } });
    expect(logsOf(hostile, 'py').filter((l) => l.startsWith('WARN Skipping the cache entry'))).toHaveLength(2);
  }, 60_000);
});
