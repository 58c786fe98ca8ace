/**
 * `io.kestra.plugin.git.Clone` as plugin-git's `Clone.java` behaves: clone `url` into the working
 * directory (or `directory` under it) at `branch`, `tag` or `commit`, shallow (`depth`, default 1)
 * unless a commit or tag needs the history; into a folder that already has files (a WorkingDirectory's
 * inputFiles) with init + fetch + checkout; `gitConfig` applied after; output `directory`.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { asRecord } from '../coerce.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';
import { GitSession, type GitCredentials } from './git-cli.js';

export interface CloneOptions {
  readonly url: string;
  readonly target: string;
  readonly branch?: string;
  readonly depth?: number;
  readonly commit?: string;
  readonly tag?: string;
  readonly cloneAllBranches: boolean;
  readonly noTags: boolean;
  readonly cloneSubmodules: boolean;
  readonly gitConfig: Readonly<Record<string, unknown>>;
}

/** The credentials the task's properties give, each registered as sensitive with the run. */
export async function gitCredentials(ctx: TaskRunContext): Promise<GitCredentials> {
  const out: Record<string, string> = {};
  for (const name of ['username', 'password', 'privateKey', 'passphrase'] as const) {
    const value = await ctx.property<string>(name);
    if (value === undefined || value === null) continue;
    // The username is often a token too (GitHub's PAT as username): Kestra marks it secret.
    if (value.length >= 3) ctx.sensitive(value);
    out[name] = value;
  }
  return out;
}

/** `directory` resolved under the working directory, refusing a path that leaves it. */
export function resolveUnder(base: string, relativePath: string | undefined, property: string): string {
  if (relativePath === undefined || relativePath.trim() === '') return base;
  if (isAbsolute(relativePath))
    throw new TaskError('INVALID_PROPERTY', `Invalid \`${property}\`: expected a path relative to the working directory`);
  const full = resolve(base, relativePath);
  const rel = relative(base, full);
  if (rel === '..' || rel.startsWith(`..${sep}`))
    throw new TaskError('INVALID_PROPERTY', `Invalid \`${property}\`: it leaves the working directory`);
  return full;
}

async function isNonEmptyDirectory(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0;
  } catch {
    return false;
  }
}

function shortBranch(branch: string): string {
  return branch.startsWith('refs/heads/') ? branch.slice('refs/heads/'.length) : branch;
}

