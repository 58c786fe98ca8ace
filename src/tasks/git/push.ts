/**
 * plugin-git's `PushFlows`, `PushNamespaceFiles` (AbstractPushTask.java, PushFlows.java,
 * PushNamespaceFiles.java) and `SyncNamespaceFiles` (AbstractSyncTask.java, SyncNamespaceFiles.java)
 * against the local instance: the flows folder (`--flows`) and the namespace files of the storage.
 *
 * Push: clone `branch` (created when the remote does not have it), write the flows (or files) under
 * `gitDirectory` — child namespaces in subfolders, `namespace:` rewritten to `targetNamespace`, the
 * `revision:` line dropped — remove with `delete` (default true) the files there that are no longer
 * pushed, then commit (`commitMessage`, `authorName`/`authorEmail`) and push; `dryRun` stages only.
 * Outputs `commitId`, `commitURL` and an Ion diff file (`flows` / `files`) with one row per file:
 * `{changes, file, deletions, additions}`. Sync: the files of `gitDirectory` are written to the
 * namespace files (ADDED, OVERWRITTEN, UNCHANGED; with `delete`, DELETED), the diff in `files`.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { toIonLine } from '../../serdes/ion.js';
import { globMatcher } from '../../storage/glob.js';
import { NamespaceFiles } from '../../storage/namespace-files.js';
import { RunStorage } from '../../storage/run-storage.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';
import { gitCredentials, resolveUnder } from './clone.js';
import { GitSession } from './git-cli.js';
import { localFlows } from './sync-flows.js';

async function required(ctx: TaskRunContext, name: string): Promise<string> {
  const value = (await ctx.property<string>(name))?.trim();
  if (value === undefined || value === '') throw new TaskError('INVALID_PROPERTY', `Missing required property \`${name}\``);
  return value;
}

/** Every file under `dir`, as `/`-separated relative paths (no `.git`). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === '.git') continue;
      const path = join(folder, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) out.push(relative(dir, path).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/** `flows`/`files`: one glob or a list (default `**`). */
async function globs(ctx: TaskRunContext, name: string): Promise<string[]> {
  const raw = ctx.task.properties[name];
  if (raw === undefined || raw === null) return ['**'];
  const rendered = await ctx.renderValue(raw);
  return (Array.isArray(rendered) ? rendered : [rendered]).map((g) => String(g));
}

/** Clones `branch` into `work`; a branch the remote lacks (or an empty remote) is created locally, as plugin-git's cloneBranch. */
async function cloneBranch(ctx: TaskRunContext, git: GitSession, url: string, branch: string, work: string): Promise<void> {
  ctx.log('INFO', `Start cloning from '${git.mask(url)}'`);
  const remote = await git.run(['ls-remote', '--heads', url, branch], work);
  if (remote.stdout.trim() !== '') {
    await git.run(['clone', '--quiet', '--single-branch', '--branch', branch, '--', url, '.'], work);
    return;
  }
  await git.run(['clone', '--quiet', '--', url, '.'], work);
  await git.run(['checkout', '--quiet', '-B', branch], work);
}

