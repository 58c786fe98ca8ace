/** Request's run, and the request plan Download shares, imported on first use (the definition is in request.ts). */
import { randomBytes } from 'node:crypto';
import { asBoolean, asDurationMs, asList, asRecord, asString } from '../coerce.js';
import type { TaskResult, TaskRunContext } from '../definition.js';
import { BodyTooLargeError, readBodyCapped } from '../../http/fetch.js';
import { TaskError, type FetchLike, type FetchResponseLike } from '../types.js';
import { nodeHttpFetchWith, type HttpTransport } from './node-http.js';
import type { DownloadFetch } from './transfer.js';

/** Node's codes for a certificate chain it does not trust (self-signed, unknown issuer, expired, wrong host). */
const UNTRUSTED_CERTIFICATE = /SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|CERT_|ERR_TLS_CERT_ALTNAME_INVALID/;

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const DEFAULT_READ_IDLE_MS = 5 * 60_000;

export interface RequestPlan {
  uri: string;
  method: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
  connectTimeoutMs: number | undefined;
  readIdleTimeoutMs: number;
  followRedirects: boolean;
  allowFailed: boolean;
  allowedResponseCodes: number[];
  defaultCharset: string;
  logs: Set<string>;
  /** `options.proxy` and `options.ssl`: how the request reaches its server (empty: directly, TLS checked). */
  transport: HttpTransport;
}

/**
 * What sending a Request needs of its run: the properties and how to render them, the client, the
 * abort signal, logs and the server key. A task run is one; so is the server's http.Trigger poll
 * (src/server/triggers/http-trigger.ts), which sends its request with this same code.
 */
export type RequestContext = Pick<TaskRunContext, 'render' | 'renderValue' | 'sensitive' | 'fetch' | 'signal' | 'log' | 'encrypt'> & {
  readonly task: { readonly properties: Readonly<Record<string, unknown>> };
};

export async function runRequest(ctx: RequestContext): Promise<TaskResult> {
  const plan = await planRequest(ctx);
  const p = ctx.task.properties;
  const encryptBody = asBoolean(p.encryptBody === undefined ? undefined : await ctx.render(String(p.encryptBody)), 'encryptBody') ?? false;
  // Fail closed before sending anything: without a usable key the body could not be kept.
  if (encryptBody) ctx.encrypt('');
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let timedOut: string | undefined;
  const arm = (ms: number, what: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = what;
      controller.abort();
    }, ms);
  };
  try {
    if (plan.logs.has('REQUEST_HEADERS')) ctx.log('INFO', `Request headers: ${formatHeaders(plan.headers)}`);
    if (plan.logs.has('REQUEST_BODY') && plan.body !== undefined) ctx.log('INFO', `Request body: ${plan.body.toString()}`);
    const started = Date.now();
    arm((plan.connectTimeoutMs ?? 0) + plan.readIdleTimeoutMs, 'no response');
    let response: FetchResponseLike;
    try {
      response = await fetchFor(ctx, plan)(plan.uri, {
        method: plan.method,
        headers: plan.headers,
        ...(plan.body === undefined ? {} : { body: plan.body }),
        redirect: plan.followRedirects ? 'follow' : 'manual',
        signal: controller.signal,
      });
    } catch (e) {
      throw failure(plan, e, timedOut);
    }
    const bytes = await readBody(response, () => arm(plan.readIdleTimeoutMs, 'the response body stalled')).catch((e: unknown) => {
      throw failure(plan, e, timedOut);
    });
    clearTimeout(timer);
    const headers = responseHeaders(response);
    const body = decode(bytes, response.headers.get('content-type'), plan.defaultCharset);
    ctx.log('DEBUG', `Request ${plan.method} ${plan.uri} answered ${response.status} in ${Date.now() - started} ms`);
    if (plan.logs.has('RESPONSE_HEADERS')) ctx.log('INFO', `Response headers: ${JSON.stringify(headers)}`);
    if (plan.logs.has('RESPONSE_BODY')) ctx.log('INFO', `Response body: ${body}`);
    const code = response.status;
    const accepted = plan.allowedResponseCodes.length > 0 ? plan.allowedResponseCodes.includes(code) : plan.allowFailed || code < 400;
    if (!accepted) throw new TaskError('HTTP_STATUS', `Failed http request with response code '${code}' and body:\n${body}`);
    // encryptBody: the body only as an EncryptedString (`encryptedBody`), never in clear.
    if (encryptBody) return { outputs: { uri: plan.uri, code, headers, encryptedBody: ctx.encrypt(body) } };
    return { outputs: { uri: plan.uri, code, headers, body } };
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

function failure(plan: RequestPlan, error: unknown, timedOut: string | undefined): TaskError {
  if (error instanceof TaskError) return error;
  if (timedOut !== undefined)
    return new TaskError('HTTP_TIMEOUT', `Failed http request to ${plan.uri}: ${timedOut} within ${plan.readIdleTimeoutMs} ms`);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.test(code)) {
    const detail = typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : code;
    return new TaskError(
      'HTTP_ERROR',
      `Failed http request to ${plan.uri}: ${detail} (${code}); the server's certificate is not trusted — ` +
        '`options.ssl.insecureTrustAllCertificates: true` accepts it without any check',
      { cause: error },
    );
  }
  const reason = typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.message : String(error);
  return new TaskError('HTTP_ERROR', `Failed http request to ${plan.uri}: ${reason}`, { cause: error });
}

