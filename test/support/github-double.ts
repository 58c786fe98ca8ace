/**
 * A GitHub API test double for `POST /app/installations/{id}/access_tokens`: it verifies the app
 * JWT as GitHub does (RS256 only, iss = app id or client id, iat not in the future, exp in the
 * future and at most 10 minutes ahead, all against its own skewable clock) and answers GitHub's
 * status codes and messages (oauth-peers.md §4). The order of checks when several claims are
 * wrong at once is a guess: iat, then exp in the past, then exp too far.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import { closeServer, listen, readBody } from './http.js';

export interface GitHubApp {
  readonly appId: number;
  readonly clientId: string;
  readonly publicKey: KeyObject;
  /** installation id → granted permissions and repositories. */
  readonly installations: Readonly<Record<string, { permissions: Record<string, 'read' | 'write' | 'admin'>; repositories: string[] }>>;
}

export interface GitHubFault {
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface MintRecord {
  readonly at: number;
  readonly header: Record<string, unknown> | null;
  readonly claims: Record<string, unknown> | null;
  /** The app JWT as received (for leak checks). */
  readonly jwt?: string;
  readonly userAgent: string | undefined;
  readonly accept: string | undefined;
  readonly apiVersion: string | undefined;
  readonly body: unknown;
  readonly status: number;
  readonly message?: string;
  readonly token?: string;
}

export interface GitHubDoubleState {
  /** Seconds added to the real clock to get the double's "GitHub now". */
  clockOffsetSec: number;
  /** Whether responses carry a Date header. */
  sendDate: boolean;
  /** Token lifetime, seconds. */
  tokenLifetimeSec: number;
  readonly faults: GitHubFault[];
  readonly requests: MintRecord[];
}

export interface GitHubDouble {
  /** The API base URL, e.g. `http://127.0.0.1:1234/api/v3` for the GHES layout. */
  readonly apiUrl: string;
  readonly state: GitHubDoubleState;
  /** Successful mints. */
  minted(): MintRecord[];
  reset(): void;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
const MSG_DECODE = 'A JSON web token could not be decoded';
const MSG_IAT = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
const MSG_EXP_PAST = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const MSG_EXP_FAR = "'Expiration time' claim ('exp') is too far in the future";

export async function startGitHubDouble(apps: readonly GitHubApp[], options: { pathPrefix?: string } = {}): Promise<GitHubDouble> {
  const prefix = options.pathPrefix ?? '';
  const state: GitHubDoubleState = { clockOffsetSec: 0, sendDate: true, tokenLifetimeSec: 3600, faults: [], requests: [] };
  const serverNow = (): number => Date.now() + state.clockOffsetSec * 1000;

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.sendDate = false;
    const raw = await readBody(req);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (state.sendDate) res.setHeader('date', new Date(serverNow()).toUTCString());
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('x-github-request-id', randomUUID());
      res.setHeader('x-ratelimit-limit', '5000');
      res.setHeader('x-ratelimit-remaining', '4999');
      res.setHeader('x-ratelimit-used', '1');
      res.setHeader('x-ratelimit-reset', String(Math.floor(serverNow() / 1000) + 3600));
      res.setHeader('x-ratelimit-resource', 'core');
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.writeHead(status);
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, message: string, headers: Record<string, string> = {}): void =>
      send(status, { message, documentation_url: DOCS, status: String(status) }, headers);

    const record: { -readonly [K in keyof MintRecord]: MintRecord[K] } = {
      at: Date.now(),
      header: null,
      claims: null,
      userAgent: req.headers['user-agent'],
      accept: req.headers.accept,
      apiVersion: header(req, 'x-github-api-version'),
      body: raw ? safeJson(raw) : undefined,
      status: 0,
    };
    const finish = (status: number, message?: string, token?: string): void => {
      record.status = status;
      if (message !== undefined) record.message = message;
      if (token !== undefined) record.token = token;
      state.requests.push(record);
    };

    const match = new RegExp(`^${prefix}/app/installations/([^/]+)/access_tokens$`).exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      finish(404, 'Not Found');
      fail(404, 'Not Found');
      return;
    }
    if (!record.userAgent) {
      finish(403, 'no user agent');
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).',
      );
      return;
    }
    if (record.apiVersion !== undefined && record.apiVersion !== '2022-11-28') {
      finish(400, 'api version');
      fail(400, `API version ${record.apiVersion} is not supported.`);
      return;
    }
    const fault = state.faults.shift();
    if (fault) {
      finish(fault.status, fault.message);
      fail(fault.status, fault.message, { ...fault.headers });
      return;
    }
    const auth = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!auth?.[1]) {
      finish(401, 'Requires authentication');
      fail(401, 'Requires authentication');
      return;
    }
    const jwt = auth[1];
    record.jwt = jwt;
    let claims: Record<string, unknown>;
    try {
      record.header = decodeProtectedHeader(jwt);
      claims = decodeJwt(jwt);
      record.claims = claims;
    } catch {
      finish(401, MSG_DECODE);
      fail(401, MSG_DECODE);
      return;
    }
    const app = apps.find((a) => claims.iss === a.appId || claims.iss === a.clientId || claims.iss === String(a.appId));
    let verified = false;
    if (app && record.header?.alg === 'RS256') {
      try {
        await compactVerify(jwt, app.publicKey, { algorithms: ['RS256'] });
        verified = true;
      } catch {
        verified = false;
      }
    }
    if (!app || !verified) {
      finish(401, MSG_DECODE);
      fail(401, MSG_DECODE);
      return;
    }
    const now = Math.floor(serverNow() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now) {
      finish(401, MSG_IAT);
      fail(401, MSG_IAT);
      return;
    }
    if (typeof exp !== 'number' || exp <= now) {
      finish(401, MSG_EXP_PAST);
      fail(401, MSG_EXP_PAST);
      return;
    }
    if (exp > now + 600) {
      finish(401, MSG_EXP_FAR);
      fail(401, MSG_EXP_FAR);
      return;
    }
    const installation = app.installations[match[1] ?? ''];
    if (!installation) {
      finish(404, 'Not Found');
      fail(404, 'Not Found');
      return;
    }
    const wanted = (record.body ?? {}) as { permissions?: Record<string, string>; repositories?: string[] };
    const rank = { read: 1, write: 2, admin: 3 } as Record<string, number>;
    for (const [name, level] of Object.entries(wanted.permissions ?? {})) {
      const granted = installation.permissions[name];
      if (!granted || (rank[level] ?? 99) > (rank[granted] ?? 0)) {
        finish(422, 'permissions');
        fail(422, 'The permissions requested are not granted to this installation.');
        return;
      }
    }
    if ((wanted.repositories ?? []).some((r) => !installation.repositories.includes(r))) {
      finish(422, 'repositories');
      fail(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
      return;
    }
    // The newer stateless format is long; never assume 40 characters.
    const token = `ghs_${app.appId}_${randomBytes(48).toString('base64url')}`;
    const expiresAt = new Date((now + state.tokenLifetimeSec) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    finish(201, undefined, token);
    send(201, {
      token,
      expires_at: expiresAt,
      permissions: wanted.permissions ?? installation.permissions,
      repository_selection: wanted.repositories ? 'selected' : 'all',
    });
  };

  const { server, origin } = await listen((req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return {
    apiUrl: `${origin}${prefix}`,
    state,
    minted: () => state.requests.filter((r) => r.status === 201),
    reset: () => {
      state.clockOffsetSec = 0;
      state.sendDate = true;
      state.tokenLifetimeSec = 3600;
      state.faults.length = 0;
      state.requests.length = 0;
    },
    close: () => closeServer(server),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
