/**
 * Script tasks in the other languages of kestra-io/plugin-scripts, with real interpreters (Debian's
 * perl, ruby, php-cli, lua5.4: .ci/run installs them) and the missing-interpreter error. The flows are
 * the `@Example`s and sanity checks of the plugin: plugin-script-perl/…/perl/Script.java ("Run a simple
 * inline Perl script"), plugin-script-php/…/php/Script.java and src/test/resources/sanity-checks/all_php.yaml,
 * plugin-script-lua/…/sanity-checks/all_lua.yaml, plugin-script-ruby/…/ruby/Script.java ("generate_csv")
 * and …/ruby/ScriptTest.java (stdout and stderr line counts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCRIPT_LANGUAGES } from '../../src/scripts/languages.js';
import { runScriptTask, ScriptDependencyError } from '../../src/scripts/script-task.js';
import { resolveTaskType } from '../../src/tasks/registry.js';
import { messages, runYaml, taskStates } from '../support/flows.js';
import { testHost, type TestHost } from './helpers.js';

let host: TestHost;
afterEach(async () => {
  await host?.cleanup();
});

function installed(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A test that needs `program`: skipped loudly when it is missing, a failure under CI. */
function withInterpreter(program: string): jest.It {
  if (installed(program)) return test;
  if (process.env['CI'] === 'true') return test; // fails below, as it should
  console.warn(`SKIPPED: \`${program}\` is not installed (apt-get install it, as .ci/run does, to run these tests)`);
  return test.skip;
}

async function read(uri: string): Promise<string> {
  return (await host.storage.readFile(uri)).toString('utf8');
}

const PROTOCOL = '::{"outputs":{"n":1,"s":"two","ok":true}}::';

describe('every language of plugin-scripts is a registered task type', () => {
  test('Commands and Script for each language', () => {
    for (const lang of [...SCRIPT_LANGUAGES.map((l) => l.id), 'jbang'])
      for (const kind of ['Commands', 'Script']) expect(resolveTaskType(`io.kestra.plugin.scripts.${lang}.${kind}`)).toBeDefined();
    expect(SCRIPT_LANGUAGES.map((l) => l.id)).toEqual(
      expect.arrayContaining(['ruby', 'perl', 'php', 'lua', 'r', 'julia', 'go', 'powershell', 'deno', 'bun', 'groovy', 'dotnet']),
    );
  });
});

describe('perl', () => {
  withInterpreter('perl')('"Run a simple inline Perl script": a .pl file run with perl; outputs through the protocol', async () => {
    host = await testHost();
    const r = await runScriptTask(
      host,
      { script: `my $message = "Hello from an inline Perl script!";\nprint $message . "\\n";\nprint '${PROTOCOL}' . "\\n";` },
      { language: 'perl', mode: 'script' },
    );
    expect(r.outputs.vars).toEqual({ n: 1, s: 'two', ok: true });
    expect(host.logs).toContainEqual({ level: 'INFO', message: 'Hello from an inline Perl script!' });
    expect(host.logs.some((l) => l.level === 'DEBUG' && /perl \S+\.pl/.test(l.message))).toBe(true);
    expect(host.logs.some((l) => l.message.includes("the container image 'perl'"))).toBe(true);
  });

  withInterpreter('perl')('perl.Commands: a die fails the task with the exit code, stderr at ERROR', async () => {
    host = await testHost();
    await expect(runScriptTask(host, { commands: [`perl -e 'die "boom\\n"'`] }, { language: 'perl', mode: 'commands' })).rejects.toThrow(
      'Command failed with exit code 255',
    );
    expect(host.logs).toContainEqual({ level: 'ERROR', message: 'boom' });
  });
});

describe('ruby', () => {
  withInterpreter('ruby')('ScriptTest.script: stdout at INFO, stderr at ERROR, line counts as Kestra counts them', async () => {
    host = await testHost();
    const r = await runScriptTask(
      host,
      { script: "require 'date'\nputs Date.new(2012,12,25).strftime('%F')\nSTDERR.puts Date.jd(2451944).strftime('%F')\nputs 'done'" },
      { language: 'ruby', mode: 'script' },
    );
    expect(r.outputs.exitCode).toBe(0);
    expect(r.stdOutLineCount).toBeGreaterThan(1);
    expect(r.stdErrLineCount).toBe(1);
    expect(host.logs).toContainEqual({ level: 'INFO', message: '2012-12-25' });
    expect(host.logs).toContainEqual({ level: 'ERROR', message: '2001-02-03' });
  });

  withInterpreter('ruby')('"generate_csv": inputFiles in, a rendered script, outputFiles globbed', async () => {
    host = await testHost();
    const script = [
      "require 'csv'",
      "require 'json'",
      "data_hash = JSON.parse(File.read('data.json'))",
      'headers = data_hash.first.keys',
      'data = data_hash.map(&:values)',
      'data.unshift(headers)',
      "CSV.open('output.csv', 'wb') do |csv|",
      'data.each { |row| csv << row }',
      'end',
      `puts '::{"outputs":{"who":"{{ vars.who }}"}}::'`,
    ].join('\n');
    const r = await runScriptTask(
      host,
      {
        inputFiles: { 'data.json': '[{"Name": "Alice", "Age": 30}, {"Name": "Bob", "Age": 22}]' },
        beforeCommands: ['ruby -v'],
        script,
        outputFiles: ['*.csv'],
      },
      { language: 'ruby', mode: 'script' },
    );
    expect(r.outputs.vars).toEqual({ who: 'world' });
    expect(await read(r.outputs.outputFiles['output.csv'] as string)).toBe('Name,Age\nAlice,30\nBob,22\n');
  });
});

