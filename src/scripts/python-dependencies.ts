/**
 * Python `dependencies` of the script tasks, as plugin-scripts' `PythonEnvironmentManager` handles
 * them with its PIP package manager: installed with pip into a folder first on PYTHONPATH, and, with
 * `dependencyCacheEnabled` (default true), kept in the storage after a successful run so that the next
 * run with the same requirements unpacks them instead of calling pip.
 *
 * The cache is Kestra's: a tar.gz (`requirements.txt`, then the installed packages) stored with
 * `putCacheFile("python-dependencies-v0-<task type>", <hash>)`, the hash being the SHA-256 of
 * `#pyversion: <version>` followed by the requirements in their given order
 * (`PythonDependenciesResolver.getRequirementsHashKey`). An archive read back is untrusted: only
 * regular files and directories, at checked relative paths inside the packages folder, are written.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { readTarGz, TarGzWriter } from '../serdes/tar.js';
import type { ScriptMetric } from './protocol.js';

/** Kestra's `PythonBasedPlugin.DEFAULT_PYTHON_VERSION`: the version in the cache key when none can be found. */
export const DEFAULT_PYTHON_VERSION = '3.13';
/** Kestra's `PythonEnvironmentManager.CACHE_FORMAT_VERSION`. */
const CACHE_FORMAT_VERSION = 0;
const REQUIREMENTS_TXT = 'requirements.txt';