/** Clones as Kestra's Clone does; resolves to the repository folder. */
export async function cloneRepository(ctx: TaskRunContext, git: GitSession, options: CloneOptions): Promise<string> {
  const { url, target, commit, tag } = options;
  const pinned = commit !== undefined || tag !== undefined;
  if (!options.cloneAllBranches && (options.branch === undefined || options.branch.trim() === ''))
    throw new TaskError('INVALID_PROPERTY', 'Invalid clone configuration: when `cloneAllBranches` is false, `branch` must be set.');
  if (tag !== undefined && options.noTags)
    throw new TaskError('INVALID_PROPERTY', 'Invalid clone configuration: `tag` cannot be used with `noTags: true`.');
  ctx.log('INFO', `Start cloning from '${git.mask(url)}'`);
  const depth = pinned ? [] : options.depth === undefined ? [] : [`--depth=${options.depth}`];
  if (await isNonEmptyDirectory(target)) {
    ctx.log('INFO', `Target directory '${target}' is not empty, using init+fetch strategy`);
    await git.run(['init', '--quiet', '.'], target);
    await git.run(['remote', 'add', 'origin', url], target);
    await applyGitConfig(ctx, git, target, options.gitConfig);
    const branch = options.branch === undefined ? undefined : shortBranch(options.branch);
    const refspecs =
      !options.cloneAllBranches && branch !== undefined
        ? [`+refs/heads/${branch}:refs/remotes/origin/${branch}`]
        : ['+refs/heads/*:refs/remotes/origin/*'];
    if (!options.noTags) refspecs.push('+refs/tags/*:refs/tags/*');
    await git.run(['fetch', '--quiet', ...(options.noTags ? ['--no-tags'] : []), ...depth, 'origin', ...refspecs], target);
    if (commit !== undefined) await git.run(['checkout', '--quiet', '--detach', commit], target);
    else if (tag !== undefined) await git.run(['checkout', '--quiet', '--detach', `refs/tags/${tag}`], target);
    else {
      let targetBranch = branch;
      if (targetBranch === undefined) {
        // The remote's default branch, else main, else master (as Kestra).
        const head = await git.run(['ls-remote', '--symref', 'origin', 'HEAD'], target).catch(() => undefined);
        const match = head === undefined ? null : /^ref: refs\/heads\/(\S+)\s+HEAD/m.exec(head.stdout);
        targetBranch = match?.[1];
        if (targetBranch === undefined) {
          const refs = (await git.run(['branch', '-r'], target)).stdout;
          if (/\borigin\/main\b/.test(refs)) targetBranch = 'main';
          else if (/\borigin\/master\b/.test(refs)) targetBranch = 'master';
          else throw new TaskError('GIT_FAILED', "Cannot determine the default branch. Please specify the 'branch' property explicitly.");
        }
      }
      await git.run(['checkout', '--quiet', '-b', targetBranch, `origin/${targetBranch}`], target);
      ctx.log('INFO', `Checked out branch ${targetBranch} from origin/${targetBranch}`);
    }
    if (options.cloneSubmodules) await git.run(['submodule', '--quiet', 'update', '--init', '--recursive'], target);
    return target;
  }
  await mkdir(target, { recursive: true });
  const args = ['clone', '--quiet', ...depth];
  if (!pinned && options.branch !== undefined) args.push('--branch', shortBranch(options.branch));
  // JGit clones every branch unless told otherwise; git's --depth would imply --single-branch.
  args.push(options.cloneAllBranches ? '--no-single-branch' : '--single-branch');
  if (options.noTags) args.push('--no-tags');
  if (options.cloneSubmodules) args.push('--recurse-submodules');
  args.push('--', url, '.');
  await git.run(args, target);
  await applyGitConfig(ctx, git, target, options.gitConfig);
  if (commit !== undefined) {
    await git.run(['checkout', '--quiet', '--detach', commit], target);
    ctx.log('INFO', `Checked out commit ${commit}`);
  } else if (tag !== undefined) {
    await git.run(['checkout', '--quiet', '--detach', `refs/tags/${tag}`], target);
    ctx.log('INFO', `Checked out tag ${tag}`);
  }
  return target;
}

/** `gitConfig`: `section.name` or `section.subsection.name` keys, set in the repository's config. */
async function applyGitConfig(
  ctx: TaskRunContext,
  git: GitSession,
  repo: string,
  config: Readonly<Record<string, unknown>>,
): Promise<void> {
  for (const [key, value] of Object.entries(config)) {
    if (key.split('.').length < 2) {
      ctx.log(
        'WARN',
        `invalid git gitRepoConfig key format: ${key}. The name is actually the section and the key separated by a dot. Expected 'section.name' or 'section.subsection.name'`,
      );
      continue;
    }
    await git.run(['config', '--local', key, String(value)], repo);
  }
}

/** The Clone task's `run`: properties read, a session opened, the clone made in the working directory. */
export async function runClone(ctx: TaskRunContext, workingDir: string): Promise<Record<string, unknown>> {
  const url = await ctx.property<string>('url');
  if (url === undefined || url.trim() === '') throw new TaskError('INVALID_PROPERTY', 'Missing required property `url`');
  const credentials = await gitCredentials(ctx);
  const git = await GitSession.open(ctx.task.type, credentials, { signal: ctx.signal, env: ctx.env });
  try {
    const directory = await ctx.property<string>('directory');
    const target = resolveUnder(workingDir, directory, 'directory');
    const optional = async (name: string): Promise<string | undefined> => {
      const value = await ctx.property<string>(name);
      return value === undefined || value.trim() === '' ? undefined : value.trim();
    };
    const repo = await cloneRepository(ctx, git, {
      url: url.trim(),
      target,
      ...(await optional('branch').then((v) => (v === undefined ? {} : { branch: v }))),
      depth: (await ctx.property<number>('depth')) ?? 1,
      ...(await optional('commit').then((v) => (v === undefined ? {} : { commit: v }))),
      ...(await optional('tag').then((v) => (v === undefined ? {} : { tag: v }))),
      cloneAllBranches: (await ctx.property<boolean>('cloneAllBranches')) ?? true,
      noTags: (await ctx.property<boolean>('noTags')) ?? false,
      cloneSubmodules: (await ctx.property<boolean>('cloneSubmodules')) ?? false,
      gitConfig: asRecord((await ctx.property('gitConfig')) ?? {}, 'gitConfig'),
    });
    return { directory: repo };
  } finally {
    await git.close();
  }
}
