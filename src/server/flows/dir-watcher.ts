/**
 * Watches a flows folder: one `fs.watch` per directory (dot folders and node_modules left out, so
 * pointing the server at a project root does not watch its dependencies), debounced, plus a slow
 * rescan as a safety net for events a file system or an editor's save-by-rename swallows.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface ScannedFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export const isIgnoredDir = (name: string): boolean => name.startsWith('.') || name === 'node_modules';
export const isFlowFile = (name: string): boolean => /\.ya?ml$/i.test(name) && !/^pebbleflow\.ya?ml$/i.test(name);

/** Every flow file under `root` (recursively), with what tells a change. */
export async function scanFlowFiles(root: string): Promise<ScannedFile[]> {
  const out: ScannedFile[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 32) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!isIgnoredDir(entry.name)) await walk(path, depth + 1);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && isFlowFile(entry.name)) {
        const info = await stat(path).catch(() => undefined);
        if (info?.isFile() === true) out.push({ path, size: info.size, mtimeMs: info.mtimeMs });
      }
    }
  };
  await walk(root, 0);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export class DirWatcher {
  private readonly root: string;
  private readonly onChange: () => void;
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(root: string, onChange: () => void) {
    this.root = root;
    this.onChange = onChange;
  }

  async start(options: { pollMs?: number } = {}): Promise<void> {
    await this.watchTree(this.root, 0);
    this.poller = setInterval(() => this.onChange(), options.pollMs ?? 2000);
    this.poller.unref();
  }

  private async watchTree(dir: string, depth: number): Promise<void> {
    if (this.stopped || depth > 32 || this.watchers.has(dir)) return;
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name !== null && typeof name === 'string' && !isIgnoredDir(name))
          void this.watchTree(join(dir, name), depth + 1).catch(() => undefined);
        this.schedule();
      });
      watcher.on('error', () => {
        watcher.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, watcher);
    } catch {
      return; // not a directory (a file event) or gone already
    }
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries)
      if (entry.isDirectory() && !isIgnoredDir(entry.name)) await this.watchTree(join(dir, entry.name), depth + 1);
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onChange(), 100);
    this.timer.unref();
  }

  /** A path relative to the root, for messages. */
  shown(path: string): string {
    return relative(this.root, path) || path;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.poller);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
