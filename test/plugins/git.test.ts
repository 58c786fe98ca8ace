/**
 * io.kestra.plugin.git.Clone with the real git program, against repositories made by git: over
 * file:// and over smart HTTP (git http-backend behind a node server on 127.0.0.1 asking for Basic
 * auth). Ported from plugin-git's CloneTest.java: cloneAtSpecificCommit, cloneIntoNonEmptyDirectory,
 * cloneIntoNonEmptySubdirectory, appliesGitConfig_coreFileModeFalse, privateRepository.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlow } from '../../src/flow/loader.js';
import { DirectoryFlowRepository } from '../../src/flow/repository.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';
import { defineTask } from '../../src/tasks/definition.js';
import { defaultTaskRegistry } from '../../src/tasks/registry.js';
import { bareRepository, git, gitAvailable, startGitHttpServer, type GitHttpServer } from '../support/git-server.js';

const available = gitAvailable();
if (!available) {
  const message = 'git or git http-backend is missing: the git tests are skipped (apt-get install git)';
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n\n*** ${message} ***\n`);
}
const describeGit = available ? describe : describe.skip;

const USER = 'kestra';
const PASSWORD = `pat_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

// A flowable that shares a known folder as the working directory of its children, so the test can look at what Clone left there.
const registry = defaultTaskRegistry.clone().register(
  defineTask({
    type: 'io.pebbleflow.test.InFolder',
    properties: { path: { kind: 'string', required: true } },
    children: { tasks: { required: true } },
    async run(ctx) {
      ctx.services.provide(Symbol.for('pebbleflow.workingDirectory'), { path: await ctx.property<string>('path') });
      return { state: await ctx.runChildren({ tasks: ctx.task.children.tasks ?? [] }) };
    },
  }),
);

let root: string;
let ids: string[];
let http: GitHttpServer;
beforeAll(async () => {
  if (!available) return;
  root = mkdtempSync(join(tmpdir(), 'pf-git-'));
  ids = bareRepository(root, 'repo', [
    { 'README.md': '# repo\n', 'file1.txt': 'first\n' },
    { 'file2.txt': 'second\n', 'flows/hello.yaml': 'id: hello\nnamespace: dev\ntasks: []\n' },
  ]);
  // A branch and a tag.
  const work = mkdtempSync(join(tmpdir(), 'pf-git-branch-'));
  git(work, 'clone', '--quiet', join(root, 'repo.git'), '.');
  git(work, 'checkout', '--quiet', '-b', 'dev');
  writeFileSync(join(work, 'dev.txt'), 'on dev\n');
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '-m', 'dev');
  git(work, 'tag', 'v1.0', ids[0]!);
  git(work, 'push', '--quiet', 'origin', 'dev', 'v1.0');
  http = await startGitHttpServer(root, USER, PASSWORD);
});
afterAll(async () => {
  if (!available) return;
  await http.close();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh folder, and a flow that clones into it with the given Clone properties. */
function cloneFlow(props: string, folder = mkdtempSync(join(tmpdir(), 'pf-clone-'))): { folder: string; yaml: string } {
  const indented = props
    .trim()
    .split('\n')
    .map((l) => `        ${l}`)
    .join('\n');
  return {
    folder,
    yaml: `id: git_clone
namespace: company.team
tasks:
  - id: wdir
    type: io.pebbleflow.test.InFolder
    path: ${folder}
    tasks:
      - id: clone
        type: io.kestra.plugin.git.Clone
${indented}
`,
  };
}

let storage: string;
beforeAll(() => {
  storage = mkdtempSync(join(tmpdir(), 'pf-git-storage-'));
});
afterAll(() => rmSync(storage, { recursive: true, force: true }));

async function run(yaml: string, env: Record<string, string> = {}): Promise<RunReport> {
  return runFlow(parseFlow(yaml, { registry }), {
    registry,
    storage,
    env: { PATH: process.env.PATH ?? '', SECRET_GIT_USERNAME: b64(USER), SECRET_GIT_PASSWORD: b64(PASSWORD), ...env },
  });
}

function leakFree(report: RunReport): void {
  const text = JSON.stringify(report);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(b64(`${USER}:${PASSWORD}`));
}

