/**
 * Git repositories for tests, made with the real git program, and served over HTTP by git's own
 * smart-HTTP CGI (`git http-backend`) behind a node http server on 127.0.0.1 that asks for Basic
 * authentication — the set-up of a self-hosted git server, on loopback.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listen, closeServer } from './http.js';

/** Where Debian puts git's helper programs. */
const HTTP_BACKEND = ['/usr/lib/git-core/git-http-backend', '/usr/libexec/git-core/git-http-backend'].find((p) => existsSync(p));

export function gitAvailable(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return HTTP_BACKEND !== undefined;
  } catch {
    return false;
  }
}

const ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'protocol.file.allow=always', ...args], {
    cwd,
    env: ENV,
    encoding: 'utf8',
  });
}

/** A bare repository `<root>/<name>.git` with the given commits (each a map of path → content); returns the commit ids. */
export function bareRepository(root: string, name: string, commits: readonly Readonly<Record<string, string>>[]): string[] {
  const work = mkdtempSync(join(tmpdir(), 'pf-git-work-'));
  git(work, 'init', '--quiet');
  const ids: string[] = [];
  commits.forEach((files, i) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    git(work, 'add', '-A');
    git(work, 'commit', '--quiet', '-m', `commit ${i + 1}`);
    ids.push(git(work, 'rev-parse', 'HEAD').trim());
  });
  const bare = join(root, `${name}.git`);
  git(root, 'clone', '--quiet', '--bare', work, bare);
  // Dumb HTTP clients need the info/refs file; smart HTTP does not, but it does no harm.
  git(bare, 'update-server-info');
  return ids;
}

export interface GitHttpServer {
  readonly origin: string;
  /** Authorization headers seen, in order (to check what a client sent). */
  readonly authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** Serves `root` (bare repositories) over smart HTTP, Basic auth `username`/`password` required. */
export async function startGitHttpServer(root: string, username: string, password: string): Promise<GitHttpServer> {
  if (HTTP_BACKEND === undefined) throw new Error('git http-backend not found');
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const authorizations: (string | undefined)[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn(HTTP_BACKEND, [], {
      env: {
        PATH: ENV.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] === undefined ? {} : { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }),
        ...(req.headers['git-protocol'] === undefined ? {} : { GIT_PROTOCOL: String(req.headers['git-protocol']) }),
        REMOTE_USER: username,
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[key] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => {
      if (!headersDone) res.writeHead(500);
      res.end();
    });
  };
  const { server, origin } = await listen(handler);
  return { origin, authorizations, close: () => closeServer(server) };
}
