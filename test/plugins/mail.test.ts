/**
 * MailSend against a real SMTP server on 127.0.0.1 (the npm smtp-server, recording each message,
 * parsed with mailparser): plain SMTP with AUTH, SMTP_TLS (STARTTLS required) and SMTPS with the
 * server's self-signed certificate, and the failures. Assertions ported from plugin-notifications'
 * MailSendTest.java (from, to, subject, the default plain text, the HTML body) and its examples.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';

const USER = 'mailer';
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

interface Received {
  readonly envelope: { from: string; to: string[] };
  readonly user: string | undefined;
  readonly secure: boolean;
  readonly mail: ParsedMail;
}

interface Smtp {
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<Smtp> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: [],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) return callback(null, { user: auth.username });
      return callback(new Error(`Invalid username or password (${auth.password ?? ''})`));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            envelope: {
              from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            user: session.user as string | undefined,
            secure: session.secure,
            mail,
          });
          callback();
        })
        .catch((e: Error) => callback(e));
    },
    ...options,
  });
  // A client that refuses the certificate drops the connection: the server reports it, the test expects it.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const storage = mkdtempSync(join(tmpdir(), 'pf-mail-storage-'));
afterAll(() => rmSync(storage, { recursive: true, force: true }));

function run(yaml: string): Promise<RunReport> {
  return runFlow(parseFlow(yaml), { storage, env: { SECRET_EMAIL_USERNAME: b64(USER), SECRET_EMAIL_PASSWORD: b64(PASSWORD) } });
}

function leakFree(report: RunReport): void {
  expect(JSON.stringify(report)).not.toContain(PASSWORD);
  expect(JSON.stringify(report)).not.toContain(b64(PASSWORD));
}

let smtp: Smtp;
beforeAll(async () => {
  // Plain SMTP only (as GreenMail's SMTP setup in MailSendTest): no STARTTLS offered.
  smtp = await startSmtp({ hideSTARTTLS: true, allowInsecureAuth: true });
});
afterAll(() => smtp.close());

describe('io.kestra.plugin.email.MailSend', () => {
  test('the errors example: html and default plain text, AUTH from secrets, subject rendered (MailSendTest.sendEmail)', async () => {
    const before = smtp.received.length;
    const report = await run(`id: unreliable_flow
namespace: company.team
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
errors:
  - id: send_email
    type: io.kestra.plugin.notifications.mail.MailSend
    from: hello@kestra.io
    to: hello@kestra.io
    username: "{{ secret('EMAIL_USERNAME') }}"
    password: "{{ secret('EMAIL_PASSWORD') }}"
    host: 127.0.0.1
    port: ${smtp.port}
    transportStrategy: SMTP
    subject: "Kestra workflow failed for the flow {{flow.id}} in the namespace {{flow.namespace}}"
    htmlTextContent: "Failure alert for flow {{ flow.namespace }}.{{ flow.id }} with ID {{ execution.id }}"
`);
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns.find((t) => t.taskId === 'send_email')?.state).toBe('SUCCESS');
    expect(smtp.received.length).toBe(before + 1);
    const { mail, envelope, user } = smtp.received.at(-1)!;
    expect(user).toBe(USER);
    expect(envelope).toEqual({ from: 'hello@kestra.io', to: ['hello@kestra.io'] });
    expect(mail.from?.text).toBe('hello@kestra.io');
    expect(mail.subject).toBe('Kestra workflow failed for the flow unreliable_flow in the namespace company.team');
    expect(mail.html).toBe(`Failure alert for flow company.team.unreliable_flow with ID ${report.executionId}`);
    expect(mail.text?.trim()).toBe('Please view this email in a modern email client');
    expect(mail.headers.get('return-receipt-to')).toBeDefined();
    leakFree(report);
  });

  test('several recipients with ; and a cc; plain text only (current type name)', async () => {
    const report = await run(`id: m
namespace: company.team
tasks:
  - id: send
    type: io.kestra.plugin.email.MailSend
    host: 127.0.0.1
    port: ${smtp.port}
    transportStrategy: SMTP
    from: "Kestra <noreply@example.com>"
    to: "a@example.com; b@example.com"
    cc: c@example.com
    subject: Report
    plainTextContent: "Rows: {{ 40 + 2 }}"
`);
    expect(report.state).toBe('SUCCESS');
    const { mail, envelope, user } = smtp.received.at(-1)!;
    expect(user).toBeUndefined();
    expect(envelope.to.sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual(['a@example.com', 'b@example.com']);
    expect(mail.cc && !Array.isArray(mail.cc) ? mail.cc.text : '').toBe('c@example.com');
    expect(mail.from?.value[0]).toEqual({ address: 'noreply@example.com', name: 'Kestra' });
    expect(mail.text?.trim()).toBe('Rows: 42');
    expect(mail.html).toBe(false);
  });

  test('attachments and embedded images from the storage (MailSendTest.sendEmail, sendsEmailWithCsvAttachment_fromYamlList)', async () => {
    // Write stores text: the image is text too, enough to check the bytes that arrive.
    const png = Buffer.from('PNG-bytes-0123456789');
    const report = await run(`id: send_email
namespace: company.team
inputs:
  - id: attachments
    type: JSON
    defaults: '[]'
tasks:
  - id: csv
    type: io.kestra.plugin.core.storage.Write
    content: "id,name\\n1,Ada\\n"
    extension: .csv
  - id: yml
    type: io.kestra.plugin.core.storage.Write
    content: "kestra:\\n  url: http://localhost\\n"
    extension: .yml
  - id: image
    type: io.kestra.plugin.core.storage.Write
    content: "${png.toString('utf8')}"
    extension: .png
  - id: send_email
    type: io.kestra.plugin.notifications.mail.MailSend
    host: 127.0.0.1
    port: ${smtp.port}
    transportStrategy: SMTP
    from: from@mail.com
    to: to@mail.com
    subject: Mail subject
    htmlTextContent: '<p>Dataset</p><img src="cid:kestra.png">'
    attachments:
      - name: data.csv
        uri: "{{ outputs.csv.uri }}"
        contentType: text/csv
      - name: application-test.yml
        uri: "{{ outputs.yml.uri }}"
        contentType: text/yaml
    embeddedImages: '[{"name": "kestra.png", "uri": "{{ outputs.image.uri }}", "contentType": "image/png"}]'
`);
    expect(report.taskRuns.map((t) => [t.taskId, t.state, t.error])).toEqual([
      ['csv', 'SUCCESS', undefined],
      ['yml', 'SUCCESS', undefined],
      ['image', 'SUCCESS', undefined],
      ['send_email', 'SUCCESS', undefined],
    ]);
    const { mail } = smtp.received.at(-1)!;
    expect(mail.subject).toBe('Mail subject');
    const byName = new Map(mail.attachments.map((a) => [a.filename, a]));
    expect(byName.get('data.csv')?.contentType).toBe('text/csv');
    expect(byName.get('data.csv')?.content.toString('utf8')).toBe('id,name\n1,Ada\n');
    expect(byName.get('application-test.yml')?.content.toString('utf8')).toBe('kestra:\n  url: http://localhost\n');
    expect(byName.get('data.csv')?.contentDisposition).toBe('attachment');
    const image = byName.get('kestra.png');
    expect(image?.contentType).toBe('image/png');
    expect(image?.cid).toBe('kestra.png');
    expect(image?.contentDisposition).toBe('inline');
    expect(image?.content.equals(png)).toBe(true);
  });

  test('an attachment outside the execution’s reach is refused by the storage', async () => {
    const report = await run(`id: m
namespace: company.team
tasks:
  - id: send
    type: io.kestra.plugin.email.MailSend
    host: 127.0.0.1
    port: ${smtp.port}
    transportStrategy: SMTP
    from: a@example.com
    to: b@example.com
    attachments:
      - name: other.txt
        uri: kestra:///other/namespace/_files/secret.txt
`);
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns[0]?.error).toMatch(
      /^Unable to read the file 'kestra:\/\/\/other\/namespace\/_files\/secret.txt': it belongs to namespace 'other.namespace'/,
    );
  });

  test('a wrong password: MAIL_FAILED with the server’s answer, the password masked (it is quoted back)', async () => {
    const wrong = `wrong-${Math.random().toString(36).slice(2)}-zq9`;
    const report = await run(`id: m
namespace: company.team
tasks:
  - id: send
    type: io.kestra.plugin.email.MailSend
    host: 127.0.0.1
    port: ${smtp.port}
    transportStrategy: SMTP
    username: ${USER}
    password: ${wrong}
    from: a@example.com
    to: b@example.com
`);
    expect(report.state).toBe('FAILED');
    const error = report.taskRuns[0]?.error ?? '';
    expect(error).toMatch(new RegExp(`^Failed to send the email through 127\\.0\\.0\\.1:${smtp.port}: .*Invalid username or password`));
    expect(error).toContain('******');
    expect(JSON.stringify(report)).not.toContain(wrong);
  });

  test('nothing listening (MailSendTest.testThrowsMailException): a clear failure, not a hang', async () => {
    const closed = await startSmtp();
    const port = closed.port;
    await closed.close();
    const report = await run(`id: m
namespace: company.team
tasks:
  - id: send
    type: io.kestra.plugin.email.MailSend
    host: 127.0.0.1
    port: ${port}
    transportStrategy: SMTP
    from: a@example.com
    to: b@example.com
`);
    expect(report.taskRuns[0]?.error).toMatch(new RegExp(`^Failed to send the email through 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  test('the loader requires from and to, and knows the transport strategies', () => {
    expect(() => parseFlow('id: m\nnamespace: n\ntasks:\n  - id: s\n    type: io.kestra.plugin.email.MailSend\n    host: h\n')).toThrow(
      /from|to/,
    );
    expect(() =>
      parseFlow(
        'id: m\nnamespace: n\ntasks:\n  - id: s\n    type: io.kestra.plugin.email.MailSend\n    from: a@b.c\n    to: d@e.f\n    transportStrategy: SMTPX\n',
      ),
    ).toThrow(/transportStrategy/);
  });
});

describe('TLS', () => {
  let tls: Smtp;
  let smtps: Smtp;
  beforeAll(async () => {
    // smtp-server's own self-signed certificate (CN localhost): STARTTLS offered and required for AUTH.
    tls = await startSmtp({});
    smtps = await startSmtp({ secure: true });
  });
  afterAll(async () => {
    await tls.close();
    await smtps.close();
  });

  const flow = (port: number, strategy: string, extra = ''): string => `id: m
namespace: company.team
tasks:
  - id: send
    type: io.kestra.plugin.email.MailSend
    host: 127.0.0.1
    port: ${port}
    transportStrategy: ${strategy}
    username: "{{ secret('EMAIL_USERNAME') }}"
    password: "{{ secret('EMAIL_PASSWORD') }}"
    from: a@example.com
    to: b@example.com
    subject: over TLS
${extra}`;

  test('SMTP_TLS (the internal-server example): STARTTLS, the self-signed certificate trusted through trustedHosts', async () => {
    const report = await run(flow(tls.port, 'SMTP_TLS', '    trustedHosts:\n      - 127.0.0.1\n'));
    expect(report.state).toBe('SUCCESS');
    expect(tls.received.at(-1)).toMatchObject({ secure: true, user: USER });
    expect(tls.received.at(-1)?.mail.subject).toBe('over TLS');
    leakFree(report);
  });

  test('SMTPS: TLS from the start, with verifyServerIdentity: false', async () => {
    const report = await run(flow(smtps.port, 'SMTPS', '    verifyServerIdentity: false\n'));
    expect(report.state).toBe('SUCCESS');
    expect(smtps.received.at(-1)).toMatchObject({ secure: true, user: USER });
  });

  test('a certificate that does not verify is refused by default', async () => {
    const report = await run(flow(smtps.port, 'SMTPS'));
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns[0]?.error).toMatch(/^Failed to send the email through 127\.0\.0\.1:\d+: .*(self[- ]signed|certificate)/i);
    leakFree(report);
  });
});
