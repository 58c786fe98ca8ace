/**
 * `io.kestra.plugin.git.SyncFlows` against the local flows folder (`--flows`, where Subflow finds
 * flows), as plugin-git's SyncFlows/AbstractSyncTask decide: clone `branch`, read the flow files of
 * `gitDirectory` (and its subfolders as child namespaces with `includeChildNamespaces`), rewrite
 * their `namespace:` to `targetNamespace` (+ the subfolder path), check them, then write each into
 * the flows folder — ADDED, UPDATED or UNCHANGED — and with `delete` remove the flows of the
 * namespace that git no longer has (never the flow running the sync). `dryRun` writes nothing.
 * Kestra's instance is the flows folder here: the flow is written to `<flows>/<namespace>/<id>.yaml`,
 * or over the file that already holds that namespace and id.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { checkFlow } from '../../flow/loader.js';
import { toIonLine } from '../../serdes/ion.js';
import { RunStorage } from '../../storage/run-storage.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';
import { cloneRepository, gitCredentials, resolveUnder } from './clone.js';
import { GitSession } from './git-cli.js';

export type SyncState = 'ADDED' | 'DELETED' | 'UPDATED' | 'UNCHANGED';

export interface SyncResult {
  readonly gitPath?: string;
  readonly syncState: SyncState;
  readonly namespace: string;
  readonly flowId: string;
  readonly revision: number;
}

export interface LocalFlow {
  readonly path: string;
  readonly namespace: string;
  readonly id: string;
  readonly source: string;
  readonly revision: number;
}

const MAX_DEPTH = 8;
const NAMESPACE_LINE = /^namespace: (.*)$/m;

/** Every flow file under `dir` (namespace and id read from the YAML, invalid files skipped). */
export async function localFlows(dir: string): Promise<LocalFlow[]> {
  const out: LocalFlow[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path, depth + 1);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name) && !/^pebbleflow\.ya?ml$/.test(entry.name)) {
        const source = await readFile(path, 'utf8');
        try {
          const doc = parse(source) as { id?: unknown; namespace?: unknown; revision?: unknown } | null;
          if (typeof doc?.id === 'string' && typeof doc.namespace === 'string')
            out.push({ path, namespace: doc.namespace, id: doc.id, source, revision: typeof doc.revision === 'number' ? doc.revision : 1 });
        } catch {
          // not a flow file
        }
      }
    }
  };
  await walk(dir, 0);
  return out;
}

/** Flow files of the git directory: `/name.yaml`, `/sub/name.yaml` (with subfolders), sorted by depth then path. */
async function gitFlowFiles(base: string, traverse: boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name === '.git' || entry.name === '.gitignore' || entry.name === '.gitkeep') continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory() && traverse && depth < MAX_DEPTH) await walk(path, depth + 1);
      else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) out.push(`/${relative(base, path).split(sep).join('/')}`);
    }
  };
  await walk(base, 0);
  return out.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

