/**
 * plugin-git's PushFlows, PushNamespaceFiles and SyncNamespaceFiles against the local instance (the
 * flows folder, the namespace files folder), with the real git program, pushing to bare repositories
 * over file:// and over smart HTTP with Basic auth (git http-backend behind a node server). The
 * behaviour ported: plugin-git src/main/java/io/kestra/plugin/git/AbstractPushTask.java (delete of
 * outdated files, dryRun, "No changes to commit", the Ion diff rows), PushFlows.java (child namespaces
 * as folders, namespace rewritten, revision line dropped, `<id>.yml`), SyncNamespaceFiles.java
 * (ADDED / OVERWRITTEN / UNCHANGED / DELETED, kestraPath, gitPath).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryFlowRepository } from '../../src/flow/repository.js';
import { messages, runYaml, taskStates } from '../support/flows.js';
import { bareRepository, git, gitAvailable, startGitHttpServer, type GitHttpServer } from '../support/git-server.js';

const available = gitAvailable();
if (!available) {
  const message = 'git or git http-backend is missing: the git push tests are skipped (apt-get install git)';
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n\n*** ${message} ***\n`);
}
const describeGit = available ? describe : describe.skip;

const log = (ns: string, id: string, message: string, extra = ''): string =>
  `id: ${id}\nnamespace: ${ns}\n${extra}tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: ${message}\n`;

let root: string;
beforeAll(() => {
  if (!available) return;
  root = mkdtempSync(join(tmpdir(), 'pf-git-push-'));
  bareRepository(root, 'flows', [{ 'README.md': '# flows\n', '_flows/stale.yml': log('prod', 'stale', 'old'), 'keep.txt': 'x\n' }]);
  bareRepository(root, 'files', [{ 'README.md': '# files\n' }]);
});
afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

/** A checkout of `branch` of a bare repository, to look at what was pushed. */
function checkout(repo: string, branch = 'main'): string {
  const dir = mkdtempSync(join(tmpdir(), 'pf-git-look-'));
  git(dir, 'clone', '--quiet', '--branch', branch, `file://${join(root, `${repo}.git`)}`, '.');
  return dir;
}

describeGit('io.kestra.plugin.git.PushFlows over file://', () => {
  function flowsFolder(pushFlow: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'pf-flows-'));
    mkdirSync(join(dir, 'prod'));
    writeFileSync(join(dir, 'prod', 'hello.yaml'), log('prod', 'hello', 'hi', 'revision: 4\n'));
    writeFileSync(join(dir, 'child.yaml'), log('prod.sub', 'child', 'child'));
    writeFileSync(join(dir, 'other.yaml'), log('dev', 'other', 'other'));
    writeFileSync(join(dir, 'push.yaml'), pushFlow);
    return dir;
  }
  const pushFlow = (extra: string, target = 'company.prod'): string => `id: push
namespace: prod
tasks:
  - id: push
    type: io.kestra.plugin.git.PushFlows
    url: file://${root}/flows.git
    targetNamespace: ${target}
    includeChildNamespaces: true
    authorName: Flow Bot
    authorEmail: bot@example.com
${extra}`;

  test('dryRun stages and reports, pushes nothing; then the flows are committed and pushed, outdated flows removed', async () => {
    const dryFlow = pushFlow('    dryRun: true\n');
    const dry = await runYaml(dryFlow, { flows: new DirectoryFlowRepository(flowsFolder(dryFlow)) });
    expect(taskStates(dry)).toEqual({ push: 'SUCCESS' });
    expect(messages(dry)).toContainEqual(expect.stringContaining('push INFO Dry run — no changes will be pushed to file://'));
    expect(dry.taskRuns[0]?.outputs?.['commitId']).toBeUndefined();
    expect(messages(dry)).toContainEqual('push DEBUG {changes:"0",file:"_flows/hello.yml",deletions:"-0",additions:"+6"}');
    expect(existsSync(join(checkout('flows'), '_flows', 'hello.yml'))).toBe(false);

    const flow = pushFlow('    commitMessage: "sync flows {{ flow.namespace }}"\n');
    const report = await runYaml(flow, { flows: new DirectoryFlowRepository(flowsFolder(flow)) });
    expect(taskStates(report)).toEqual({ push: 'SUCCESS' });
    const look = checkout('flows');
    const head = git(look, 'rev-parse', 'HEAD').trim();
    expect(report.taskRuns[0]?.outputs?.['commitId']).toBe(head);
    expect(git(look, 'log', '-1', '--format=%an <%ae> %s').trim()).toBe('Flow Bot <bot@example.com> sync flows prod');
    // Child namespaces as folders, namespace rewritten to targetNamespace, revision dropped; the flow running the push is pushed too.
    expect(readFileSync(join(look, '_flows', 'hello.yml'), 'utf8')).toBe(log('company.prod', 'hello', 'hi'));
    expect(readFileSync(join(look, '_flows', 'sub', 'child.yml'), 'utf8')).toBe(log('company.prod.sub', 'child', 'child'));
    expect(existsSync(join(look, '_flows', 'push.yml'))).toBe(true);
    expect(existsSync(join(look, '_flows', 'other.yml'))).toBe(false);
    // delete (default true): the flow file git had and the namespace no longer has is removed; other files stay.
    expect(existsSync(join(look, '_flows', 'stale.yml'))).toBe(false);
    expect(readFileSync(join(look, 'keep.txt'), 'utf8')).toBe('x\n');
    expect(messages(report)).toContainEqual('push DEBUG {changes:"0",file:"_flows/stale.yml",deletions:"-6",additions:"+0"}');

    // Nothing changed since: no commit.
    const again = await runYaml(flow, { flows: new DirectoryFlowRepository(flowsFolder(flow)) });
    expect(messages(again)).toContain('push INFO No changes to commit. Skipping push.');
    expect(git(checkout('flows'), 'rev-parse', 'HEAD').trim()).toBe(head);
  });

  test('a branch the remote does not have is created from the default branch', async () => {
    const flow = pushFlow('    branch: feature/flows\n    flows: hel*\n', 'company.feature');
    const report = await runYaml(flow, { flows: new DirectoryFlowRepository(flowsFolder(flow)) });
    expect(taskStates(report)).toEqual({ push: 'SUCCESS' });
    const look = checkout('flows', 'feature/flows');
    expect(readFileSync(join(look, '_flows', 'hello.yml'), 'utf8')).toBe(log('company.feature', 'hello', 'hi'));
    // `flows` globs: only hello is pushed, and only matching files are candidates for deletion: push.yml,
    // which the branch got from main, stays as it was there.
    expect(readFileSync(join(look, '_flows', 'push.yml'), 'utf8')).toContain('namespace: company.prod\n');
    expect(git(look, 'diff', '--name-only', 'origin/main', 'HEAD').trim()).toBe('_flows/hello.yml');
    expect(existsSync(join(look, 'README.md'))).toBe(true);
  });
});

