/**
 * The store of Redis mode, shared by servers and workers: an execution is a JSON string, its
 * summary a field of a per-tenant hash (for search), its logs a list. Saving is one Lua script:
 * write, update the summary, publish the new version to the servers, and — when the state
 * changed — append it to the state stream that Flow triggers read, so no server misses a change
 * even if it was down when it happened.
 */
import type { Redis } from 'ioredis';
import { isTerminal, type Execution } from '../../runner/execution.js';
import { isSafeId } from '../store/file-store.js';
import { pageOf, summarize, type ExecutionSummary } from '../store/query.js';
import {
  triggerUid,
  windowUid,
  type ConditionWindow,
  type ExecutionQuery,
  type ExecutionStore,
  type LogRecord,
  type Paged,
  type TriggerState,
  type WindowEvaluation,
} from '../store/types.js';
import { keys } from './keys.js';
import { parseJsonKeepingOrder } from '../../engine/builtins/kestra/json.js';
import { stringifyKeepingOrder } from '../../engine/map-order.js';

/**
 * KEYS: execution, summaries, events channel, states stream[, job lock]. ARGV: id, json, summary,
 * state, message, onlyIfAbsent[, lock token]. With a lock, nothing is written unless the caller
 * still holds it (-1): the check and the write are one step, so a worker that lost its job cannot
 * slip a stale version in after another worker took over.
 */
const SAVE_SCRIPT = `
if KEYS[5] and redis.call('GET', KEYS[5]) ~= ARGV[7] then return -1 end
if ARGV[6] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local old = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PUBLISH', KEYS[3], ARGV[5])
local changed = true
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and decoded['state'] == ARGV[4] then changed = false end
end
if changed then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', '100000', '*', 'execution', ARGV[2])
end
return 1
`;

/** KEYS: triggers hash. ARGV: uid, json, date — only moves the date forward. */
const SAVE_TRIGGER_SCRIPT = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old and ARGV[3] ~= '' then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and decoded['date'] and decoded['date'] > ARGV[3] then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/**
 * `evaluateWindow` (src/server/triggers/multiple-conditions.ts) as one step, so that two servers
 * recording two executions in one window lose neither. Dates are UTC ISO-8601 with milliseconds:
 * they compare as text. KEYS: windows hash. ARGV: uid, fresh window json, now, matched keys json,
 * all keys json, resetOnSuccess ('1'/'0'). Returns 1 when the condition is met.
 */
const EVALUATE_WINDOW_SCRIPT = `
local now = ARGV[3]
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local stored = nil
if raw then
  local ok, decoded = pcall(cjson.decode, raw)
  if ok then stored = decoded end
end
local function valid(w) return w['start'] <= now and now < w['end'] end
local base = cjson.decode(ARGV[2])
if stored and valid(stored) then base = stored end
local current = stored
local saved = false
if valid(base) then
  local results = {}
  local count = 0
  if type(base['results']) == 'table' then
    for k, v in pairs(base['results']) do results[k] = v; count = count + 1 end
  end
  for _, k in ipairs(cjson.decode(ARGV[4])) do
    if results[k] == nil then count = count + 1 end
    results[k] = true
  end
  if count > 0 then
    base['results'] = results
    current = base
    saved = true
  end
end
local complete = true
for _, k in ipairs(cjson.decode(ARGV[5])) do
  if not (current and type(current['results']) == 'table' and current['results'][k] == true) then complete = false end
end
if saved then
  if complete and ARGV[6] == '1' then
    redis.call('HDEL', KEYS[1], ARGV[1])
  else
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(current))
  end
end
if complete then return 1 end
return 0
`;

/** KEYS: windows hash. ARGV: now. Deletes the windows that ended before now; how many. */
const DELETE_EXPIRED_WINDOWS_SCRIPT = `
local all = redis.call('HGETALL', KEYS[1])
local deleted = 0
for i = 1, #all, 2 do
  local ok, w = pcall(cjson.decode, all[i + 1])
  if ok and type(w) == 'table' and w['end'] and w['end'] < ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
    deleted = deleted + 1
  end
end
return deleted
`;

/** A fenced save refused: another worker owns the execution's job now. */
export class LockLostError extends Error {
  constructor(executionId: string) {
    super(`lost the lock of execution ${executionId}: another worker continues it`);
    this.name = 'LockLostError';
  }
}

export class RedisExecutionStore implements ExecutionStore {
  private readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  private async write(execution: Execution, onlyIfAbsent: boolean, lock?: { key: string; token: string }): Promise<boolean> {
    const tenant = execution.tenantId ?? 'main';
    if (!isSafeId(tenant) || !isSafeId(execution.id)) throw new TypeError(`Unsafe execution id ${execution.id}`);
    const json = stringifyKeepingOrder(execution)!;
    const message = `{"t":"execution","tenant":${JSON.stringify(tenant)},"execution":${json}}`;
    const result = await this.redis.eval(
      SAVE_SCRIPT,
      lock === undefined ? 4 : 5,
      keys.execution(tenant, execution.id),
      keys.summaries(tenant),
      keys.events,
      keys.states(tenant),
      ...(lock === undefined ? [] : [lock.key]),
      execution.id,
      json,
      JSON.stringify(summarize(execution)),
      execution.state.current,
      message,
      onlyIfAbsent ? '1' : '0',
      ...(lock === undefined ? [] : [lock.token]),
    );
    if (result === -1) throw new LockLostError(execution.id);
    return result === 1;
  }

