/**
 * One request and its reply, as route handlers see them: parameters, query, a body read with a
 * size limit (JSON, text, multipart form data through Node's own `FormData` parser), and replies
 * as plain values (`json(…)`, `empty(…)`) or streamed by the handler itself (server-sent events).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.js';
import { parseJsonKeepingOrder } from '../../engine/builtins/kestra/json.js';
import { stringifyKeepingOrder } from '../../engine/map-order.js';

/** Default body limit: flows and inputs are small; FILE inputs get their own limit. */
export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

export class ApiRequest {
  readonly raw: IncomingMessage;
  readonly method: string;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  private bodyPromise: Promise<Buffer> | undefined;

  constructor(raw: IncomingMessage, url: URL, params: Readonly<Record<string, string>>) {
    this.raw = raw;
    this.method = (raw.method ?? 'GET').toUpperCase();
    this.url = url;
    this.params = params;
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  param(name: string): string {
    const value = this.params[name];
    if (value === undefined) throw new TypeError(`Route has no parameter ${name}`);
    return value;
  }

  header(name: string): string | undefined {
    const value = this.raw.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** Every value of a repeated query parameter (`labels=a:1&labels=b:2`), comma lists split (`state=A,B`). */
  queryList(name: string, options: { splitCommas?: boolean } = {}): string[] {
    const values = this.query.getAll(name);
    return options.splitCommas === true ? values.flatMap((v) => v.split(',')).filter((v) => v !== '') : values;
  }

  queryBoolean(name: string, fallback: boolean): boolean {
    const value = this.query.get(name);
    if (value === null || value === '') return fallback;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new HttpError(400, `Bad Request: Failed to convert argument [${name}] for value [${value}]`);
  }

  queryInt(name: string, fallback: number, min = Number.MIN_SAFE_INTEGER): number {
    const value = this.query.get(name);
    if (value === null || value === '') return fallback;
    if (!/^-?\d+$/.test(value)) throw new HttpError(400, `Bad Request: Failed to convert argument [${name}] for value [${value}]`);
    const n = Number(value);
    if (n < min) throw new HttpError(400, `Bad Request: ${name}: must be greater than or equal to ${min}`);
    return n;
  }

  /** The whole body, refused with 413 past `limit` bytes. Read once. */
  body(limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
    this.bodyPromise ??= new Promise<Buffer>((resolve, reject) => {
      const declared = Number(this.raw.headers['content-length'] ?? '0');
      if (declared > limit) {
        reject(new HttpError(413, `Request Entity Too Large: the body is ${declared} bytes, the limit is ${limit}`));
        this.raw.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      this.raw.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          reject(new HttpError(413, `Request Entity Too Large: the body is over the limit of ${limit} bytes`));
          this.raw.destroy();
          return;
        }
        chunks.push(chunk);
      });
      this.raw.on('end', () => resolve(Buffer.concat(chunks)));
      this.raw.on('error', reject);
    });
    return this.bodyPromise;
  }

  async text(limit?: number): Promise<string> {
    return (await this.body(limit)).toString('utf8');
  }

  async json(limit?: number): Promise<unknown> {
    const text = await this.text(limit);
    try {
      return parseJsonKeepingOrder(text);
    } catch (e) {
      throw new HttpError(422, `Invalid json: ${(e as Error).message}`);
    }
  }

  /** Multipart or URL-encoded form data; an empty body is an empty form. */
  async form(limit?: number): Promise<FormData> {
    const body = await this.body(limit);
    const type = this.header('content-type') ?? '';
    if (body.length === 0) return new FormData();
    if (!/^multipart\/form-data|^application\/x-www-form-urlencoded/i.test(type))
      throw new HttpError(415, `Unsupported Media Type: expected multipart/form-data, got ${type === '' ? 'no content type' : type}`);
    try {
      return await new Response(body, { headers: { 'content-type': type } }).formData();
    } catch (e) {
      throw new HttpError(400, `Bad Request: unreadable form data (${(e as Error).message})`);
    }
  }
}

/** A reply the server writes: JSON (`body`), bytes or text (`raw`), or nothing. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly raw?: Buffer | string;
}

/** The handler wrote the response itself (a stream). */
export const STREAMED = Symbol('streamed');

export type RouteHandler = (req: ApiRequest, res: ServerResponse) => Promise<Reply | typeof STREAMED>;

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({ status, body, headers });
export const empty = (status = 204): Reply => ({ status });
export const text = (raw: string, status = 200, contentType = 'text/plain; charset=utf-8'): Reply => ({
  status,
  raw,
  headers: { 'content-type': contentType },
});

/** Writes a reply; JSON bodies are serialised here (`undefined` fields dropped, as Kestra's NON_NULL inclusion). */
export function writeReply(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...reply.headers };
  let payload: Buffer | undefined;
  if (reply.raw !== undefined) payload = typeof reply.raw === 'string' ? Buffer.from(reply.raw) : reply.raw;
  else if (reply.body !== undefined) {
    payload = Buffer.from(stringifyKeepingOrder(reply.body) ?? 'null');
    headers['content-type'] ??= 'application/json';
  }
  if (payload !== undefined) headers['content-length'] = String(payload.length);
  res.writeHead(reply.status, headers);
  if (req.method === 'HEAD' || payload === undefined) res.end();
  else res.end(payload);
}
