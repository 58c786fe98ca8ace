/**
 * The Redis flow concurrency limiter, against a real `redis-server`: several limiter instances on
 * their own connections stand for several workers. Kestra counts a flow's running executions
 * across its whole cluster (ExecutorService.checkConcurrencyLimit over the executions' state);
 * redis-concurrency-workers.test.ts runs it with real `pebbleflow worker` processes.
 */
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import type { ConcurrencyGrant, ConcurrencyRequest } from '../../src/runner/concurrency.js';
import { ConcurrencyError } from '../../src/runner/concurrency.js';
import { keys } from '../../src/server/redis/keys.js';
import { RedisConcurrencyLimiter, type RedisConcurrencyOptions } from '../../src/server/redis/redis-concurrency.js';
import { redisAvailable, startRedis, type RedisServer } from './support/redis.js';

jest.setTimeout(60_000);

const available = redisAvailable();
const describeRedis = available ? describe : describe.skip;

let redis: RedisServer;
const clients: Redis[] = [];
const limiters: RedisConcurrencyLimiter[] = [];
let flowSeq = 0;
let flowId: string;

beforeAll(async () => {
  if (available) redis = await startRedis();
});
afterAll(async () => {
  if (!available) return;
  await redis.stop();
});
beforeEach(() => (flowId = `f${flowSeq++}`));
afterEach(async () => {
  for (const l of limiters.splice(0)) await l.close();
  for (const c of clients.splice(0)) c.disconnect();
});

function client(): Redis {
  const c = new Redis(redis.url, { maxRetriesPerRequest: null });
  clients.push(c);
  return c;
}

/** A limiter on its own connection: one worker. */
function limiter(options: RedisConcurrencyOptions = { pollMs: 20 }): RedisConcurrencyLimiter {
  const l = new RedisConcurrencyLimiter(client(), options);
  limiters.push(l);
  return l;
}