/** Kestra's diff rows: per hunk (an edit), more lines after than before are additions, fewer deletions, the same count changes. */
async function diffRows(git: GitSession, work: string, args: readonly string[]): Promise<Record<string, string>[]> {
  const { stdout } = await git.run(['diff', '--no-color', '--no-renames', '-U0', ...args], work);
  const rows = new Map<string, { additions: number; deletions: number; changes: number }>();
  let current: { additions: number; deletions: number; changes: number } | undefined;
  let oldPath = '';
  for (const line of stdout.split('\n')) {
    if (line.startsWith('--- ')) oldPath = line.slice(4).replace(/^a\//, '');
    else if (line.startsWith('+++ ')) {
      const path = line.slice(4) === '/dev/null' ? oldPath : line.slice(4).replace(/^b\//, '');
      current = { additions: 0, deletions: 0, changes: 0 };
      rows.set(path, current);
    } else if (line.startsWith('@@') && current !== undefined) {
      const m = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
      if (m === null) continue;
      const a = m[1] === undefined ? 1 : Number(m[1]);
      const b = m[2] === undefined ? 1 : Number(m[2]);
      if (b > a) current.additions += b - a;
      else if (b < a) current.deletions += a - b;
      else current.changes += b;
    }
  }
  return [...rows.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([file, r]) => ({ changes: String(r.changes), file, deletions: `-${r.deletions}`, additions: `+${r.additions}` }));
}

/** git's empty tree: the first commit's diff is against it. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function commitUrl(url: string, branch: string, id: string): string | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  const base = url.replace(/\/\/[^/@]+@/, '//').replace(/\.git$/, '');
  if (base.includes('gitlab')) return `${base}/-/commit/${id}`;
  if (base.includes('bitbucket')) return `${base}/commits/${id}`;
  return base.includes('github') ? `${base}/commit/${id}` : `${base}/commit/${id}?branch=${branch}`;
}

/** The shared part of PushFlows and PushNamespaceFiles: `content` maps paths under the git directory to file contents. */
async function push(
  ctx: TaskRunContext,
  what: { gitDirectory: string; content: Map<string, string | Buffer>; isManaged: (path: string) => boolean; defaultMessage: string },
): Promise<{ commitId?: string; commitURL?: string; diffFileUri: string }> {
  const url = await required(ctx, 'url');
  const branch = (await ctx.property<string>('branch')) ?? 'main';
  const dryRun = (await ctx.property<boolean>('dryRun')) ?? false;
  const remove = (await ctx.property<boolean>('delete')) ?? true;
  const message = (await ctx.property<string>('commitMessage')) ?? what.defaultMessage;
  const authorName = (await ctx.property<string>('authorName')) ?? (await ctx.property<string>('username'));
  const authorEmail = await ctx.property<string>('authorEmail');
  const git = await GitSession.open(ctx.task.type, await gitCredentials(ctx), { signal: ctx.signal, env: ctx.env });
  const work = await mkdtemp(join(tmpdir(), 'pebbleflow-push-'));
  try {
    await cloneBranch(ctx, git, url, branch, work);
    const base = resolveUnder(work, what.gitDirectory, 'gitDirectory');
    if (remove)
      for (const path of await filesUnder(base))
        if (what.isManaged(path) && !what.content.has(path)) await unlink(join(base, ...path.split('/')));
    for (const [path, content] of what.content) {
      const target = join(base, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    await git.run(['add', '-A', '--', '.'], work);
    const staged = (await git.run(['diff', '--cached', '--name-only'], work)).stdout.trim() !== '';
    let commitId: string | undefined;
    let commitURL: string | undefined;
    let rows: Record<string, string>[];
    if (dryRun) {
      rows = await diffRows(git, work, ['--cached']);
      ctx.log('INFO', `Dry run — no changes will be pushed to ${git.mask(url)} for now until you set the \`dryRun\` parameter to false`);
    } else if (!staged) {
      rows = [];
      ctx.log('INFO', 'No changes to commit. Skipping push.');
    } else {
      ctx.log('INFO', `Pushing to ${git.mask(url)} on branch ${branch}`);
      const name = authorName ?? 'pebbleflow';
      const email = authorEmail ?? 'pebbleflow@localhost';
      await git.run(['-c', `user.name=${name}`, '-c', `user.email=${email}`, 'commit', '--quiet', '-m', message], work);
      const hasParent = await git.run(['rev-parse', '--verify', '--quiet', 'HEAD~1'], work).then(
        () => true,
        () => false,
      );
      rows = await diffRows(git, work, [hasParent ? 'HEAD~1' : EMPTY_TREE, 'HEAD']);
      commitId = (await git.run(['rev-parse', 'HEAD'], work)).stdout.trim();
      await git.run(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], work);
      commitURL = commitUrl(url, branch, commitId);
      ctx.log('INFO', `Pushed to ${commitURL === undefined ? git.mask(url) : git.mask(commitURL)}`);
    }
    for (const r of rows) ctx.log('DEBUG', toIonLine(r));
    const diffFileUri = await ctx.storage.putData(rows.map((r) => `${toIonLine(r)}\n`).join(''), RunStorage.fileName(undefined, '.ion'));
    return { ...(commitId === undefined ? {} : { commitId }), ...(commitURL === undefined ? {} : { commitURL }), diffFileUri };
  } finally {
    await rm(work, { recursive: true, force: true });
    await git.close();
  }
}

export async function runPushFlows(ctx: TaskRunContext): Promise<Record<string, unknown>> {
  const flowsDir = ctx.flowsDir;
  if (flowsDir === undefined)
    throw new TaskError(
      'UNSUPPORTED',
      'PushFlows reads the flows folder: run it with pebbleflow run (--flows DIR), or pass a DirectoryFlowRepository',
    );
  const source = ((await ctx.property<string>('sourceNamespace')) ?? ctx.flow.namespace).trim();
  const target = (await ctx.property<string>('targetNamespace'))?.trim() ?? source;
  const includeChildren = (await ctx.property<boolean>('includeChildNamespaces')) ?? false;
  const gitDirectory = (await ctx.property<string>('gitDirectory')) ?? '_flows';
  const match = globMatcher(await globs(ctx, 'flows'));
  const content = new Map<string, string>();
  for (const flow of await localFlows(flowsDir)) {
    const inScope = flow.namespace === source || (includeChildren && flow.namespace.startsWith(`${source}.`));
    if (!inScope || !match(flow.id)) continue;
    const sub = flow.namespace.length > source.length ? `${flow.namespace.slice(source.length + 1).replace(/\./g, '/')}/` : '';
    const text = flow.source
      .replace(/^revision:\s*\d+\n?/m, '')
      .replace(new RegExp(`^(\\s*namespace:\\s*)${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'gm'), `$1${target}`);
    content.set(`${sub}${flow.id}.yml`, text);
  }
  const { diffFileUri, ...rest } = await push(ctx, {
    gitDirectory,
    content,
    // Only flow files are PushFlows' to delete, and with `flows` globs only the matching ones.
    isManaged: (path) =>
      /\.ya?ml$/i.test(path) &&
      (includeChildren || !path.includes('/')) &&
      match(path.slice(path.lastIndexOf('/') + 1).replace(/\.ya?ml$/i, '')),
    defaultMessage: `Add flows from ${source} namespace`,
  });
  return { ...rest, flows: diffFileUri };
}

export async function runPushNamespaceFiles(ctx: TaskRunContext): Promise<Record<string, unknown>> {
  const namespace = ((await ctx.property<string>('namespace')) ?? ctx.flow.namespace).trim();
  const gitDirectory = (await ctx.property<string>('gitDirectory')) ?? '_files';
  const match = globMatcher(await globs(ctx, 'files'));
  const nsFiles = new NamespaceFiles(ctx.storage.storage, ctx.storage.scope.tenant, namespace);
  const content = new Map<string, Buffer>();
  for (const file of await nsFiles.all()) if (match(file.path)) content.set(file.path, await nsFiles.read(file.path));
  const { diffFileUri, ...rest } = await push(ctx, {
    gitDirectory,
    content,
    isManaged: (path) => match(path),
    defaultMessage: `Add files from ${namespace} namespace`,
  });
  return { ...rest, files: diffFileUri };
}

export async function runSyncNamespaceFiles(ctx: TaskRunContext): Promise<Record<string, unknown>> {
  const url = await required(ctx, 'url');
  const branch = (await ctx.property<string>('branch')) ?? 'main';
  const namespace = ((await ctx.property<string>('namespace')) ?? ctx.flow.namespace).trim();
  const gitDirectory = (await ctx.property<string>('gitDirectory')) ?? '_files';
  const remove = (await ctx.property<boolean>('delete')) ?? false;
  const dryRun = (await ctx.property<boolean>('dryRun')) ?? false;
  const failOnMissing = (await ctx.property<boolean>('failOnMissingDirectory')) ?? true;
  const nsFiles = new NamespaceFiles(ctx.storage.storage, ctx.storage.scope.tenant, namespace);
  const git = await GitSession.open(ctx.task.type, await gitCredentials(ctx), { signal: ctx.signal, env: ctx.env });
  const work = await mkdtemp(join(tmpdir(), 'pebbleflow-sync-'));
  try {
    ctx.log('INFO', `Start cloning from '${git.mask(url)}'`);
    await git.run(['clone', '--quiet', '--depth=1', '--single-branch', '--branch', branch, '--', url, '.'], work);
    const base = resolveUnder(work, gitDirectory, 'gitDirectory');
    const inGit = await filesUnder(base);
    if (inGit.length === 0 && failOnMissing && (await readdir(base).catch(() => undefined)) === undefined)
      throw new TaskError(
        'INVALID_PROPERTY',
        `The directory '${gitDirectory}' was not found in the git repository. Verify if the path exists in the specified branch '${branch}'.`,
      );
    const existing = new Set((await nsFiles.all()).map((f) => f.path));
    const rows: Record<string, unknown>[] = [];
    for (const path of inGit) {
      const content = await readFile(join(base, ...path.split('/')));
      let state: 'ADDED' | 'OVERWRITTEN' | 'UNCHANGED';
      if (!existing.has(path)) state = 'ADDED';
      else state = (await nsFiles.read(path)).equals(content) ? 'UNCHANGED' : 'OVERWRITTEN';
      if (!dryRun && state !== 'UNCHANGED') await nsFiles.write(path, content);
      rows.push({ syncState: state, kestraPath: `/${path}`, gitPath: `${gitDirectory}/${path}` });
    }
    if (remove) {
      const kept = new Set(inGit);
      for (const path of existing) {
        if (kept.has(path)) continue;
        if (!dryRun) await nsFiles.delete(path);
        rows.push({ syncState: 'DELETED', kestraPath: `/${path}` });
      }
    }
    // AbstractSyncTask's order: deleted first (no git path), then by git path.
    rows.sort((a, b) => String(a['gitPath'] ?? '').localeCompare(String(b['gitPath'] ?? '')));
    for (const r of rows) ctx.log('DEBUG', JSON.stringify(r));
    return { files: await ctx.storage.putData(rows.map((r) => `${toIonLine(r)}\n`).join(''), RunStorage.fileName(undefined, '.ion')) };
  } finally {
    await rm(work, { recursive: true, force: true });
    await git.close();
  }
}
