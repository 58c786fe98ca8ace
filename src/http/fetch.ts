/**
 * The one fetch type pebbleflow takes from embedders (Request tasks and token requests alike), and
 * the one way it reads an answer's body: chunk by chunk, under a cap, so a server cannot make the
 * process hold more than the cap in memory. A bottom layer: imports nothing.
 */

/** The part of a fetch `Response` pebbleflow uses: Node's built-in fetch and node-fetch both fit. */
export interface FetchResponseLike {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly headers: FetchHeadersLike;
  /** A web `ReadableStream` (Node's fetch) or a Node stream (node-fetch); read with `readBodyCapped`. */
  readonly body: unknown;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface FetchHeadersLike {
  forEach(callback: (value: string, key: string) => void): void;
  get(name: string): string | null;
}

export interface FetchInitLike {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  redirect?: 'follow' | 'manual';
  signal?: AbortSignal;
}

/** A WHATWG-style fetch: Node's global `fetch` (the default) or an injected one such as node-fetch. */
export type FetchLike = (url: string, init?: FetchInitLike) => Promise<FetchResponseLike>;

/** Thrown by `readBodyCapped` once the body passes the cap; the rest is not read. */
export class BodyTooLargeError extends Error {
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`the body is larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
    this.maxBytes = maxBytes;
  }
}

interface WebStreamLike {
  getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> };
}

/**
 * Reads a response body up to `maxBytes`. Past the cap it stops reading, cancels the stream (which
 * closes the connection) and throws `BodyTooLargeError`, so an endless or huge answer costs at most
 * the cap. `onChunk` runs after every chunk (an idle timer can re-arm there).
 */
export async function readBodyCapped(response: FetchResponseLike, maxBytes: number, onChunk?: () => void): Promise<Buffer> {
  const body = response.body as (Partial<WebStreamLike> & Partial<AsyncIterable<Uint8Array | string>>) | null | undefined;
  if (body === null || body === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  /** False once the cap is passed. */
  const add = (chunk: Uint8Array | string): boolean => {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += buffer.length;
    if (size > maxBytes) return false;
    chunks.push(buffer);
    onChunk?.();
    return true;
  };
  if (typeof body.getReader === 'function') {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value !== undefined && !add(value)) {
        await reader.cancel(new BodyTooLargeError(maxBytes)).catch(() => undefined);
        throw new BodyTooLargeError(maxBytes);
      }
    }
  } else if (typeof body[Symbol.asyncIterator] === 'function') {
    // Leaving the loop early calls the iterator's return(), which destroys a Node stream.
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) if (!add(chunk)) throw new BodyTooLargeError(maxBytes);
  } else {
    const whole = Buffer.from(await response.arrayBuffer());
    if (whole.length > maxBytes) throw new BodyTooLargeError(maxBytes);
    return whole;
  }
  return Buffer.concat(chunks);
}
