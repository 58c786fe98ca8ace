/**
 * A fetch-shaped client on `node:http`/`node:https` for large transfers. Node's built-in fetch
 * (undici) keeps tens of megabytes of body chunks alive during a long download and runs at a
 * fraction of the socket's speed; this client hands the response stream over as it arrives, so a
 * Download stays within a few megabytes whatever the file size. Redirects are followed as fetch does.
 *
 * It also carries what a fetch cannot take per request: an HTTP proxy (absolute-URI requests for
 * http, a CONNECT tunnel for https, Basic proxy credentials) and TLS without certificate checks
 * (Kestra's `ssl.insecureTrustAllCertificates`), both for this request only.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
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

/** How a request reaches its server (Request/Download `options.proxy` and `options.ssl`). */
export interface HttpTransport {
  /** An HTTP proxy: every request goes through it. */
  readonly proxy?: { readonly host: string; readonly port: number; readonly authorization?: string };
  /** TLS without certificate nor host name checks (Kestra's `insecureTrustAllCertificates`). */
  readonly insecure?: boolean;
}

/** Thrown when the proxy refuses a CONNECT tunnel. */
export class ProxyTunnelError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, statusMessage: string) {
    super(`the proxy answered ${statusCode}${statusMessage === '' ? '' : ` ${statusMessage}`} to CONNECT`);
    this.name = 'ProxyTunnelError';
    this.statusCode = statusCode;
  }
}

/** A CONNECT tunnel through the proxy to host:port, then TLS over it. */
function tunnel(url: URL, transport: HttpTransport, signal: AbortSignal): Promise<Socket> {
  const proxy = transport.proxy!;
  const target = `${url.hostname.replace(/^\[|\]$/g, '')}:${url.port === '' ? 443 : url.port}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: proxy.host,
      port: proxy.port,
      method: 'CONNECT',
      path: target,
      headers: { Host: target, ...(proxy.authorization === undefined ? {} : { 'Proxy-Authorization': proxy.authorization }) },
      signal,
      agent: false,
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ProxyTunnelError(res.statusCode ?? 0, res.statusMessage ?? ''));
        return;
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const tls = tlsConnect({
        socket,
        host,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(transport.insecure === true ? { rejectUnauthorized: false } : {}),
      });
      tls.once('secureConnect', () => resolve(tls));
      tls.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

async function once(url: URL, init: Parameters<DownloadFetch>[1], transport: HttpTransport): Promise<IncomingMessage> {
  const https = url.protocol === 'https:';
  if (!https && url.protocol !== 'http:') throw new Error(`Unsupported protocol '${url.protocol}' (http and https only)`);
  const proxy = transport.proxy;
  const options: RequestOptions & { rejectUnauthorized?: boolean } = { method: init.method, headers: init.headers, signal: init.signal };
  if (transport.insecure === true && https) {
    options.rejectUnauthorized = false;
    // Never a pooled socket: this request's TLS settings are its own.
    options.agent = false;
  }
  let send = (cb: (res: IncomingMessage) => void) => (https ? httpsRequest : httpRequest)(url, options, cb);
  if (proxy !== undefined && !https) {
    // Plain http through the proxy: the absolute URI as the request target.
    options.host = proxy.host;
    options.port = proxy.port;
    options.path = url.href;
    options.agent = false;
    options.headers = {
      Host: url.host,
      ...init.headers,
      ...(proxy.authorization === undefined ? {} : { 'Proxy-Authorization': proxy.authorization }),
    };
    send = (cb) => httpRequest(options, cb);
  } else if (proxy !== undefined) {
    const socket = await tunnel(url, transport, init.signal);
    // No agent: the request runs on the tunnel's socket (an agent would open its own).
    delete options.agent;
    options.createConnection = () => socket;
  }
  return new Promise((resolve, reject) => {
    const req = send(resolve);
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
export const nodeHttpFetch: DownloadFetch = (url, init) => nodeHttpFetchWith({})(url, init);

/** `nodeHttpFetch` through a proxy, or with TLS checks off, as `transport` says. */
export const nodeHttpFetchWith =
  (transport: HttpTransport): DownloadFetch =>
  async (url, init) => {
    let current = new URL(url);
    let method = init.method;
    let body = init.body;
    let headers = { ...init.headers };
    for (let hop = 0; ; hop++) {
      const res = await once(current, { ...init, method, headers, ...(body === undefined ? {} : { body }) }, transport);
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
