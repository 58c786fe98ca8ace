/**
 * `npm run bench -- server`: the server measured as users run it (the built CLI, real processes,
 * a real redis-server):
 *   - executions per second of a 3-task flow, embedded and with 2 workers on Redis;
 *   - API call → first task start, p50 and p99 (one execution at a time);
 *   - server start-up (process spawned → first line printed) against `node -e 0`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisAvailable, startRedis } from '../test/server/support/redis.js';

const bin = fileURLToPath(new URL('../bin/pebbleflow.js', import.meta.url));

interface Proc {
  readonly child: ChildProcess;
  readonly firstLine: Promise<string>;
  stop(): Promise<void>;
}

function start(args: readonly string[], cwd: string): Proc {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}): ${err}`)));
  });
  return {
    child,
    firstLine,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const FLOW = `id: three
namespace: bench
inputs:
  - id: n
    type: INT
    defaults: 0
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: "run {{ inputs.n }}"
  - id: second
    type: io.kestra.plugin.core.output.OutputValues
    values:
      doubled: "{{ inputs.n * 2 }}"
  - id: third
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.second.values.doubled }}"
`;

interface Execution {
  id: string;
  state: { current: string; startDate: string; endDate?: string };
  taskRunList: { attempts: { state: { histories: { state: string; date: string }[] } }[] }[];
}

async function create(base: string, n: number): Promise<string> {
  const form = new FormData();
  form.append('n', String(n));
  const res = await fetch(`${base}/api/v1/main/executions/bench/three`, { method: 'POST', body: form });
  if (res.status !== 200) throw new Error(`create: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as Execution).id;
}

async function search(base: string, query: string): Promise<{ results: Execution[]; total: number }> {
  const res = await fetch(`${base}/api/v1/main/executions/search?size=10000&${query}`);
  return (await res.json()) as { results: Execution[]; total: number };
}

/** Submits `count` executions (16 requests in flight) and waits until all are SUCCESS. */
async function throughput(base: string, count: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) await create(base, next++);
    }),
  );
  for (;;) {
    const done = await search(base, 'flowId=three&state=SUCCESS&size=1');
    if (done.total >= count) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return count / ((performance.now() - t0) / 1000);
}

/** Call → first task's attempt RUNNING, one execution at a time. */
async function latency(base: string, count: number): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = Date.now();
    const id = await create(base, i);
    for (;;) {
      const e = (await (await fetch(`${base}/api/v1/main/executions/${id}`)).json()) as Execution;
      const running = e.taskRunList[0]?.attempts[0]?.state.histories.find((h) => h.state === 'RUNNING');
      if (running !== undefined) {
        samples.push(Date.parse(running.date) - t0);
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  samples.sort((a, b) => a - b);
  const pct = (p: number): number => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
  return { p50: pct(50), p99: pct(99) };
}

async function startupMs(cwd: string, runs: number): Promise<{ server: number; node: number }> {
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const server: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const p = start(['server', 'flows', '--port', '0', '--data-dir', join(cwd, `startup-${i}`)], cwd);
    await p.firstLine;
    server.push(performance.now() - t0);
    await p.stop();
    const t1 = performance.now();
    await new Promise((r) => spawn(process.execPath, ['-e', '0']).once('exit', r));
    node.push(performance.now() - t1);
  }
  return { server: median(server), node: median(node) };
}

export interface ServerBench {
  readonly rows: [string, string][];
}

export async function benchServer(): Promise<ServerBench> {
  const dir = mkdtempSync(join(tmpdir(), 'pebbleflow-bench-'));
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows', 'three.yml'), FLOW);
  const rows: [string, string][] = [];
  const url = async (p: Proc): Promise<string> => (await p.firstLine).replace(/^.* /, '');
  try {
    const startup = await startupMs(dir, 5);
    rows.push(['server start-up (spawn → first line), median of 5', `${startup.server.toFixed(0)} ms`]);
    rows.push(['`node -e 0`, median of 5', `${startup.node.toFixed(0)} ms`]);

    const embedded = start(['server', 'flows', '--port', '0', '--data-dir', join(dir, 'embedded')], dir);
    const base = await url(embedded);
    await throughput(base, 50); // warm-up
    rows.push(['embedded: executions/s (1 000 × 3-task flow, concurrency 8)', (await throughput(base, 1000)).toFixed(0)]);
    const e = await latency(base, 200);
    rows.push(['embedded: API call → first task start, p50 / p99', `${e.p50} ms / ${e.p99} ms`]);
    await embedded.stop();

    if (redisAvailable()) {
      const redis = await startRedis();
      try {
        const server = start(['server', 'flows', '--port', '0', '--redis', redis.url, '--data-dir', join(dir, 'redis')], dir);
        const workers = [0, 1].map(() => start(['worker', '--redis', redis.url, '--concurrency', '8'], dir));
        const rbase = await url(server);
        await Promise.all(workers.map((w) => w.firstLine));
        await throughput(rbase, 50);
        rows.push(['Redis, 2 workers: executions/s (1 000 × 3-task flow, concurrency 8 each)', (await throughput(rbase, 1000)).toFixed(0)]);
        const r = await latency(rbase, 200);
        rows.push(['Redis, 2 workers: API call → first task start, p50 / p99', `${r.p50} ms / ${r.p99} ms`]);
        for (const p of [...workers, server]) await p.stop();
      } finally {
        await redis.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows };
}