describe('php and lua', () => {
  withInterpreter('php')('php.Script and php.Commands of all_php.yaml through the runner', async () => {
    host = await testHost();
    const report = await runYaml(`
id: all_php
namespace: sanitychecks.plugin-scripts
tasks:
  - id: script
    type: io.kestra.plugin.scripts.php.Script
    script: |
      #!/usr/bin/php
      <?php
      echo "Hello, World!\\n";
      echo '::{"outputs":{"lang":"php"}}::' . "\\n";
      ?>
  - id: commands
    type: io.kestra.plugin.scripts.php.Commands
    inputFiles:
      main.php: |
        #!/usr/bin/php
        <?php
        echo "Hello, {{ outputs.script.vars.lang }}!\\n";
        ?>
    commands:
      - php main.php
`);
    expect(taskStates(report)).toEqual({ script: 'SUCCESS', commands: 'SUCCESS' });
    expect(messages(report)).toEqual(expect.arrayContaining(['script INFO Hello, World!', 'commands INFO Hello, php!']));
  });

  withInterpreter('lua')('all_lua.yaml: lua.Script and lua.Commands', async () => {
    host = await testHost();
    const report = await runYaml(`
id: simple_lua_examples
namespace: sanitychecks.plugin-scripts
tasks:
  - id: script_lua
    type: io.kestra.plugin.scripts.lua.Script
    script: |
      local greeting = "Hello Kestra!"
      local repeated = string.rep(greeting .. " ", 2)
      print("Original: " .. greeting)
      print("Length: " .. string.len(repeated))
  - id: command_lua
    type: io.kestra.plugin.scripts.lua.Commands
    commands:
      - |
        lua -e '
          local num1 = 100
          local num2 = 25
          print("Sum: " .. num1 + num2)
          print("::{\\"outputs\\":{\\"difference\\":" .. (num1 - num2) .. "}}::")
        '
`);
    expect(taskStates(report)).toEqual({ script_lua: 'SUCCESS', command_lua: 'SUCCESS' });
    expect(messages(report)).toEqual(
      expect.arrayContaining(['script_lua INFO Original: Hello Kestra!', 'script_lua INFO Length: 28', 'command_lua INFO Sum: 125']),
    );
    expect(report.taskRuns.find((t) => t.taskId === 'command_lua')?.outputs).toMatchObject({ vars: { difference: 75 } });
  });
});

describe('a missing interpreter', () => {
  let emptyBin: string;
  beforeAll(async () => {
    emptyBin = await mkdtemp(join(tmpdir(), 'pf-nobin-'));
  });
  afterAll(async () => {
    await rm(emptyBin, { recursive: true, force: true });
  });

  test('r.Script: DEPENDENCY_MISSING before anything runs, naming Rscript, what to install and Kestra’s image', async () => {
    host = await testHost();
    const e = await runScriptTask(host, { env: { PATH: emptyBin }, script: 'print("never")' }, { language: 'r', mode: 'script' }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ScriptDependencyError);
    expect((e as ScriptDependencyError).code).toBe('DEPENDENCY_MISSING');
    expect((e as Error).message).toBe(
      "The R script needs the interpreter `Rscript`, which is not on the PATH: install R (Debian: `apt-get install r-base-core`), or run the task where it is installed (Kestra runs it in the container image 'r-base')",
    );
    expect(host.logs.some((l) => l.message.startsWith('Starting command'))).toBe(false);
  });

  test('julia.Commands: the shell’s 127 becomes DEPENDENCY_MISSING when julia is not on the PATH', async () => {
    host = await testHost();
    const e = await runScriptTask(
      host,
      { env: { PATH: emptyBin }, commands: ['julia main.jl'] },
      { language: 'julia', mode: 'commands' },
    ).catch((x: unknown) => x);
    expect((e as ScriptDependencyError).code).toBe('DEPENDENCY_MISSING');
    expect((e as Error).message).toContain('The Julia commands need the interpreter `julia`, which is not on the PATH');
  });

  test('a Commands task that only calls other programs does not need the language’s interpreter', async () => {
    host = await testHost();
    const r = await runScriptTask(host, { env: { PATH: emptyBin }, commands: ['echo fine'] }, { language: 'go', mode: 'commands' });
    expect(r.outputs.exitCode).toBe(0);
    expect(host.logs).toContainEqual({ level: 'INFO', message: 'fine' });
  });

  test('a missing command that is not the interpreter stays a script failure (exit 127)', async () => {
    host = await testHost();
    await expect(runScriptTask(host, { commands: ['no-such-program-pebbleflow'] }, { language: 'perl', mode: 'commands' })).rejects.toThrow(
      'Command failed with exit code 127',
    );
  });

  test('powershell: its default interpreter pwsh missing is DEPENDENCY_MISSING naming pwsh', async () => {
    host = await testHost();
    const e = await runScriptTask(
      host,
      { env: { PATH: emptyBin }, commands: ['Write-Output "hello"'] },
      { language: 'powershell', mode: 'commands' },
    ).catch((x: unknown) => x);
    expect((e as ScriptDependencyError).code).toBe('DEPENDENCY_MISSING');
    expect((e as Error).message).toContain('The PowerShell commands need the interpreter `pwsh`');
  });

  test('through the runner: the task FAILS with the message, the next tasks do not run', async () => {
    const report = await runYaml(`
id: ruby_missing
namespace: company.team
tasks:
  - id: rb
    type: io.kestra.plugin.scripts.ruby.Script
    env:
      PATH: ${emptyBin}
    script: puts 'hi'
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: never
`);
    expect(report.state).toBe('FAILED');
    expect(taskStates(report)).toEqual({ rb: 'FAILED' });
    expect(messages(report).some((m) => m.startsWith('rb ERROR') && m.includes('needs the interpreter `ruby`'))).toBe(true);
  });
});
