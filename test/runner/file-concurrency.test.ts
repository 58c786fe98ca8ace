/**
 * The flow concurrency limiters: the in-process one (the server's, a library's) and the file one
 * the CLI shares between processes (test/cli/concurrency.test.ts runs it across real processes).
 * Kestra's semantics are ExecutorService.checkConcurrencyLimit's (core/src/main/java/io/kestra/core/runners/ExecutorService.java):
 * a count of the running executions against `limit`, QUEUE waiting in order.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InProcessConcurrencyLimiter,
  type ConcurrencyGrant,
  type ConcurrencyLimiter,
  type ConcurrencyRequest,
} from '../../src/runner/concurrency.js';
import { FileConcurrencyLimiter } from '../../src/runner/file-concurrency.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pf-concurrency-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const request = (over: Partial<ConcurrencyRequest> = {}): ConcurrencyRequest => ({
  tenant: 'main',
  namespace: 'company.team',
  flowId: 'f',
  executionId: 'e',
  limit: 1,
  queue: true,
  ...over,
});

type Granted = Extract<ConcurrencyGrant, { granted: true }>;
function granted(g: ConcurrencyGrant): Granted {
  if (!g.granted) throw new Error(`refused: ${JSON.stringify(g)}`);
  return g;
}

/** A pid that no longer runs: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

const limiters: [string, () => ConcurrencyLimiter[]][] = [
  ['InProcessConcurrencyLimiter', () => [new InProcessConcurrencyLimiter()].flatMap((l) => [l, l, l])],
  // Three instances over one folder: as three processes would see it (same pid, so all alive).
  ['FileConcurrencyLimiter', () => [0, 1, 2].map(() => new FileConcurrencyLimiter(dir, { pollMs: 20 }))],
];

describe.each(limiters)('%s', (_name, make) => {
  test('refuses over the limit with the running count (CANCEL, FAIL)', async () => {
    const [a, b, c] = make();
    const first = granted(await a!.acquire(request({ limit: 2, queue: false })));
    const second = granted(await b!.acquire(request({ limit: 2, queue: false })));
    expect(await c!.acquire(request({ limit: 2, queue: false }))).toEqual({ granted: false, running: 2, aborted: false });
    await first.release();
    await first.release(); // idempotent
    const third = granted(await c!.acquire(request({ limit: 2, queue: false })));
    await Promise.all([second.release(), third.release()]);
  });

  test('QUEUE: waiters get the slot in arrival order, each after a release; onQueued says how many run', async () => {
    const [a, b, c] = make();
    const holder = granted(await a!.acquire(request()));
    const order: string[] = [];
    const queued: number[] = [];
    const waitFor = async (l: ConcurrencyLimiter, id: string): Promise<Granted> => {
      const g = granted(await l.acquire(request({ executionId: id, onQueued: (n) => queued.push(n) })));
      order.push(id);
      return g;
    };
    const second = waitFor(b!, 'second');
    // The second is in line before the third asks.
    while (queued.length < 1) await new Promise((r) => setTimeout(r, 5));
    const third = waitFor(c!, 'third');
    while (queued.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(queued).toEqual([1, 1]);
    expect(order).toEqual([]);
    await holder.release();
    const s = await second;
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(['second']);
    await s.release();
    await (await third).release();
    expect(order).toEqual(['second', 'third']);
  });

  test('a waiter whose signal aborts leaves the line; the next one is served', async () => {
    const [a, b, c] = make();
    const holder = granted(await a!.acquire(request()));
    const controller = new AbortController();
    let queued = 0;
    const aborted = b!.acquire(request({ signal: controller.signal, onQueued: () => queued++ }));
    while (queued < 1) await new Promise((r) => setTimeout(r, 5));
    const next = c!.acquire(request({ onQueued: () => queued++ }));
    while (queued < 2) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect(await aborted).toEqual({ granted: false, running: 1, aborted: true });
    await holder.release();
    await granted(await next).release();
  });

  test('force: a resumed execution takes a slot whatever the count', async () => {
    const [a, b, c] = make();
    const holder = granted(await a!.acquire(request({ queue: false })));
    const resumed = granted(await b!.acquire(request({ queue: false, force: true })));
    expect(await c!.acquire(request({ limit: 2, queue: false }))).toEqual({ granted: false, running: 2, aborted: false });
    await Promise.all([holder.release(), resumed.release()]);
  });

  test('many at once never exceed the limit', async () => {
    const ls = make();
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const g = granted(await ls[i % ls.length]!.acquire(request({ limit: 3, executionId: `e${i}` })));
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        await g.release();
      }),
    );
    // How many overlap depends on timing; never more than the limit.
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(3);
  });
});

describe('FileConcurrencyLimiter: files of gone processes', () => {
  const flowDir = (l: FileConcurrencyLimiter): string => l.flowDir(request());
  const owner = (over: Record<string, unknown>): string => JSON.stringify({ pid: process.pid, host: 'elsewhere', ...over });

  test('a lane held by a dead pid is taken over, without deleting anything newer', async () => {
    const l = new FileConcurrencyLimiter(dir, { pollMs: 20 });
    const d = flowDir(l);
    await l.acquire(request({ queue: false })).then((g) => granted(g).release());
    // A holder that died (SIGKILL) holding generation 1 of lane 0.
    writeFileSync(join(d, 'lane-0-1'), owner({ pid: deadPid(), host: hostname() }));
    const g = granted(await l.acquire(request({ queue: false })));
    expect(readdirSync(d).sort()).toEqual(['lane-0-2']);
    await g.release();
    expect(readdirSync(d).sort()).toEqual(['lane-0-2', 'lane-0-2.released']);
  });

  test('a claim never reuses the name of a released generation, even one whose lane file is gone', async () => {
    const l = new FileConcurrencyLimiter(dir, { pollMs: 20 });
    const d = flowDir(l);
    await l.acquire(request({ queue: false })).then((g) => granted(g).release());
    writeFileSync(join(d, 'lane-0-5.released'), '');
    const g = granted(await l.acquire(request({ queue: false })));
    expect(readdirSync(d).sort()).toEqual(['lane-0-6']);
    expect(await l.acquire(request({ queue: false }))).toEqual({ granted: false, running: 1, aborted: false });
    await g.release();
  });

  test('a reused pid (same pid, another start time) does not hold the lane', async () => {
    const l = new FileConcurrencyLimiter(dir, { pollMs: 20 });
    const d = flowDir(l);
    await l.acquire(request({ queue: false })).then((g) => granted(g).release());
    writeFileSync(join(d, 'lane-0-1'), owner({ host: hostname(), start: '1' }));
    if (process.platform === 'linux') granted(await l.acquire(request({ queue: false })));
  });

  test("another host's lease holds until it is older than leaseStaleMs", async () => {
    const l = new FileConcurrencyLimiter(dir, { pollMs: 20, leaseStaleMs: 300 });
    const d = flowDir(l);
    await l.acquire(request({ queue: false })).then((g) => granted(g).release());
    writeFileSync(join(d, 'lane-0-1'), owner({ pid: 1 }));
    expect(await l.acquire(request({ queue: false }))).toEqual({ granted: false, running: 1, aborted: false });
    // QUEUE waits for the lease to lapse.
    granted(await l.acquire(request()));
  });

  test("a dead waiter's ticket is removed and does not hold up the line", async () => {
    const l = new FileConcurrencyLimiter(dir, { pollMs: 20 });
    const d = flowDir(l);
    await l.acquire(request({ queue: false })).then((g) => granted(g).release());
    writeFileSync(join(d, `ticket-000000000000001-000000-${deadPid()}-abcd`), owner({ pid: deadPid(), host: hostname() }));
    const g = granted(await l.acquire(request()));
    expect(readdirSync(d).filter((n) => n.startsWith('ticket-'))).toEqual([]);
    await g.release();
  });
});
