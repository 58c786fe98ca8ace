/**
 * The embedded store, under `.pebbleflow/`: per execution a JSON file and, while it runs, a
 * journal; per execution a JSON-lines file of logs; per tenant a file of trigger states.
 *
 * A running execution changes often (the runner waits for the store before each task attempt), so
 * its versions are appended to `<id>.journal` — one cheap append each, where replacing a file by
 * rename costs ext4 a flush — and the last complete line is the current version (a line cut short
 * by a crash is ignored). The journal is folded into `<id>.json` (written atomically: temporary
 * file, rename) when it grows large and when the execution ends or pauses, then flushed to disk
 * (fsync). The operations on one execution are applied in call order. A small summary of every
 * execution is kept in memory for search, read back at start-up.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isTerminal, type Execution } from '../../runner/execution.js';
import { createExclusive, writeFileAtomic } from './atomic-file.js';
import { pageOf, summarize, type ExecutionSummary } from './query.js';
import type { ConditionWindow, ExecutionQuery, ExecutionStore, LogRecord, Paged, TriggerState, WindowEvaluation } from './types.js';
import { triggerUid, windowUid } from './types.js';
import { evaluateWindow, windowExpired } from '../triggers/multiple-conditions.js';
import { parseJsonKeepingOrder } from '../../engine/builtins/kestra/json.js';
import { stringifyKeepingOrder } from '../../engine/map-order.js';

const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** A journal past this many bytes is folded into the execution's JSON file. */
const JOURNAL_LIMIT = 512 * 1024;

/** Ids and tenants become file names: anything else is "not found", never a path. */
export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..') && id.length <= 200;
}

class OrderedWriter {
  private readonly pending = new Map<string, { data: string; durable: boolean; waiters: (() => void)[]; fail: ((e: unknown) => void)[] }>();
  private readonly running = new Set<string>();

  /** Resolves once this version (or a later one) is on disk. */
  write(path: string, data: string, durable: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const queued = this.pending.get(path);
      if (queued === undefined) this.pending.set(path, { data, durable, waiters: [resolve], fail: [reject] });
      else {
        queued.data = data;
        queued.durable ||= durable;
        queued.waiters.push(resolve);
        queued.fail.push(reject);
      }
      if (!this.running.has(path)) void this.drain(path);
    });
  }

  private async drain(path: string): Promise<void> {
    this.running.add(path);
    try {
      for (let next = this.pending.get(path); next !== undefined; next = this.pending.get(path)) {
        this.pending.delete(path);
        try {
          await writeFileAtomic(path, next.data, { durable: next.durable });
          for (const w of next.waiters) w();
        } catch (e) {
          for (const f of next.fail) f(e);
        }
      }
    } finally {
      this.running.delete(path);
    }
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 5));
  }
}

export class FileExecutionStore implements ExecutionStore {
  private readonly root: string;
  private readonly summaries = new Map<string, Map<string, ExecutionSummary>>();
  private readonly loaded = new Map<string, Promise<void>>();
  private readonly writer = new OrderedWriter();
  private readonly logChains = new Map<string, Promise<void>>();
  private readonly triggers = new Map<string, Map<string, TriggerState>>();
  private readonly triggerLoads = new Map<string, Promise<Map<string, TriggerState>>>();
  private readonly windowLoads = new Map<string, Promise<Map<string, ConditionWindow>>>();

  constructor(root: string) {
    this.root = root;
  }

  private executionsDir(tenant: string): string {
    return join(this.root, 'executions', tenant);
  }
  private executionPath(tenant: string, id: string): string {
    return join(this.executionsDir(tenant), `${id}.json`);
  }
  private journalPath(tenant: string, id: string): string {
    return join(this.executionsDir(tenant), `${id}.journal`);
  }

  /** Operations on one execution, one after the other. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Bytes appended to each journal since it was last folded. */
  private readonly journalSizes = new Map<string, number>();
  private readonly madeDirs = new Set<string>();