/** The request a Request (or Download) task describes: every property rendered and checked. */
export async function planRequest(ctx: RequestContext): Promise<RequestPlan> {
  const p = ctx.task.properties;
  const uri = (await ctx.render(String(p.uri))).trim();
  try {
    new URL(uri);
  } catch {
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`uri\`: \`${uri}\` is not an absolute URI`);
  }
  const method = p.method === undefined ? 'GET' : (await ctx.render(String(p.method))).trim().toUpperCase();
  const options = asRecord(await ctx.renderValue(p.options ?? {}), 'options');
  const timeout = asRecord(options.timeout, 'options.timeout');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(asRecord(await ctx.renderValue(p.headers ?? {}), 'headers'))) {
    headers[name] = Array.isArray(value) ? value.map(asString).join(', ') : asString(value);
  }
  const hasHeader = (name: string): boolean => Object.keys(headers).some((h) => h.toLowerCase() === name);

  const auth = options.auth ?? (p.auth === undefined ? undefined : await ctx.renderValue(p.auth));
  if (auth !== undefined) {
    const a = asRecord(auth, 'auth');
    const type = asString(a.type).toUpperCase();
    if (type === 'BEARER') headers.Authorization = `Bearer ${asString(a.token)}`;
    else if (type === 'BASIC') headers.Authorization = basic(asString(a.username), asString(a.password));
    else throw new TaskError('INVALID_PROPERTY', `Invalid value for \`auth.type\`: expected BASIC or BEARER, got \`${type}\``);
  } else if (options.basicAuthUser !== undefined) {
    headers.Authorization = basic(asString(options.basicAuthUser), asString(options.basicAuthPassword));
  }

  const contentType = p.contentType === undefined ? undefined : (await ctx.render(String(p.contentType))).trim();
  let body: string | Buffer | undefined;
  if (p.formData !== undefined) {
    const form = asRecord(await ctx.renderValue(p.formData), 'formData');
    if (contentType?.toLowerCase().startsWith('multipart/form-data') === true) {
      const built = multipart(form);
      body = built.body;
      headers['Content-Type'] = built.contentType;
    } else {
      body = new URLSearchParams(Object.entries(form).map(([k, v]): [string, string] => [k, asString(v)])).toString();
      if (!hasHeader('content-type')) headers['Content-Type'] = contentType ?? 'application/x-www-form-urlencoded';
    }
  } else if (p.body !== undefined) {
    body = asString(await ctx.renderValue(p.body));
    if (!hasHeader('content-type')) headers['Content-Type'] = contentType ?? 'application/json';
  } else if (contentType !== undefined && !hasHeader('content-type')) {
    headers['Content-Type'] = contentType;
  }

  const codes = asList(options.allowedResponseCodes, 'options.allowedResponseCodes').map((c) => {
    const n = Number(c);
    if (!Number.isInteger(n))
      throw new TaskError('INVALID_PROPERTY', `Invalid value for \`options.allowedResponseCodes\`: \`${String(c)}\` is not a status code`);
    return n;
  });
  return {
    uri,
    method,
    headers,
    body,
    connectTimeoutMs: asDurationMs(timeout.connectTimeout ?? options.connectTimeout, 'options.timeout.connectTimeout'),
    readIdleTimeoutMs:
      asDurationMs(timeout.readIdleTimeout ?? options.readIdleTimeout ?? options.readTimeout, 'options.timeout.readIdleTimeout') ??
      DEFAULT_READ_IDLE_MS,
    followRedirects: asBoolean(options.followRedirects, 'options.followRedirects') ?? true,
    allowFailed:
      asBoolean(
        options.allowFailed ?? (p.allowFailed === undefined ? undefined : await ctx.render(String(p.allowFailed))),
        'options.allowFailed',
      ) ?? false,
    allowedResponseCodes: codes,
    defaultCharset: options.defaultCharset === undefined ? 'UTF-8' : asString(options.defaultCharset),
    logs: new Set(asList(options.logs, 'options.logs').map(asString)),
    transport: await transportOf(ctx, options, p.sslOptions),
  };
}

