/**
 * Execution notifications against a loopback webhook sink (and a loopback SMTP server for mail).
 * plugin-notifications' tests (SlackExecutionTest, DiscordExecutionTest, TeamsExecutionTest and their
 * flows in src/test/resources/flows) run main-flow-that-fails / -succeeds, then the notification flow
 * from a Flow trigger with `executionId: {{ trigger.executionId }}`; here the notification flow gets
 * the id as an input (no triggers locally) and the kept executions through `executions.find`. The
 * config's url plays kestra.url (https://mysuperhost.com/kestra in those tests).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Execution } from '../../src/flow/execution.js';
import { parseFlow } from '../../src/flow/loader.js';
import { runExecution } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';
import { formatDurationHMS } from '../../src/tasks/notifications/execution-summary.js';
import { cli } from '../support/cli.js';
import { startServer, type TestServer } from '../support/http.js';

const KESTRA_URL = 'https://mysuperhost.com/kestra';
const config = { secrets: [{ type: 'env' }], url: KESTRA_URL };

let sink: TestServer;
const kept = new Map<string, Execution>();
beforeAll(async () => {
  sink = await startServer((req, res) => {
    res.writeHead(req.url === '/refuse' ? 400 : 200, { 'content-type': 'text/plain' });
    res.end(req.url === '/refuse' ? 'invalid_payload' : 'ok');
  });
});
afterAll(() => sink.close());

async function run(yaml: string, inputs: Record<string, unknown> = {}): Promise<RunReport> {
  const { report, execution } = await runExecution(parseFlow(yaml), {
    config,
    env: { SECRET_SLACK_WEBHOOK: Buffer.from(`${sink.origin}/services/T000/B000/XXXX`).toString('base64') },
    inputs,
    executions: { find: async (id) => kept.get(id) },
  });
  kept.set(execution.id, execution);
  return report;
}

const MAIN_FLOW_THAT_FAILS = `id: main-flow-that-fails
namespace: io.kestra.tests
tasks:
  - id: failed
    type: io.kestra.core.tasks.executions.Fail
`;
const MAIN_FLOW_THAT_SUCCEEDS = `id: main-flow-that-succeeds
namespace: io.kestra.tests
tasks:
    - id: success
      type: io.kestra.plugin.core.debug.Return
      format: "{{ task.id }} > {{ taskrun.startDate }}"
`;

/** The notification flows of the plugin's tests, with the execution id as an input instead of the trigger's. */
function notificationFlow(id: string, task: string): string {
  return `id: ${id}
namespace: io.kestra.tests
inputs:
  - id: url
    type: STRING
  - id: executionId
    type: STRING
tasks:
${task}`;
}

const lastBody = (): string => sink.requests.at(-1)!.body;