describeGit('io.kestra.plugin.git.Clone over file://', () => {
  test('the default branch, shallow (depth 1), into the working directory; output directory', async () => {
    const { folder, yaml } = cloneFlow(`url: file://${root}/repo.git`);
    const report = await run(yaml);
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.clone).toEqual({ directory: folder });
    expect(readFileSync(join(folder, 'README.md'), 'utf8')).toBe('# repo\n');
    expect(existsSync(join(folder, '.git'))).toBe(true);
    expect(git(folder, 'rev-list', '--count', 'HEAD').trim()).toBe('1');
    expect(git(folder, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('main');
    expect(report.logs.find((l) => l.taskId === 'clone')?.message).toBe(`Start cloning from 'file://${root}/repo.git'`);
  });

  test('the git_python example’s shape: Clone then a script in one WorkingDirectory (the folder is shared, then removed)', async () => {
    const report = await run(`id: git_python
namespace: company.team
tasks:
  - id: file_system
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: clone_repository
        type: io.kestra.plugin.git.Clone
        url: file://${root}/repo.git
        branch: main
      - id: etl
        type: io.kestra.plugin.scripts.shell.Commands
        taskRunner:
          type: io.kestra.plugin.core.runner.Process
        commands:
          - cat README.md file2.txt
`);
    expect(report.state).toBe('SUCCESS');
    const etl = report.logs.filter((l) => l.taskId === 'etl').map((l) => l.message);
    expect(etl).toEqual(expect.arrayContaining(['# repo', 'second']));
    const directory = (report.outputs.clone_repository as { directory: string }).directory;
    // The WorkingDirectory removed its folder when it ended, as Kestra's does.
    expect(existsSync(directory)).toBe(false);
  });

  test('cloneAtSpecificCommit: detached at the commit, the later file absent, full history', async () => {
    const { folder, yaml } = cloneFlow(`url: file://${root}/repo.git\ncommit: "${ids[0]}"`);
    const report = await run(yaml);
    expect(report.state).toBe('SUCCESS');
    expect(git(folder, 'rev-parse', 'HEAD').trim()).toBe(ids[0]);
    expect(existsSync(join(folder, 'file1.txt'))).toBe(true);
    expect(existsSync(join(folder, 'file2.txt'))).toBe(false);
  });

  test('a branch, and a tag, in a directory under the working directory', async () => {
    const branch = cloneFlow(`url: file://${root}/repo.git\nbranch: dev\ndirectory: checkout`);
    expect((await run(branch.yaml)).state).toBe('SUCCESS');
    expect(readFileSync(join(branch.folder, 'checkout', 'dev.txt'), 'utf8')).toBe('on dev\n');
    const tag = cloneFlow(`url: file://${root}/repo.git\ntag: v1.0`);
    expect((await run(tag.yaml)).state).toBe('SUCCESS');
    expect(git(tag.folder, 'rev-parse', 'HEAD').trim()).toBe(ids[0]);
  });

  test('cloneIntoNonEmptyDirectory and cloneIntoNonEmptySubdirectory: the files already there are kept', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pf-clone-'));
    writeFileSync(join(folder, 'pre-existing.txt'), 'I was here first\n');
    const report = await run(cloneFlow(`url: file://${root}/repo.git`, folder).yaml);
    expect(report.state).toBe('SUCCESS');
    expect(readFileSync(join(folder, 'pre-existing.txt'), 'utf8')).toBe('I was here first\n');
    expect(readFileSync(join(folder, 'file2.txt'), 'utf8')).toBe('second\n');
    expect(existsSync(join(folder, '.git'))).toBe(true);
    expect(report.logs.map((l) => l.message)).toContain('Checked out branch main from origin/main');

    const sub = mkdtempSync(join(tmpdir(), 'pf-clone-'));
    mkdirSync(join(sub, 'myrepo'));
    writeFileSync(join(sub, 'myrepo', 'pre-existing.txt'), 'I was here first\n');
    expect((await run(cloneFlow(`url: file://${root}/repo.git\ndirectory: myrepo`, sub).yaml)).state).toBe('SUCCESS');
    expect(existsSync(join(sub, 'myrepo', 'pre-existing.txt'))).toBe(true);
    expect(existsSync(join(sub, 'myrepo', 'README.md'))).toBe(true);
  });

  test('appliesGitConfig_coreFileModeFalse: the clone’s config has it', async () => {
    const { folder, yaml } = cloneFlow(`url: file://${root}/repo.git\ngitConfig:\n  core.fileMode: false\n  nodot: x`);
    const report = await run(yaml);
    expect(report.state).toBe('SUCCESS');
    expect(git(folder, 'config', '--local', 'core.fileMode').trim()).toBe('false');
    expect(report.logs.some((l) => l.level === 'WARN' && l.message.startsWith('invalid git gitRepoConfig key format: nodot.'))).toBe(true);
  });

  test('a directory that leaves the working directory is refused; Kestra’s clone-option errors', async () => {
    const out = await run(cloneFlow(`url: file://${root}/repo.git\ndirectory: ../elsewhere`).yaml);
    expect(out.taskRuns.find((t) => t.taskId === 'clone')?.error).toBe('Invalid `directory`: it leaves the working directory');
    const noBranch = await run(cloneFlow(`url: file://${root}/repo.git\ncloneAllBranches: false`).yaml);
    expect(noBranch.taskRuns.find((t) => t.taskId === 'clone')?.error).toBe(
      'Invalid clone configuration: when `cloneAllBranches` is false, `branch` must be set.',
    );
  });

  test('no git on the PATH: DEPENDENCY_MISSING saying what to install', async () => {
    const report = await run(cloneFlow(`url: file://${root}/repo.git`).yaml, { PATH: '/nonexistent' });
    expect(report.taskRuns.find((t) => t.taskId === 'clone')?.error).toBe(
      'io.kestra.plugin.git.Clone needs the git program, which is not on the PATH: install it (Debian/Ubuntu: apt-get install git)',
    );
  });
});

