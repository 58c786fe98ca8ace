import { existsSync, mkdtempSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../support/http.js';
import { cli } from '../support/cli.js';

const canary = 'cli-canary-Zx81q';
const secretEnv = { SECRET_API_KEY: Buffer.from(canary).toString('base64') };
const ESC = '\u001b[';

let dir: string;
let api: TestServer;

const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-cli-'));
  api = await startServer((req, res) => {
    res.writeHead(req.url?.startsWith('/fail') === true ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(`you sent ${decodeURIComponent(req.url ?? '')}`);
  });
  write(
    'ok.yaml',
    `id: ok
namespace: company.team
inputs:
  - { id: name, type: STRING }
  - { id: count, type: INT, defaults: 2 }
tasks:
  - { id: hello, type: io.kestra.plugin.core.log.Log, message: "Hello {{ inputs.name }} x{{ inputs.count }}" }
  - { id: ret, type: io.kestra.plugin.core.debug.Return, format: "{{ inputs.name | upper }}" }
`,
  );
  write(
    'secret.yaml',
    `id: secret
namespace: company.team
tasks:
  - { id: log, type: io.kestra.plugin.core.log.Log, message: "key={{ secret('api_key') }} b64={{ secret('api_key') | base64encode }}" }
  - { id: call, type: io.kestra.plugin.core.http.Request, uri: "${api.origin}/fail?key={{ secret('api_key') }}" }
`,
  );
  write(
    'bad.yaml',
    'id: bad\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.nope.Nope\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    mesage: x\n',
  );
  mkdirSync(join(dir, 'folder'));
  write('folder/one.yml', 'id: one\nnamespace: n\ntasks: [{ id: t, type: io.kestra.core.tasks.debugs.Return, format: x }]\n');
  write('folder/pebbleflow.yaml', 'tenant: main\n');
});
afterAll(() => api.close());