/** What the dependency step needs from the script runner. */
export interface PythonDependencyHost {
  readonly storage: {
    getCacheFile(cacheId: string, objectId: string): Promise<Readable | undefined>;
    putCacheFile(localFile: string, cacheId: string, objectId: string): Promise<string>;
  };
  log(level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', message: string): void;
}

export interface PythonDependencyOptions {
  readonly dependencies: readonly string[];
  readonly cacheEnabled: boolean;
  /** The `pythonVersion` property, if set. */
  readonly pythonVersion: string | undefined;
  /** The task's type (the cache id is per task type, as Kestra's). */
  readonly taskType: string;
  /** The python program (`python3` or `python`). */
  readonly python: string;
  readonly env: Readonly<Record<string, string>>;
  /** Where the packages go (created here; first on PYTHONPATH). */
  readonly target: string;
}

/** The dependency step of one run. */
export interface PythonDependencies {
  /** Shell lines that install what the cache did not give (empty when it did). */
  readonly commands: readonly string[];
  /** Kestra's `deps.cache.download.duration`, when the cache was used. */
  readonly metrics: readonly ScriptMetric[];
  /** After a successful run: stores the installed packages when they were not restored (Kestra's `uploadCache`). */
  afterSuccess(): Promise<readonly ScriptMetric[]>;
}

/** Kestra's `getRequirementsHashKey`: the requirements in their given order, after the Python version. */
export function requirementsHash(version: string, requirements: readonly string[]): string {
  const digest = createHash('sha256');
  for (const line of [`#pyversion: ${version}`, ...requirements]) digest.update(line, 'utf8');
  return digest.digest('hex');
}

export async function preparePythonDependencies(host: PythonDependencyHost, o: PythonDependencyOptions): Promise<PythonDependencies> {
  const none: PythonDependencies = { commands: [], metrics: [], afterSuccess: async () => [] };
  if (o.dependencies.length === 0) return none;
  await mkdir(o.target, { recursive: true });
  const install = installCommands(o);
  if (!o.cacheEnabled) return { ...none, commands: install };

  const version = o.pythonVersion ?? (await localPythonVersion(o.python, o.env)) ?? fallbackVersion(host);
  const hash = requirementsHash(version, o.dependencies);
  const cacheId = `python-dependencies-v${CACHE_FORMAT_VERSION}-${o.taskType}`;
  const started = Date.now();
  const cached = await host.storage.getCacheFile(cacheId, hash);
  if (cached !== undefined) {
    host.log('DEBUG', `Restoring python dependencies cache for key: ${hash}`);
    try {
      await unpack(cached, o.target, host);
      host.log('DEBUG', 'Cache restored successfully');
      const seconds = (Date.now() - started) / 1000;
      return {
        commands: [],
        metrics: [{ name: 'deps.cache.download.duration', type: 'timer', value: seconds, tags: {} }],
        afterSuccess: async () => [],
      };
    } catch (e) {
      // Kestra fails the task on an unreadable cache; installing again (and rewriting it) loses nothing.
      host.log(
        'WARN',
        `The python dependencies cache for key ${hash} cannot be read, the dependencies are installed again: ${(e as Error).message}`,
      );
      await rm(o.target, { recursive: true, force: true });
      await mkdir(o.target, { recursive: true });
    }
  } else host.log('DEBUG', `Could not find python dependencies cache for key: ${hash}`);

  return {
    commands: install,
    metrics: [],
    afterSuccess: async () => {
      const start = Date.now();
      host.log('DEBUG', `Uploading python dependencies cache for key: ${hash}`);
      const temp = await mkdtemp(join(tmpdir(), 'pebbleflow-pycache-'));
      try {
        const archive = join(temp, `python-${version}-cache.zip`);
        const size = await pack(o.target, o.dependencies, archive);
        await host.storage.putCacheFile(archive, cacheId, hash);
        host.log('DEBUG', `Cache uploaded successfully (size: ${size} bytes)`);
      } finally {
        await rm(temp, { recursive: true, force: true }).catch(() => undefined);
      }
      return [{ name: 'deps.cache.upload.duration', type: 'timer', value: (Date.now() - start) / 1000, tags: {} }];
    },
  };
}

/**
 * The pip lines. `kestra` is only there for `from kestra import Kestra`, which the stand-in answers:
 * where pip cannot get it (no network, a private index without it), the script still runs, with a warning.
 */
function installCommands(o: PythonDependencyOptions): string[] {
  const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  const install = (list: readonly string[]): string =>
    `${o.python} -m pip install --quiet --disable-pip-version-check --target ${quote(o.target)} ${list.map(quote).join(' ')}`;
  const kestra = o.dependencies.filter((d) => KESTRA_REQUIREMENT.test(d.trim()));
  const others = o.dependencies.filter((d) => !KESTRA_REQUIREMENT.test(d.trim()));
  const warning = JSON.stringify({
    logs: [
      {
        level: 'WARN',
        message: "pip could not install 'kestra': pebbleflow's stand-in serves `from kestra import Kestra` (outputs, metrics, logger)",
      },
    ],
  });
  return [
    ...(others.length === 0 ? [] : [install(others)]),
    ...(kestra.length === 0 ? [] : [`${install(kestra)} || echo ${quote(`::${warning}::`)}`]),
  ];
}

/** A requirement on the `kestra` package itself (`kestra`, `kestra==0.6.0`, `kestra>=0.5`…). */
const KESTRA_REQUIREMENT = /^kestra(?:\s*(?:[<>=!~].*|\[.*))?$/i;

/** `python3 --version` → `3.11.2` (Kestra's `findLocalPythonVersion` with PIP). */
function localPythonVersion(python: string, env: Readonly<Record<string, string>>): Promise<string | undefined> {
  return new Promise((done) => {
    execFile(python, ['--version'], { env, timeout: 10_000 }, (error, stdout, stderr) => {
      if (error !== null) return done(undefined);
      const line = `${stdout}${stderr}`.split('\n')[0]?.trim() ?? '';
      done(line.startsWith('Python ') ? line.slice('Python '.length) : undefined);
    });
  });
}

function fallbackVersion(host: PythonDependencyHost): string {
  host.log(
    'WARN',
    `Could not determine Python version automatically. Using fallback version '${DEFAULT_PYTHON_VERSION}' for dependency resolution and cache key computation. Set 'pythonVersion' explicitly if needed.`,
  );
  return DEFAULT_PYTHON_VERSION;
}

/** Writes `requirements.txt` then every directory and regular file under `dir` (links are left out); returns the archive's size. */
async function pack(dir: string, requirements: readonly string[], archive: string): Promise<number> {
  const writer = new TarGzWriter(archive);
  try {
    const lines = Buffer.from(requirements.map((r) => `${r}\n`).join(''), 'utf8');
    await writer.file(REQUIREMENTS_TXT, 0o644, lines.length, Date.now(), Readable.from([lines]));
    const walk = async (abs: string, relative: string): Promise<void> => {
      for (const name of (await readdir(abs)).sort()) {
        const path = join(abs, name);
        const entry = relative === '' ? name : `${relative}/${name}`;
        const info = await lstat(path);
        if (info.isDirectory()) {
          await writer.directory(entry, info.mode & 0o7777, info.mtimeMs);
          await walk(path, entry);
        } else if (info.isFile()) await writer.file(entry, info.mode & 0o7777, info.size, info.mtimeMs, createReadStream(path));
      }
    };
    await walk(dir, '');
    await writer.close();
  } catch (e) {
    writer.destroy();
    throw e;
  }
  return (await lstat(archive)).size;
}

/** Unpacks a cache archive into `target`: `requirements.txt` is skipped, anything but files and folders refused. */
async function unpack(archive: Readable, target: string, host: PythonDependencyHost): Promise<void> {
  const root = resolve(target);
  await readTarGz(archive, async (entry) => {
    if (entry.name === REQUIREMENTS_TXT) return undefined;
    const segments = entry.name.split('/').filter((s) => s !== '' && s !== '.');
    const path = resolve(root, ...segments);
    if (segments.length === 0 || segments.includes('..') || entry.name.startsWith('/') || !path.startsWith(root + sep)) {
      host.log('WARN', `Skipping the cache entry ${JSON.stringify(entry.name)}: it is not a path inside the packages folder`);
      return undefined;
    }
    if (entry.type === 'directory') {
      await mkdir(path, { recursive: true, mode: entry.mode | 0o700 });
      return undefined;
    }
    if (entry.type !== 'file') {
      host.log('WARN', `Skipping the cache entry ${JSON.stringify(entry.name)}: only files and folders are restored`);
      return undefined;
    }
    await mkdir(join(path, '..'), { recursive: true });
    // Only folders this function made are on the way (no link is ever written), and the file must be new.
    return createWriteStream(path, { flags: 'wx', mode: entry.mode & 0o777 });
  });
}

/** PYTHONPATH with `dir` first. */
export function prependPythonPath(env: Record<string, string>, dir: string): void {
  env['PYTHONPATH'] = env['PYTHONPATH'] === undefined || env['PYTHONPATH'] === '' ? dir : `${dir}${delimiter}${env['PYTHONPATH']}`;
}