describe('SlackExecution (SlackExecutionTest)', () => {
  const flow = notificationFlow(
    'slack',
    `  - id: slack
    type: io.kestra.plugin.notifications.slack.SlackExecution
    url: "{{ inputs.url }}/webhook-unit-test"
    channel: "#random"
    customFields:
      Env: DEV
      Cloud: GCP
    customMessage: myCustomMessage
    executionId: "{{ inputs.executionId }}"
`,
  );

  test('flow: a failed execution', async () => {
    const failed = await run(MAIN_FLOW_THAT_FAILS);
    expect(failed.state).toBe('FAILED');
    const report = await run(flow, { url: sink.origin, executionId: failed.executionId });
    expect(report.state).toBe('SUCCESS');
    const receivedData = lastBody();
    expect(receivedData).toContain(failed.executionId);
    expect(receivedData).toContain('https://mysuperhost.com/kestra/ui');
    expect(receivedData).toContain('Failed on task `failed`');
    expect(receivedData).toContain('{"title":"Env","value":"DEV","short":true}');
    expect(receivedData).toContain('{"title":"Cloud","value":"GCP","short":true}');
    expect(receivedData).toContain('{"title":"Final task ID","value":"failed","short":true}');
    expect(receivedData).toContain('myCustomMessage');
    // The whole message, as Slack receives it.
    const payload = JSON.parse(receivedData) as {
      text: string;
      channel: string;
      blocks: { accessory?: unknown }[];
      attachments: { color: string; ts: number }[];
    };
    const title = `*<${KESTRA_URL}/ui/executions/io.kestra.tests/main-flow-that-fails/${failed.executionId}|[io.kestra.tests] main-flow-that-fails ➛ FAILED>*`;
    expect(payload.text).toMatch(
      new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n> Failed on task \`failed\` after \\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d$`),
    );
    expect(payload.channel).toBe('#random');
    expect(payload.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'myCustomMessage' } });
    expect(payload.blocks[1]?.accessory).toEqual({
      type: 'button',
      text: { type: 'plain_text', text: 'Details' },
      url: `${KESTRA_URL}/ui/executions/io.kestra.tests/main-flow-that-fails/${failed.executionId}`,
    });
    expect(payload.attachments[0]?.color).toBe('danger');
    expect(payload.attachments[0]?.ts).toBe(Math.floor(Date.parse(kept.get(failed.executionId)!.state.startDate) / 1000));
  });

  test('flowSuccessful: a successful execution', async () => {
    const execution = await run(MAIN_FLOW_THAT_SUCCEEDS);
    await run(flow, { url: sink.origin, executionId: execution.executionId });
    const receivedData = lastBody();
    expect(receivedData).toContain(execution.executionId);
    expect(receivedData).toContain('https://mysuperhost.com/kestra/ui');
    expect(receivedData).not.toContain('Failed on task `success`');
    expect(receivedData).toContain('{"title":"Final task ID","value":"success","short":true}');
    expect((JSON.parse(receivedData) as { attachments: { color: string }[] }).attachments[0]!.color).toBe('good');
  });

  test('the current execution from its errors branch: the failed task, not the notification itself; the current type name', async () => {
    const report = await run(`id: failure_alert
namespace: company.team
tasks:
  - id: ok
    type: io.kestra.plugin.core.log.Log
    message: hi
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
errors:
  - id: send_alert
    type: io.kestra.plugin.slack.notifications.SlackExecution
    url: "{{ secret('SLACK_WEBHOOK') }}"
`);
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns.find((t) => t.taskId === 'send_alert')?.state).toBe('SUCCESS');
    const payload = JSON.parse(lastBody()) as { text: string; attachments: { fields: { title: string; value: string }[] }[] };
    expect(payload.text).toContain('[company.team] failure_alert ➛ ');
    expect(payload.text).toContain('Failed on task `boom` after ');
    expect(payload.attachments[0]!.fields.find((f) => f.title === 'Final task ID')?.value).toBe('boom');
    expect(sink.requests.at(-1)!.url).toBe('/services/T000/B000/XXXX');
    // The webhook URL is the credential: never in the report.
    expect(JSON.stringify(report)).not.toContain('/services/T000/B000/XXXX');
  });

  test('an unknown executionId, and a refused message, are clear failures', async () => {
    const unknown = await run(flow, { url: sink.origin, executionId: 'nope' });
    expect(unknown.taskRuns[0]?.error).toMatch(/^Unable to find execution 'nope'/);
    const refused = await run(
      `id: r\nnamespace: n\ntasks:\n  - id: s\n    type: io.kestra.plugin.slack.notifications.SlackExecution\n    url: ${sink.origin}/refuse\n`,
    );
    expect(refused.taskRuns[0]?.error).toBe('Slack webhook request failed with status 400: invalid_payload');
  });
});

describe('DiscordExecution, TeamsExecution, GoogleChatExecution', () => {
  test('DiscordExecutionTest.flow: embeds, content, the summary embed merged in', async () => {
    const failed = await run(MAIN_FLOW_THAT_FAILS);
    await run(
      notificationFlow(
        'discord',
        `  - id: discord
    type: io.kestra.plugin.notifications.discord.DiscordExecution
    url: "{{ inputs.url }}/webhook-unit-test"
    username: someUser
    executionId: "{{ inputs.executionId }}"
    content: "A message *with some bold text* and _some italicized text_."
    embedList:
      - title: "Kestra Discord notification"
        color:
          - 255
          - 255
          - 255
`,
      ),
      { url: sink.origin, executionId: failed.executionId },
    );
    const receivedData = lastBody();
    expect(receivedData).toContain('https://mysuperhost.com/kestra/ui');
    expect(receivedData).toContain(failed.executionId);
    expect(receivedData).toContain('Failed on task `failed`');
    expect(receivedData).toContain('Final task ID: failed');
    expect(receivedData).toContain('Kestra Discord notification');
    const payload = JSON.parse(receivedData) as { embeds: { description?: string }[] };
    expect(payload).toMatchObject({
      username: 'someUser',
      tts: false,
      content: 'A message *with some bold text* and _some italicized text_.',
    });
    expect(payload.embeds).toHaveLength(1);
    expect(payload.embeds[0]).toMatchObject({ title: 'Kestra Discord notification', color: 0xffffff });
    expect(payload.embeds[0]?.description).toContain(`[Link to the Execution page](${KESTRA_URL}/ui/executions/`);
  });

  test('TeamsExecutionTest.flow: the message card with the facts', async () => {
    const failed = await run(MAIN_FLOW_THAT_FAILS);
    await run(
      notificationFlow(
        'teams',
        `  - id: teams
    type: io.kestra.plugin.notifications.teams.TeamsExecution
    url: "{{ inputs.url }}/webhook-unit-test"
    activityTitle: "Kestra Teams notification"
    executionId: "{{ inputs.executionId }}"
`,
      ),
      { url: sink.origin, executionId: failed.executionId },
    );
    const receivedData = lastBody();
    expect(receivedData).toContain(failed.executionId);
    expect(receivedData).toContain('https://mysuperhost.com/kestra/ui');
    expect(receivedData).toContain('Failed on task `failed`');
    expect(receivedData).toContain('{"name":"Final task ID","value":"failed"}');
    expect(receivedData).toContain('Kestra Teams notification');
    expect(JSON.parse(receivedData)).toMatchObject({ '@type': 'MessageCard', themeColor: '0076D7' });
  });

  test('GoogleChatExecution: the text summary (current type name)', async () => {
    const ok = await run(MAIN_FLOW_THAT_SUCCEEDS);
    await run(
      notificationFlow(
        'google',
        `  - id: google
    type: io.kestra.plugin.googleworkspace.chat.GoogleChatExecution
    url: "{{ inputs.url }}/webhook-unit-test"
    executionId: "{{ inputs.executionId }}"
`,
      ),
      { url: sink.origin, executionId: ok.executionId },
    );
    const text = (JSON.parse(lastBody()) as { text: string }).text;
    expect(text).toContain(
      `Kestra Google notification: Namespace io.kestra.tests, Flow ID main-flow-that-succeeds, Execution ID ${ok.executionId}`,
    );
    expect(text).toContain('Execution Status SUCCESS, Final task ID success.');
    expect(text).toMatch(/> Succeeded after \d\d:\d\d:\d\d\.\d\d\d$/);
  });
});

