/**
 * The server and workers as real child processes (from source through tsx, as the CLI tests do):
 * started in a temporary project folder, stopped by their own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const tsx = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
/** The CLI as installed: the bundle `npm run build` made (test/cli/bundle.test.ts runs it). */
export const BUILT_CLI = fileURLToPath(new URL('../../../bin/pebbleflow.js', import.meta.url));

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface SpawnOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Run the built CLI (bin/pebbleflow.js) rather than the source. */
  built?: boolean;
}

export function spawnCli(args: readonly string[], options: SpawnOptions): Child {
  const entry = options.built === true ? [BUILT_CLI] : ['--import', tsx, main];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '', TZ: 'UTC', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    process: child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits until `check` returns a value (polling), or fails with `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ServerChild extends Child {
  readonly url: string;
}

/** Starts `pebbleflow server` and resolves once it printed its first line. */
export async function startServer(args: readonly string[], options: SpawnOptions): Promise<ServerChild> {
  const child = spawnCli(['server', ...args], options);
  const line = await Promise.race([
    until('the server to listen', () => /^pebbleflow server listening on (http:\/\/\S+)\n/.exec(child.stdout())?.[1], 90_000),
    child.exited.then((code) => {
      throw new Error(`pebbleflow server exited (${code}) before listening:\n${child.stderr()}`);
    }),
  ]);
  return { ...child, url: line };
}

/** A temporary project folder with `flows/`, removed by `cleanup`. */
export function project(): { dir: string; flows: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pebbleflow-server-'));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  return { dir, flows, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
