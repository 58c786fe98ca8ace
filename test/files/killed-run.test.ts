/**
 * A `pebbleflow run` that is killed leaves no process of its scripts behind: not when SIGKILL ends
 * it (no handler runs), and not when Ctrl-C ends it while the script ignores SIGTERM. The script is
 * a real shell that starts a background process; both must be gone.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, type RunningCli } from '../support/cli.js';

let dir: string;
let running: RunningCli | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-killed-'));
});
afterEach(() => {
  // A failed test must not leave its own CLI behind.
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Alive and not a zombie (a zombie re-parented to a PID 1 that does not reap is already dead). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Starts a run whose script ignores SIGTERM and starts a background sleeper; resolves with the run and both pids. */
async function startStubbornScript(): Promise<{ run: RunningCli; pids: number[] }> {
  const pidFile = join(dir, 'pids');
  writeFileSync(
    join(dir, 'stubborn.yaml'),
    `id: stubborn
namespace: company.team
tasks:
  - id: script
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - trap '' TERM
      - sleep 300 > /dev/null 2>&1 &
      - echo "$$ $!" > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}
      - sleep 300
`,
  );
  const run = startCli(['run', 'stubborn.yaml'], dir);
  running = run;
  // The live output prints the commands too: the pid file (renamed into place) says the script runs.
  expect(await until(() => existsSync(pidFile), 60_000)).toBe(true);
  const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
  expect(pids).toHaveLength(2);
  for (const pid of pids) expect(alive(pid)).toBe(true);
  return { run, pids };
}

describe('a killed run leaves no orphan process', () => {
  test('SIGKILL of pebbleflow: the script and what it started are killed', async () => {
    const { run, pids } = await startStubbornScript();
    run.child.kill('SIGKILL');
    await run.exited;
    // TERM is ignored, so the group ends with the KILL after the grace period.
    expect(await until(() => pids.every((pid) => !alive(pid)), 20_000)).toBe(true);
  }, 90_000);

  test('SIGINT: the run ends KILLED at once and the script, which ignores SIGTERM, is killed after the grace period', async () => {
    const { run, pids } = await startStubbornScript();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.out().stdout).toMatch(/✘ KILLED +company\.team\.stubborn/);
    expect(await until(() => pids.every((pid) => !alive(pid)), 20_000)).toBe(true);
  }, 90_000);
});
