/**
 * Script, serdes and notification flows from kestra-io/plugin-scripts (shell/Commands.java, shell/Script.java,
 * python/Script.java examples and src/test/resources/sanity-checks/all_shell.yaml), kestra-io/plugin-serdes
 * (CsvToIon, IonToJson, IonToCsv examples) and the webhook plugins (plugin-slack, plugin-discord,
 * plugin-microsoft365, plugin-googleworkspace, plugin-notifications examples), run end to end with real
 * processes, a loopback file server and a webhook sink.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KESTRA_LIBS_NODE_PATH } from '../scripts/helpers.js';
import { fileServer, logsOf, project, startServer, states, type Project, type TestServer } from './helpers.js';

let server: TestServer;
let sink: TestServer;
let p: Project;
let sinkStatus = 200;
beforeAll(async () => {
  server = await fileServer();
  sink = await startServer((_req, res) => {
    res.writeHead(sinkStatus, { 'content-type': 'text/plain' });
    res.end(sinkStatus === 200 ? 'ok' : 'invalid_payload');
  });
});
afterAll(async () => {
  await server.close();
  await sink.close();
});
beforeEach(async () => {
  p = await project();
  sinkStatus = 200;
  sink.requests.length = 0;
});
afterEach(async () => {
  await p.cleanup();
});

describe('scripts', () => {
  test('sanity check all_shell.yaml: Script and Commands, Docker runner noted, Process runner, outputFiles read back', async () => {
    const r = await p.run(`
id: all_shell
namespace: sanitychecks.plugin-scripts
tasks:
  - id: shell_script
    type: io.kestra.plugin.scripts.shell.Script
    outputFiles:
      - hello.txt
    script: |
      echo "{{ execution.id }} - Test with Docker runner"
      echo "Hello Kestra!" >> hello.txt
  - id: shell_script_process_runner
    type: io.kestra.plugin.scripts.shell.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    targetOS: AUTO
    outputFiles:
      - hello.txt
    script: |
      echo "{{ execution.id }} - Test with Process runner"
      echo "Hello Kestra!" >> hello.txt
  - id: shell_command
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles:
      - hello.txt
    commands:
      - echo "{{ execution.id }} - Test with Docker runner"
      - echo "Hello Kestra!" >> hello.txt
  - id: shell_command_process_runner
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    outputFiles:
      - hello.txt
    commands:
      - echo "{{ execution.id }} - Test with Docker runner"
      - echo "Hello Kestra!" >> hello.txt
  - id: log_files
    type: io.kestra.plugin.core.log.Log
    message:
      - "{{ read(outputs.shell_script.outputFiles['hello.txt'])}}"
      - "{{ read(outputs.shell_script_process_runner.outputFiles['hello.txt']) }}"
      - "{{ read(outputs.shell_command.outputFiles['hello.txt']) }}"
      - "{{ read(outputs.shell_command_process_runner.outputFiles['hello.txt']) }}"
`);
    expect(r.state).toBe('SUCCESS');
    expect(logsOf(r, 'log_files')).toEqual(Array(4).fill('INFO Hello Kestra!\n'));
    expect(logsOf(r, 'shell_script')).toContain(`INFO ${r.executionId} - Test with Docker runner`);
    expect(r.outputs['shell_command']).toMatchObject({ exitCode: 0, vars: {} });
  });

  test('"Read a file from inputs": a FILE input given as a path is stored and cat reads it', async () => {
    await writeFile(join(p.dir, 'notes.txt'), 'from a local file\n');
    const r = await p.run(
      `
id: input_file
namespace: company.team
inputs:
  - id: text_file
    type: FILE
tasks:
  - id: read_file
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - cat "{{ inputs.text_file }}"
`,
      { inputs: { text_file: '@notes.txt' } },
    );
    expect(r.state).toBe('SUCCESS');
    expect(logsOf(r, 'read_file').filter((l) => !l.startsWith('DEBUG'))).toEqual(['INFO from a local file']);
  });

  test('a missing FILE input is refused before the run with the path named', async () => {
    await expect(
      p.run(
        `
id: input_file
namespace: company.team
inputs:
  - { id: text_file, type: FILE }
tasks:
  - { id: t, type: io.kestra.plugin.core.debug.Return, format: x }
`,
        { inputs: { text_file: './nope.csv' } },
      ),
    ).rejects.toThrow('Invalid input for `text_file`, cannot read the file `./nope.csv`: no such file, but received `./nope.csv`');
  });

  test('"Use an input file generated in a previous task": Download, then cat the kestra:// URI', async () => {
    const r = await p.run(`
id: use_input_file
namespace: company.team
tasks:
  - id: http_download
    type: io.kestra.plugin.core.http.Download
    uri: ${server.origin}/datasets/raw/main/csv/orders.csv
  - id: commands
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - cat {{ outputs.http_download.uri }} | wc -l
`);
    expect(r.state).toBe('SUCCESS');
    expect(
      logsOf(r, 'commands')
        .filter((l) => l.startsWith('INFO'))
        .map((l) => l.trim()),
    ).toEqual(['INFO 4']);
  });

  test('python.Script with a Pebble boolean; a failing command is FAILED with exitCode kept; errors runs', async () => {
    const r = await p.run(`
id: python
namespace: company.team
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import json
      print("::" + json.dumps({"outputs": {"ok": {{ 1 == 1 }}, "n": 3}}) + "::")
  - id: fail
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - exit 1
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
    message: "failed with {{ outputs.fail.exitCode }}"
`);
    expect(r.state).toBe('FAILED');
    expect(r.outputs['py']).toEqual({ vars: { ok: true, n: 3 }, exitCode: 0, outputFiles: {} });
    expect(r.taskRuns.find((t) => t.taskId === 'fail')).toMatchObject({ state: 'FAILED', error: 'Command failed with exit code 1' });
    expect(r.outputs['fail']).toMatchObject({ exitCode: 1 });
    expect(logsOf(r, 'alert')).toEqual(['INFO failed with 1']);
  });

  test('{{ outputDir }} with the deprecated runner property: its files become outputFiles (Kestra docs, "output directory")', async () => {
    const r = await p.run(`
id: output_text_files
namespace: dev
tasks:
  - id: python_output
    type: io.kestra.plugin.scripts.python.Script
    runner: PROCESS
    script: |
      f = open("{{outputDir}}/myfile.txt", "a")
      f.write("Hi, this is output from a script 👋")
      f.close()
  - id: read_output
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
    commands:
      - cat {{outputs.python_output.outputFiles['myfile.txt']}}
  - id: no_output_dir
    type: io.kestra.plugin.scripts.shell.Commands
    allowFailure: true
    commands:
      - echo {{ outputDir }}
`);
    expect(states(r)).toEqual({ python_output: 'SUCCESS', read_output: 'SUCCESS', no_output_dir: 'WARNING' });
    expect(logsOf(r, 'read_output')).toContain('INFO Hi, this is output from a script 👋');
    // Without `runner` or `outputDirectory: true`, Kestra has no outputDir variable either.
    expect(r.taskRuns.find((t) => t.taskId === 'no_output_dir')?.error).toMatch(/Unable to find `outputDir`/);
  });

  test('node.Script with @kestra-io/libs inside a WorkingDirectory, outputs read by the next task', async () => {
    const r = await p.run(`
id: node_flow
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    outputFiles:
      - data.json
    tasks:
      - id: write
        type: io.kestra.plugin.scripts.node.Script
        env:
          NODE_PATH: ${KESTRA_LIBS_NODE_PATH}
        script: |
          const Kestra = require('@kestra-io/libs');
          require('fs').writeFileSync('data.json', JSON.stringify({ rows: 3 }));
          Kestra.outputs({ rows: 3, names: ['a', 'b'] });
      - id: read
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - cat data.json
  - id: use
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.write.vars.rows * 2 }} {{ outputs.write.vars.names | join(',') }} {{ read(outputs.wdir.outputFiles['data.json']) }}"
`);
    expect(r.state).toBe('SUCCESS');
    expect(logsOf(r, 'read')).toContain('INFO {"rows":3}');
    expect(r.outputs['use']).toEqual({ value: '6 a,b {"rows":3}' });
  });

  test('a secret passed in env is masked in every log line and output', async () => {
    const r = await p.run(
      `
id: secret_env
namespace: company.team
tasks:
  - id: leak
    type: io.kestra.plugin.scripts.shell.Commands
    env:
      TOKEN: "{{ secret('API_TOKEN') }}"
    commands:
      - echo "token=$TOKEN"
      - echo "$TOKEN" >&2
      - echo '::{"outputs":{"t":"'$TOKEN'"}}::'
`,
      { env: { PATH: process.env['PATH'] ?? '', SECRET_API_TOKEN: Buffer.from('s3cr3t-value-123').toString('base64') } },
    );
    expect(r.state).toBe('SUCCESS');
    const all = JSON.stringify(r);
    expect(all).not.toContain('s3cr3t-value-123');
    expect(logsOf(r, 'leak')).toEqual(expect.arrayContaining(['INFO token=******', 'ERROR ******']));
    expect(r.outputs['leak']).toMatchObject({ vars: { t: '******' } });
  });

  test('a timeout kills the script: FAILED with the timeout, no process left', async () => {
    const r = await p.run(`
id: slow
namespace: company.team
tasks:
  - id: slow
    type: io.kestra.plugin.scripts.shell.Commands
    timeout: PT1S
    commands:
      - sleep 60 & echo "child $!"
      - sleep 60
`);
    expect(r.state).toBe('FAILED');
    expect(r.taskRuns[0]?.error).toBe('Timeout after 00:00:01.000');
    const pid = Number(
      logsOf(r, 'slow')
        .find((l) => l.startsWith('INFO child '))
        ?.slice('INFO child '.length),
    );
    const deadline = Date.now() + 10_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      try {
        process.kill(pid, 0);
        await new Promise((res) => setTimeout(res, 50));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  }, 30_000);
});

describe('serdes', () => {
  test('plugin-serdes examples: Download → CsvToIon → IonToJson, and IonToCsv back', async () => {
    const r = await p.run(`
id: ion_to_json
namespace: company.team
tasks:
  - id: http_download
    type: io.kestra.plugin.core.http.Download
    uri: ${server.origin}/datasets/raw/main/csv/orders.csv
  - id: convert
    type: io.kestra.plugin.serdes.csv.CsvToIon
    from: "{{ outputs.http_download.uri }}"
  - id: to_json
    type: io.kestra.plugin.serdes.json.IonToJson
    from: "{{ outputs.convert.uri }}"
  - id: to_csv
    type: io.kestra.plugin.serdes.csv.IonToCsv
    from: "{{ outputs.convert.uri }}"
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "{{ fromIon(read(outputs.convert.uri)).customer_name }}"
`);
    expect(r.state).toBe('SUCCESS');
    expect(r.outputs['convert']).toMatchObject({ size: 3 });
    expect((r.outputs['to_json'] as { uri: string }).uri).toMatch(/\.jsonl$/);
    const json = (await p.read((r.outputs['to_json'] as { uri: string }).uri))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(json[0]).toEqual({
      order_id: '1',
      customer_name: 'Kelly Olsen',
      customer_email: 'jenniferschneider@example.com',
      product_id: '20',
      price: '166.89',
      quantity: '1',
      total: '166.89',
    });
    expect(await p.read((r.outputs['to_csv'] as { uri: string }).uri)).toBe(
      await fetch(`${server.origin}/orders.csv`).then((x) => x.text()),
    );
    expect(r.outputs['first']).toEqual({ value: 'Kelly Olsen' });
  });

  test('JsonToIon of JSON Lines, then FilterItems on the typed values', async () => {
    const r = await p.run(`
id: json_to_ion
namespace: company.team
tasks:
  - id: http_download
    type: io.kestra.plugin.core.http.Download
    uri: ${server.origin}/datasets/raw/main/json/products.json
  - id: to_ion
    type: io.kestra.plugin.serdes.json.JsonToIon
    from: "{{ outputs.http_download.uri }}"
  - id: cheap
    type: io.kestra.plugin.core.storage.FilterItems
    from: "{{ outputs.to_ion.uri }}"
    filterCondition: "{{ price < 1.8 }}"
`);
    expect(r.state).toBe('SUCCESS');
    expect(await p.read((r.outputs['to_ion'] as { uri: string }).uri)).toBe(
      '{id:1,name:"Apple",price:1.5e0}\n{id:2,name:"Pear",price:2.0e0}\n',
    );
    expect(r.outputs['cheap']).toMatchObject({ processedItemsTotal: 2, droppedItemsTotal: 1 });
  });

  test('a bad CSV line fails the task with the line problem', async () => {
    const r = await p.run(`
id: bad_csv
namespace: company.team
tasks:
  - { id: csv, type: io.kestra.plugin.core.storage.Write, content: "a,b\\n1,2,3\\n", extension: .csv }
  - { id: ion, type: io.kestra.plugin.serdes.csv.CsvToIon, from: "{{ outputs.csv.uri }}" }
`);
    expect(r.taskRuns[1]?.error).toBe('Bad line encountered (field count mismatch): Expected 2, got 3 fields.');
  });
});

describe('webhook notifications', () => {
  test.each([
    ['io.kestra.plugin.notifications.slack.SlackIncomingWebhook', 'payload'],
    ['io.kestra.plugin.slack.notifications.SlackIncomingWebhook', 'payload'],
    ['io.kestra.plugin.notifications.discord.DiscordIncomingWebhook', 'payload'],
    ['io.kestra.plugin.discord.DiscordIncomingWebhook', 'payload'],
    ['io.kestra.plugin.notifications.teams.TeamsIncomingWebhook', 'payload'],
    ['io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook', 'payload'],
    ['io.kestra.plugin.notifications.google.GoogleChatIncomingWebhook', 'payload'],
    ['io.kestra.plugin.googleworkspace.chat.GoogleChatIncomingWebhook', 'payload'],
  ])('%s in errors: "Send a notification on a failed flow execution" POSTs the rendered payload', async (type) => {
    const r = await p.run(`
id: unreliable_flow
namespace: company.team
tasks:
  - id: fail
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
    commands:
      - exit 1
errors:
  - id: alert_on_failure
    type: ${type}
    url: "${sink.origin}/services/T000/B000/XXXXSECRET"
    payload: |
      {
        "text": "Failure alert for flow {{ flow.namespace }}.{{ flow.id }} with ID {{ execution.id }}"
      }
`);
    expect(r.state).toBe('FAILED');
    expect(states(r)).toEqual({ fail: 'FAILED', alert_on_failure: 'SUCCESS' });
    expect(sink.requests).toHaveLength(1);
    expect(sink.requests[0]).toMatchObject({ method: 'POST', url: '/services/T000/B000/XXXXSECRET' });
    expect(sink.requests[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sink.requests[0]?.body ?? '')).toEqual({
      text: `Failure alert for flow company.team.unreliable_flow with ID ${r.executionId}`,
    });
  });

  test('Slack messageText: Markdown becomes mrkdwn, wrapped as {"text": …}', async () => {
    const r = await p.run(`
id: slack_incoming_webhook
namespace: company.team
tasks:
  - id: send_slack_message
    type: io.kestra.plugin.slack.notifications.SlackIncomingWebhook
    url: "${sink.origin}/hook"
    messageText: "Hello from **{{ flow.id }}**, see [docs](https://kestra.io)"
`);
    expect(r.state).toBe('SUCCESS');
    expect(JSON.parse(sink.requests[0]?.body ?? '')).toEqual({ text: 'Hello from *slack_incoming_webhook*, see <https://kestra.io|docs>' });
  });

  test('a non-2xx answer fails with the status and body, never the webhook path', async () => {
    sinkStatus = 400;
    const r = await p.run(`
id: notify
namespace: company.team
tasks:
  - id: slack
    type: io.kestra.plugin.slack.notifications.SlackIncomingWebhook
    url: "${sink.origin}/services/T000/B000/XXXXSECRET"
    payload: '{"text": "hi"}'
    allowFailure: true
  - id: teams
    type: io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook
    url: "${sink.origin}/webhookb2/XXXXSECRET"
    payload: '{"text": "hi"}'
`);
    expect(r.taskRuns[0]?.error).toBe('Slack webhook request failed with status 400: invalid_payload');
    expect(r.taskRuns[1]?.error).toBe("Failed http request with response code '400' and body:\ninvalid_payload");
    expect(JSON.stringify(r)).not.toContain('XXXXSECRET');
    const closed = await startServer(() => undefined);
    await closed.close();
    const unreachable = await p.run(`
id: notify
namespace: company.team
tasks:
  - id: discord
    type: io.kestra.plugin.discord.DiscordIncomingWebhook
    url: "${closed.origin}/api/webhooks/123/XXXXSECRET"
    payload: '{"content": "hi"}'
`);
    expect(unreachable.taskRuns[0]?.error).toBe(`Discord webhook request to ${closed.origin}/… failed: ECONNREFUSED`);
    expect(JSON.stringify(unreachable)).not.toContain('XXXXSECRET');
  });
});
