/**
 * `io.kestra.plugin.core.http.Download`'s transfer: the response body streams straight into the
 * internal storage (never whole in memory), with Kestra's checks — a failed status, a body shorter
 * or longer than its Content-Length, an empty body — plus a size limit, and the file named after
 * the response's Content-Disposition as Kestra names it.
 */
import { PebbleflowError } from '../../errors/pebbleflow-error.js';
import { StorageError } from '../../storage/errors.js';
import { randomId, type RunStorage } from '../../storage/run-storage.js';
import { responseHeaders } from './request-run.js';

/** The part of a fetch response used here (Node's fetch and node-fetch both fit). */
export interface DownloadResponse {
  readonly status: number;
  readonly headers: { forEach(callback: (value: string, key: string) => void): void; get(name: string): string | null };
  readonly body: unknown;
}

export type DownloadFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string | Buffer; redirect: 'follow' | 'manual'; signal: AbortSignal },
) => Promise<DownloadResponse>;

export interface DownloadSpec {
  /** Download's `saveAs`: the stored file's name (else the Content-Disposition name, else a random one). */
  readonly saveAs?: string;
  readonly uri: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  readonly followRedirects: boolean;
  /** Longest wait for the response, then between two chunks of the body. */
  readonly readIdleTimeoutMs: number;
  readonly failOnEmptyResponse: boolean;
  readonly allowFailed: boolean;
  /** Status codes accepted whatever their value (Kestra's `allowedResponseCodes`). */
  readonly allowedResponseCodes?: readonly number[];
  /** Largest body accepted, in bytes: a larger one fails the task and nothing is kept. */
  readonly maxBytes?: number;
  readonly signal: AbortSignal;
}

export interface DownloadResult {
  readonly uri: string;
  readonly code: number;
  readonly length: number;
  readonly headers: Record<string, string[]>;
}

export type DownloadErrorCode =
  /** A status the task does not allow (Kestra: over 400 without `allowFailed`). */
  | 'HTTP_STATUS'
  /** The server could not be reached, or the exchange broke. */
  | 'HTTP_ERROR'
  /** No answer within the timeout. */
  | 'HTTP_TIMEOUT'
  /** An empty body with `failOnEmptyResponse`. */
  | 'HTTP_EMPTY'
  /** Fewer or more bytes than `Content-Length` said. */
  | 'HTTP_SIZE_MISMATCH'
  /** The body is over `maxSize`. */
  | 'DOWNLOAD_TOO_LARGE';

export class DownloadError extends PebbleflowError<DownloadErrorCode> {
  constructor(code: DownloadErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Kestra's `filenameFromURI`: the extension of the URI's last path segment (`.csv`), if any. */
export function extensionFromUri(uri: string): string {
  let path: string;
  try {
    path = new URL(uri).pathname;
  } catch {
    return '';
  }
  const last = path.slice(path.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  return dot >= 0 ? last.slice(dot) : '';
}

/** Kestra's `filenameFromHeader`: `filename=` / `filename*=UTF-8''…`, quotes removed, any folder part dropped. */
export function filenameFromContentDisposition(header: string): string | undefined {
  let filename: string | undefined;
  for (const part of header.split(';')) {
    const stripped = part.trim();
    if (stripped.startsWith('filename')) filename = stripped.slice(stripped.lastIndexOf('=') + 1);
    if (stripped.startsWith('filename*')) {
      const quote = stripped.lastIndexOf("'");
      filename = stripped.slice(quote + 1);
      try {
        filename = decodeURIComponent(filename);
      } catch {
        // keep it as written
      }
    }
  }
  if (filename === undefined || filename === '') return undefined;
  if (filename.startsWith('"') && filename.endsWith('"') && filename.length >= 2) filename = filename.slice(1, -1);
  filename = filename.slice(filename.lastIndexOf('/') + 1);
  filename = filename.slice(filename.lastIndexOf('\\') + 1);
  if (filename === '' || filename === '.' || filename === '..') return undefined;
  return filename;
}

/** Java's `URLEncoder.encode(s, UTF_8)`, which Kestra applies to the Content-Disposition name. */
export function javaUrlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The body as chunks, whatever the fetch implementation gives (web stream, Node stream, nothing). */
async function* bodyChunks(body: unknown, onChunk: (size: number) => void): AsyncGenerator<Uint8Array> {
  if (body === null || body === undefined) return;
  const b = body as { getReader?: () => { read(): Promise<{ done: boolean; value?: Uint8Array }>; releaseLock(): void } };
  if (typeof b.getReader === 'function') {
    const reader = b.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value !== undefined) {
        onChunk(value.byteLength);
        yield value;
      }
    }
  }
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    onChunk(bytes.byteLength);
    yield bytes;
  }
}

/** Releases a response body that will not be read (so its connection is freed). */
function discard(body: unknown): void {
  const b = body as { cancel?: () => Promise<void>; destroy?: () => void } | null | undefined;
  try {
    if (typeof b?.cancel === 'function') void b.cancel().catch(() => undefined);
    else if (typeof b?.destroy === 'function') b.destroy();
  } catch {
    // already released
  }
}

