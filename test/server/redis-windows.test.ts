/**
 * The Redis store's multiple condition windows (Flow trigger preconditions in Redis mode), against
 * a real `redis-server`: its Lua script decides as `evaluateWindow` does (the file store's), and
 * evaluations of one window from many connections at once lose none (Kestra's JDBC storage saves
 * in a transaction; here one script). Skips loudly without redis-server, unless CI=true.
 */
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisExecutionStore } from '../../src/server/redis/redis-store.js';
import type { ConditionWindow, WindowEvaluation } from '../../src/server/store/types.js';
import { evaluateWindow, freshWindow } from '../../src/server/triggers/multiple-conditions.js';
import type { TimeWindow } from '../../src/flow/multiple-condition.js';
import { redisAvailable, startRedis, type RedisServer } from './support/redis.js';

jest.setTimeout(60_000);

const available = redisAvailable();
const describeRedis = available ? describe : describe.skip;

let redis: RedisServer;
const clients: Redis[] = [];
const client = (): Redis => {
  const c = new Redis(redis.url, { lazyConnect: false });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  if (available) redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  if (available) await redis.stop();
});

const H = 3_600_000;
let n = 0;
const owner = (): { tenantId: string; namespace: string; flowId: string } => ({
  tenantId: 'main',
  namespace: 'company.team',
  flowId: `c${++n}`,
});
const evaluation = (
  who: { tenantId: string; namespace: string; flowId: string },
  timeWindow: TimeWindow,
  iso: string,
  matched: string[],
  keys: string[],
  resetOnSuccess = true,
): WindowEvaluation => ({
  fresh: freshWindow(who, { id: 'pre', timeWindow }, Date.parse(iso)),
  now: iso,
  matched,
  keys,
  resetOnSuccess,
});

describeRedis('Redis condition windows', () => {
  test('the Lua script decides and stores as evaluateWindow does', async () => {
    const store = new RedisExecutionStore(client());
    const scenarios: [TimeWindow, [string, string[]][], boolean][] = [
      [
        { type: 'DURATION_WINDOW' },
        [
          ['2024-03-10T10:00:00.000Z', ['a']],
          ['2024-03-10T11:00:00.000Z', ['b']],
          ['2024-03-10T12:00:00.000Z', ['a']],
        ],
        true,
      ],
      [
        { type: 'DURATION_WINDOW' },
        [
          ['2024-03-10T10:00:00.000Z', ['a']],
          ['2024-03-10T11:00:00.000Z', ['b']],
          ['2024-03-10T12:00:00.000Z', ['a']],
        ],
        false,
      ],
      [
        { type: 'DURATION_WINDOW' },
        [
          ['2024-03-10T23:59:00.000Z', ['a']],
          ['2024-03-11T00:00:30.000Z', ['b']],
          ['2024-03-11T00:01:00.000Z', []],
        ],
        true,
      ],
      [
        { type: 'DAILY_TIME_DEADLINE', deadline: 9 * 3600 },
        [
          ['2024-03-10T08:00:00.000Z', ['a']],
          ['2024-03-10T09:30:00.000Z', ['b']],
          ['2024-03-11T01:00:00.000Z', ['b']],
        ],
        true,
      ],
      [
        { type: 'SLIDING_WINDOW', window: H },
        [
          ['2024-03-10T10:20:00.500Z', ['a']],
          ['2024-03-10T11:20:01.000Z', ['b']],
          ['2024-03-10T11:50:00.000Z', ['a']],
        ],
        true,
      ],
    ];
    for (const [tw, steps, reset] of scenarios) {
      const who = owner();
      let memory: ConditionWindow | undefined;
      for (const [iso, matched] of steps) {
        const e = evaluation(who, tw, iso, matched, ['a', 'b'], reset);
        const expected = evaluateWindow(memory, e);
        if (expected.next !== undefined) memory = expected.next ?? undefined;
        expect(await store.evaluateConditionWindow(e)).toBe(expected.complete);
        const stored = (await store.listConditionWindows('main')).find((w) => w.flowId === who.flowId);
        expect(stored === undefined ? undefined : { start: stored.start, end: stored.end, results: stored.results }).toEqual(
          memory === undefined ? undefined : { start: memory.start, end: memory.end, results: memory.results },
        );
      }
    }
  });

  test('forty conditions recorded at once from forty connections: none lost, met exactly once, then reset', async () => {
    const who = owner();
    const keys = Array.from({ length: 40 }, (_, i) => `condition_${i + 1}`);
    const now = new Date().toISOString();
    const outcomes = await Promise.all(
      keys.map((key) =>
        new RedisExecutionStore(client()).evaluateConditionWindow(
          evaluation(who, { type: 'DURATION_WINDOW', window: H }, now, [key], keys),
        ),
      ),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect((await new RedisExecutionStore(client()).listConditionWindows('main')).some((w) => w.flowId === who.flowId)).toBe(false);
  });

  test('ended windows are purged, the others kept', async () => {
    const store = new RedisExecutionStore(client());
    const [early, late] = [owner(), owner()];
    await store.evaluateConditionWindow(
      evaluation(early, { type: 'DAILY_TIME_DEADLINE', deadline: 9 * 3600 }, '2024-03-10T08:00:00.000Z', ['a'], ['a', 'b']),
    );
    await store.evaluateConditionWindow(
      evaluation(late, { type: 'DAILY_TIME_DEADLINE', deadline: 18 * 3600 }, '2024-03-10T08:00:00.000Z', ['a'], ['a', 'b']),
    );
    const before = (await store.listConditionWindows('main')).length;
    expect(await store.deleteExpiredConditionWindows('main', '2024-03-10T10:00:00.000Z')).toBeGreaterThanOrEqual(1);
    const left = await store.listConditionWindows('main');
    expect(left.some((w) => w.flowId === early.flowId)).toBe(false);
    expect(left.some((w) => w.flowId === late.flowId)).toBe(true);
    expect(left.length).toBeLessThan(before);
  });
});
