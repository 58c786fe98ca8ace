/**
 * Who may call the server. Kestra's basic auth (`server.basicAuth` in the config, the password a
 * secret reference) compared in constant time, with Kestra's open URLs (`/ping` and the webhook
 * endpoint, whose key is its own secret); and a same-origin rule for calls that change state, so
 * a page on another site cannot drive the server through a browser that can reach it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Paths that never need credentials (Kestra's `kestra.server.basic-auth.open-urls` defaults). */
export function isOpenPath(pathname: string): boolean {
  return pathname === '/ping' || /^\/api\/v1\/[^/]+\/executions\/webhook\//.test(pathname);
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export class AccessControl {
  /** SHA-256 of `user:password`: compared as digests, so neither length nor content leaks through timing. */
  private readonly expected: Buffer | undefined;

  constructor(credentials: BasicCredentials | undefined) {
    this.expected = credentials === undefined ? undefined : digest(`${credentials.username}:${credentials.password}`);
  }

  get enabled(): boolean {
    return this.expected !== undefined;
  }

  /** True when the request may go on: no credentials configured, an open path, or the right `Authorization`. */
  authenticate(req: IncomingMessage, pathname: string): boolean {
    if (this.expected === undefined || isOpenPath(pathname)) return true;
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    const given = match === null ? '' : Buffer.from(match[1]!, 'base64').toString('utf8');
    // Always compare, even without a header, so a missing header costs what a wrong one does.
    return timingSafeEqual(digest(given), this.expected) && match !== null;
  }

  /**
   * A state-changing call from a browser must come from the server's own origin. Calls without
   * `Origin` (curl, SDKs, other servers) are not browser cross-site requests and pass.
   */
  static sameOrigin(req: IncomingMessage, pathname: string): boolean {
    if (SAFE_METHODS.has((req.method ?? 'GET').toUpperCase()) || isOpenPath(pathname)) return true;
    if (req.headers['sec-fetch-site'] === 'cross-site') return false;
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (origin === 'null') return false;
    const host = req.headers.host;
    if (host === undefined) return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
}
