/**
 * The execution notifications' `run`: the summary rendered with the service's template, the task's
 * own fields added as plugin-notifications' *Template classes add them, then the POST. Sources:
 * SlackTemplate.java, DiscordTemplate.java, TeamsTemplate.java, GoogleChatTemplate.java, MailTemplate.java.
 */
import { asList, asRecord } from '../coerce.js';
import type { TaskRunContext } from '../definition.js';
import { executionMap, renderJsonTemplate } from './execution-summary.js';
import { DISCORD, GOOGLE_CHAT, SLACK, TEAMS, type WebhookKind } from './webhooks.js';
import { postWebhook, webhookUrl } from './webhooks-run.js';
import {
  DISCORD_TEMPLATE,
  GOOGLE_CHAT_TEMPLATE,
  MAIL_HTML_TEMPLATE,
  MAIL_TEXT_TEMPLATE,
  SLACK_TEMPLATE,
  TEAMS_TEMPLATE,
} from './templates.js';

/** POSTs the payload as the service's incoming webhook task does (its `options`, its failure message). The URL is the credential of an incoming webhook: masked. */
async function post(ctx: TaskRunContext, kind: WebhookKind, payload: Readonly<Record<string, unknown>>): Promise<void> {
  const url = await webhookUrl(ctx);
  ctx.sensitive(url);
  await postWebhook(ctx, kind, url, JSON.stringify(payload));
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
  await post(ctx, SLACK, payload);
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
  await post(ctx, DISCORD, payload);
}

export async function runTeamsExecution(ctx: TaskRunContext): Promise<void> {
  const variables = await executionMap(ctx);
  for (const name of ['themeColor', 'activityTitle', 'activitySubtitle']) {
    const value = await ctx.property<string>(name);
    if (value !== undefined) variables[name] = value;
  }
  await post(ctx, TEAMS, await renderJsonTemplate(ctx, TEAMS_TEMPLATE, variables));
}

export async function runGoogleChatExecution(ctx: TaskRunContext): Promise<void> {
  const payload = await renderJsonTemplate(ctx, GOOGLE_CHAT_TEMPLATE, await executionMap(ctx));
  await copy(ctx, payload, 'text');
  await post(ctx, GOOGLE_CHAT, payload);
}

export async function runMailExecution(ctx: TaskRunContext, type: string): Promise<void> {
  const variables = await executionMap(ctx);
  const html = await ctx.render(MAIL_HTML_TEMPLATE, variables);
  const text = await ctx.render(MAIL_TEXT_TEMPLATE, variables);
  await (await import('../mail/send.js')).sendMail(ctx, type, { html, text });
}