describeGit('PushNamespaceFiles and SyncNamespaceFiles over smart HTTP with Basic auth', () => {
  let http: GitHttpServer;
  const PASSWORD = `pat_${Math.random().toString(36).slice(2)}`;
  beforeAll(async () => {
    http = await startGitHttpServer(root, 'pushbot', PASSWORD);
  });
  afterAll(async () => {
    await http.close();
  });

  test('namespace files pushed to git, then synced into another namespace; credentials never shown', async () => {
    const nsDir = mkdtempSync(join(tmpdir(), 'pf-nsfiles-'));
    mkdirSync(join(nsDir, 'company.team', 'scripts'), { recursive: true });
    writeFileSync(join(nsDir, 'company.team', 'scripts', 'etl.py'), 'print("etl")\n');
    writeFileSync(join(nsDir, 'company.team', 'query.sql'), 'select 1;\n');
    mkdirSync(join(nsDir, 'company.copy'), { recursive: true });
    writeFileSync(join(nsDir, 'company.copy', 'query.sql'), 'select 2;\n');
    writeFileSync(join(nsDir, 'company.copy', 'obsolete.txt'), 'gone\n');
    const auth = `    username: pushbot\n    password: "{{ secret('GIT_TOKEN') }}"\n`;
    const report = await runYaml(
      `id: ns_files
namespace: company.team
tasks:
  - id: push
    type: io.kestra.plugin.git.PushNamespaceFiles
    url: ${http.origin}/files.git
${auth}    files:
      - "scripts/**"
      - "*.sql"
  - id: sync
    type: io.kestra.plugin.git.SyncNamespaceFiles
    url: ${http.origin}/files.git
${auth}    namespace: company.copy
    delete: true
`,
      { namespaceFiles: nsDir, env: { SECRET_GIT_TOKEN: Buffer.from(PASSWORD).toString('base64'), PATH: process.env['PATH'] ?? '' } },
    );
    expect(taskStates(report)).toEqual({ push: 'SUCCESS', sync: 'SUCCESS' });
    const look = checkout('files');
    expect(readFileSync(join(look, '_files', 'scripts', 'etl.py'), 'utf8')).toBe('print("etl")\n');
    expect(readFileSync(join(look, '_files', 'query.sql'), 'utf8')).toBe('select 1;\n');
    expect(git(look, 'log', '-1', '--format=%an %s').trim()).toBe('pushbot Add files from company.team namespace');
    expect(String(report.taskRuns[0]?.outputs?.['commitURL'])).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/files\/commit\/[0-9a-f]{40}\?branch=main$/,
    );
    // Synced into company.copy: added, overwritten, deleted (delete: true).
    expect(readFileSync(join(nsDir, 'company.copy', 'scripts', 'etl.py'), 'utf8')).toBe('print("etl")\n');
    expect(readFileSync(join(nsDir, 'company.copy', 'query.sql'), 'utf8')).toBe('select 1;\n');
    expect(existsSync(join(nsDir, 'company.copy', 'obsolete.txt'))).toBe(false);
    const rows = report.logs
      .filter((l) => l.taskId === 'sync' && l.level === 'DEBUG' && l.message.startsWith('{'))
      .map((l) => JSON.parse(l.message) as unknown);
    expect(rows).toEqual([
      { syncState: 'DELETED', kestraPath: '/obsolete.txt' },
      { syncState: 'OVERWRITTEN', kestraPath: '/query.sql', gitPath: '_files/query.sql' },
      { syncState: 'ADDED', kestraPath: '/scripts/etl.py', gitPath: '_files/scripts/etl.py' },
    ]);
    expect(JSON.stringify(report)).not.toContain(PASSWORD);
    expect(http.authorizations.filter((a) => a !== undefined).length).toBeGreaterThan(0);
  });
});
