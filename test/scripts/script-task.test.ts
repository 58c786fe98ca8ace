/**
 * Script tasks on the Process runner, with real child processes and a real storage. The flows are
 * the `@Example`s of kestra-io/plugin-scripts (plugin-script-shell/…/shell/Commands.java and Script.java,
 * plugin-script-python/…/python/Script.java, plugin-script-node/…/node/Script.java) with their outcome.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScriptTask, ScriptFailedError, type ScriptResult } from '../../src/scripts/script-task.js';
import { WorkingDir } from '../../src/storage/working-dir.js';
import { KESTRA_LIBS_NODE_PATH, testHost, type TestHost } from './helpers.js';

let host: TestHost;
afterEach(async () => {
  await host.cleanup();
});

async function read(uri: string): Promise<string> {
  return (await host.storage.readFile(uri)).toString('utf8');
}

const shell = { language: 'shell', mode: 'commands' } as const;

describe('shell.Commands', () => {
  test('"Create output variables from a standard output": vars keep their JSON types', async () => {
    host = await testHost();
    const r = await runScriptTask(host, { commands: [`echo '::{"outputs":{"test":"value","int":2,"bool":true,"float":3.65}}::'`] }, shell);
    expect(r.outputs).toEqual({ vars: { test: 'value', int: 2, bool: true, float: 3.65 }, exitCode: 0, outputFiles: {} });
    expect(host.logs.some((l) => l.level !== 'DEBUG' && l.message.includes('::{'))).toBe(false);
  });

  test('"Execute Shell commands that generate files": outputFiles are stored and readable', async () => {
    host = await testHost();
    const r = await runScriptTask(
      host,
      { outputFiles: ['first.txt', 'second.txt'], commands: ['echo "1" >> first.txt', 'echo "2" >> second.txt'] },
      shell,
    );
    expect(Object.keys(r.outputs.outputFiles).sort()).toEqual(['first.txt', 'second.txt']);
    expect(r.outputs.outputFiles['first.txt']).toMatch(
      /^kestra:\/\/\/company\/team\/flow\/executions\/EXEC\/tasks\/script\/RUN\/\w+-first\.txt$/,
    );
    expect(await read(r.outputs.outputFiles['first.txt'] as string)).toBe('1\n');
    expect(await read(r.outputs.outputFiles['second.txt'] as string)).toBe('2\n');
  });

  test('outputFiles globs capture sub-folders (Kestra glob: `*` stays in a folder, `**` crosses)', async () => {
    host = await testHost();
    const r = await runScriptTask(
      host,
      { outputFiles: ['*.csv', 'sub/**'], commands: ['mkdir -p sub/dir', 'echo a > a.csv', 'echo b > sub/dir/b.txt', 'echo c > c.txt'] },
      shell,
    );
    expect(Object.keys(r.outputs.outputFiles).sort()).toEqual(['a.csv', 'sub/dir/b.txt']);
  });

  test('"Pass input files… then retrieve output files" with {{ workingDir }} (core runner/Process.java example)', async () => {
    host = await testHost();
    const input = await host.storage.putData('from a FILE input', 'data.txt');
    const r = await runScriptTask(
      host,
      {
        inputFiles: { 'data.txt': '{{ file }}' },
        outputFiles: ['out.txt'],
        commands: ['cp {{workingDir}}/data.txt {{workingDir}}/out.txt'],
      },
      shell,
    ).catch((e: unknown) => e);
    // `file` is not a variable of the test context: rendering fails with Kestra's message.
    expect(String(r)).toContain('Unable to find `file`');
    const ok = await runScriptTask(
      host,
      { inputFiles: { 'data.txt': input }, outputFiles: ['out.txt'], commands: ['cp {{workingDir}}/data.txt {{workingDir}}/out.txt'] },
      shell,
    );
    expect(await read(ok.outputs.outputFiles['out.txt'] as string)).toBe('from a FILE input');
  });

  test('"Execute a Shell command using an input file generated in a previous task": a kestra:// URI in a command is a local file', async () => {
    host = await testHost();
    const uri = await host.storage.putData('id,name\n1,Apple\n', 'products.csv');
    const r = await runScriptTask(host, { commands: [`cat ${uri}`, `wc -l < ${uri}`] }, shell);
    expect(r.outputs.exitCode).toBe(0);
    expect(host.logs.filter((l) => l.level === 'INFO').map((l) => l.message.trim())).toEqual(['id,name', '1,Apple', '2']);
  });

  test('a kestra:// URI of another namespace is refused, the task fails with the reason', async () => {
    host = await testHost();
    const foreign = 'kestra:///other/ns/flow/executions/E/tasks/t/R/secret.txt';
    await expect(runScriptTask(host, { commands: [`cat ${foreign}`] }, shell)).rejects.toThrow(/belongs to namespace 'other.ns'/);
  });

  test('a non-zero exit fails with Kestra message and keeps the outputs gathered so far', async () => {
    host = await testHost();
    const error = (await runScriptTask(
      host,
      { commands: [`echo '::{"outputs":{"step":1}}::'`, 'echo boom >&2', 'exit 3', 'echo never'] },
      shell,
    ).catch((e: unknown) => e)) as ScriptFailedError;
    expect(error).toBeInstanceOf(ScriptFailedError);
    expect(error.message).toBe('Command failed with exit code 3');
    expect(error.result.outputs.vars).toEqual({ step: 1 });
    expect(host.logs).toContainEqual({ level: 'ERROR', message: 'boom' });
    expect(host.logs.some((l) => l.message === 'never')).toBe(false);
  });

  test('failFast: true stops at the first failing command (set -e); false runs them all', async () => {
    host = await testHost();
    await expect(runScriptTask(host, { commands: ['false', 'echo after'] }, shell)).rejects.toThrow('Command failed with exit code 1');
    const r = await runScriptTask(host, { failFast: false, commands: ['false', 'echo after'] }, shell);
    expect(r.outputs.exitCode).toBe(0);
    expect(host.logs).toContainEqual({ level: 'INFO', message: 'after' });
  });

  test('beforeCommands run first, env reaches the process, WORKING_DIR is set', async () => {
    host = await testHost();
    const r = await runScriptTask(
      host,
      {
        beforeCommands: ['export GREETING="hello {{ vars.who }}"'],
        env: { NAME: '{{ flow.namespace }}' },
        commands: ['echo "$GREETING from $NAME in $WORKING_DIR"'],
      },
      shell,
    );
    expect(r.outputs.exitCode).toBe(0);
    const line = host.logs.find((l) => l.message.startsWith('hello'))?.message ?? '';
    expect(line).toMatch(/^hello world from company\.team in \/.*pebbleflow-wd-/);
  });

  test('stderr lines are logged at ERROR and do not change the outcome (Kestra ≥ 0.23: warningOnStdErr is ignored)', async () => {
    host = await testHost();
    const r = await runScriptTask(host, { warningOnStdErr: true, commands: ['echo out', 'echo err >&2'] }, shell);
    expect(r.outputs.exitCode).toBe(0);
    expect(r.stdErrLineCount).toBe(1);
    expect(host.logs).toContainEqual({ level: 'ERROR', message: 'err' });
  });

  test('a containerImage is named once as not used; the Process runner says nothing', async () => {
    host = await testHost();
    await runScriptTask(host, { containerImage: 'ghcr.io/kestra-io/rust:latest', commands: ['true'] }, shell);
    const notes = host.logs.filter((l) => l.message.includes('not used'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ level: 'INFO', message: expect.stringContaining("'ghcr.io/kestra-io/rust:latest'") });
    host.logs.length = 0;
    await runScriptTask(host, { taskRunner: { type: 'io.kestra.plugin.core.runner.Process' }, commands: ['true'] }, shell);
    expect(host.logs.filter((l) => l.message.includes('not used'))).toEqual([]);
  });

  test('an abort (timeout) kills the script and everything it started', async () => {
    host = await testHost();
    const running = runScriptTask(host, { commands: ['sleep 300 & echo "child $!"', 'sleep 300'] }, shell);
    const started = Date.now();
    while (!host.logs.some((l) => l.message.startsWith('child ')) && Date.now() - started < 20_000)
      await new Promise((r) => setTimeout(r, 20));
    host.controller.abort(new Error('Timeout after PT1S'));
    await expect(running).rejects.toThrow('Timeout after PT1S');
    const pid = Number(host.logs.find((l) => l.message.startsWith('child '))?.message.slice(6));
    const deadline = Date.now() + 10_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  }, 40_000);
});

describe('namespace files', () => {
  test('"Include only specific namespace files" / "Exclude specific namespace files"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pf-nsf-'));
    const nsDir = join(dir, 'namespaces');
    await mkdir(join(nsDir, 'company.team', 'sub'), { recursive: true });
    for (const f of ['test1.txt', 'test2.yaml', 'other.txt', 'sub/test1.txt']) await writeFile(join(nsDir, 'company.team', f), f);
    host = await testHost({ nsFilesDir: nsDir, root: dir });
    const list = async (namespaceFiles: object): Promise<string[]> => {
      host.logs.length = 0;
      await runScriptTask(host, { namespaceFiles, commands: ['find . -type f | sort'] }, shell);
      return host.logs.filter((l) => l.level === 'INFO').map((l) => l.message);
    };
    expect(await list({ enabled: true, include: ['test1.txt', 'test2.yaml'] })).toEqual(['./sub/test1.txt', './test1.txt', './test2.yaml']);
    expect(await list({ enabled: true, exclude: ['test1.txt', 'test2.yaml'] })).toEqual(['./other.txt']);
    expect(await list({ enabled: false })).toEqual([]);
  });
});

describe('shell.Script, python.Script, node.Script', () => {
  test('shell.Script: the script runs as is, with Kestra variables rendered', async () => {
    host = await testHost();
    const r = await runScriptTask(
      host,
      { outputFiles: ['hello.txt'], script: 'echo "The current execution is : {{ execution.id }}"\necho "Hello world!" > hello.txt' },
      { language: 'shell', mode: 'script' },
    );
    expect(host.logs).toContainEqual({ level: 'INFO', message: 'The current execution is : EXEC' });
    expect(await read(r.outputs.outputFiles['hello.txt'] as string)).toBe('Hello world!\n');
  });

  test('python.Script: Pebble booleans are valid Python (Kestra prelude), outputs via the protocol', async () => {
    host = await testHost();
    const script = [
      'import json',
      'flag = {{ true }}',
      'print("flag is", flag)',
      'print("::" + json.dumps({"outputs": {"n": 1, "f": 1.5, "ok": flag}}) + "::")',
    ].join('\n');
    const r: ScriptResult = await runScriptTask(host, { script }, { language: 'python', mode: 'script' });
    expect(r.outputs.vars).toEqual({ n: 1, f: 1.5, ok: true });
    expect(host.logs).toContainEqual({ level: 'INFO', message: 'flag is True' });
  });

  test('python.Script: an exception is logged at ERROR and fails the task', async () => {
    host = await testHost();
    await expect(
      runScriptTask(
        host,
        { script: 'raise ValueError("An error occurred: This is a manually raised exception.")' },
        { language: 'python', mode: 'script' },
      ),
    ).rejects.toThrow('Command failed with exit code 1');
    expect(host.logs.some((l) => l.level === 'ERROR' && l.message.includes('ValueError: An error occurred'))).toBe(true);
  });

  // plugin-script-python/…/python/Script.java "Log messages with the Kestra logger"/"outputs" examples:
  // `from kestra import Kestra` works although the kestra package is not installed on this machine.
  test('python.Script: `from kestra import Kestra` (outputs, metrics, logger) without the package installed', async () => {
    host = await testHost();
    const script = [
      'from kestra import Kestra',
      'Kestra.outputs({"data": "hello", "count": 42, "nested": {"ok": True, "list": [1, 2.5]}})',
      'Kestra.counter("rows", 10, {"table": "orders"})',
      'Kestra.timer("duration", 1.5)',
      'logger = Kestra.logger()',
      'logger.info("from the logger")',
      'logger.warning("a warning")',
      'logger.error("an error")',
    ].join('\n');
    const r = await runScriptTask(host, { script, outputFiles: ['**'] }, { language: 'python', mode: 'script' });
    expect(r.outputs.vars).toEqual({ data: 'hello', count: 42, nested: { ok: true, list: [1, 2.5] } });
    expect(r.metrics).toEqual([
      { name: 'rows', type: 'counter', value: 10, tags: { table: 'orders' } },
      { name: 'duration', type: 'timer', value: 1.5, tags: {} },
    ]);
    const logged = (level: string, text: string): boolean => host.logs.some((l) => l.level === level && l.message.endsWith(` - ${text}`));
    expect(logged('INFO', 'from the logger')).toBe(true);
    expect(logged('WARN', 'a warning')).toBe(true);
    expect(logged('ERROR', 'an error')).toBe(true);
    // The stand-in lives outside the working directory: `**` collects only the script itself.
    expect(Object.keys(r.outputs.outputFiles).every((name) => name.endsWith('.py') && !name.includes('/'))).toBe(true);
  });

  test('python.Script: an installed kestra package wins over the stand-in (on PYTHONPATH or in site-packages)', async () => {
    host = await testHost();
    const base = await mkdtemp(join(tmpdir(), 'pf-site-'));
    const real = (answer: string): string =>
      `class Kestra:\n    @staticmethod\n    def outputs(m):\n        print('::{"outputs": {"real": "${answer}"}}::')\n`;
    try {
      // Before the stand-in on sys.path: Python finds it first.
      await mkdir(join(base, 'path', 'kestra'), { recursive: true });
      await writeFile(join(base, 'path', 'kestra', '__init__.py'), real('pythonpath'));
      const script = 'from kestra import Kestra\nKestra.outputs({"stand_in": True})';
      const python = { language: 'python', mode: 'script' } as const;
      const first = await runScriptTask(host, { script, env: { PYTHONPATH: join(base, 'path') } }, python);
      expect(first.outputs.vars).toEqual({ real: 'pythonpath' });
      // After it (user site-packages, as `pip install --user kestra` puts it): the stand-in hands over.
      const version = execFileSync('python3', ['-c', 'import sys; print("python%d.%d" % sys.version_info[:2])']).toString().trim();
      const sitePackages = join(base, 'user', 'lib', version, 'site-packages');
      await mkdir(join(sitePackages, 'kestra'), { recursive: true });
      await writeFile(join(sitePackages, 'kestra', '__init__.py'), real('site-packages'));
      const second = await runScriptTask(host, { script, env: { PYTHONUSERBASE: join(base, 'user') } }, python);
      expect(second.outputs.vars).toEqual({ real: 'site-packages' });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  test('python.Script dependencies: kestra that pip cannot get falls back to the stand-in; any other missing package fails', async () => {
    host = await testHost();
    // pip with no index at all: every install fails at once, as on a machine without network.
    const offline = { PIP_NO_INDEX: '1', PIP_CONFIG_FILE: '/dev/null', PIP_FIND_LINKS: '' };
    const python = { language: 'python', mode: 'script' } as const;
    const script = 'from kestra import Kestra\nKestra.outputs({"ok": True})';
    const r = await runScriptTask(host, { script, dependencies: ['kestra'], env: offline }, python);
    expect(r.outputs.vars).toEqual({ ok: true });
    expect(host.logs).toContainEqual({
      level: 'WARN',
      message: "pip could not install 'kestra': pebbleflow's stand-in serves `from kestra import Kestra` (outputs, metrics, logger)",
    });
    await expect(runScriptTask(host, { script, dependencies: ['kestra', 'pf-no-such-package'], env: offline }, python)).rejects.toThrow(
      'Command failed with exit code 1',
    );
  }, 60_000);

  test('node.Script with the real client library @kestra-io/libs: outputs, metrics and logs', async () => {
    host = await testHost();
    const script = [
      "const Kestra = require('@kestra-io/libs');",
      "Kestra.outputs({ data: 'hello', count: 42, nested: { ok: true, list: [1, 2.5] } });",
      "Kestra.counter('rows', 10, { table: 'orders' });",
      "Kestra.timer('duration', 1.5);",
      'const logger = Kestra.logger();',
      "logger.info('from the logger');",
      "logger.warn('a warning');",
      "logger.error('an error');",
      "console.log('plain line');",
    ].join('\n');
    const r = await runScriptTask(host, { env: { NODE_PATH: KESTRA_LIBS_NODE_PATH }, script }, { language: 'node', mode: 'script' });
    expect(r.outputs.vars).toEqual({ data: 'hello', count: 42, nested: { ok: true, list: [1, 2.5] } });
    expect(r.metrics).toEqual([
      { name: 'rows', type: 'counter', value: 10, tags: { table: 'orders' } },
      { name: 'duration', type: 'timer', value: 1.5, tags: {} },
    ]);
    expect(host.logs).toEqual(
      expect.arrayContaining([
        { level: 'INFO', message: 'from the logger' },
        { level: 'WARN', message: 'a warning' },
        { level: 'ERROR', message: 'an error' },
        { level: 'INFO', message: 'plain line' },
      ]),
    );
  });

  test('the children of a WorkingDirectory share one folder', async () => {
    const wd = await WorkingDir.create();
    host = await testHost({ workingDir: wd });
    await runScriptTask(host, { commands: ['echo "{{ execution.id }}" > {{ workingDir }}/stay.txt'] }, shell);
    // WorkingDirectory @Example: the second task reads what the first wrote.
    const r = await runScriptTask(host, { commands: [`echo '::{"outputs": {"stay":"'$(cat {{ workingDir }}/stay.txt)'"}}::'`] }, shell);
    expect(r.outputs.vars).toEqual({ stay: 'EXEC' });
    expect(await readFile(join(wd.path, 'stay.txt'), 'utf8')).toBe('EXEC\n');
    await wd.cleanup();
    await rm(wd.path, { recursive: true, force: true });
  });
});
