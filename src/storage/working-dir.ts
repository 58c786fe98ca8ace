/**
 * A task's working directory (Kestra's `WorkingDir`): a fresh folder under the system's temporary
 * folder, shared by the children of a `WorkingDirectory` task and removed when the task ends.
 * Relative paths are checked (no `..`, not absolute) and resolved without leaving the folder.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ioError, StorageError } from './errors.js';
import { globMatcher } from './glob.js';
import { realpathDeep, type StorageData } from './local-storage.js';
import { splitRelative } from './uri.js';

export class WorkingDir {
  private constructor(readonly path: string) {}

  /** A new empty folder `pebbleflow-wd-XXXXXX` under `parent` (default: the system's temporary folder). */
  static async create(parent: string = tmpdir()): Promise<WorkingDir> {
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(join(parent, 'pebbleflow-wd-'));
    return new WorkingDir(await realpathDeep(dir));
  }

  /** A view of an existing folder (e.g. a script's output directory inside its working directory). */
  static async at(path: string): Promise<WorkingDir> {
    return new WorkingDir(await realpathDeep(path));
  }

  /** The absolute path of a relative one, refusing `..`, absolute paths and symbolic links that lead out. */
  async resolve(relative: string): Promise<string> {
    const segments = splitRelative(relative.replace(/\\/g, '/'));
    const full = await realpathDeep(join(this.path, ...segments));
    if (full !== this.path && !full.startsWith(this.path + sep)) {
      throw new StorageError('STORAGE_PATH_ESCAPE', `Refused '${relative}': it resolves outside the working directory`);
    }
    return full;
  }

  /** A new empty file with a random name (`<id><extension>`) in the folder. */
  async createTempFile(extension = '.tmp', content?: string | Buffer): Promise<string> {
    const ext = extension === '' || extension.startsWith('.') ? extension : `.${extension}`;
    const file = join(this.path, `${randomBytes(10).toString('hex')}${ext}`);
    await writeFile(file, content ?? '', { flag: 'wx' });
    return file;
  }

  /** Writes a file at a relative path (folders created), from bytes, text or a stream. */
  async createFile(relative: string, content: StorageData): Promise<string> {
    const file = await this.resolve(relative);
    try {
      await mkdir(dirname(file), { recursive: true });
      const source = typeof content === 'string' || content instanceof Uint8Array ? Readable.from([Buffer.from(content)]) : content;
      await pipeline(source as Readable, createWriteStream(file));
    } catch (e) {
      throw ioError(e, relative);
    }
    return file;
  }

  /** Relative paths (with `/`) of every file matching one of the globs, sorted. */
  async findAllFilesMatching(patterns: readonly string[] | undefined): Promise<string[]> {
    if (patterns === undefined || patterns.length === 0) return [];
    const matches = globMatcher(patterns);
    return (await this.allFiles()).filter(matches);
  }

  /** Every regular file under the folder, as relative paths with `/`. */
  async allFiles(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (abs: string, rel: string): Promise<void> => {
      for (const entry of await readdir(abs, { withFileTypes: true })) {
        const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) await walk(join(abs, entry.name), childRel);
        else if (entry.isFile()) out.push(childRel);
      }
    };
    await walk(this.path, '');
    return out.sort();
  }

  async cleanup(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
