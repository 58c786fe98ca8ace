import { execFile } from 'node:child_process';
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

/** The real CLI as a child process (from source through tsx, so no build is needed). */
export function cli(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', tsx, main, ...args],
      {
        cwd: options.cwd ?? root,
        // A clean environment: nothing of the developer's (colours, secrets) leaks in.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '', ...options.env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        if (code === -1) return reject(error ?? new Error('no exit code'));
        resolve({ code, stdout, stderr });
      },
    );
  });
}
