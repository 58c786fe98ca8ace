/**
 * MailSend over SMTP with nodemailer (an optional dependency, imported on first use): Kestra's
 * properties (plugin-email / plugin-notifications `MailSend.java`, which uses Simple Java Mail) mapped
 * onto nodemailer's transport — SMTP (opportunistic STARTTLS), SMTP_TLS (STARTTLS required), SMTPS
 * (TLS from the start) — and its message: to/cc with `;` or `,`, HTML and plain text alternatives,
 * attachments and embedded images from the internal storage. The password is a secret: masked in
 * every log and error.
 */
import type { TaskRunContext } from '../definition.js';
import { importOptional } from '../optional.js';
import { TaskError } from '../types.js';
import { attachmentsOf, readAttachments, type MailAttachment } from './attachments.js';

/** Simple Java Mail's default plain text when only HTML is given. */
export const DEFAULT_PLAIN_TEXT = 'Please view this email in a modern email client';

const STRATEGIES = ['SMTP', 'SMTPS', 'SMTP_TLS', 'SMTP_OAUTH2'] as const;
type Strategy = (typeof STRATEGIES)[number];

/** What of nodemailer this task uses (typed here: the package is optional and its types are not ours). */
interface Nodemailer {
  createTransport(options: Record<string, unknown>): {
    sendMail(message: Record<string, unknown>): Promise<{ messageId?: string; accepted?: unknown[]; rejected?: unknown[] }>;
    close(): void;
  };
}

/** Recipients as Simple Java Mail reads them: separated by `;` or `,`, blanks dropped. */
function recipients(value: string): string[] {
  return value
    .split(/[;,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export interface MailContent {
  readonly html?: string;
  readonly text?: string;
}

/** Sends the mail the task's properties describe; `content` overrides the bodies (MailExecution renders its templates). */
export async function sendMail(ctx: TaskRunContext, type: string, content?: MailContent): Promise<void> {
  const password = await ctx.property<string>('password');
  if (password !== undefined && password !== '') ctx.sensitive(password);
  const username = await ctx.property<string>('username');
  const host = await ctx.property<string>('host');
  if (host === undefined || host.trim() === '') throw new TaskError('INVALID_PROPERTY', 'Missing required property `host`');
  const strategy = ((await ctx.property<string>('transportStrategy')) ?? 'SMTPS').trim().toUpperCase() as Strategy;
  if (!STRATEGIES.includes(strategy))
    throw new TaskError(
      'INVALID_PROPERTY',
      `Invalid value for \`transportStrategy\`: expected one of SMTP, SMTPS, SMTP_TLS, got \`${strategy}\``,
    );
  if (strategy === 'SMTP_OAUTH2') throw new TaskError('UNSUPPORTED', 'transportStrategy SMTP_OAUTH2 is not supported by pebbleflow');
  const port = (await ctx.property<number>('port')) ?? (strategy === 'SMTPS' ? 465 : 25);
  const sessionTimeout = (await ctx.property<number>('sessionTimeout')) ?? 10_000;
  const verify = (await ctx.property<boolean>('verifyServerIdentity')) ?? true;
  const trustedHosts = ((await ctx.property<unknown[]>('trustedHosts')) ?? []).map(String);

  const to = await ctx.property<string>('to');
  const from = await ctx.property<string>('from');
  if (to === undefined || recipients(to).length === 0) throw new TaskError('INVALID_PROPERTY', 'Missing required property `to`');
  if (from === undefined || from.trim() === '') throw new TaskError('INVALID_PROPERTY', 'Missing required property `from`');
  const cc = await ctx.property<string>('cc');
  const subject = await ctx.property<string>('subject');
  const html = content?.html ?? (await ctx.property<string>('htmlTextContent'));
  const text = content?.text ?? (await ctx.property<string>('plainTextContent')) ?? DEFAULT_PLAIN_TEXT;

  const attachments: MailAttachment[] = await readAttachments(ctx, attachmentsOf(await ctx.property('attachments'), 'attachments'));
  const images: MailAttachment[] = await readAttachments(ctx, attachmentsOf(await ctx.property('embeddedImages'), 'embeddedImages'));

  ctx.log('DEBUG', `Sending an email to ${to}`);
  const nodemailer = await importOptional<Nodemailer | { default: Nodemailer }>('nodemailer', type);
  const mailer = 'createTransport' in nodemailer ? nodemailer : nodemailer.default;
  // Certificates are checked against the system CAs (Node's default); a host listed in trustedHosts,
  // or verifyServerIdentity: false, accepts a certificate that does not verify (a self-signed one).
  const trusted = !verify || trustedHosts.includes(host.trim());
  const transport = mailer.createTransport({
    host: host.trim(),
    port,
    secure: strategy === 'SMTPS',
    requireTLS: strategy === 'SMTP_TLS',
    ...(username !== undefined && username !== '' ? { auth: { user: username, pass: password ?? '' } } : {}),
    connectionTimeout: sessionTimeout,
    greetingTimeout: sessionTimeout,
    socketTimeout: sessionTimeout,
    tls: { rejectUnauthorized: !trusted, servername: host.trim() },
  });
  const abort = (): void => transport.close();
  ctx.signal.addEventListener('abort', abort, { once: true });
  try {
    const fromAddress = from.trim();
    await transport.sendMail({
      from: fromAddress,
      to: recipients(to),
      ...(cc === undefined || recipients(cc).length === 0 ? {} : { cc: recipients(cc) }),
      ...(subject === undefined ? {} : { subject }),
      text,
      ...(html === undefined ? {} : { html }),
      // Simple Java Mail's withReturnReceiptTo(): receipts go to the sender.
      headers: { 'Return-Receipt-To': fromAddress },
      attachments: [
        ...attachments.map((a) => ({ filename: a.name, content: a.content, contentType: a.contentType })),
        ...images.map((a) => ({
          filename: a.name,
          content: a.content,
          contentType: a.contentType,
          cid: a.name,
          contentDisposition: 'inline',
        })),
      ],
    });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    const message = (e as Error).message;
    const masked = password === undefined || password === '' ? message : message.split(password).join('******');
    throw new TaskError('MAIL_FAILED', `Failed to send the email through ${host.trim()}:${port}: ${masked}`, { cause: e });
  } finally {
    ctx.signal.removeEventListener('abort', abort);
    transport.close();
  }
}