  async save(execution: Execution): Promise<void> {
    await this.write(execution, false);
  }

  /** `save`, only while `token` holds the lock at `lockKey` (a BullMQ job's); throws `LockLostError` otherwise. */
  async saveHolding(execution: Execution, lockKey: string, token: string): Promise<void> {
    await this.write(execution, false, { key: lockKey, token });
  }

  create(execution: Execution): Promise<boolean> {
    return this.write(execution, true);
  }

  async get(tenant: string, id: string): Promise<Execution | undefined> {
    if (!isSafeId(tenant) || !isSafeId(id)) return undefined;
    const json = await this.redis.get(keys.execution(tenant, id));
    return json === null ? undefined : (parseJsonKeepingOrder(json) as Execution);
  }

  private async summaries(tenant: string): Promise<ExecutionSummary[]> {
    const all = await this.redis.hgetall(keys.summaries(tenant));
    return Object.values(all).map((s) => JSON.parse(s) as ExecutionSummary);
  }

  async search(tenant: string, query: ExecutionQuery): Promise<Paged<Execution>> {
    if (!isSafeId(tenant)) return { results: [], total: 0 };
    const { ids, total } = pageOf(await this.summaries(tenant), query);
    if (ids.length === 0) return { results: [], total };
    const values = await this.redis.mget(ids.map((id) => keys.execution(tenant, id)));
    return { results: values.filter((v): v is string => v !== null).map((v) => parseJsonKeepingOrder(v) as Execution), total };
  }

  async unfinished(tenant: string): Promise<Execution[]> {
    if (!isSafeId(tenant)) return [];
    const ids = (await this.summaries(tenant)).filter((s) => !isTerminal(s.state) || s.retryPending === true).map((s) => s.id);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => keys.execution(tenant, id)));
    return values.filter((v): v is string => v !== null).map((v) => parseJsonKeepingOrder(v) as Execution);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    if (!isSafeId(tenant) || !isSafeId(id)) return false;
    const [[, removed] = [null, 0]] =
      (await this.redis.multi().del(keys.execution(tenant, id)).hdel(keys.summaries(tenant), id).exec()) ?? [];
    return removed === 1;
  }

  async appendLogs(tenant: string, executionId: string, records: readonly LogRecord[]): Promise<void> {
    if (!isSafeId(tenant) || !isSafeId(executionId)) throw new TypeError(`Unsafe execution id ${executionId}`);
    if (records.length === 0) return;
    const pipeline = this.redis.pipeline().rpush(keys.logs(tenant, executionId), ...records.map((r) => stringifyKeepingOrder(r)!));
    for (const record of records) pipeline.publish(keys.events, stringifyKeepingOrder({ t: 'log', tenant, record })!);
    await pipeline.exec();
  }

  async logs(tenant: string, executionId: string): Promise<LogRecord[]> {
    if (!isSafeId(tenant) || !isSafeId(executionId)) return [];
    return (await this.redis.lrange(keys.logs(tenant, executionId), 0, -1)).map((l) => parseJsonKeepingOrder(l) as LogRecord);
  }

  async deleteLogs(tenant: string, executionId: string): Promise<void> {
    if (!isSafeId(tenant) || !isSafeId(executionId)) return;
    await this.redis.del(keys.logs(tenant, executionId));
  }

  async getTrigger(tenant: string, uid: string): Promise<TriggerState | undefined> {
    const json = await this.redis.hget(keys.triggers(tenant), uid);
    return json === null ? undefined : (JSON.parse(json) as TriggerState);
  }

  async saveTrigger(state: TriggerState): Promise<void> {
    await this.redis.eval(
      SAVE_TRIGGER_SCRIPT,
      1,
      keys.triggers(state.tenantId),
      triggerUid(state),
      JSON.stringify(state),
      state.date ?? '',
    );
  }

  async deleteTrigger(tenant: string, uid: string): Promise<void> {
    await this.redis.hdel(keys.triggers(tenant), uid);
  }

  async listTriggers(tenant: string): Promise<TriggerState[]> {
    return Object.values(await this.redis.hgetall(keys.triggers(tenant))).map((s) => JSON.parse(s) as TriggerState);
  }

  async evaluateConditionWindow(e: WindowEvaluation): Promise<boolean> {
    const result = await this.redis.eval(
      EVALUATE_WINDOW_SCRIPT,
      1,
      keys.windows(e.fresh.tenantId),
      windowUid(e.fresh),
      JSON.stringify(e.fresh),
      e.now,
      JSON.stringify(e.matched),
      JSON.stringify(e.keys),
      e.resetOnSuccess ? '1' : '0',
    );
    return result === 1;
  }

  async listConditionWindows(tenant: string): Promise<ConditionWindow[]> {
    return Object.values(await this.redis.hgetall(keys.windows(tenant))).map((s) => JSON.parse(s) as ConditionWindow);
  }

  async deleteExpiredConditionWindows(tenant: string, now: string): Promise<number> {
    return Number(await this.redis.eval(DELETE_EXPIRED_WINDOWS_SCRIPT, 1, keys.windows(tenant), now));
  }

  async close(): Promise<void> {
    // The connection belongs to whoever created it.
  }
}