describe('MailExecution', () => {
  test('Kestra’s HTML template and the plain text, sent over SMTP (MailExecutionTest’s assertions)', async () => {
    const received: ParsedMail[] = [];
    const server = new SMTPServer({
      authOptional: true,
      hideSTARTTLS: true,
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail) => {
            received.push(mail);
            callback();
          })
          .catch((e: Error) => callback(e));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
    try {
      const failed = await run(MAIN_FLOW_THAT_FAILS);
      const report = await run(
        notificationFlow(
          'mail',
          `  - id: mail
    type: io.kestra.plugin.notifications.mail.MailExecution
    host: 127.0.0.1
    port: ${port}
    transportStrategy: SMTP
    from: from@mail.com
    to: to@mail.com
    subject: Mail subject
    customFields:
      Env: dev
    customMessage: myCustomMessage
    executionId: "{{ inputs.executionId }}"
`,
        ),
        { url: sink.origin, executionId: failed.executionId },
      );
      expect(report.state).toBe('SUCCESS');
      const mail = received.at(-1)!;
      expect(mail.subject).toBe('Mail subject');
      const html = String(mail.html);
      expect(html).toContain('<strong>Namespace :</strong> io.kestra.tests');
      expect(html).toContain('<strong>Flow :</strong> main-flow-that-fails');
      expect(html).toContain(`<strong>Execution :</strong> ${failed.executionId}`);
      expect(html).toContain('<strong>Status :</strong> FAILED');
      expect(html).toContain('<strong>Env :</strong> dev');
      expect(html).toContain('<strong>Final task ID :</strong> failed');
      expect(html).toContain('myCustomMessage');
      expect(html).toContain(`href="${KESTRA_URL}/ui/executions/io.kestra.tests/main-flow-that-fails/${failed.executionId}"`);
      expect(mail.text?.trim()).toBe('Please view this email in a modern email client');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

test('formatDurationHMS is Apache Commons’ HH:mm:ss.SSS', () => {
  expect(formatDurationHMS(123456)).toBe('00:02:03.456');
  expect(formatDurationHMS(0)).toBe('00:00:00.000');
  expect(formatDurationHMS(100 * 3_600_000 + 1)).toBe('100:00:00.001');
});

test('pebbleflow run: SlackExecution reports an execution the folder keeps, by executionId', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pf-notify-'));
  try {
    writeFileSync(join(dir, 'pebbleflow.yaml'), `url: ${KESTRA_URL}\n`);
    writeFileSync(join(dir, 'fails.yaml'), MAIN_FLOW_THAT_FAILS);
    writeFileSync(
      join(dir, 'notify.yaml'),
      notificationFlow(
        'slack',
        `  - id: slack\n    type: io.kestra.plugin.notifications.slack.SlackExecution\n    url: "{{ inputs.url }}/webhook-unit-test"\n    executionId: "{{ inputs.executionId }}"\n`,
      ),
    );
    const failed = await cli(['run', 'fails.yaml', '--json'], { cwd: dir });
    expect(failed.code).toBe(1);
    const executionId = (JSON.parse(failed.stdout) as { executionId: string }).executionId;
    const notified = await cli(['run', 'notify.yaml', '-i', `url=${sink.origin}`, '-i', `executionId=${executionId}`], { cwd: dir });
    expect(notified.stderr).toBe('');
    expect(notified.code).toBe(0);
    const receivedData = lastBody();
    expect(receivedData).toContain(`${KESTRA_URL}/ui/executions/io.kestra.tests/main-flow-that-fails/${executionId}`);
    expect(receivedData).toContain('Failed on task `failed`');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
