/**
 * Git through Debian's `git` program (not a JavaScript implementation): it speaks every protocol
 * (smart and dumb HTTP, SSH, file://, submodules, shallow fetches) exactly as users' servers expect,
 * uses OpenSSH for keys, and adds no dependency to install. A session runs git commands with:
 * - credentials never on a command line nor in `.git/config`: HTTP username/password go through a
 *   credential helper that reads them from the child's environment; an SSH key is written to a
 *   private temporary folder (mode 0600) and passed with `GIT_SSH_COMMAND`, a passphrase through
 *   `SSH_ASKPASS`; the folder is removed when the session ends;
 * - no user or system configuration (HOME is the private folder, GIT_CONFIG_NOSYSTEM), no prompt;
 * - each command in its own process group, killed with everything it started on abort;
 * - every line git prints masked: the credentials, their encoded forms, and the user info of URLs
 *   (git's own messages quote the remote URL).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Masker, MASK } from '../../masking/masker.js';
import { TaskError } from '../types.js';

export interface GitCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly privateKey?: string;
  readonly passphrase?: string;
}

export interface GitResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A URL with its user info replaced (`https://******@host/…`), for logs and errors. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s'"]+@/gi, `$1${MASK}@`);
}

/** One stdout or stderr buffer is cut at this size: git's output for the commands used here is small. */
const MAX_OUTPUT = 4 * 1024 * 1024;

export class GitSession {
  readonly #dir: string;
  readonly #env: Record<string, string>;
  readonly #masker = new Masker();
  readonly #type: string;
  readonly #signal: AbortSignal;

  private constructor(dir: string, env: Record<string, string>, type: string, signal: AbortSignal, secrets: readonly string[]) {
    this.#dir = dir;
    this.#env = env;
    this.#type = type;
    this.#signal = signal;
    for (const secret of secrets) this.#masker.add(secret);
  }

  /** Prepares the private folder (helper, key, askpass) for these credentials. */
  static async open(
    type: string,
    credentials: GitCredentials,
    options: { readonly signal: AbortSignal; readonly env: Readonly<Record<string, string | undefined>> },
  ): Promise<GitSession> {
    const dir = await mkdtemp(join(tmpdir(), 'pebbleflow-git-'));
    await chmod(dir, 0o700);
    const env: Record<string, string> = {};
    // The caller's environment (proxies, PATH, locale) without git's own variables, which could redirect the repository.
    for (const [key, value] of Object.entries(options.env))
      if (value !== undefined && !key.startsWith('GIT_') && key !== 'SSH_ASKPASS') env[key] = value;
    Object.assign(env, {
      HOME: dir,
      XDG_CONFIG_HOME: dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '/bin/false',
      LC_ALL: 'C',
      LANG: 'C',
    });
    const config: [string, string][] = [
      ['protocol.file.allow', 'always'],
      ['init.defaultBranch', 'main'],
      ['advice.detachedHead', 'false'],
    ];
    const secrets: string[] = [];
    if (credentials.username !== undefined && credentials.password !== undefined) {
      const helper = join(dir, 'credential-helper');
      await writeFile(
        helper,
        '#!/bin/sh\ntest "$1" = get || exit 0\nprintf \'username=%s\\npassword=%s\\n\' "$PEBBLEFLOW_GIT_USERNAME" "$PEBBLEFLOW_GIT_PASSWORD"\n',
        { mode: 0o700 },
      );
      // An empty value first clears any helper from other configuration.
      config.push(['credential.helper', ''], ['credential.helper', helper]);
      env.PEBBLEFLOW_GIT_USERNAME = credentials.username;
      env.PEBBLEFLOW_GIT_PASSWORD = credentials.password;
      secrets.push(credentials.password);
      // Kestra marks the username secret too (it is often a token).
      if (credentials.username.length >= 8) secrets.push(credentials.username);
    }
    if (credentials.privateKey !== undefined && credentials.privateKey.trim() !== '') {
      const key = join(dir, 'id_key');
      await writeFile(key, credentials.privateKey.endsWith('\n') ? credentials.privateKey : `${credentials.privateKey}\n`, { mode: 0o600 });
      secrets.push(credentials.privateKey);
      const ssh = [
        'ssh',
        `-i '${key}'`,
        '-o IdentitiesOnly=yes',
        // As Kestra's JSch session: host keys are not checked.
        '-o StrictHostKeyChecking=no',
        '-o UserKnownHostsFile=/dev/null',
        '-o LogLevel=ERROR',
      ];
      if (credentials.passphrase !== undefined && credentials.passphrase !== '') {
        const askpass = join(dir, 'askpass');
        await writeFile(askpass, '#!/bin/sh\nprintf \'%s\\n\' "$PEBBLEFLOW_GIT_PASSPHRASE"\n', { mode: 0o700 });
        env.SSH_ASKPASS = askpass;
        env.SSH_ASKPASS_REQUIRE = 'force';
        env.DISPLAY = env.DISPLAY ?? ':0';
        env.PEBBLEFLOW_GIT_PASSPHRASE = credentials.passphrase;
        secrets.push(credentials.passphrase);
      } else ssh.push('-o BatchMode=yes');
      env.GIT_SSH_COMMAND = ssh.join(' ');
    }
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
    return new GitSession(dir, env, type, options.signal, secrets);
  }

  /** Masks credentials and URL user info. */
  mask(text: string): string {
    return this.#masker.mask(redactUrl(text));
  }

  /** Runs `git ARGS` in `cwd`; resolves with its output, or fails with GIT_FAILED carrying git's (masked) message. */
  async run(args: readonly string[], cwd: string): Promise<GitResult> {
    if (this.#signal.aborted) throw this.#signal.reason instanceof Error ? this.#signal.reason : new Error('aborted');
    return new Promise<GitResult>((resolve, reject) => {
      const child = spawn('git', [...args], { cwd, env: this.#env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outSize = 0;
      let errSize = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        if ((outSize += chunk.length) <= MAX_OUTPUT) out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if ((errSize += chunk.length) <= MAX_OUTPUT) err.push(chunk);
      });
      const kill = (): void => {
        if (child.pid !== undefined)
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
      };
      this.#signal.addEventListener('abort', kill, { once: true });
      child.on('error', (e: NodeJS.ErrnoException) => {
        this.#signal.removeEventListener('abort', kill);
        if (e.code === 'ENOENT')
          reject(
            new TaskError(
              'DEPENDENCY_MISSING',
              `${this.#type} needs the git program, which is not on the PATH: install it (Debian/Ubuntu: apt-get install git)`,
            ),
          );
        else reject(new TaskError('GIT_FAILED', `Cannot start git: ${e.message}`, { cause: e }));
      });
      child.on('close', (code, signal) => {
        this.#signal.removeEventListener('abort', kill);
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = this.mask(Buffer.concat(err).toString('utf8'));
        if (this.#signal.aborted) {
          reject(this.#signal.reason instanceof Error ? this.#signal.reason : new Error('aborted'));
          return;
        }
        if (code === 0) {
          resolve({ stdout, stderr });
          return;
        }
        const message = stderr
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && !/^(Cloning into|remote: (Enumerating|Counting|Compressing|Total))/.test(l))
          .join('; ');
        reject(
          new TaskError(
            'GIT_FAILED',
            `git ${args[0] ?? ''} failed (${signal === null ? `exit code ${code}` : signal}): ${message === '' ? 'no message' : message}`,
          ),
        );
      });
    });
  }

  async close(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }
}
