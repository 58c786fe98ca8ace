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

export const gitFamily: TaskFamily = {
  name: 'git',
  description: 'git with the git program (plugin-git)',
  tasks: [cloneTask, syncFlowsTask],
};