/** SyncFlows.replaceNamespace: the first `namespace:` line becomes the target (+ the file's folder path). */
function replaceNamespace(target: string, gitPath: string, source: string): { source: string; namespace: string } {
  const folder = gitPath.slice(0, gitPath.lastIndexOf('/'));
  const namespace = target + folder.replace(/\//g, '.');
  return { source: source.replace(NAMESPACE_LINE, `namespace: ${namespace}`).trimEnd(), namespace };
}

/** How Kestra compares: line ends normalised, trimmed, without a `revision:` line. */
function normalised(source: string): string {
  return source
    .replace(/^revision:\s*\d+\n?/m, '')
    .replace(/\r\n/g, '\n')
    .trim();
}

/** Runs the sync; resolves to the task's outputs: `diffFileUri`, the results as Ion lines in the storage. */
export async function runSyncFlows(ctx: TaskRunContext): Promise<{ diffFileUri: string }> {
  const flowsDir = ctx.flowsDir;
  if (flowsDir === undefined)
    throw new TaskError(
      'UNSUPPORTED',
      'SyncFlows writes into the flows folder: run it with pebbleflow run (--flows DIR), or pass a DirectoryFlowRepository',
    );
  const url = await ctx.property<string>('url');
  if (url === undefined || url.trim() === '') throw new TaskError('INVALID_PROPERTY', 'Missing required property `url`');
  const targetNamespace = (await ctx.property<string>('targetNamespace'))?.trim();
  if (targetNamespace === undefined || targetNamespace === '')
    throw new TaskError('INVALID_PROPERTY', 'Missing required property `targetNamespace`');
  const branch = (await ctx.property<string>('branch')) ?? 'main';
  const gitDirectory = (await ctx.property<string>('gitDirectory')) ?? '_flows';
  const includeChildren = (await ctx.property<boolean>('includeChildNamespaces')) ?? false;
  const remove = (await ctx.property<boolean>('delete')) ?? false;
  const dryRun = (await ctx.property<boolean>('dryRun')) ?? false;
  const ignoreInvalid = (await ctx.property<boolean>('ignoreInvalidFlows')) ?? false;
  const failOnMissing = (await ctx.property<boolean>('failOnMissingDirectory')) ?? true;

  const git = await GitSession.open(ctx.task.type, await gitCredentials(ctx), { signal: ctx.signal, env: ctx.env });
  const work = await mkdtemp(join(tmpdir(), 'pebbleflow-sync-'));
  try {
    await cloneRepository(ctx, git, {
      url: url.trim(),
      target: work,
      branch,
      depth: 1,
      cloneAllBranches: false,
      noTags: true,
      cloneSubmodules: (await ctx.property<boolean>('cloneSubmodules')) ?? false,
      gitConfig: {},
    });
    const base = resolveUnder(work, gitDirectory, 'gitDirectory');
    const found = await stat(base).catch(() => undefined);
    if (found === undefined && failOnMissing)
      throw new TaskError(
        'INVALID_PROPERTY',
        `The directory '${gitDirectory}' was not found in the git repository. Verify if the path exists in the specified branch '${branch}'.`,
      );
    if (found !== undefined && !found.isDirectory())
      throw new TaskError(
        'INVALID_PROPERTY',
        `The path '${gitDirectory}' exists but is a file, not a directory. Sync tasks require a directory to process files.`,
      );

    const inScope = (namespace: string): boolean =>
      namespace === targetNamespace || (includeChildren && namespace.startsWith(`${targetNamespace}.`));
    const before = (await localFlows(flowsDir)).filter((f) => inScope(f.namespace));
    const byKey = new Map(before.map((f) => [`${f.namespace}\u0000${f.id}`, f]));
    const results: SyncResult[] = [];
    const synced = new Set<string>();
    for (const gitPath of found === undefined ? [] : await gitFlowFiles(base, includeChildren)) {
      const { source, namespace } = replaceNamespace(targetNamespace, gitPath, await readFile(join(base, ...gitPath.split('/')), 'utf8'));
      const { flow, problems } = checkFlow(source, { file: gitPath.slice(1) });
      if (flow === undefined) {
        const message = `Invalid flow imported from Git (${gitPath.slice(1)}): ${problems.map((p) => p.message).join('; ')}`;
        if (ignoreInvalid) {
          ctx.log('WARN', message);
          continue;
        }
        throw new TaskError('INVALID_PROPERTY', message);
      }
      const key = `${namespace}\u0000${flow.id}`;
      synced.add(key);
      const existing = byKey.get(key);
      let state: SyncState;
      let revision: number;
      if (existing === undefined) {
        state = 'ADDED';
        revision = 1;
        if (!dryRun) {
          await mkdir(join(flowsDir, namespace), { recursive: true });
          await writeFile(join(flowsDir, namespace, `${flow.id}.yaml`), `${source}\n`);
        }
      } else if (normalised(existing.source) === normalised(source)) {
        state = 'UNCHANGED';
        revision = existing.revision;
      } else {
        state = 'UPDATED';
        revision = existing.revision + 1;
        if (!dryRun) await writeFile(existing.path, `${source}\n`);
      }
      results.push({ gitPath: `${gitDirectory}${gitPath}`, syncState: state, namespace, flowId: flow.id, revision });
    }
    if (remove) {
      for (const local of before) {
        const key = `${local.namespace}\u0000${local.id}`;
        if (synced.has(key)) continue;
        // SyncFlows.mustKeep: never the flow that runs the sync.
        if (local.namespace === ctx.flow.namespace && local.id === ctx.flow.id) continue;
        if (!dryRun) await unlink(local.path);
        results.push({ syncState: 'DELETED', namespace: local.namespace, flowId: local.id, revision: local.revision });
      }
    }
    // AbstractSyncTask's order: deleted first (no git path), then by git path.
    results.sort((a, b) => (a.gitPath ?? '').localeCompare(b.gitPath ?? ''));
    for (const r of results) ctx.log('DEBUG', JSON.stringify(r));
    const diff = results.map((r) => `${toIonLine(r)}\n`).join('');
    return { diffFileUri: await ctx.storage.putData(diff, RunStorage.fileName(undefined, '.ion')) };
  } finally {
    await rm(work, { recursive: true, force: true });
    await git.close();
  }
}
