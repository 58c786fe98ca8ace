/**
 * The one HTTP exchange both chat tasks make: POST `<base>/chat/completions` with a bearer key,
 * read the JSON answer under a cap, and turn an error answer into a message a user can act on —
 * with the key masked, since OpenAI-style servers quote the key they refused.
 */
import { BodyTooLargeError, readBodyCapped } from '../../http/fetch.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';

/** What the OpenAI SDKs use when `OPENAI_BASE_URL` is not set. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
/** A chat answer is small; this only stops a runaway server. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** Where the request goes, shown without user info, path or query. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the endpoint';
  }
}

export function checkedBaseUrl(base: string, property: string): string {
  const trimmed = base.trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new TaskError('INVALID_PROPERTY', `Invalid ${property}: not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TaskError('INVALID_PROPERTY', `Invalid ${property}: expected an http(s) URL`);
  if (url.username !== '' || url.password !== '')
    throw new TaskError('INVALID_PROPERTY', `Invalid ${property}: credentials go in apiKey, not in the URL`);
  return trimmed;
}

/**
 * The message of a vendor's error body — OpenAI, Anthropic and Gemini: `{ error: { message } }`;
 * Ollama: `{ error }`; Mistral: `{ message }` or `{ detail }` — else its start.
 */
function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
    if (parsed.error !== undefined && typeof parsed.error.message === 'string') return parsed.error.message;
    if (typeof parsed.message === 'string') return parsed.message;
    // Mistral's gateway answers { detail } for a refused key.
    if (typeof (parsed as { detail?: unknown }).detail === 'string') return (parsed as { detail: string }).detail;
  } catch {
    // not JSON: the text itself
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/**
 * POSTs `body` to `<baseUrl>/chat/completions`; resolves to the parsed JSON answer. The key is
 * registered as sensitive first, so nothing the run shows can carry it.
 */
export async function postChatCompletion(
  ctx: TaskRunContext,
  request: { readonly baseUrl: string; readonly apiKey: string | undefined; readonly body: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  const { baseUrl, apiKey, body } = request;
  const headers: Record<string, string> = {};
  if (apiKey !== undefined && apiKey !== '') headers.authorization = `Bearer ${apiKey}`;
  return postJson(ctx, { url: `${baseUrl}/chat/completions`, headers, secret: apiKey, body });
}

/**
 * POSTs `body` as JSON to `url` with `headers` (any vendor: OpenAI, Anthropic, Gemini, Ollama…);
 * resolves to the parsed JSON answer. `secret` (the key, wherever the vendor wants it) is
 * registered as sensitive first and cut out of any error message, and errors name the origin only,
 * never the path or query.
 */
export async function postJson(
  ctx: TaskRunContext,
  request: {
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly secret: string | undefined;
    readonly body: Record<string, unknown>;
  },
): Promise<Record<string, unknown>> {
  const { url, secret: apiKey, body } = request;
  if (apiKey !== undefined && apiKey !== '') ctx.sensitive(apiKey);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...request.headers };
  let response;
  try {
    response = await ctx.fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: ctx.signal });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    const cause = (e as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
    throw new TaskError('CHAT_COMPLETION_FAILED', `Chat completion failed: cannot reach ${origin(url)}${code}`, { cause: e });
  }
  let text: string;
  try {
    text = (await readBodyCapped(response, MAX_ANSWER_BYTES)).toString('utf8');
  } catch (e) {
    if (e instanceof BodyTooLargeError)
      throw new TaskError(
        'CHAT_COMPLETION_FAILED',
        `Chat completion failed: the answer of ${origin(url)} is over ${MAX_ANSWER_BYTES} bytes`,
      );
    throw new TaskError('CHAT_COMPLETION_FAILED', `Chat completion failed: the answer of ${origin(url)} broke off`, { cause: e });
  }
  if (response.status < 200 || response.status > 299) {
    // Masked here too: the run masks the key everywhere, but this message must not depend on it.
    const message = apiKey === undefined || apiKey === '' ? errorMessage(text) : errorMessage(text).split(apiKey).join('******');
    throw new TaskError(
      'CHAT_COMPLETION_FAILED',
      `Chat completion failed: ${response.status} ${response.statusText} from ${origin(url)}: ${message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TaskError('CHAT_COMPLETION_FAILED', `Chat completion failed: the answer of ${origin(url)} is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new TaskError('CHAT_COMPLETION_FAILED', `Chat completion failed: the answer of ${origin(url)} is not a JSON object`);
  return parsed as Record<string, unknown>;
}
