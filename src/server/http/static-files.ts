/**
 * Static files under a URL prefix (the web UI's assets): GET and HEAD only, paths confined to the
 * folder (no `..`, no symlink escape), content types by extension, ETag/If-None-Match, and an
 * optional single-page fallback to `index.html` for paths without a file extension.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticOptions {
  /** Serve `index.html` for extension-less paths that are not files (client-side routing). */
  readonly spaFallback?: boolean;
  /** Sent with every file (e.g. the web UI's Content-Security-Policy). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Returns a handler that answers a request for `prefix…` from `dir`, or false when it has no such file. */
export function staticFiles(
  dir: string,
  prefix: string,
  options: StaticOptions = {},
): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean> {
  const base = resolve(dir);
  let realBase: string | undefined;
  return async (req, res, pathname) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (!pathname.startsWith(prefix)) return false;
    realBase ??= await realpath(base).catch(() => base);
    let relative: string;
    try {
      relative = decodeURIComponent(pathname.slice(prefix.length));
    } catch {
      return false;
    }
    if (relative.includes('\0')) return false;
    const candidates = [relative === '' || relative.endsWith('/') ? `${relative}index.html` : relative];
    if (options.spaFallback === true && extname(relative) === '') candidates.push('index.html');
    for (const candidate of candidates) {
      const file = resolve(base, `.${sep}${candidate}`);
      if (file !== base && !file.startsWith(base + sep)) return false;
      let real: string;
      try {
        real = await realpath(file);
      } catch {
        continue;
      }
      if (!real.startsWith(realBase + sep)) return false;
      const info = await stat(real).catch(() => undefined);
      if (info === undefined || !info.isFile()) continue;
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ...options.headers, etag });
        res.end();
        return true;
      }
      res.writeHead(200, {
        ...options.headers,
        'content-type': TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(info.size),
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        etag,
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(real).pipe(res);
      return true;
    }
    return false;
  };
}
