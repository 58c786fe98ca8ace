/**
 * A fetch-shaped client on `node:http`/`node:https` for large transfers. Node's built-in fetch
 * (undici) keeps tens of megabytes of body chunks alive during a long download and runs at a
 * fraction of the socket's speed; this client hands the response stream over as it arrives, so a
 * Download stays within a few megabytes whatever the file size. Redirects are followed as fetch does.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { DownloadFetch, DownloadResponse } from './transfer.js';

const MAX_REDIRECTS = 20;

function headersOf(res: IncomingMessage): DownloadResponse['headers'] {
  return {
    forEach(callback) {
      for (const [key, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        if (key === 'set-cookie') continue;
        callback(Array.isArray(value) ? value.join(', ') : value, key);
      }
    },
    get(name) {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    getSetCookie: () => {
      const v = res.headers['set-cookie'];
      return v === undefined ? [] : v;
    },
  } as DownloadResponse['headers'];
}

function once(url: URL, init: Parameters<DownloadFetch>[1]): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (send === undefined) {
      reject(new Error(`Unsupported protocol '${url.protocol}' (http and https only)`));
      return;
    }
    const req = send(url, { method: init.method, headers: init.headers, signal: init.signal }, resolve);
    req.once('error', reject);
    if (init.body !== undefined) req.end(init.body);
    else req.end();
  });
}

/** The body, decompressed when the server sent it gzip, deflate or br encoded (as fetch and Kestra's client do). */
function decoded(res: IncomingMessage): AsyncIterable<Uint8Array> {
  const encoding = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (decoder === undefined) return res;
  res.once('error', (e) => decoder.destroy(e));
  return res.pipe(decoder);
}

/** `fetch(url, init)` for downloads: the body is the Node response stream (async-iterable). */
export const nodeHttpFetch: DownloadFetch = async (url, init) => {
  let current = new URL(url);
  let method = init.method;
  let body = init.body;
  let headers = { ...init.headers };
  for (let hop = 0; ; hop++) {
    const res = await once(current, { ...init, method, headers, ...(body === undefined ? {} : { body }) });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (init.redirect === 'follow' && [301, 302, 303, 307, 308].includes(status) && location !== undefined) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new Error(`Too many redirects (more than ${MAX_REDIRECTS})`);
      const next = new URL(location, current);
      if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-(type|length)$/i.test(k)));
      }
      if (next.origin !== current.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^(authorization|cookie)$/i.test(k)));
      }
      current = next;
      continue;
    }
    return { status, headers: headersOf(res), body: decoded(res) };
  }
};