const request = (over: Partial<ConcurrencyRequest> = {}): ConcurrencyRequest => ({
  tenant: 'main',
  namespace: 'company.team',
  flowId,
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

const base = (): string => keys.concurrency('main', 'company.team', flowId);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Resolves with the running count once the request is QUEUED. */
function queued(): { onQueued: (n: number) => void; seen: Promise<number> } {
  let resolve!: (n: number) => void;
  const seen = new Promise<number>((r) => (resolve = r));
  return { onQueued: resolve, seen };
}

describeRedis('RedisConcurrencyLimiter', () => {
  test('CANCEL, FAIL: refused over the limit with the running count, across workers; release is idempotent', async () => {
    const [a, b, c] = [limiter(), limiter(), limiter()];
    const first = granted(await a.acquire(request({ limit: 2, queue: false, executionId: 'e1' })));
    const second = granted(await b.acquire(request({ limit: 2, queue: false, executionId: 'e2' })));
    expect(await c.acquire(request({ limit: 2, queue: false, executionId: 'e3' }))).toEqual({ granted: false, running: 2, aborted: false });
    await first.release();
    await first.release();
    const third = granted(await c.acquire(request({ limit: 2, queue: false, executionId: 'e3' })));
    expect(await a.acquire(request({ limit: 2, queue: false, executionId: 'e4' }))).toEqual({ granted: false, running: 2, aborted: false });
    await Promise.all([second.release(), third.release()]);
    expect(await client().zcard(`${base()}:holders`)).toBe(0);
  });

  test('many claimers on many workers at once never exceed the limit, and every QUEUE request is served', async () => {
    const workers = [limiter(), limiter(), limiter(), limiter()];
    const watcher = client();
    let running = 0;
    let most = 0;
    let mostInRedis = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        mostInRedis = Math.max(mostInRedis, await watcher.zcard(`${base()}:holders`));
        await sleep(2);
      }
    })();
    const runs = Array.from({ length: 40 }, async (_, i) => {
      const g = granted(await workers[i % workers.length]!.acquire(request({ limit: 3, executionId: `e${i}` })));
      running++;
      most = Math.max(most, running);
      await sleep(5 + (i % 4) * 5);
      running--;
      await g.release();
    });
    await Promise.all(runs);
    // Tries racing with the line: the count holds too.
    const tries = await Promise.all(
      Array.from({ length: 20 }, (_, i) => workers[i % workers.length]!.acquire(request({ limit: 3, queue: false, executionId: `t${i}` }))),
    );
    watching = false;
    await watch;
    expect(most).toBe(3);
    expect(mostInRedis).toBeLessThanOrEqual(3);
    expect(tries.filter((t) => t.granted)).toHaveLength(3);
    for (const t of tries) if (t.granted) await t.release();
    expect(await watcher.zcard(`${base()}:line`)).toBe(0);
    expect(await watcher.zcard(`${base()}:tickets`)).toBe(0);
  });

  test('QUEUE: first come, first served across workers; onQueued says how many run; a release wakes the next at once', async () => {
    // Waiters poll only every 10 s: being served quickly means the release message woke them.
    const slow = { pollMs: 10_000 };
    const holder = granted(await limiter(slow).acquire(request({ executionId: 'h' })));
    const order: string[] = [];
    const waits: Promise<Granted>[] = [];
    for (const id of ['w1', 'w2', 'w3']) {
      const q = queued();
      waits.push(
        limiter(slow)
          .acquire(request({ executionId: id, onQueued: q.onQueued }))
          .then((g) => {
            order.push(id);
            return granted(g);
          }),
      );
      expect(await q.seen).toBe(1);
    }
    const started = Date.now();
    await holder.release();
    const w1 = await waits[0]!;
    expect(order).toEqual(['w1']);
    await w1.release();
    const w2 = await waits[1]!;
    await w2.release();
    await (await waits[2]!).release();
    expect(order).toEqual(['w1', 'w2', 'w3']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('an aborted waiter leaves no ticket, and the next one in line is served', async () => {
    const holder = granted(await limiter().acquire(request({ executionId: 'h' })));
    const controller = new AbortController();
    const q1 = queued();
    const aborted = limiter().acquire(request({ executionId: 'w1', signal: controller.signal, onQueued: q1.onQueued }));
    await q1.seen;
    const q2 = queued();
    const next = limiter().acquire(request({ executionId: 'w2', onQueued: q2.onQueued }));
    await q2.seen;
    controller.abort();
    expect(await aborted).toEqual({ granted: false, running: 1, aborted: true });
    const redisClient = client();
    expect(await redisClient.zrange(`${base()}:line`, '0', '-1')).toEqual([expect.stringMatching(/^w2\|/)]);
    await holder.release();
    await granted(await next).release();
    expect(await redisClient.zcard(`${base()}:line`)).toBe(0);
    expect(await redisClient.zcard(`${base()}:tickets`)).toBe(0);
    // Aborted before asking: nothing written.
    const done = new AbortController();
    done.abort();
    const blocker = granted(await limiter().acquire(request({ executionId: 'b' })));
    expect(await limiter().acquire(request({ executionId: 'x', signal: done.signal }))).toEqual({
      granted: false,
      running: 1,
      aborted: true,
    });
    expect(await redisClient.zcard(`${base()}:line`)).toBe(0);
    await blocker.release();
  });

  test("a dead holder's lease ends and its slot goes to the next in line; a renewed one does not", async () => {
    const dying = limiter({ leaseMs: 600, pollMs: 20 });
    const living = limiter({ leaseMs: 600, pollMs: 20 });
    granted(await dying.acquire(request({ executionId: 'dead', limit: 2 })));
    const alive = granted(await living.acquire(request({ executionId: 'alive', limit: 2 })));
    // The worker dies: no release, no more renewals.
    await dying.close();
    const q = queued();
    const started = Date.now();
    const next = limiter().acquire(request({ executionId: 'next', limit: 2, onQueued: q.onQueued }));
    expect(await q.seen).toBe(2);
    const g = granted(await next);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The living holder renewed its lease well past 600 ms: still counted.
    await sleep(1_000);
    expect(await limiter().acquire(request({ executionId: 'x', limit: 2, queue: false }))).toEqual({
      granted: false,
      running: 2,
      aborted: false,
    });
    await Promise.all([alive.release(), g.release()]);
  });

  test("a dead waiter's ticket expires and does not hold up the line", async () => {
    const holder = granted(await limiter().acquire(request({ executionId: 'h' })));
    // A ticket first in line whose waiter is gone (its lease ends in 300 ms, never renewed).
    const redisClient = client();
    const [seconds, micros] = await redisClient.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await redisClient.zadd(`${base()}:line`, 0, 'ghost|0');
    await redisClient.zadd(`${base()}:tickets`, now + 300, 'ghost|0');
    const q = queued();
    const next = limiter().acquire(request({ executionId: 'w', onQueued: q.onQueued }));
    await q.seen;
    await holder.release();
    await granted(await next).release();
    expect(await redisClient.zcard(`${base()}:line`)).toBe(0);
    expect(await redisClient.zcard(`${base()}:tickets`)).toBe(0);
  });

  test("force: a continued execution takes a slot whatever the count, replacing its own dead worker's", async () => {
    const a = limiter();
    const held = granted(await a.acquire(request({ executionId: 'other' })));
    const first = granted(await limiter().acquire(request({ executionId: 'resumed', force: true })));
    const redisClient = client();
    expect(await redisClient.zcard(`${base()}:holders`)).toBe(2);
    // Its worker dies; another worker continues the same execution: it counts once.
    const again = granted(await limiter().acquire(request({ executionId: 'resumed', force: true })));
    expect(await redisClient.zcard(`${base()}:holders`)).toBe(2);
    // The first worker's late release does not free the continuing worker's slot.
    await first.release();
    expect(await redisClient.zcard(`${base()}:holders`)).toBe(2);
    await Promise.all([held.release(), again.release()]);
    expect(await redisClient.zcard(`${base()}:holders`)).toBe(0);
  });

  test('flows and tenants have their own slots, under the deployment prefix', async () => {
    const l = limiter();
    const one = granted(await l.acquire(request({ queue: false })));
    const other = granted(await l.acquire(request({ queue: false, flowId: `${flowId}-b` })));
    const tenant = granted(await l.acquire(request({ queue: false, tenant: 't2' })));
    expect(await client().exists(`pebbleflow:main:concurrency:company.team:${flowId}:holders`)).toBe(1);
    await Promise.all([one.release(), other.release(), tenant.release()]);
  });

  test('Redis refusing the script is a ConcurrencyError with a stable code', async () => {
    const broken = client();
    await broken.set(`${base()}:holders`, 'not a sorted set');
    const error = await limiter()
      .acquire(request({ queue: false }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect((error as ConcurrencyError).code).toBe('CONCURRENCY_UNAVAILABLE');
    await broken.del(`${base()}:holders`);
  });
});
