/**
 * The incoming-webhook tasks' sending, imported on first use (the definitions are in webhooks.ts);
 * the execution notifications post through it too.
 */
import { parseJson, writeJson } from '../../engine/builtins/kestra/json.js';
import { asDurationMs, asRecord, asString } from '../coerce.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError, type FetchResponseLike } from '../types.js';
import { requiredProperty } from '../storage/common.js';
import type { WebhookKind } from './webhooks.js';

const DEFAULT_TIMEOUT_MS = 10_000;

/** The URL without its path and query, which carry the webhook's secret. */
function shownUrl(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return 'the webhook URL';
  }
}

/** Slack's `toSlackMrkdwn`: **bold**, __italic__ and [text](link) in Slack's own syntax. */
export function toSlackMrkdwn(text: string): string {
  return text
    .replace(/\*\*(.*?)\*\*/g, '*$1*')
    .replace(/__(.*?)__/g, '_$1_')
    .replace(/\[(.*?)\]\((.*?)\)/g, '<$2|$1>');
}

function jsonPayload(text: string, what: string): string {
  try {
    return writeJson(parseJson(text), true);
  } catch (e) {
    throw new TaskError('INVALID_PROPERTY', `Invalid \`${what}\`: it must be JSON (${(e as Error).message})`);
  }
}

/** The task's `url`, checked absolute. */
export async function webhookUrl(ctx: TaskRunContext): Promise<string> {
  const url = (await requiredProperty<string>(ctx, 'url')).trim();
  try {
    new URL(url);
  } catch {
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`url\`: not an absolute URL`);
  }
  return url;
}

/** The incoming-webhook tasks' run: `payload` (or Slack's `messageText`) POSTed as JSON. */
export async function sendWebhook(ctx: TaskRunContext, kind: WebhookKind): Promise<void> {
  const url = await webhookUrl(ctx);
  let body: string;
  const payload = await ctx.property<string>('payload');
  if (payload !== undefined) body = kind.parsePayload ? jsonPayload(payload, 'payload') : payload;
  else if (kind.messageText === true && ctx.task.properties.messageText !== undefined) {
    const text = (await ctx.property<string>('messageText')) ?? '';
    let parsed: string | undefined;
    try {
      parsed = writeJson(parseJson(text), true);
    } catch {
      parsed = undefined;
    }
    body = parsed ?? writeJson({ text: toSlackMrkdwn(text) }, true);
  } else {
    throw new TaskError(
      'INVALID_PROPERTY',
      kind.messageText === true ? "Either 'messageText' or 'payload' must be provided" : 'Missing required property `payload`',
    );
  }
  await postWebhook(ctx, kind, url, body);
}

/** POSTs a JSON body to the webhook with the task's `options` (headers, timeouts); a non-2xx answer fails with the plugin's message. */
export async function postWebhook(
  ctx: TaskRunContext,
  kind: Pick<WebhookKind, 'service' | 'failure'>,
  url: string,
  body: string,
): Promise<void> {
  const options = asRecord(await ctx.renderValue(ctx.task.properties.options ?? {}), 'options');
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  for (const [k, v] of Object.entries(asRecord(options.headers ?? {}, 'options.headers'))) headers[k] = asString(v);
  const timeoutMs =
    (asDurationMs(options.connectTimeout, 'options.connectTimeout') ?? 0) +
    (asDurationMs(options.readTimeout ?? options.readIdleTimeout, 'options.readTimeout') ?? DEFAULT_TIMEOUT_MS);
  ctx.log('DEBUG', `Send ${kind.service} webhook: ${body}`);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response: FetchResponseLike;
  let text: string;
  try {
    response = await ctx.fetch(url, { method: 'POST', headers, body, redirect: 'follow', signal: controller.signal });
    text = Buffer.from(await response.arrayBuffer()).toString('utf8');
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    const cause = (e as { cause?: { code?: unknown } } | null)?.cause;
    const reason = controller.signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : typeof cause?.code === 'string'
        ? cause.code
        : (e as Error).message;
    throw new TaskError('HTTP_ERROR', `${kind.service} webhook request to ${shownUrl(url)} failed: ${reason}`);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
  ctx.log('DEBUG', `Response: ${text}`);
  if (response.status < 200 || response.status >= 300) throw new TaskError('HTTP_STATUS', kind.failure(response.status, text));
  ctx.log('INFO', 'Request succeeded');
}
