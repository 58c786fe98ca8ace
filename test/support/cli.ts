/** The real CLI (and other TypeScript entry points such as the demo) as child processes. */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// tsx by absolute URL: `--import tsx` would be resolved from the child's working directory.
const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Default: the repository root. */
  readonly cwd?: string;
  /** Added to a clean environment (PATH and HOME only): nothing of the developer's (colours, secrets) leaks in. */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Runs node with `nodeArgs` in a clean environment; resolves with its exit code and output. */
function runNode(nodeArgs: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      nodeArgs,
      {
        cwd: options.cwd ?? root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '', ...options.env },
        timeout: options.timeoutMs ?? 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        if (code === -1) return reject(error ?? new Error('no exit code'));
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a TypeScript file from source through tsx (no build needed); resolves with its exit code and output. */
export function runTs(file: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runNode(['--import', tsx, file, ...args], options);
}

/** The installed `pebbleflow` command: bin/pebbleflow.js, which loads the bundle `npm run build` made. */
export function builtCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runNode([fileURLToPath(new URL('../../bin/pebbleflow.js', import.meta.url)), ...args], options);
}

/** Runs a JavaScript file (no tsx). */
export function runJs(file: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runNode([file, ...args], options);
}

/** The `pebbleflow` command. */
export function cli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runTs(main, args, options);
}

/** `npm run demo -- ARGS`. */
export function runDemo(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runTs(fileURLToPath(new URL('../../examples/demo/run-demo.ts', import.meta.url)), args, { timeoutMs: 90_000, ...options });
}

/** A `pebbleflow` child process still running, to watch its output and signal it mid-run. */
export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Resolves once stdout contains `text` (up to 30 s). */
  waitFor(text: string): Promise<void>;
  out(): { stdout: string; stderr: string };
}

/** Starts the real CLI in `cwd` with a clean environment and returns at once. */
export function startCli(args: readonly string[], cwd: string): RunningCli {
  const child = spawn(process.execPath, ['--import', tsx, main, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (text: string): Promise<void> => {
    for (let i = 0; i < 600 && !stdout.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
    if (!stdout.includes(text)) throw new Error(`never printed ${text}: ${stdout} ${stderr}`);
  };
  return { child, exited, waitFor, out: () => ({ stdout, stderr }) };
}
