/**
 * The git family (plugin-git): definitions only; `run` imports the git implementation on first use.
 * Git itself is Debian's `git` program (see git-cli.ts for why).
 */
import type { PropertyDefinition } from '../definition.js';
import { defineTask } from '../definition.js';
import type { TaskFamily } from '../bundled.js';
import { withWorkingDir } from '../storage/common.js';

/** Connection properties every git task has (plugin-git's AbstractGitTask). */
const connection = {
  url: { kind: 'string', description: 'HTTP(S), SSH or file:// URL of the repository.' },
  username: { kind: 'string', description: 'HTTP user (or token); masked.' },
  password: { kind: 'string', description: 'HTTP password or personal access token; masked.' },
  privateKey: { kind: 'string', description: 'PEM or OpenSSH private key for SSH URLs; masked, written to a private temporary file.' },
  passphrase: { kind: 'string', description: 'Passphrase of privateKey; masked.' },
  gitConfig: { kind: 'map', description: 'git config keys set in the clone (core.fileMode: false…).' },
  cloneSubmodules: { kind: 'boolean' },
  trustedCaPemPath: {
    kind: 'string',
    dynamic: true,
    description: 'Accepted; git uses the system CAs (set GIT_SSL_CAINFO in the environment).',
  },
  noProxy: { kind: 'boolean', description: 'Accepted; git follows the http_proxy/no_proxy environment.' },
  connectTimeout: { kind: 'integer', default: 10000, description: 'Accepted; bound the task with `timeout`.' },
  readTimeout: { kind: 'integer', default: 60000, description: 'Accepted; bound the task with `timeout`.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

export const cloneTask = defineTask({
  type: 'io.kestra.plugin.git.Clone',
  title: 'Clone a git repository into the working directory (at a branch, tag or commit).',
  properties: {
    ...connection,
    url: { ...connection.url, required: true },
    directory: { kind: 'string', description: 'Folder under the working directory to clone into (default: the working directory).' },
    branch: { kind: 'string' },
    depth: { kind: 'integer', default: 1, description: 'Shallow clone depth; ignored with commit or tag.' },
    commit: { kind: 'string', description: 'Check out this commit (detached).' },
    tag: { kind: 'string', description: 'Check out this tag (detached).' },
    cloneAllBranches: { kind: 'boolean', default: true },
    noTags: { kind: 'boolean', default: false },
  },
  outputs: { directory: { kind: 'string', description: 'The folder the repository was cloned into.' } },
  async run(ctx) {
    const { runClone } = await import('./clone.js');
    // The enclosing WorkingDirectory's folder, else one of its own removed after the task (as Kestra).
    return { outputs: await withWorkingDir(ctx, (wd) => runClone(ctx, wd.path)) };
  },
});

export const syncFlowsTask = defineTask({
  type: 'io.kestra.plugin.git.SyncFlows',
  title: 'Sync the flows of a git folder into the local flows folder (--flows), under targetNamespace.',
  properties: {
    ...connection,
    url: { ...connection.url, required: true },
    branch: { kind: 'string', default: 'main' },
    targetNamespace: { kind: 'string', required: true },
    gitDirectory: { kind: 'string', default: '_flows' },
    includeChildNamespaces: { kind: 'boolean', default: false },
    delete: { kind: 'boolean', default: false },
    dryRun: { kind: 'boolean', default: false },
    ignoreInvalidFlows: { kind: 'boolean', default: false },
    failOnMissingDirectory: { kind: 'boolean', default: true },
    kestraUrl: { kind: 'string', description: 'Accepted; the flows folder is the instance locally.' },
    auth: { kind: 'any', dynamic: false, description: 'Accepted; no Kestra API is called locally.' },
  },
  outputs: {
    diffFileUri: { kind: 'string', description: 'Ion file of the sync results (gitPath, syncState, namespace, flowId, revision).' },
  },
  async run(ctx) {
    return { outputs: await (await import('./sync-flows.js')).runSyncFlows(ctx) };
  },
});

const pushProperties = {
  ...connection,
  url: { ...connection.url, required: true },
  branch: { kind: 'string', default: 'main', description: 'Created from the default branch when the remote does not have it.' },
  commitMessage: { kind: 'string' },
  authorName: { kind: 'string', description: 'Default: username, else pebbleflow.' },
  authorEmail: { kind: 'string' },
  dryRun: { kind: 'boolean', default: false, description: 'Stage and report the diff; no commit, no push.' },
  delete: { kind: 'boolean', default: true, description: 'Remove the files of gitDirectory that are no longer pushed.' },
  kestraUrl: { kind: 'string', description: 'Accepted; the local instance is read directly.' },
  auth: { kind: 'any', dynamic: false, description: 'Accepted; no Kestra API is called locally.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;
const globsSchema = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } as const;
const pushOutputs = {
  commitId: { kind: 'string' },
  commitURL: { kind: 'string', description: 'For http(s) remotes.' },
} as const;

export const pushFlowsTask = defineTask({
  type: 'io.kestra.plugin.git.PushFlows',
  title: 'Commit the flows of a namespace (from the local flows folder) to a git branch and push.',
  properties: {
    ...pushProperties,
    gitDirectory: { kind: 'string', default: '_flows' },
    sourceNamespace: { kind: 'string', description: 'Default: the flow’s namespace.' },
    targetNamespace: { kind: 'string', description: 'Written as the namespace of the pushed flows (default: sourceNamespace).' },
    flows: { kind: 'any', schema: globsSchema, description: 'Flow ids or globs (default `**`).' },
    includeChildNamespaces: { kind: 'boolean', default: false },
  },
  outputs: { ...pushOutputs, flows: { kind: 'string', description: 'Ion diff file: {changes, file, deletions, additions} per file.' } },
  async run(ctx) {
    return { outputs: await (await import('./push.js')).runPushFlows(ctx) };
  },
});

export const pushNamespaceFilesTask = defineTask({
  type: 'io.kestra.plugin.git.PushNamespaceFiles',
  title: 'Commit the namespace files of a namespace to a git branch and push.',
  properties: {
    ...pushProperties,
    gitDirectory: { kind: 'string', default: '_files' },
    namespace: { kind: 'string', description: 'Default: the flow’s namespace.' },
    files: { kind: 'any', schema: globsSchema, description: 'Globs of namespace file paths (default `**`).' },
  },
  outputs: { ...pushOutputs, files: { kind: 'string', description: 'Ion diff file: {changes, file, deletions, additions} per file.' } },
  async run(ctx) {
    return { outputs: await (await import('./push.js')).runPushNamespaceFiles(ctx) };
  },
});

export const syncNamespaceFilesTask = defineTask({
  type: 'io.kestra.plugin.git.SyncNamespaceFiles',
  title: 'Write the files of a git folder into the namespace files of a namespace.',
  properties: {
    ...connection,
    url: { ...connection.url, required: true },
    branch: { kind: 'string', default: 'main' },
    namespace: { kind: 'string', description: 'Default: the flow’s namespace.' },
    gitDirectory: { kind: 'string', default: '_files' },
    delete: { kind: 'boolean', default: false, description: 'Remove the namespace files git does not have.' },
    dryRun: { kind: 'boolean', default: false },
    failOnMissingDirectory: { kind: 'boolean', default: true },
    kestraUrl: { kind: 'string', description: 'Accepted; the local instance is written directly.' },
    auth: { kind: 'any', dynamic: false, description: 'Accepted; no Kestra API is called locally.' },
  },
  outputs: { files: { kind: 'string', description: 'Ion diff file: {syncState, kestraPath, gitPath} per file.' } },
  async run(ctx) {
    return { outputs: await (await import('./push.js')).runSyncNamespaceFiles(ctx) };
  },
});

export const gitFamily: TaskFamily = {
  name: 'git',
  description: 'git with the git program (plugin-git)',
  tasks: [cloneTask, syncFlowsTask, pushFlowsTask, pushNamespaceFilesTask, syncNamespaceFilesTask],
};