const PROXY_TYPES = ['DIRECT', 'HTTP', 'SOCKS'];

/**
 * Kestra's `options.proxy` ({type, address, port, username, password}; the older flat
 * `options.proxyType`, `proxyAddress`… fill it) and `options.ssl` (the older top-level
 * `sslOptions` too), as its HttpClient applies them: a proxy only with an address, which then
 * needs a port and a type other than DIRECT.
 */
async function transportOf(ctx: RequestContext, options: Record<string, unknown>, sslOptions: unknown): Promise<HttpTransport> {
  const proxy = asRecord(options.proxy, 'options.proxy');
  const pick = (key: string, flat: string): unknown => proxy[key] ?? options[flat];
  const ssl = asRecord(options.ssl ?? (sslOptions === undefined ? undefined : await ctx.renderValue(sslOptions)), 'options.ssl');
  const insecure = asBoolean(ssl.insecureTrustAllCertificates, 'options.ssl.insecureTrustAllCertificates') === true;
  const address = pick('address', 'proxyAddress');
  const type = asString(pick('type', 'proxyType') ?? 'DIRECT')
    .trim()
    .toUpperCase();
  if (!PROXY_TYPES.includes(type))
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`options.proxy.type\`: expected DIRECT, HTTP or SOCKS, got \`${type}\``);
  if (address === undefined || address === null || asString(address).trim() === '') return insecure ? { insecure } : {};
  const host = asString(address).trim();
  if (type === 'DIRECT')
    throw new TaskError(
      'INVALID_PROPERTY',
      `\`options.proxy\`: type DIRECT is not compatible with address ${host}; set \`type: HTTP\` to go through the proxy`,
    );
  if (type === 'SOCKS')
    throw new TaskError('UNSUPPORTED', '`options.proxy`: SOCKS proxies are not supported by pebbleflow; use an HTTP proxy');
  const portValue = pick('port', 'proxyPort');
  const port = Number(asString(portValue));
  if (portValue === undefined || portValue === null || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new TaskError(
      'INVALID_PROPERTY',
      `\`options.proxy.port\`: a proxy address needs a port (1-65535), got \`${portValue === undefined ? 'nothing' : String(portValue)}\``,
    );
  const username = pick('username', 'proxyUsername');
  const password = pick('password', 'proxyPassword');
  let authorization: string | undefined;
  if (username !== undefined && username !== null && password !== undefined && password !== null) {
    const pass = asString(password);
    if (pass !== '') ctx.sensitive(pass);
    authorization = basic(asString(username), pass);
    ctx.sensitive(authorization);
  }
  return {
    proxy: { host: host.replace(/^\[|\]$/g, ''), port, ...(authorization === undefined ? {} : { authorization }) },
    ...(insecure ? { insecure } : {}),
  };
}

/**
 * The fetch a plan runs with: the run's own, or pebbleflow's node:http client when the request
 * needs a proxy or TLS without checks (a fetch cannot take them per request). An embedder's own
 * fetch cannot either: such a request then fails rather than go around the proxy or check.
 */
