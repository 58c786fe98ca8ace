/**
 * Flow `concurrency` across every worker of a Redis deployment, as Kestra counts it across its
 * cluster. Per flow (`keys.concurrency(tenant, namespace, flowId)`):
 * - `:holders`, a sorted set: one member per slot held (`<executionId>|<random>`), scored by the
 *   time its lease ends. A holder renews its lease while its execution runs; a worker killed
 *   outright stops renewing, and its slot frees itself when the lease ends.
 * - `:line`, a sorted set of QUEUE tickets scored by their place (`:seq`, an INCR): first come,
 *   first served across workers. `:tickets` scores the same tickets by the end of their lease, so
 *   a dead waiter's ticket goes away too.
 * Every claim, renewal and release is one Lua script over these keys, with Redis's clock: no two
 * scripts interleave, so there are never more than `limit` live holders, whatever the workers'
 * clocks say. A release publishes on `keys.concurrencyReleased` to wake waiters at once; waiters
 * also look again every `pollMs` (an expired lease publishes nothing).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConcurrencyError, type ConcurrencyGrant, type ConcurrencyLimiter, type ConcurrencyRequest } from '../../runner/concurrency.js';
import { keys } from './keys.js';

export interface RedisConcurrencyOptions {
  /** How long a slot or a ticket outlives its last renewal (a dead worker's is free after this). Default 15 s. */
  readonly leaseMs?: number;
  /** How often a waiter looks again without a release message. Default 500 ms. */
  readonly pollMs?: number;
}

/** Drops expired holders and tickets; shared by the scripts (Redis's own clock, in ms). */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, ticket in ipairs(dead) do
  redis.call('ZREM', KEYS[2], ticket)
  redis.call('ZREM', KEYS[3], ticket)