async function readSmall(body: unknown, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of bodyChunks(body, () => undefined)) {
      chunks.push(Buffer.from(chunk));
      size += chunk.byteLength;
      if (size >= limit) break;
    }
  } catch {
    // the body is only shown in the error message
  }
  if (size >= limit) discard(body);
  const text = Buffer.concat(chunks).toString('utf8');
  return size >= limit ? `${text.slice(0, limit)}…` : text;
}

export async function downloadToStorage(
  storage: RunStorage,
  fetch: DownloadFetch,
  spec: DownloadSpec,
  log: (level: 'DEBUG' | 'INFO' | 'WARN', message: string) => void,
): Promise<DownloadResult> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(spec.signal.reason);
  if (spec.signal.aborted) controller.abort(spec.signal.reason);
  spec.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let timedOut: string | undefined;
  const arm = (what: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = what;
      controller.abort(
        new DownloadError('HTTP_TIMEOUT', `Failed http request to ${spec.uri}: ${what} within ${spec.readIdleTimeoutMs} ms`),
      );
    }, spec.readIdleTimeoutMs);
  };
  const fail = (e: unknown): Error => {
    if (e instanceof DownloadError || e instanceof StorageError) {
      if (e instanceof StorageError && e.code === 'STORAGE_TOO_LARGE') {
        return new DownloadError(
          'DOWNLOAD_TOO_LARGE',
          `The response of ${spec.uri} is larger than the limit of ${spec.maxBytes} bytes (maxSize); nothing was kept`,
          { cause: e },
        );
      }
      return e;
    }
    if (timedOut !== undefined)
      return new DownloadError('HTTP_TIMEOUT', `Failed http request to ${spec.uri}: ${timedOut} within ${spec.readIdleTimeoutMs} ms`);
    if (spec.signal.aborted) return spec.signal.reason instanceof Error ? spec.signal.reason : new Error(String(spec.signal.reason));
    const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
    const message = (e as { message?: unknown } | null)?.message;
    const reason =
      typeof cause?.code === 'string'
        ? cause.code
        : typeof cause?.message === 'string'
          ? cause.message
          : typeof message === 'string'
            ? message
            : String(e);
    return new DownloadError('HTTP_ERROR', `Failed http request to ${spec.uri}: ${reason}`, { cause: e });
  };
  try {
    arm('no response');
    let response: DownloadResponse;
    try {
      response = await fetch(spec.uri, {
        method: spec.method,
        headers: spec.headers,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        redirect: spec.followRedirects ? 'follow' : 'manual',
        signal: controller.signal,
      });
    } catch (e) {
      throw fail(e);
    }
    const code = response.status;
    const headers = responseHeaders(response);
    const accepted =
      spec.allowedResponseCodes !== undefined && spec.allowedResponseCodes.length > 0
        ? spec.allowedResponseCodes.includes(code)
        : spec.allowFailed || code < 400;
    if (!accepted) {
      const body = await readSmall(response.body, 10_000);
      throw new DownloadError('HTTP_STATUS', `Failed http request with response code '${code}' and body:\n${body}`);
    }
    const declared = response.headers.get('content-length');
    const expected = declared === null || declared.trim() === '' ? undefined : Number(declared);
    if (spec.maxBytes !== undefined && expected !== undefined && expected > spec.maxBytes) {
      discard(response.body);
      throw new DownloadError(
        'DOWNLOAD_TOO_LARGE',
        `The response of ${spec.uri} is ${expected} bytes (Content-Length), more than the limit of ${spec.maxBytes} bytes (maxSize); nothing was downloaded`,
      );
    }
    const disposition = response.headers.get('content-disposition');
    const fromHeader = disposition === null ? undefined : filenameFromContentDisposition(disposition);
    const name =
      spec.saveAs !== undefined
        ? javaUrlEncode(spec.saveAs)
        : fromHeader !== undefined
          ? javaUrlEncode(fromHeader)
          : `${randomId()}${extensionFromUri(spec.uri)}`;
    let length = 0;
    arm('the response body stalled');
    let uri: string;
    try {
      uri = await storage.putData(
        bodyChunks(response.body, (n) => {
          length += n;
          arm('the response body stalled');
        }),
        name,
        { ...(spec.maxBytes === undefined ? {} : { maxBytes: spec.maxBytes }), signal: controller.signal },
      );
    } catch (e) {
      discard(response.body);
      throw fail(e);
    }
    clearTimeout(timer);
    if (expected !== undefined && Number.isFinite(expected) && expected !== length && response.headers.get('content-encoding') === null) {
      await storage.deleteFile(uri).catch(() => undefined);
      throw new DownloadError('HTTP_SIZE_MISMATCH', `Invalid size, got ${length}, expected ${expected}`);
    }
    if (length === 0) {
      if (spec.failOnEmptyResponse && !spec.allowFailed) {
        await storage.deleteFile(uri).catch(() => undefined);
        throw new DownloadError(
          'HTTP_EMPTY',
          `No response from server: ${spec.uri} answered ${code} with an empty body (set failOnEmptyResponse: false to accept it)`,
        );
      }
      log('WARN', `File '${spec.uri}' is empty`);
    }
    log('DEBUG', `File '${spec.uri}' downloaded with size '${length}'`);
    return { uri, code, length, headers };
  } finally {
    clearTimeout(timer);
    spec.signal.removeEventListener('abort', onAbort);
  }
}