export function fetchFor(ctx: Pick<TaskRunContext, 'fetch'>, plan: Pick<RequestPlan, 'transport'>): FetchLike {
  if (plan.transport.proxy === undefined && plan.transport.insecure !== true) return ctx.fetch;
  if (ctx.fetch !== globalThis.fetch)
    throw new TaskError(
      'UNSUPPORTED',
      "`options.proxy` and `options.ssl` need pebbleflow's own HTTP client, and this run was given its own fetch (RunFlowOptions.fetch)",
    );
  const fetch = nodeHttpFetchWith(plan.transport);
  return async (url, init = {}) => {
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: init.redirect ?? 'follow',
      signal: init.signal ?? new AbortController().signal,
    });
    return {
      status: response.status,
      statusText: '',
      url,
      headers: response.headers,
      body: response.body,
      arrayBuffer: () => Promise.reject(new Error('read the body as a stream')),
    };
  };
}

/** The download client for a plan (Download's default is node:http; an embedder's fetch as `fetchFor` says). */
export function downloadFetchFor(ctx: Pick<TaskRunContext, 'fetch'>, plan: Pick<RequestPlan, 'transport'>): DownloadFetch {
  if (plan.transport.proxy !== undefined || plan.transport.insecure === true) {
    fetchFor(ctx, plan);
    return nodeHttpFetchWith(plan.transport);
  }
  // Node's own fetch keeps tens of MB of a large body in memory: the default goes through node:http.
  return ctx.fetch === globalThis.fetch ? nodeHttpFetchWith({}) : ctx.fetch;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Kestra's multipart rules: `{name, content}` is a file part, other values are JSON, strings as they are. */
function multipart(form: Record<string, unknown>): { body: Buffer; contentType: string } {
  const boundary = `----pebbleflow${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  const quote = (s: string): string => s.replace(/["\r\n]/g, (c) => encodeURIComponent(c));
  for (const [name, value] of Object.entries(form)) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"`;
    let content: string;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'content' in value) {
      const file = value as { name?: unknown; content?: unknown };
      head += `; filename="${quote(asString(file.name ?? name))}"\r\nContent-Type: application/octet-stream`;
      content = asString(file.content);
    } else if (typeof value === 'string' && value.startsWith('kestra://')) {
      throw new TaskError(
        'UNSUPPORTED',
        `formData \`${name}\`: kestra:// files need Kestra's internal storage, which a local run does not have`,
      );
    } else {
      content = typeof value === 'string' ? value : JSON.stringify(value);
    }
    parts.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'), Buffer.from(content, 'utf8'), Buffer.from('\r\n', 'utf8'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Reads the body chunk by chunk (web stream or Node stream) under the cap, re-arming the idle timer on each. */
async function readBody(response: FetchResponseLike, onChunk: () => void): Promise<Buffer> {
  try {
    return await readBodyCapped(response, MAX_BODY_BYTES, onChunk);
  } catch (e) {
    if (e instanceof BodyTooLargeError)
      throw new TaskError('HTTP_BODY_TOO_LARGE', `Response body is larger than ${MAX_BODY_BYTES} bytes; use a Download task instead`);
    throw e;
  }
}

/** Response headers as Kestra outputs them: a map of lists (repeated headers and cookies kept apart). */
export function responseHeaders(response: Pick<FetchResponseLike, 'headers'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const h = response.headers as FetchResponseLike['headers'] & { getSetCookie?: () => string[]; raw?: () => Record<string, string[]> };
  if (typeof h.raw === 'function') {
    // node-fetch keeps repeated headers apart.
    for (const [k, v] of Object.entries(h.raw())) out[k] = [...v];
    return out;
  }
  h.forEach((value, key) => {
    if (key === 'set-cookie') return;
    out[key] = [value];
  });
  const cookies = typeof h.getSetCookie === 'function' ? h.getSetCookie() : [];
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

function decode(bytes: Buffer, contentType: string | null, fallback: string): string {
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1] ?? fallback;
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function formatHeaders(headers: Record<string, string>): string {
  return JSON.stringify(headers);
}