describeGit('io.kestra.plugin.git.Clone over HTTP with username and password', () => {
  test('privateRepository: credentials from secrets reach the server, never the clone’s config nor the report', async () => {
    const { folder, yaml } = cloneFlow(
      `url: ${http.origin}/repo.git\nusername: "{{ secret('GIT_USERNAME') }}"\npassword: "{{ secret('GIT_PASSWORD') }}"\nbranch: main`,
    );
    const before = http.authorizations.length;
    const report = await run(yaml);
    expect(report.state).toBe('SUCCESS');
    expect(readFileSync(join(folder, 'README.md'), 'utf8')).toBe('# repo\n');
    expect(http.authorizations.slice(before)).toContain(`Basic ${b64(`${USER}:${PASSWORD}`)}`);
    // The remote URL is kept as given; nothing of the credentials is written into the repository.
    expect(git(folder, 'remote', 'get-url', 'origin').trim()).toBe(`${http.origin}/repo.git`);
    expect(readFileSync(join(folder, '.git', 'config'), 'utf8')).not.toContain(PASSWORD);
    leakFree(report);
  });

  test('a wrong password: GIT_FAILED with git’s message, the password masked (given literally)', async () => {
    const wrong = `wrong_${Math.random().toString(36).slice(2)}_zq`;
    const report = await run(cloneFlow(`url: ${http.origin}/repo.git\nusername: ${USER}\npassword: ${wrong}`).yaml);
    const error = report.taskRuns.find((t) => t.taskId === 'clone')?.error ?? '';
    expect(error).toMatch(/^git clone failed \(exit code 128\): .*Authentication failed/);
    expect(JSON.stringify(report)).not.toContain(wrong);
  });

  test('credentials written in the URL work, and are masked in the logs and errors git prints', async () => {
    const host = http.origin.slice('http://'.length);
    const ok = await run(cloneFlow(`url: "http://${USER}:${PASSWORD}@${host}/repo.git"`).yaml);
    expect(ok.state).toBe('SUCCESS');
    expect(ok.logs.find((l) => l.taskId === 'clone')?.message).toBe(`Start cloning from 'http://******@${host}/repo.git'`);
    leakFree(ok);
    const missing = await run(cloneFlow(`url: "http://${USER}:${PASSWORD}@${host}/missing.git"`).yaml);
    expect(missing.state).toBe('FAILED');
    expect(missing.taskRuns.find((t) => t.taskId === 'clone')?.error).toMatch(/^git clone failed \(exit code 128\): /);
    leakFree(missing);
  });

  test('without credentials the server’s 401 is a clear failure, not a prompt that hangs', async () => {
    const report = await run(cloneFlow(`url: ${http.origin}/repo.git`).yaml);
    expect(report.taskRuns.find((t) => t.taskId === 'clone')?.error).toMatch(
      /^git clone failed \(exit code 128\): .*(could not read Username|Authentication failed)/,
    );
  });
});