end
`;

/**
 * KEYS: holders, line, tickets, seq. ARGV: mode (force | try | queue), holder, limit, leaseMs,
 * executionId, ticket, place. Returns {granted (1 or 0), running, place}.
 * - force: takes a slot whatever the count; a slot the same execution held before (a worker that
 *   died mid-run, whose lease has not ended yet) is replaced, so it never counts twice.
 * - try: a slot if fewer than `limit` are held (CANCEL, FAIL).
 * - queue: the ticket joins the line (at `place` if it had one: a ticket whose lease lapsed while
 *   its waiter was slow keeps its turn), and gets a slot once it is among the first the free
 *   slots allow; else its lease is renewed.
 */
const ACQUIRE_SCRIPT = `${PRELUDE}
local mode = ARGV[1]
local limit = tonumber(ARGV[3])
local lease = now + tonumber(ARGV[4])
if mode == 'force' then
  local prefix = ARGV[5] .. '|'
  for _, holder in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(holder, 1, #prefix) == prefix then redis.call('ZREM', KEYS[1], holder) end
  end
  redis.call('ZADD', KEYS[1], lease, ARGV[2])
  return {1, redis.call('ZCARD', KEYS[1]), 0}
end
local running = redis.call('ZCARD', KEYS[1])
if mode == 'try' then
  if running < limit then
    redis.call('ZADD', KEYS[1], lease, ARGV[2])
    return {1, running + 1, 0}
  end
  return {0, running, 0}
end
local place = tonumber(ARGV[7])
if redis.call('ZSCORE', KEYS[2], ARGV[6]) == false then
  if place == 0 then place = redis.call('INCR', KEYS[4]) end
  redis.call('ZADD', KEYS[2], place, ARGV[6])
end
local rank = redis.call('ZRANK', KEYS[2], ARGV[6])
if rank < limit - running then
  redis.call('ZREM', KEYS[2], ARGV[6])
  redis.call('ZREM', KEYS[3], ARGV[6])
  redis.call('ZADD', KEYS[1], lease, ARGV[2])
  return {1, running + 1, place}
end
redis.call('ZADD', KEYS[3], lease, ARGV[6])
return {0, running, place}
`;

/** KEYS: holders, line, tickets, channel. ARGV: holder, ticket, message. Frees a slot and/or drops a ticket (idempotent). */
const RELEASE_SCRIPT = `${PRELUDE}
local removed = 0
if ARGV[1] ~= '' then removed = removed + redis.call('ZREM', KEYS[1], ARGV[1]) end
if ARGV[2] ~= '' then
  removed = removed + redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
if removed > 0 then redis.call('PUBLISH', KEYS[4], ARGV[3]) end
return removed
`;

/**
 * KEYS: holders. ARGV: holder, leaseMs. Extends a live lease only: a lease that already ended may
 * have been given to another execution, and taking it back could go over the limit.
 */
const RENEW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score == false or tonumber(score) <= now then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1
`;

type Granted = Extract<ConcurrencyGrant, { granted: true }>;

export class RedisConcurrencyLimiter implements ConcurrencyLimiter {
  readonly #redis: Redis;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  /** Waiters to wake, by flow key, when a release is published. */
  readonly #waiters = new Map<string, Set<() => void>>();
  /** Renewal timers of the slots this process holds. */
  readonly #renewals = new Set<NodeJS.Timeout>();
  #subscriber: Redis | undefined;
  #subscribed: Promise<void> | undefined;
  #closed = false;

  constructor(redis: Redis, options: RedisConcurrencyOptions = {}) {
    this.#redis = redis;
    this.#leaseMs = options.leaseMs ?? 15_000;
    this.#pollMs = options.pollMs ?? 500;
  }

  async acquire(request: ConcurrencyRequest): Promise<ConcurrencyGrant> {
    const base = keys.concurrency(request.tenant, request.namespace, request.flowId);
    try {
      return await this.#acquire(base, request);
    } catch (e) {
      throw new ConcurrencyError(base, `Cannot count the flow's concurrency slots in Redis (${base}): ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Stops listening for releases and renewing leases (the worker is closing; its slots then expire unless released). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#renewals) clearInterval(timer);
    this.#renewals.clear();
    for (const wakes of this.#waiters.values()) for (const wake of wakes) wake();
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }

  async #acquire(base: string, request: ConcurrencyRequest): Promise<ConcurrencyGrant> {
    const holder = `${request.executionId}|${randomBytes(8).toString('hex')}`;
    const signal = request.signal;
    // A function: the signal changes while this waits.
    const aborted = (): boolean => signal?.aborted === true;
    if (request.force === true) {
      await this.#call(base, 'force', holder, request, '', 0);
      return this.#granted(base, holder);
    }
    if (!request.queue) {
      const [granted, running] = await this.#call(base, 'try', holder, request, '', 0);
      return granted ? this.#granted(base, holder) : { granted: false, running, aborted: false };
    }
    if (aborted()) return { granted: false, running: await this.#running(base), aborted: true };
    const ticket = `${request.executionId}|${randomBytes(8).toString('hex')}`;
    let place = 0;
    let wake: (() => void) | undefined;
    const poke = (): void => wake?.();
    signal?.addEventListener('abort', poke);
    const unlisten = this.#listen(base, poke);
    let queued = false;
    let done = false;
    try {
      for (;;) {
        // Set before looking, so a release while looking wakes the next wait.
        const changed = new Promise<void>((resolve) => (wake = resolve));
        if (aborted() || this.#closed) return { granted: false, running: await this.#running(base), aborted: true };
        const [granted, running, at] = await this.#call(base, 'queue', holder, request, ticket, place);
        place = at;
        if (granted) {
          done = true;
          // Aborted while the claim was on its way: give it back at once.
          if (aborted()) {
            await this.#release(base, holder, '');
            return { granted: false, running: running - 1, aborted: true };
          }
          return this.#granted(base, holder);
        }
        if (!queued) {
          queued = true;
          request.onQueued?.(running);
          // onQueued may have aborted (a kill seen as the state changed).
          continue;
        }
        const timer = setTimeout(poke, this.#pollMs);
        await changed;
        clearTimeout(timer);
      }
    } finally {
      signal?.removeEventListener('abort', poke);
      unlisten();
      // No ticket left behind, however the wait ended (abort, close, an error).
      if (!done) await this.#release(base, '', ticket).catch(() => undefined);
    }
  }

  async #call(
    base: string,
    mode: 'force' | 'try' | 'queue',
    holder: string,
    request: ConcurrencyRequest,
    ticket: string,
    place: number,
  ): Promise<[boolean, number, number]> {
    const result = (await this.#redis.eval(
      ACQUIRE_SCRIPT,
      4,
      `${base}:holders`,
      `${base}:line`,
      `${base}:tickets`,
      `${base}:seq`,
      mode,
      holder,
      request.limit,
      this.#leaseMs,
      request.executionId,
      ticket,
      place,
    )) as [number, number, number];
    return [result[0] === 1, Number(result[1]), Number(result[2])];
  }

  async #running(base: string): Promise<number> {
    return this.#redis.zcount(`${base}:holders`, `(${Date.now()}`, '+inf');
  }

  async #release(base: string, holder: string, ticket: string): Promise<void> {
    await this.#redis.eval(
      RELEASE_SCRIPT,
      4,
      `${base}:holders`,
      `${base}:line`,
      `${base}:tickets`,
      keys.concurrencyReleased,
      holder,
      ticket,
      base,
    );
  }

  #granted(base: string, holder: string): Granted {
    const renew = setInterval(
      () =>
        void this.#redis.eval(RENEW_SCRIPT, 1, `${base}:holders`, holder, this.#leaseMs).catch(() => {
          // Redis away for a moment: the next renewal tries again, well within the lease.
        }),
      Math.max(50, Math.floor(this.#leaseMs / 3)),
    );
    renew.unref();
    this.#renewals.add(renew);
    let released: Promise<void> | undefined;
    return {
      granted: true,
      release: () => {
        if (released !== undefined) return released;
        clearInterval(renew);
        this.#renewals.delete(renew);
        released = this.#release(base, holder, '').catch((e: Error) => {
          // Not released: the lease ends by itself (the slot is held at most leaseMs longer).
          process.emitWarning(`pebbleflow: could not release a concurrency slot of ${base}: ${e.message}`);
        });
        return released;
      },
    };
  }

  /** Wakes `wake` when a slot of the flow is released (by any worker); returns how to stop. */
  #listen(base: string, wake: () => void): () => void {
    let set = this.#waiters.get(base);
    if (set === undefined) this.#waiters.set(base, (set = new Set()));
    set.add(wake);
    if (this.#subscribed === undefined) {
      const subscriber = this.#redis.duplicate();
      subscriber.on('error', () => undefined);
      subscriber.on('message', (_channel: string, message: string) => {
        for (const w of this.#waiters.get(message) ?? []) w();
      });
      this.#subscriber = subscriber;
      // Until subscribed (or without pub/sub), waiters poll.
      this.#subscribed = subscriber.subscribe(keys.concurrencyReleased).then(
        () => undefined,
        () => undefined,
      );
    }
    const s = set;
    return () => {
      s.delete(wake);
      if (s.size === 0 && this.#waiters.get(base) === s) this.#waiters.delete(base);
    };
  }
}
