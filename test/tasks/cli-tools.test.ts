/**
 * dbt and Ansible as Process-runner commands. `dbt` and `ansible-playbook` here are small executable
 * scripts on a PATH of the test's own (real child processes that print what the tools print and
 * write what they write), plus one run of Debian's real ansible-playbook when it is installed.
 * Flows: the `@Example`s of kestra-io/plugin-dbt (src/main/java/io/kestra/plugin/dbt/cli/DbtCLI.java)
 * and kestra-io/plugin-ansible (src/main/java/io/kestra/plugin/ansible/cli/AnsibleCLI.java); the log
 * line format is plugin-dbt's LogService.java, the run-result lines its ResultParser.java.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbtLogLine } from '../../src/tasks/dbt/dbt-cli.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { parseStorageUri } from '../../src/storage/uri.js';
import { messages, runYaml, taskStates } from '../support/flows.js';

let bin: string;
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-cli-tools-'));
  bin = join(root, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  // A dbt that logs as dbt does (--log-format json), and writes target/ as `dbt build` does.
  await writeFile(
    join(bin, 'dbt'),
    `#!/bin/sh
echo "args: $*" >&2
case "$*" in *"--log-format json"*) ;; *) echo "no json log format" >&2; exit 3;; esac
pd=.
while [ $# -gt 0 ]; do [ "$1" = "--project-dir" ] && pd="$2"; shift; done
echo '{"info": {"category": "", "code": "A001", "invocation_id": "x", "level": "info", "msg": "Running with dbt=1.8.0", "name": "MainReportVersion", "pid": 1, "thread": "MainThread", "ts": "2024-05-01T10:00:00.000000Z"}, "data": {"version": "=1.8.0", "log_version": 3}}'
echo '{"info": {"level": "warn", "msg": "Configuration paths exist which do not apply", "name": "UnusedResourceConfigPath", "thread": "MainThread", "ts": "2024-05-01T10:00:01.000000Z"}}'
echo 'not json at all  '
mkdir -p "$pd/target"
echo '{"metadata": {"dbt_version": "1.8.0", "adapter_type": "duckdb"}, "nodes": {"model.jaffle.orders": {}, "model.jaffle.customers": {}}}' > "$pd/target/manifest.json"
echo '{"results": [{"unique_id": "model.jaffle.orders", "status": "success", "execution_time": 0.1234, "failures": null, "message": "OK", "adapter_response": {"rows_affected": 3}, "timing": []}, {"unique_id": "test.jaffle.not_null", "status": "fail", "execution_time": 0.05, "failures": 2, "message": "Got 2 results", "timing": []}]}' > "$pd/target/run_results.json"
test -f profiles.yml && echo "profiles: $(head -1 profiles.yml)" >&2
exit \${DBT_EXIT:-0}
`,
  );
  // An ansible-playbook that prints what the callback prints, one playbook per run.
  await writeFile(
    join(bin, 'ansible-playbook'),
    `#!/bin/sh
test -f ansible.cfg && test -f callback_plugins/kestra_logger.py && test -f library/kestra.py || { echo "missing files" >&2; exit 4; }
echo "[localhost] ok => {\\"msg\\": \\"$1\\"}"
echo '::{"outputs": {"outputs": [{"msg": "'"$1"'"}], "playbooks": [{"plays": [{"name": "'"$1"'", "tasks": []}]}]}}::'
echo "mode $KESTRA_OUTPUTS_MODE" >> log
`,
  );
  await chmod(join(bin, 'dbt'), 0o755);
  await chmod(join(bin, 'ansible-playbook'), 0o755);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const path = (): string => `${bin}:/usr/local/bin:/usr/bin:/bin`;

describe('dbt.cli.DbtCLI', () => {
  test('dbt log lines as Kestra formats them (LogService.parse)', () => {
    expect(
      dbtLogLine(
        '{"info": {"level": "info", "msg": "Running with dbt=1.8.0", "name": "MainReportVersion", "thread": "MainThread", "ts": "T"}}',
      ),
    ).toEqual({ level: 'INFO', message: '[Date: T] [Thread: MainThread] [Type: MainReportVersion] Running with dbt=1.8.0 ' });
    expect(dbtLogLine('{"level": "warn", "msg": "m", "type": "log_line", "thread_name": "Thread-1", "ts": "T"}').level).toBe('WARN');
    expect(dbtLogLine('{"level": "error", "msg": "m"}').level).toBe('ERROR');
    expect(dbtLogLine('  plain text ')).toEqual({ level: 'INFO', message: 'plain text' });
  });

  test('profiles, project dir, dbt flags, parsed logs, stored manifest and run results; a dbt warning makes it WARNING', async () => {
    const report = await runYaml(
      `
id: dbt_build
namespace: company.team
tasks:
  - id: dbt
    type: io.kestra.plugin.dbt.cli.DbtCLI
    env:
      PATH: "${path()}"
    projectDir: jaffle
    beforeCommands:
      - mkdir -p jaffle
    commands:
      - dbt deps
      - dbt build
    storeManifest:
      key: manifest.json
      namespace: company.team
    profiles: |
      jaffle_shop:
        outputs:
          dev:
            type: duckdb
            path: ":memory:"
        target: dev
`,
      { storage: join(root, 'storage') },
    );
    const log = messages(report);
    expect(taskStates(report)).toEqual({ dbt: 'WARNING' });
    // Every line that is not Kestra's protocol goes through dbt's log parser, stderr too (DbtLogConsumer): not JSON, so INFO.
    expect(log).toContain('dbt INFO args: deps --project-dir jaffle --log-format json --log-path logs');
    expect(log).toContain('dbt INFO args: build --project-dir jaffle --log-format json --log-path logs');
    expect(log).toContain(
      'dbt INFO [Date: 2024-05-01T10:00:00.000000Z] [Thread: MainThread] [Type: MainReportVersion] Running with dbt=1.8.0 ',
    );
    expect(log).toContain(
      'dbt WARN [Date: 2024-05-01T10:00:01.000000Z] [Thread: MainThread] [Type: UnusedResourceConfigPath] Configuration paths exist which do not apply ',
    );
    expect(log).toContain('dbt INFO not json at all');
    expect(log).toContainEqual(expect.stringMatching(/^dbt INFO dbt project working directory: .*\/jaffle$/));
    expect(log).toContain('dbt INFO model.jaffle.orders => success in 0.12s');
    expect(log).toContain('dbt ERROR test.jaffle.not_null => fail in 0.05s (2 failures)');
    expect(log).toContain('dbt ERROR Got 2 results');
    expect(log).toContainEqual(expect.stringMatching(/metadata=2, nodes=2$/));
    expect(log.some((l) => l.includes('profiles: jaffle_shop:'))).toBe(true);
    const outputs = report.taskRuns[0]?.outputs as { outputFiles: Record<string, string>; exitCode: number };
    expect(outputs.exitCode).toBe(0);
    expect(Object.keys(outputs.outputFiles).sort()).toEqual(['manifest.json', 'run_results.json']);
    const storage = new LocalStorage(join(root, 'storage'));
    const manifest = JSON.parse(
      (await storage.read('main', parseStorageUri(outputs.outputFiles['manifest.json'] as string))).toString('utf8'),
    ) as {
      nodes: object;
    };
    expect(Object.keys(manifest.nodes)).toHaveLength(2);
  });

  test('a failing dbt fails the task with the exit code, outputs kept; a missing dbt is DEPENDENCY_MISSING', async () => {
    const report = await runYaml(`
id: dbt_fail
namespace: company.team
tasks:
  - id: dbt
    type: io.kestra.plugin.dbt.cli.DbtCLI
    env:
      PATH: "${path()}"
      DBT_EXIT: "1"
    commands:
      - dbt build
`);
    expect(taskStates(report)['dbt']).toBe('FAILED');
    expect(messages(report)).toContain('dbt ERROR Command failed with exit code 1');
    const report2 = await runYaml(`
id: dbt_missing
namespace: company.team
tasks:
  - id: missing
    type: io.kestra.plugin.dbt.cli.DbtCLI
    env:
      PATH: ${join(root, 'empty')}
    commands:
      - dbt build
`);
    expect(taskStates(report2)).toEqual({ missing: 'FAILED' });
    expect(messages(report2)).toContainEqual(
      expect.stringContaining('The dbt commands need the program `dbt`, which is not on the PATH: install dbt with the adapter'),
    );
  });
});

describe('ansible.cli.AnsibleCLI', () => {
  test('the working directory gets ansible.cfg, the callback and the module; outputs merged over two playbooks; the log stored', async () => {
    const report = await runYaml(
      `
id: ansible
namespace: company.team
tasks:
  - id: ansible_task
    type: io.kestra.plugin.ansible.cli.AnsibleCLI
    env:
      PATH: "${path()}"
    inputFiles:
      inventory.ini: "localhost ansible_connection=local"
    outputLogFile: true
    commands:
      - ansible-playbook first.yml
      - ansible-playbook second.yml
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.ansible_task.vars.outputs | length }} {{ outputs.ansible_task.vars.playbooks[1].plays[0].name }}"
`,
      { storage: join(root, 'storage2') },
    );
    expect(taskStates(report)).toEqual({ ansible_task: 'SUCCESS', after: 'SUCCESS' });
    const log = messages(report);
    expect(log).toContain('ansible_task INFO [localhost] ok => {"msg": "first.yml"}');
    expect(log).toContain('after INFO 2 second.yml');
    const outputs = report.taskRuns[0]?.outputs as { vars: Record<string, unknown>; outputFiles: Record<string, string> };
    expect(outputs.vars['outputs']).toEqual([{ msg: 'first.yml' }, { msg: 'second.yml' }]);
    const storage = new LocalStorage(join(root, 'storage2'));
    expect((await storage.read('main', parseStorageUri(outputs.outputFiles['log'] as string))).toString('utf8')).toBe(
      'mode all\nmode all\n',
    );
  });

  test('an ansible.cfg of inputFiles wins (with Kestra warning); outputsMode EXPLICIT; a missing ansible-playbook is DEPENDENCY_MISSING', async () => {
    const report = await runYaml(`
id: ansible
namespace: company.team
tasks:
  - id: own_cfg
    type: io.kestra.plugin.ansible.cli.AnsibleCLI
    env:
      PATH: "${path()}"
    outputsMode: EXPLICIT
    inputFiles:
      ansible.cfg: |
        [defaults]
    commands:
      - cat ansible.cfg
      - echo "mode $KESTRA_OUTPUTS_MODE"
  - id: missing
    type: io.kestra.plugin.ansible.cli.AnsibleCLI
    env:
      PATH: ${join(root, 'empty')}
    commands:
      - ansible-playbook -i inventory.ini playbook.yml
`);
    const log = messages(report);
    expect(log).toContain('own_cfg WARN Found an existing ansible.cfg file. Ignoring creation of a new ansible.cfg file.');
    expect(log).toContain('own_cfg INFO [defaults]');
    expect(log).toContain('own_cfg INFO mode explicit');
    expect(taskStates(report)).toEqual({ own_cfg: 'SUCCESS', missing: 'FAILED' });
    expect(log).toContainEqual(
      expect.stringContaining('The Ansible commands need the program `ansible-playbook`, which is not on the PATH'),
    );
  });

  const real = (() => {
    try {
      execFileSync('sh', ['-c', 'command -v ansible-playbook'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!real && process.env['CI'] !== 'true')
    console.warn('SKIPPED: ansible-playbook is not installed (apt-get install ansible-core, as .ci/run does)');
  (real || process.env['CI'] === 'true' ? test : test.skip)(
    "Debian's ansible-playbook: host results logged, vars.outputs/playbooks filled, the kestra module's declared outputs in EXPLICIT mode",
    async () => {
      const flow = (mode: string): string => `
id: ansible_real
namespace: company.team
tasks:
  - id: ansible_task
    type: io.kestra.plugin.ansible.cli.AnsibleCLI
    outputsMode: ${mode}
    inputFiles:
      inventory.ini: |
        localhost ansible_connection=local
      myplaybook.yml: |
        ---
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: print debug
              debug:
                msg: "Hello from {{ '{{' }} inventory_hostname {{ '}}' }}"
            - name: declare
              kestra:
                outputs:
                  answer: 42
    commands:
      - ansible-playbook -i inventory.ini myplaybook.yml
`;
      const all = await runYaml(flow('ALL'));
      expect(taskStates(all)).toEqual({ ansible_task: 'SUCCESS' });
      expect(messages(all).some((l) => l.includes('[localhost] ok =>') && l.includes('Hello from localhost'))).toBe(true);
      const vars = (all.taskRuns[0]?.outputs as { vars: { outputs: unknown[]; playbooks: { plays: { tasks: { uid: string }[] }[] }[] } })
        .vars;
      expect(vars.outputs).toHaveLength(2);
      expect(vars.playbooks[0]?.plays[0]?.tasks.map((t) => t.uid)).toEqual([
        'play:localhost|task:print debug',
        'play:localhost|task:declare',
      ]);
      const explicit = await runYaml(flow('EXPLICIT'));
      expect((explicit.taskRuns[0]?.outputs as { vars: { outputs: unknown } }).vars.outputs).toEqual({ answer: 42 });
      expect(messages(explicit).some((l) => l.includes('Hello from localhost'))).toBe(false);
    },
    60_000,
  );
});
