/** `pebbleflow run --json` with files: a FILE input from a path, `--storage`, outputs printed as their URIs. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../support/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-cli-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a FILE input (-i id=@path) is stored under the execution, read by a script, and the report shows URIs', async () => {
  await writeFile(join(dir, 'data.csv'), 'a,b\n1,2\n');
  await writeFile(
    join(dir, 'flow.yaml'),
    `id: new_shell_with_file
namespace: company.team
inputs:
  - id: file
    type: FILE
tasks:
  - id: shell
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      data.txt: "{{inputs.file}}"
    outputFiles:
      - out.txt
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - cp {{workingDir}}/data.txt {{workingDir}}/out.txt
`,
  );
  const r = await cli(['run', 'flow.yaml', '-i', 'file=@data.csv', '--storage', 'my-storage', '--json'], { cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as {
    executionId: string;
    state: string;
    outputs: Record<string, { outputFiles: Record<string, string> }>;
  };
  expect(report.state).toBe('SUCCESS');
  const out = report.outputs['shell']?.outputFiles['out.txt'] ?? '';
  expect(out).toMatch(
    new RegExp(`^kestra:///company/team/new-shell-with-file/executions/${report.executionId}/tasks/shell/\\w+/\\w+-out\\.txt$`),
  );
  const input = await readdir(
    join(dir, 'my-storage', 'main', 'company', 'team', 'new-shell-with-file', 'executions', report.executionId, 'inputs', 'file'),
  );
  expect(input).toEqual(['data.csv']);
}, 120_000);

test('validate checks a flow of scripts without running them (README: scripts run only under pebbleflow run)', async () => {
  const marker = join(dir, 'ran.txt');
  await writeFile(
    join(dir, 'flow.yaml'),
    `id: touchy
namespace: company.team
tasks:
  - id: shell
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["touch ${marker}"]
  - id: legacy
    type: io.kestra.core.tasks.scripts.Bash
    commands: ["touch ${marker}"]
`,
  );
  const r = await cli(['validate', 'flow.yaml'], { cwd: dir });
  expect(r.code).toBe(0);
  expect(await readdir(dir)).toEqual(['flow.yaml']);
  // The same flow under run does create it: the check above could fail.
  expect((await cli(['run', 'flow.yaml'], { cwd: dir })).code).toBe(0);
  expect(await readdir(dir)).toContain('ran.txt');
}, 120_000);