describe('pebbleflow run', () => {
  test('streams task starts, states, durations and logs; ends with the execution state; exit 0', async () => {
    const r = await cli(['run', join(dir, 'ok.yaml'), '--input', 'name=ada'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('▶ company.team.ok  ok.yaml');
    expect(lines.slice(1, 6).map((l) => l.replace(/\d+ ms/, 'N ms'))).toEqual([
      '  ▸ hello Log',
      '    INFO  Hello ada x2',
      '  ✔ hello SUCCESS N ms',
      '  ▸ ret Return',
      '  ✔ ret SUCCESS N ms',
    ]);
    expect(lines.at(-1)).toMatch(/^✔ SUCCESS {2}company\.team\.ok {2}execution [0-9A-Za-z]{22} · 2 task runs · (\d+ ms|\d+\.\d+ s)$/);
    expect(r.stdout).not.toContain(ESC);
  });

  test('--json prints one report object; --inputs file with --input overriding it', async () => {
    const inputs = write('inputs.json', JSON.stringify({ name: 'from-file', count: 5 }));
    const r = await cli(['run', 'ok.yaml', '--inputs', inputs, '-i', 'count=7', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      id: 'ok',
      namespace: 'company.team',
      state: 'SUCCESS',
      taskRuns: [
        { taskId: 'hello', type: 'io.kestra.plugin.core.log.Log', state: 'SUCCESS', outputs: {} },
        { taskId: 'ret', type: 'io.kestra.plugin.core.debug.Return', state: 'SUCCESS', outputs: { value: 'FROM-FILE' } },
      ],
      outputs: { ret: { value: 'FROM-FILE' } },
      logs: [{ taskId: 'hello', level: 'INFO', message: 'Hello from-file x7' }],
    });
    expect(report.executionId).toEqual(expect.stringMatching(/^[0-9A-Za-z]{22}$/));
  });

  test('a failed flow exits 1 and never shows the secret, in logs, errors or --json', async () => {
    const human = await cli(['run', 'secret.yaml'], { cwd: dir, env: secretEnv });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('INFO  key=****** b64=******');
    expect(human.stdout).toContain(`ERROR Failed http request with response code '500' and body:`);
    expect(human.stdout).toContain('you sent /fail?key=******');
    expect(human.stdout).toMatch(/✘ FAILED {3}company\.team\.secret/);
    const json = await cli(['run', 'secret.yaml', '--json'], { cwd: dir, env: secretEnv });
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { state: string }).state).toBe('FAILED');
    for (const out of [human.stdout, human.stderr, json.stdout, json.stderr]) {
      expect(out).not.toContain(canary);
      expect(out).not.toContain(Buffer.from(canary).toString('base64'));
    }
    // The server did receive the real value: masking is display only.
    expect(api.requests.at(-1)?.url).toBe(`/fail?key=${canary}`);
  });

  test('exit 2: missing argument, unknown option, invalid flow (every problem, file:line:column), bad input, bad config', async () => {
    const missing = await cli(['run']);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toBe(
      "error pebbleflow run: missing the flow file (pebbleflow run FLOW.yaml)\nRun 'pebbleflow run --help' for usage.\n",
    );
    expect((await cli(['run', 'ok.yaml', '--nope'], { cwd: dir })).code).toBe(2);
    const invalid = await cli(['run', 'bad.yaml'], { cwd: dir });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toBe(
      [
        'error bad.yaml:5:11: Invalid type: io.kestra.plugin.core.nope.Nope (at tasks[0].type)',
        'error bad.yaml:6:5: Missing required property `message` (at tasks[1])',
        'error bad.yaml:6:9: Duplicate task id with name [a] (first used at line 4) (at tasks[1].id)',
        'error bad.yaml:8:5: Unknown property `mesage` (did you mean `message`?) (at tasks[1].mesage)',
        '',
      ].join('\n'),
    );
    const input = await cli(['run', 'ok.yaml', '-i', 'count=many'], { cwd: dir });
    expect(input.code).toBe(2);
    expect(input.stderr).toBe(
      'error Invalid input for `name`, missing required input, but received `null`\nerror Invalid input for `count`, Expected `INT`, but received `many`\n',
    );
    // An input the flow does not declare is ignored, as Kestra ignores it, with a warning.
    const typo = await cli(['run', 'ok.yaml', '-i', 'name=x', '-i', 'cuont=3'], { cwd: dir });
    expect(typo.code).toBe(0);
    expect(typo.stderr).toBe('warning input `cuont` is ignored: the flow declares name, count\n');
    const config = await cli(['run', 'ok.yaml', '-i', 'name=x', '--config', 'nope.yaml'], { cwd: dir });
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/^error Config file .*nope\.yaml does not exist\n$/);
  });

  test('a flow check that blocks the execution: exit 2, its message, and no execution kept', async () => {
    writeFileSync(
      join(dir, 'checked.yaml'),
      `id: checked
namespace: company.team
inputs:
  - id: day
    type: STRING
checks:
  - message: Not on Sundays
    condition: "{{ inputs.day != 'sunday' }}"
    style: ERROR
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: it is {{ inputs.day }}
`,
    );
    const kept = (): number =>
      existsSync(join(dir, '.pebbleflow/executions')) ? readdirSync(join(dir, '.pebbleflow/executions')).length : 0;
    const before = kept();
    const r = await cli(['run', 'checked.yaml', '-i', 'day=sunday'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error Execution blocked by the flow checks:\nerror - Not on Sundays\n');
    expect(kept()).toBe(before);
    expect((await cli(['run', 'checked.yaml', '-i', 'day=monday'], { cwd: dir })).code).toBe(0);
  });

  test('log.Fetch reads the logs of an execution the folder keeps', async () => {
    writeFileSync(
      join(dir, 'producer.yaml'),
      'id: producer\nnamespace: company.team\ntasks:\n  - { id: a, type: io.kestra.plugin.core.log.Log, message: kept line }\n',
    );
    const produced = await cli(['run', 'producer.yaml', '--json'], { cwd: dir });
    const executionId = (JSON.parse(produced.stdout) as { executionId: string }).executionId;
    writeFileSync(
      join(dir, 'consumer.yaml'),
      `id: consumer
namespace: company.team
tasks:
  - { id: fetch, type: io.kestra.plugin.core.log.Fetch, executionId: ${executionId}, namespace: company.team, flowId: producer }
  - { id: show, type: io.kestra.plugin.core.log.Log, message: "{{ read(outputs.fetch.uri) }}" }
`,
    );
    const r = await cli(['run', 'consumer.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('message:"kept line"');
  });

  test('colours only with a TTY or FORCE_COLOR, and never with NO_COLOR', async () => {
    const forced = await cli(['run', 'ok.yaml', '-i', 'name=a'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain(`${ESC}32m✔${ESC}39m`);
    const none = await cli(['run', 'ok.yaml', '-i', 'name=a'], { cwd: dir, env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(none.stdout).not.toContain(ESC);
  });
});

describe('pebbleflow validate', () => {
  test('one ✓/✘ line per flow with its problems; folders are searched, config files left out; exit 1 if any fails', async () => {
    const r = await cli(['validate', 'ok.yaml', 'bad.yaml', 'folder', 'missing.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        '✓ company.team / ok  ok.yaml',
        '✘ bad.yaml',
        '    5:11    Invalid type: io.kestra.plugin.core.nope.Nope',
        '    6:5     Missing required property `message`',
        '    6:9     Duplicate task id with name [a] (first used at line 4)',
        '    8:5     Unknown property `mesage` (did you mean `message`?)',
        `✓ n / one  ${join('folder', 'one.yml')}`,
        '✘ missing.yaml',
        '    no such file or folder',
        '3 checked, 2 invalid',
        '',
      ].join('\n'),
    );
    expect((await cli(['validate', 'ok.yaml', 'folder'], { cwd: dir })).code).toBe(0);
    expect((await cli(['validate'], { cwd: dir })).code).toBe(2);
    // A warning (Kestra accepts the flow) is listed under a valid flow.
    write(
      'typo.yaml',
      'id: typo\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ inputs.nmae }}"\n',
    );
    const warned = await cli(['validate', 'typo.yaml'], { cwd: dir });
    expect(warned.code).toBe(0);
    expect(warned.stdout).toBe(
      '✓ n / typo  typo.yaml\n    6:18    warning Unknown input `nmae` in `inputs.nmae`: the flow declares no inputs\n',
    );
  });
});

describe('pebbleflow render', () => {
  test('evaluates as a flow would, masking secrets; template errors exit 1 with a frame; usage exits 2', async () => {
    const ctx = write('ctx.json', JSON.stringify({ outputs: { t: { value: 'v' } } }));
    const ok = await cli(
      ['render', "{{ 1 + 1 }} {{ flow.namespace }} {{ outputs.t.value }} {{ secret('api_key') }}", '--context', ctx, '-n', 'acme.data'],
      { env: secretEnv, cwd: dir },
    );
    expect(ok).toEqual({ code: 0, stdout: '2 acme.data v ******\n', stderr: '' });
    const bad = await cli(['render', '{{ nope }}'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error Unable to find `nope` used in the expression `{{ nope }}` at line 1\n>> 1| {{ nope }}\n         ^\n');
    expect((await cli(['render'], { cwd: dir })).code).toBe(2);
  });
});

describe('--help', () => {
  test.each(['run', 'validate', 'render', 'credentials', 'schema'])('pebbleflow %s --help', async (command) => {
    const r = await cli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: pebbleflow ${command}`));
  });

  test('pebbleflow --help, no command (exit 2), unknown command (exit 2)', async () => {
    expect((await cli(['--help'])).stdout).toContain('Commands:');
    expect((await cli([])).code).toBe(2);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command `frobnicate`');
  });
});
