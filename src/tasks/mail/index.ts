/**
 * The mail family: MailSend under plugin-email's name (`io.kestra.plugin.email.MailSend`) and the
 * older plugin-notifications one. Definitions only; `run` imports the SMTP client on first use.
 */
import type { PropertyDefinition } from '../definition.js';
import { defineTask } from '../definition.js';
import type { TaskFamily } from '../bundled.js';

const attachmentList = {
  kind: 'any',
  schema: {
    anyOf: [
      {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, uri: { type: 'string' }, contentType: { type: 'string' } },
          required: ['name', 'uri'],
        },
      },
      { type: 'string' },
    ],
    'x-expected': 'a list of { name, uri, contentType }, or a JSON text of one',
  },
} as const satisfies PropertyDefinition;

/** MailSend's properties (MailExecution has them too). */
export const mailProperties = {
  host: { kind: 'string', description: 'The SMTP server.' },
  port: { kind: 'integer', description: 'Default: 465 for SMTPS, 25 otherwise.' },
  username: { kind: 'string' },
  password: { kind: 'string', description: 'A secret: masked in every log and error.' },
  transportStrategy: {
    kind: 'string',
    default: 'SMTPS',
    schema: { anyOf: [{ enum: ['SMTP', 'SMTPS', 'SMTP_TLS', 'SMTP_OAUTH2'] }, { type: 'string', pattern: '\\{\\{' }] },
    description: 'SMTP (STARTTLS when offered), SMTP_TLS (STARTTLS required) or SMTPS (TLS from the start).',
  },
  sessionTimeout: { kind: 'integer', default: 10000, description: 'Milliseconds for connecting, the greeting and each exchange.' },
  verifyServerIdentity: { kind: 'boolean', default: true, description: 'false accepts a certificate that does not verify.' },
  trustedHosts: {
    kind: 'list',
    schema: { type: 'array', items: { type: 'string' } },
    description: 'Hosts whose certificate is accepted unverified.',
  },
  from: { kind: 'string' },
  to: { kind: 'string', description: 'Recipients, separated by ; (or ,).' },
  cc: { kind: 'string' },
  subject: { kind: 'string' },
  htmlTextContent: { kind: 'string' },
  plainTextContent: { kind: 'string', description: 'Default: "Please view this email in a modern email client".' },
  attachments: { ...attachmentList, description: 'Files from the internal storage (kestra:// URIs).' },
  embeddedImages: { ...attachmentList, description: 'Images from the internal storage, referred to as cid:<name> in the HTML.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

export const mailSendTask = defineTask({
  type: 'io.kestra.plugin.email.MailSend',
  aliases: ['io.kestra.plugin.notifications.mail.MailSend'],
  title: 'Send an email over SMTP (HTML and plain text, attachments and embedded images from the storage).',
  properties: mailProperties,
  required: ['from', 'to'],
  async run(ctx) {
    await (await import('./send.js')).sendMail(ctx, 'io.kestra.plugin.email.MailSend');
  },
});

export const mailFamily: TaskFamily = {
  name: 'email',
  description: 'SMTP mail with nodemailer (plugin-email, plugin-notifications mail)',
  tasks: [mailSendTask],
};
