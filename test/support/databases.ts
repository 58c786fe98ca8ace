/**
 * Real database servers for the SQL tests, started by the tests on a free loopback port in a
 * temporary data folder and stopped afterwards: PostgreSQL (Debian's `postgresql`: initdb and
 * postgres, found on PATH or under /usr/lib/postgresql/<version>/bin) and MariaDB (Debian's
 * `mariadb-server`: mariadb-install-db and mariadbd). Both refuse to run as root: as root the
 * server runs as the packages' `postgres` / `mysql` user. A missing server skips its tests with
 * a loud message, and fails them under CI=true (.ci/run installs both).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface DatabaseServer {
  /** PostgreSQL: the PEM certificate of its TLS (self-signed for 127.0.0.1), when openssl is there to make it. */
  readonly ca?: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Runs SQL as the admin user through the server's own client (for fixtures). */
  sql(script: string): void;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const full = join(dir, command);
    if (dir !== '' && existsSync(full)) return full;
  }
  return undefined;
}

/** PostgreSQL's binaries: PATH first, then Debian's versioned folder (newest). */
export function postgresBin(): string | undefined {
  const initdb = onPath('initdb');
  if (initdb !== undefined) {
    // A symbolic link (/usr/local/bin/initdb → /usr/lib/postgresql/15/bin/initdb): its real folder has psql too.
    const dir = dirname(realpathSync(initdb));
    if (existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'psql'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? undefined : join(root, versions[0]!, 'bin');
}

export function mariadbBin(): { server: string; install: string; client: string } | undefined {
  const server = onPath('mariadbd') ?? (existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : undefined);
  const install = onPath('mariadb-install-db');
  const client = onPath('mariadb');
  return server !== undefined && install !== undefined && client !== undefined ? { server, install, client } : undefined;
}

/** Skips (loudly) when a server is missing, fails under CI=true. */
export function requireServer(name: string, found: boolean): boolean {
  if (found) return true;
  const message = `${name} is not installed: its SQL tests are skipped (apt-get install -y ${name === 'PostgreSQL' ? 'postgresql' : 'mariadb-server'})`;
  if (process.env['CI'] === 'true') throw new Error(`${message} — CI must have it (.ci/run installs it)`);
  console.warn(`\n*** ${message} ***\n`);
  return false;
}

const isRoot = process.getuid?.() === 0;

function ownedBy(dir: string, user: string): void {
  if (!isRoot) return;
  const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
  chownSync(dir, uid, gid);
}

function asUser(user: string, command: string, args: readonly string[]): [string, string[]] {
  // setpriv execs the program itself (no intermediate process): killing the child stops the server.
  return isRoot ? ['setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', command, ...args]] : [command, [...args]];
}

async function waitFor(check: () => boolean, what: string, child: ChildProcess, log: () => string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  let last = '';
  while (Date.now() - start < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${log()}`);
    try {
      if (check()) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms (${last}):\n${log()}`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** A PostgreSQL server with password (scram) authentication for `user`/`password` on 127.0.0.1. */
export async function startPostgres(): Promise<DatabaseServer> {
  const bin = postgresBin()!;
  const dir = mkdtempSync(join(tmpdir(), 'pf-pg-'));
  chmodSync(dir, 0o755);
  ownedBy(dir, 'postgres');
  const data = join(dir, 'data');
  const password = `pg-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password);
  ownedBy(pwfile, 'postgres');
  const [cmd, args] = asUser('postgres', join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'kestra',
    `--pwfile=${pwfile}`,
    '-A',
    'scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  execFileSync(cmd, args, { stdio: 'pipe' });
  // TLS on the side (sslMode REQUIRE / VERIFY_FULL tests): a self-signed certificate for 127.0.0.1.
  let ca: string | undefined;
  const tls: string[] = [];
  if (onPath('openssl') !== undefined) {
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ].concat(['-keyout', key, '-out', cert]),
      { stdio: 'pipe' },
    );
    chmodSync(key, 0o600);
    ownedBy(key, 'postgres');
    ownedBy(cert, 'postgres');
    ca = readFileSync(cert, 'utf8');
    tls.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`);
  }
  const port = await freePort();
  let log = '';
  const [scmd, sargs] = asUser('postgres', join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-k',
    dir,
    '-c',
    'fsync=off',
    ...tls,
  ]);
  const child = spawn(scmd, sargs, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const psql = (script: string, database = 'postgres'): string =>
    execFileSync(
      join(bin, 'psql'),
      ['-h', '127.0.0.1', '-p', String(port), '-U', 'kestra', '-d', database, '-v', 'ON_ERROR_STOP=1', '-q', '-c', script],
      {
        env: { ...process.env, PGPASSWORD: password },
        stdio: 'pipe',
      },
    ).toString();
  await waitFor(
    () => (psql('SELECT 1'), true),
    'postgres',
    child,
    () => log,
  );
  psql('CREATE DATABASE kestra');
  return {
    ...(ca === undefined ? {} : { ca }),
    port,
    user: 'kestra',
    password,
    database: 'kestra',
    sql: (s) => void psql(s, 'kestra'),
    stop: stopper(child, dir),
  };
}

/** A MariaDB server with user `kestra`/password on 127.0.0.1 and a `kestra` database. */
export async function startMariadb(): Promise<DatabaseServer> {
  const bin = mariadbBin()!;
  const dir = mkdtempSync(join(tmpdir(), 'pf-maria-'));
  chmodSync(dir, 0o755);
  ownedBy(dir, 'mysql');
  const data = join(dir, 'data');
  const socket = join(dir, 'sock');
  const [icmd, iargs] = asUser('mysql', bin.install, [
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--no-defaults',
  ]);
  execFileSync(icmd, iargs, { stdio: 'pipe' });
  const port = await freePort();
  let log = '';
  const [scmd, sargs] = asUser('mysql', bin.server, [
    '--no-defaults',
    `--datadir=${data}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${join(dir, 'pid')}`,
    '--innodb-buffer-pool-size=16M',
    '--innodb-log-file-size=8M',
    '--skip-log-bin',
  ]);
  const child = spawn(scmd, sargs, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const client = (script: string, database?: string): string =>
    execFileSync(
      bin.client,
      ['--no-defaults', `--socket=${socket}`, '-u', 'root', ...(database === undefined ? [] : [database]), '-e', script],
      {
        stdio: 'pipe',
      },
    ).toString();
  await waitFor(
    () => (client('SELECT 1'), true),
    'mariadbd',
    child,
    () => log,
  );
  const password = `my-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  client(
    `CREATE DATABASE kestra; CREATE USER 'kestra'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT ALL ON *.* TO 'kestra'@'127.0.0.1'; FLUSH PRIVILEGES;`,
  );
  return { port, user: 'kestra', password, database: 'kestra', sql: (s) => void client(s, 'kestra'), stop: stopper(child, dir) };
}

/** The text of a `kestra:///…` file of a run whose storage folder is `storage` (tenant main). */
export function storedText(storage: string, uri: string): string {
  return readFileSync(join(storage, 'main', ...uri.slice('kestra:///'.length).split('/')), 'utf8');
}

/** A secret as `SECRET_<NAME>` carries it (base64). */
export const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** `text` trimmed, each line indented by `by` (YAML properties written under a task). */
export function indentLines(text: string, by: string): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `${by}${l}`)
    .join('\n');
}

/** A flow `flowId` with one task `t` of `type` (after `io.kestra.plugin.jdbc.`) and these property lines. */
export function sqlTaskFlow(flowId: string, type: string, props: string): string {
  return `id: ${flowId}
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.jdbc.${type}
${indentLines(props, '    ')}
`;
}

/** The outputs of task `taskId`, or an error carrying the run's log when it did not succeed. */
export function successOutputs(
  report: {
    taskRuns: readonly { taskId: string; state: string; outputs: Record<string, unknown> }[];
    logs: readonly { message: string }[];
  },
  taskId = 't',
): Record<string, unknown> {
  const t = report.taskRuns.find((r) => r.taskId === taskId);
  if (t === undefined) throw new Error(`no task run ${taskId}`);
  if (t.state !== 'SUCCESS') throw new Error(`task ${t.state}: ${report.logs.map((l) => l.message).join('\n')}`);
  return t.outputs;
}