  private serial<T>(key: string, op: () => Promise<T> | T): Promise<T> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(op, op);
    const settled = next.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return next;
  }

  /** The current version from the journal (its last complete line), else from the JSON file. */
  private async read(tenant: string, id: string): Promise<Execution | undefined> {
    try {
      const journal = await readFile(this.journalPath(tenant, id), 'utf8');
      const lines = journal.split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!;
        if (line === '') continue;
        try {
          return parseJsonKeepingOrder(line) as Execution;
        } catch {
          // cut short by a crash: the one before is whole
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      return parseJsonKeepingOrder(await readFile(this.executionPath(tenant, id), 'utf8')) as Execution;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
  private logPath(tenant: string, id: string): string {
    return join(this.root, 'logs', tenant, `${id}.jsonl`);
  }

  /** Reads every execution of a tenant once, keeping its summary. Unreadable files are skipped and reported. */
  private index(tenant: string): Promise<Map<string, ExecutionSummary>> {
    let loading = this.loaded.get(tenant);
    if (loading === undefined) {
      const map = new Map<string, ExecutionSummary>();
      this.summaries.set(tenant, map);
      loading = (async () => {
        const dir = this.executionsDir(tenant);
        const names = await readdir(dir).catch(() => [] as string[]);
        const ids = new Set(
          names.filter((n) => n.endsWith('.json') || n.endsWith('.journal')).map((n) => n.replace(/\.(json|journal)$/, '')),
        );
        for (const id of ids) {
          try {
            const execution = await this.read(tenant, id);
            if (execution !== undefined && !map.has(execution.id)) map.set(execution.id, summarize(execution));
          } catch (e) {
            process.emitWarning(`pebbleflow: skipping unreadable execution ${join(dir, id)}: ${(e as Error).message}`);
          }
        }
      })();
      this.loaded.set(tenant, loading);
    }
    return loading.then(() => this.summaries.get(tenant)!);
  }

  private tenantOf(execution: Execution): string {
    return execution.tenantId ?? 'main';
  }

  async save(execution: Execution): Promise<void> {
    const tenant = this.tenantOf(execution);
    if (!isSafeId(tenant) || !isSafeId(execution.id)) throw new TypeError(`Unsafe execution id ${execution.id}`);
    (await this.index(tenant)).set(execution.id, summarize(execution));
    const json = stringifyKeepingOrder(execution)!;
    const key = `${tenant}\u0000${execution.id}`;
    const settled = isTerminal(execution.state.current) || execution.state.current === 'PAUSED';
    await this.serial(key, async () => {
      const journal = this.journalPath(tenant, execution.id);
      const size = (this.journalSizes.get(key) ?? 0) + json.length + 1;
      if (settled || size > JOURNAL_LIMIT) {
        // Folded into the JSON file (atomically), then the journal goes.
        await writeFileAtomic(this.executionPath(tenant, execution.id), json, { durable: settled });
        rmSync(journal, { force: true });
        this.journalSizes.delete(key);
        return;
      }
      const dir = this.executionsDir(tenant);
      if (!this.madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        this.madeDirs.add(dir);
      }
      appendFileSync(journal, `${json}\n`, { mode: 0o600 });
      this.journalSizes.set(key, size);
    });
  }

  async create(execution: Execution): Promise<boolean> {
    const tenant = this.tenantOf(execution);
    if (!isSafeId(tenant) || !isSafeId(execution.id)) throw new TypeError(`Unsafe execution id ${execution.id}`);
    const index = await this.index(tenant);
    if (index.has(execution.id)) return false;
    const created = await this.serial(`${tenant}\u0000${execution.id}`, () =>
      createExclusive(this.executionPath(tenant, execution.id), stringifyKeepingOrder(execution)!),
    );
    if (created) index.set(execution.id, summarize(execution));
    return created;
  }

  async get(tenant: string, id: string): Promise<Execution | undefined> {
    if (!isSafeId(tenant) || !isSafeId(id)) return undefined;
    await this.chains.get(`${tenant}\u0000${id}`);
    return this.read(tenant, id);
  }

  async search(tenant: string, query: ExecutionQuery): Promise<Paged<Execution>> {
    if (!isSafeId(tenant)) return { results: [], total: 0 };
    const { ids, total } = pageOf((await this.index(tenant)).values(), query);
    const results = (await Promise.all(ids.map((id) => this.get(tenant, id)))).filter((e): e is Execution => e !== undefined);
    return { results, total };
  }

  async unfinished(tenant: string): Promise<Execution[]> {
    if (!isSafeId(tenant)) return [];
    const ids = [...(await this.index(tenant)).values()].filter((s) => !isTerminal(s.state) || s.retryPending === true).map((s) => s.id);
    return (await Promise.all(ids.map((id) => this.get(tenant, id)))).filter((e): e is Execution => e !== undefined);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    if (!isSafeId(tenant) || !isSafeId(id)) return false;
    const index = await this.index(tenant);
    const existed = index.delete(id);
    await this.serial(`${tenant}\u0000${id}`, async () => {
      await rm(this.executionPath(tenant, id), { force: true });
      await rm(this.journalPath(tenant, id), { force: true });
    });
    return existed;
  }

  appendLogs(tenant: string, executionId: string, records: readonly LogRecord[]): Promise<void> {
    if (!isSafeId(tenant) || !isSafeId(executionId)) return Promise.reject(new TypeError(`Unsafe execution id ${executionId}`));
    if (records.length === 0) return Promise.resolve();
    const path = this.logPath(tenant, executionId);
    const text = records.map((r) => `${stringifyKeepingOrder(r)}\n`).join('');
    const previous = this.logChains.get(path) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        await mkdir(join(this.root, 'logs', tenant), { recursive: true });
        await appendFile(path, text, { mode: 0o600 });
      });
    this.logChains.set(path, next);
    void next.finally(() => {
      if (this.logChains.get(path) === next) this.logChains.delete(path);
    });
    return next;
  }

  async logs(tenant: string, executionId: string): Promise<LogRecord[]> {
    if (!isSafeId(tenant) || !isSafeId(executionId)) return [];
    const path = this.logPath(tenant, executionId);
    await this.logChains.get(path)?.catch(() => undefined);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: LogRecord[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        out.push(parseJsonKeepingOrder(line) as LogRecord);
      } catch {
        // A line cut short by a crash: what was written before it is intact.
      }
    }
    return out;
  }

  async deleteLogs(tenant: string, executionId: string): Promise<void> {
    if (!isSafeId(tenant) || !isSafeId(executionId)) return;
    const path = this.logPath(tenant, executionId);
    await this.logChains.get(path)?.catch(() => undefined);
    await rm(path, { force: true });
  }

  // --- trigger states: one small file per tenant ---------------------------------------------

  private triggerFile(tenant: string): string {
    return join(this.root, 'triggers', `${tenant}.json`);
  }

  private loadTriggers(tenant: string): Promise<Map<string, TriggerState>> {
    let loading = this.triggerLoads.get(tenant);
    if (loading === undefined) {
      loading = readFile(this.triggerFile(tenant), 'utf8')
        .then((text) => new Map((JSON.parse(text) as TriggerState[]).map((t) => [triggerUid(t), t])))
        .catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') process.emitWarning(`pebbleflow: unreadable trigger states ${this.triggerFile(tenant)}: ${e.message}`);
          return new Map<string, TriggerState>();
        })
        .then((map) => {
          this.triggers.set(tenant, map);
          return map;
        });
      this.triggerLoads.set(tenant, loading);
    }
    return loading;
  }

  private async persistTriggers(tenant: string): Promise<void> {
    const map = await this.loadTriggers(tenant);
    await this.writer.write(this.triggerFile(tenant), JSON.stringify([...map.values()], null, 1), false);
  }

  async getTrigger(tenant: string, uid: string): Promise<TriggerState | undefined> {
    return (await this.loadTriggers(tenant)).get(uid);
  }

  async saveTrigger(state: TriggerState): Promise<void> {
    if (!isSafeId(state.tenantId)) throw new TypeError(`Unsafe tenant ${state.tenantId}`);
    (await this.loadTriggers(state.tenantId)).set(triggerUid(state), state);
    await this.persistTriggers(state.tenantId);
  }

  async deleteTrigger(tenant: string, uid: string): Promise<void> {
    if ((await this.loadTriggers(tenant)).delete(uid)) await this.persistTriggers(tenant);
  }

  async listTriggers(tenant: string): Promise<TriggerState[]> {
    return [...(await this.loadTriggers(tenant)).values()];
  }

  // --- multiple condition windows: one small file per tenant, beside the trigger states ----------
  // Read and changed in memory without awaiting in between (atomic in this process, the only one
  // using the folder), then written in order.

  private windowFile(tenant: string): string {
    return join(this.root, 'windows', `${tenant}.json`);
  }

  private loadWindows(tenant: string): Promise<Map<string, ConditionWindow>> {
    let loading = this.windowLoads.get(tenant);
    if (loading === undefined) {
      loading = readFile(this.windowFile(tenant), 'utf8')
        .then((text) => new Map((JSON.parse(text) as ConditionWindow[]).map((w) => [windowUid(w), w])))
        .catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') process.emitWarning(`pebbleflow: unreadable condition windows ${this.windowFile(tenant)}: ${e.message}`);
          return new Map<string, ConditionWindow>();
        });
      this.windowLoads.set(tenant, loading);
    }
    return loading;
  }

  private async persistWindows(tenant: string, map: Map<string, ConditionWindow>): Promise<void> {
    await this.writer.write(this.windowFile(tenant), JSON.stringify([...map.values()], null, 1), false);
  }

  async evaluateConditionWindow(evaluation: WindowEvaluation): Promise<boolean> {
    const tenant = evaluation.fresh.tenantId;
    if (!isSafeId(tenant)) throw new TypeError(`Unsafe tenant ${tenant}`);
    const map = await this.loadWindows(tenant);
    const uid = windowUid(evaluation.fresh);
    const { next, complete } = evaluateWindow(map.get(uid), evaluation);
    if (next !== undefined) {
      if (next === null) map.delete(uid);
      else map.set(uid, next);
      await this.persistWindows(tenant, map);
    }
    return complete;
  }

  async listConditionWindows(tenant: string): Promise<ConditionWindow[]> {
    if (!isSafeId(tenant)) return [];
    return [...(await this.loadWindows(tenant)).values()];
  }

  async deleteExpiredConditionWindows(tenant: string, now: string): Promise<number> {
    if (!isSafeId(tenant)) return 0;
    const map = await this.loadWindows(tenant);
    let deleted = 0;
    for (const [uid, w] of map)
      if (windowExpired(w, now)) {
        map.delete(uid);
        deleted++;
      }
    if (deleted > 0) await this.persistWindows(tenant, map);
    return deleted;
  }

  async close(): Promise<void> {
    await this.writer.idle();
    await Promise.all([...this.chains.values()]);
    await Promise.all([...this.logChains.values()].map((p) => p.catch(() => undefined)));
  }
}