describeGit('io.kestra.plugin.git.SyncFlows into the local flows folder', () => {
  let repoRoot: string;
  beforeAll(() => {
    repoRoot = mkdtempSync(join(tmpdir(), 'pf-sync-'));
    bareRepository(repoRoot, 'flows', [
      {
        '_flows/hello.yaml':
          'id: hello\nnamespace: whatever\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: from git\n',
        '_flows/same.yaml':
          'id: same\nnamespace: whatever\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: same\n',
        '_flows/child/nested.yaml':
          'id: nested\nnamespace: x\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: nested\n',
        'README.md': 'not a flow\n',
      },
    ]);
  });

  const syncFlow = (extra = ''): string => `id: sync
namespace: prod
tasks:
  - id: sync
    type: io.kestra.plugin.git.SyncFlows
    url: file://${repoRoot}/flows.git
    targetNamespace: prod
${extra}`;

  function flowsFolder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'pf-flows-'));
    mkdirSync(join(dir, 'prod'));
    // hello exists with other content (UPDATED), same is identical (UNCHANGED), old is not in git (DELETED with delete: true).
    writeFileSync(
      join(dir, 'prod', 'hello.yml'),
      'id: hello\nnamespace: prod\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: local\n',
    );
    writeFileSync(
      join(dir, 'same.yaml'),
      'id: same\nnamespace: prod\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: same\n',
    );
    writeFileSync(
      join(dir, 'old.yaml'),
      'id: old\nnamespace: prod\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: old\n',
    );
    writeFileSync(
      join(dir, 'other.yaml'),
      'id: other\nnamespace: dev\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: other\n',
    );
    writeFileSync(join(dir, 'sync.yaml'), syncFlow());
    return dir;
  }

  async function sync(dir: string, extra = ''): Promise<RunReport> {
    const flow = parseFlow(syncFlow(extra), { registry });
    return runFlow(flow, { registry, storage, env: { PATH: process.env.PATH ?? '' }, flows: new DirectoryFlowRepository(dir) });
  }

  const results = (report: RunReport): unknown[] =>
    report.logs
      .filter((l) => l.taskId === 'sync' && l.level === 'DEBUG' && l.message.startsWith('{'))
      .map((l) => JSON.parse(l.message) as unknown);

  test('flows are added, updated or left unchanged under targetNamespace; other namespaces untouched', async () => {
    const dir = flowsFolder();
    const report = await sync(dir);
    expect(report.state).toBe('SUCCESS');
    expect(results(report)).toEqual([
      { gitPath: '_flows/hello.yaml', syncState: 'UPDATED', namespace: 'prod', flowId: 'hello', revision: 2 },
      { gitPath: '_flows/same.yaml', syncState: 'UNCHANGED', namespace: 'prod', flowId: 'same', revision: 1 },
    ]);
    expect(readFileSync(join(dir, 'prod', 'hello.yml'), 'utf8')).toContain('message: from git');
    expect(readFileSync(join(dir, 'prod', 'hello.yml'), 'utf8')).toContain('namespace: prod\n');
    expect(existsSync(join(dir, 'old.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'prod.child'))).toBe(false);
    // diffFileUri: the same results as Ion lines in the storage.
    const uri = (report.outputs.sync as { diffFileUri: string }).diffFileUri;
    expect(uri).toMatch(/^kestra:\/\/\/prod\/sync\/executions\/.+\.ion$/);
    const ion = readFileSync(join(storage, 'main', ...uri.slice('kestra:///'.length).split('/')), 'utf8');
    expect(ion.trim().split('\n')).toEqual([
      '{gitPath:"_flows/hello.yaml",syncState:"UPDATED",namespace:"prod",flowId:"hello",revision:2}',
      '{gitPath:"_flows/same.yaml",syncState:"UNCHANGED",namespace:"prod",flowId:"same",revision:1}',
    ]);
  });

  test('includeChildNamespaces and delete: subfolders become child namespaces, flows gone from git are removed (not the sync flow)', async () => {
    const dir = flowsFolder();
    const report = await sync(dir, '    includeChildNamespaces: true\n    delete: true\n');
    expect(report.state).toBe('SUCCESS');
    expect(results(report)).toEqual([
      // AbstractSyncTask's order: deleted first, then by git path.
      { syncState: 'DELETED', namespace: 'prod', flowId: 'old', revision: 1 },
      { gitPath: '_flows/child/nested.yaml', syncState: 'ADDED', namespace: 'prod.child', flowId: 'nested', revision: 1 },
      { gitPath: '_flows/hello.yaml', syncState: 'UPDATED', namespace: 'prod', flowId: 'hello', revision: 2 },
      { gitPath: '_flows/same.yaml', syncState: 'UNCHANGED', namespace: 'prod', flowId: 'same', revision: 1 },
    ]);
    expect(existsSync(join(dir, 'old.yaml'))).toBe(false);
    expect(existsSync(join(dir, 'sync.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'other.yaml'))).toBe(true);
    expect(readFileSync(join(dir, 'prod.child', 'nested.yaml'), 'utf8')).toContain('namespace: prod.child\n');
  });

  test('dryRun writes nothing; a missing git directory is Kestra’s error', async () => {
    const dir = flowsFolder();
    const dry = await sync(dir, '    delete: true\n    dryRun: true\n');
    expect(dry.state).toBe('SUCCESS');
    expect(existsSync(join(dir, 'old.yaml'))).toBe(true);
    expect(readFileSync(join(dir, 'prod', 'hello.yml'), 'utf8')).toContain('message: local');
    const missing = await sync(dir, '    gitDirectory: nowhere\n');
    expect(missing.taskRuns[0]?.error).toBe(
      "The directory 'nowhere' was not found in the git repository. Verify if the path exists in the specified branch 'main'.",
    );
  });
});
