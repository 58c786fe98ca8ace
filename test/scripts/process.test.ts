import { readdirSync, readFileSync } from 'node:fs';
import { runProcess, groupAlive } from '../../src/scripts/process.js';
import { parseProtocolLine } from '../../src/scripts/protocol.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('runProcess', () => {
  test('stdout and stderr lines arrive separately, CR, LF and CRLF end lines, exit code is kept', async () => {
    const lines: [string, boolean][] = [];
    const result = await runProcess({
      argv: ['/bin/sh', '-c', "printf 'a\\r\\nb\\rc\\n'; echo err >&2; printf 'no newline'; exit 3"],
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'] ?? '' },
      onLine: (line, isStdErr) => lines.push([line, isStdErr]),
    });
    expect(result.exitCode).toBe(3);
    expect(lines.filter(([, e]) => !e).map(([l]) => l)).toEqual(['a', 'b', 'c', 'no newline']);
    expect(lines.filter(([, e]) => e).map(([l]) => l)).toEqual(['err']);
  });

  test('an abort kills the whole process group: no orphan is left behind', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const running = runProcess({
      argv: ['/bin/sh', '-c', 'sleep 300 & echo "pid $!"; (sleep 300 & echo "pid $!"; wait) & echo started; wait'],
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'] ?? '' },
      signal: controller.signal,
      killGraceMs: 500,
      onLine: (line) => {
        const m = /^pid (\d+)$/.exec(line);
        if (m) pids.push(Number(m[1]));
        if (line === 'started') setTimeout(() => controller.abort(new Error('Timeout after PT1S')), 100);
      },
    });
    await expect(running).rejects.toThrow('Timeout after PT1S');
    expect(pids.length).toBe(2);
    expect(await waitFor(() => pids.every((p) => !alive(p)))).toBe(true);
  });

  test('a command that leaves a background process holding stdout does not hang the task', async () => {
    let pid = -1;
    const result = await runProcess({
      argv: ['/bin/sh', '-c', 'sleep 300 & echo "pid $!"; exit 0'],
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'] ?? '' },
      killGraceMs: 500,
      onLine: (line) => {
        const m = /^pid (\d+)$/.exec(line);
        if (m) pid = Number(m[1]);
      },
    });
    expect(result.exitCode).toBe(0);
    expect(await waitFor(() => !alive(pid))).toBe(true);
    expect(groupAlive(result.pid)).toBe(false);
  }, 20_000);

  test('the guard that would kill the group if pebbleflow died is gone once the command ends, or is aborted', async () => {
    // The guard is `/bin/sh -c … pebbleflow-guard <pgid> <grace>`; one left behind would kill a reused group id later.
    const guardOf = (pgid: number): boolean =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .some((d) => {
          try {
            return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`\0pebbleflow-guard\0${pgid}\0`);
          } catch {
            return false;
          }
        });
    let seen = false;
    const ok = await runProcess({
      argv: ['/bin/sh', '-c', 'echo "pid $$"; sleep 1'],
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'] ?? '' },
      onLine: (line) => {
        const m = /^pid (\d+)$/.exec(line);
        if (m) setTimeout(() => (seen = guardOf(Number(m[1]))), 200);
      },
    });
    expect(seen).toBe(true);
    expect(await waitFor(() => !guardOf(ok.pid))).toBe(true);

    const controller = new AbortController();
    let pgid = -1;
    const aborted = runProcess({
      argv: ['/bin/sh', '-c', 'echo "pid $$"; sleep 300'],
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'] ?? '' },
      signal: controller.signal,
      killGraceMs: 500,
      onLine: (line) => {
        const m = /^pid (\d+)$/.exec(line);
        if (m) {
          pgid = Number(m[1]);
          controller.abort(new Error('stop'));
        }
      },
    });
    await expect(aborted).rejects.toThrow('stop');
    expect(await waitFor(() => !groupAlive(pgid) && !guardOf(pgid))).toBe(true);
  }, 30_000);
});

describe('output protocol', () => {
  test('outputs keep their JSON types; metrics and logs are read', () => {
    // plugin-scripts shell.Commands example "Create output variables from a standard output."
    const line = parseProtocolLine('::{"outputs":{"test":"value","int":2,"bool":true,"float":3.65}}::');
    expect(line).toEqual({ kind: 'data', outputs: { test: 'value', int: 2, bool: true, float: 3.65 }, metrics: [], logs: [] });
    const metric = parseProtocolLine('::{"metrics":[{"name":"count","type":"counter","value":1,"tags":{"tag1":"i","tag2":"win"}}]}::');
    expect(metric).toMatchObject({
      kind: 'data',
      metrics: [{ name: 'count', type: 'counter', value: 1, tags: { tag1: 'i', tag2: 'win' } }],
    });
    expect(parseProtocolLine('::{"logs":[{"level":"WARN","message":"careful"}]}::')).toMatchObject({
      logs: [{ level: 'WARN', message: 'careful' }],
    });
  });

  test('lines that are not exactly ::{…}:: are text; bad JSON or entries are reported', () => {
    expect(parseProtocolLine(' ::{"outputs":{}}::')).toEqual({ kind: 'text' });
    expect(parseProtocolLine('::{"outputs":{}}:: ')).toEqual({ kind: 'text' });
    expect(parseProtocolLine('::{"outputs":')).toEqual({ kind: 'text' });
    expect(parseProtocolLine('::{"outputs":oops}::')).toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/^Invalid outputs/),
    });
    expect(parseProtocolLine('::{"logs":[{"level":"WARNING","message":"x"}]}::')).toMatchObject({ kind: 'invalid' });
  });
});
