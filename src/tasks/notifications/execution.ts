/**
 * The execution notifications' `run`: the summary rendered with the service's template, the task's
 * own fields added as plugin-notifications' *Template classes add them, then the POST. Sources:
 * SlackTemplate.java, DiscordTemplate.java, TeamsTemplate.java, GoogleChatTemplate.java, MailTemplate.java.
 */
import { asList, asRecord } from '../coerce.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';
import { executionMap, renderJsonTemplate } from './execution-summary.js';
import {
  DISCORD_TEMPLATE,
  GOOGLE_CHAT_TEMPLATE,
  MAIL_HTML_TEMPLATE,
  MAIL_TEXT_TEMPLATE,
  SLACK_TEMPLATE,
  TEAMS_TEMPLATE,
} from './templates.js';

export type WebhookService = 'Slack' | 'Discord' | 'Microsoft Teams' | 'Google Chat';

const TIMEOUT_MS = 30_000;

/** The webhook URL carries its secret in its path: messages show its origin only. */
function shownUrl(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return 'the webhook URL';
  }
}

/** POSTs the JSON payload; a non-2xx answer fails with the status and the body (Kestra's message). */
async function post(ctx: TaskRunContext, service: WebhookService, payload: Readonly<Record<string, unknown>>): Promise<void> {
  const url = (await ctx.property<string>('url'))?.trim();
  if (url === undefined || url === '') throw new TaskError('INVALID_PROPERTY', 'Missing required property `url`');
  try {
    new URL(url);
  } catch {
    throw new TaskError('INVALID_PROPERTY', 'Invalid value for `url`: not an absolute URL');
  }
  // The URL is the credential of an incoming webhook.
  ctx.sensitive(url);
  const body = JSON.stringify(payload);
  ctx.log('DEBUG', `Send ${service} webhook: ${body}`);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let status: number;
  let text: string;
  try {
    const response = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      redirect: 'follow',
      signal: controller.signal,
    });
    status = response.status;
    text = Buffer.from(await response.arrayBuffer()).toString('utf8');
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    const cause = (e as { cause?: { code?: unknown } } | null)?.cause;
    const reason = controller.signal.aborted
      ? `no answer within ${TIMEOUT_MS} ms`
      : typeof cause?.code === 'string'
        ? cause.code
        : (e as Error).message;
    throw new TaskError('HTTP_ERROR', `${service} webhook request to ${shownUrl(url)} failed: ${reason}`);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
  if (status < 200 || status >= 300)
    throw new TaskError(
      'HTTP_STATUS',
      service === 'Slack'
        ? `Slack webhook request failed with status ${status}: ${text}`
        : `Failed http request with response code '${status}' and body:\n${text}`,
    );
  ctx.log('INFO', 'Request succeeded');
}

/** Sets `key` in the payload when the property is given. */
async function copy(ctx: TaskRunContext, payload: Record<string, unknown>, property: string, key = property): Promise<void> {
  const value = await ctx.property<string>(property);
  if (value !== undefined && value !== null) payload[key] = value;
}

export async function runSlackExecution(ctx: TaskRunContext): Promise<void> {
  const payload = await renderJsonTemplate(ctx, SLACK_TEMPLATE, await executionMap(ctx));
  await copy(ctx, payload, 'channel');
  await copy(ctx, payload, 'username');
  await copy(ctx, payload, 'iconUrl', 'icon_url');
  await copy(ctx, payload, 'iconEmoji', 'icon_emoji');
  await post(ctx, 'Slack', payload);
}

/** DiscordTemplate.Embed#getEmbedMap. */
function embedOf(raw: unknown, index: number, avatarUrl: string | undefined): Record<string, unknown> {
  const embed = asRecord(raw, `embedList[${index}]`);
  const out: Record<string, unknown> = {};
  const str = (key: string): string | undefined => {
    const value = embed[key];
    return typeof value === 'string' ? value : undefined;
  };
  if (str('title') !== undefined) out.title = str('title');
  if (str('description') !== undefined) out.description = str('description');
  if (str('websiteUrl') !== undefined) out.url = str('websiteUrl');
  if (str('thumbnail') !== undefined) out.thumbnail = { url: str('thumbnail') };
  if (str('authorName') !== undefined)
    out.author = { name: str('authorName'), url: str('websiteUrl') ?? null, icon_url: avatarUrl ?? null };
  if (embed.color !== undefined) {
    const rgb = asList(embed.color, `embedList[${index}].color`).map(Number);
    out.color = rgb.length >= 3 ? (rgb[0]! << 16) + (rgb[1]! << 8) + rgb[2]! : 0;
  }
  if (str('footer') !== undefined) out.footer = { text: str('footer') };
  return out;
}

export async function runDiscordExecution(ctx: TaskRunContext): Promise<void> {
  const payload = await renderJsonTemplate(ctx, DISCORD_TEMPLATE, await executionMap(ctx));
  await copy(ctx, payload, 'username');
  const avatarUrl = await ctx.property<string>('avatarUrl');
  if (avatarUrl !== undefined) payload.avatar_url = avatarUrl;
  payload.tts = false;
  const embedList = await ctx.property<unknown[]>('embedList');
  if (embedList !== undefined) {
    const embeds = embedList.map((e, i) => embedOf(e, i, avatarUrl));
    const existing = payload.embeds;
    // The template's summary embed is merged into the first one.
    if (Array.isArray(existing) && existing.length > 0 && embeds.length > 0) Object.assign(embeds[0]!, asRecord(existing[0], 'embeds[0]'));
    payload.embeds = embeds;
  }
  await copy(ctx, payload, 'content');
  await post(ctx, 'Discord', payload);
}

export async function runTeamsExecution(ctx: TaskRunContext): Promise<void> {
  const variables = await executionMap(ctx);
  for (const name of ['themeColor', 'activityTitle', 'activitySubtitle']) {
    const value = await ctx.property<string>(name);
    if (value !== undefined) variables[name] = value;
  }
  await post(ctx, 'Microsoft Teams', await renderJsonTemplate(ctx, TEAMS_TEMPLATE, variables));
}

export async function runGoogleChatExecution(ctx: TaskRunContext): Promise<void> {
  const payload = await renderJsonTemplate(ctx, GOOGLE_CHAT_TEMPLATE, await executionMap(ctx));
  await copy(ctx, payload, 'text');
  await post(ctx, 'Google Chat', payload);
}

export async function runMailExecution(ctx: TaskRunContext, type: string): Promise<void> {
  const variables = await executionMap(ctx);
  const html = await ctx.render(MAIL_HTML_TEMPLATE, variables);
  const text = await ctx.render(MAIL_TEXT_TEMPLATE, variables);
  await (await import('../mail/send.js')).sendMail(ctx, type, { html, text });
}
