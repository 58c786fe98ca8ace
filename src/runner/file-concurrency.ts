/**
 * Flow `concurrency` between processes: the slots live in a folder (`.pebbleflow/concurrency/`)
 * that every `pebbleflow run` of a data folder shares, so two runs started apart count each other.
 *
 * Layout, per flow (`<tenant>/<namespace>/<flowId>/`):
 * - `lane-<i>-<gen>`: slot `i` held by the process the file names (pid, start time, host). A
 *   `limit` of n has lanes 0…n-1. A lane is taken by creating its next generation atomically
 *   (`link` of a written file: it exists whole or not at all, and only once), so a released or
 *   dead holder is replaced without deleting anything another process may be reading.
 * - `lane-<i>-<gen>.released`: the holder released it.
 * - `ticket-<time>-<seq>-<pid>-<random>`: a QUEUE request waiting; the line is the names' order.
 *
 * Why generations: deleting a dead holder's file and creating a new one is racy (two processes
 * reclaim, one deletes the other's fresh claim). Here the newest generation of a lane is never
 * deleted; older ones are removed by whoever created a newer one, and a claim that finds a newer
 * generation than its own after creating it backs off. The newest generation only grows, so two
 * processes can never both hold a lane.
 *
 * A holder is dead when its pid is gone or now belongs to another process (Linux: the start time
 * in /proc differs); a file from another host (a shared folder) is dead when its lease, renewed
 * while it runs, is older than `leaseStaleMs`. A process ending normally (or on a second
 * SIGINT) releases its lanes and removes its tickets on `exit`; one killed outright is found dead
 * by the next to look. Waiters wake on `fs.watch` events, and poll in case there are none.
 */
import { watch, type FSWatcher } from 'node:fs';
import { link, mkdir, readdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { ConcurrencyError, type ConcurrencyGrant, type ConcurrencyLimiter, type ConcurrencyRequest } from './concurrency.js';

export interface FileConcurrencyOptions {
  /** How often a waiter looks again without a watch event (a dead holder sends none). Default 500 ms. */
  readonly pollMs?: number;
  /** How often a holder or waiter renews its lease. Default 5 s. */
  readonly leaseRenewMs?: number;
  /** A lease from another host older than this is dead. Default 30 s. */
  readonly leaseStaleMs?: number;
}

/** Who wrote a lane or ticket file. */
interface Owner {
  readonly pid: number;
  /** Linux: the process's start time in clock ticks since boot (tells a reused pid apart). */
  readonly start?: string;
  readonly host: string;
  readonly executionId?: string;
}

const HOST = hostname();

/** Field 22 of /proc/<pid>/stat, after the command name (which may hold spaces and parentheses). */
function startTime(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const SELF: Owner = (() => {
  const start = startTime('self');
  return { pid: process.pid, host: HOST, ...(start === undefined ? {} : { start }) };
})();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Synchronous clean-ups for `exit`: release lanes, remove tickets of a process leaving at once. */
const onExit = new Set<() => void>();
let exitHooked = false;
function atExit(cleanup: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const f of onExit) {
        try {
          f();
        } catch {
          // leaving anyway: the next process finds the file dead
        }
      }
    });
  }
  onExit.add(cleanup);
  return () => onExit.delete(cleanup);
}

const LANE = /^lane-(\d+)-(\d+)(\.released)?$/;
const TICKET = /^ticket-\d+-\d+-\d+-[0-9a-f]+$/;
const TMP = /^tmp-/;

interface Scan {
  /** Per lane index: its newest generation and whether that one holds the lane. */
  readonly lanes: Map<number, { gen: number; held: boolean }>;
  /** Live tickets, in line order. */
  readonly tickets: string[];
  readonly running: number;
}

let ticketSeq = 0;

export class FileConcurrencyLimiter implements ConcurrencyLimiter {
  readonly dir: string;
  readonly #pollMs: number;
  readonly #renewMs: number;
  readonly #staleMs: number;

  constructor(dir: string, options: FileConcurrencyOptions = {}) {
    this.dir = dir;
    this.#pollMs = options.pollMs ?? 500;
    this.#renewMs = options.leaseRenewMs ?? 5_000;
    this.#staleMs = options.leaseStaleMs ?? 30_000;
  }

  /** The folder of a flow's slots. */
  flowDir(r: Pick<ConcurrencyRequest, 'tenant' | 'namespace' | 'flowId'>): string {
    return join(this.dir, encodeURIComponent(r.tenant), encodeURIComponent(r.namespace), encodeURIComponent(r.flowId));
  }

  async acquire(request: ConcurrencyRequest): Promise<ConcurrencyGrant> {
    const dir = this.flowDir(request);
    try {
      return await this.#acquire(dir, request);
    } catch (e) {
      throw new ConcurrencyError(dir, `Cannot count the flow's concurrency slots in ${dir}: ${(e as Error).message}`, { cause: e });
    }
  }

  async #acquire(dir: string, request: ConcurrencyRequest): Promise<ConcurrencyGrant> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const owner: Owner = { ...SELF, executionId: request.executionId };
    if (request.force === true) {
      for (;;) {
        const scan = await this.#scan(dir);
        for (let i = 0; ; i++) {
          const lane = scan.lanes.get(i);
          if (lane?.held === true) continue;
          const grant = await this.#claim(dir, i, lane?.gen ?? -1, owner);
          if (grant !== undefined) return grant;
          break;
        }
      }
    }
    if (!request.queue) {
      // CANCEL, FAIL: a free lane now, or refused. A lost race means another took it: look again.
      for (;;) {
        const scan = await this.#scan(dir);
        if (scan.running >= request.limit) return { granted: false, running: scan.running, aborted: false };
        const grant = await this.#claimFree(dir, scan, request.limit, owner);
        if (grant !== undefined) return grant;
      }
    }
    return this.#wait(dir, request, owner);
  }

  /** QUEUE: a ticket in line, then a lane once the ticket is among the first the free lanes allow. */
  async #wait(dir: string, request: ConcurrencyRequest, owner: Owner): Promise<ConcurrencyGrant> {
    const signal = request.signal;
    // A function: the signal changes while this waits.
    const aborted = (): boolean => signal?.aborted === true;
    if (aborted()) return { granted: false, running: (await this.#scan(dir)).running, aborted: true };
    const name = `ticket-${String(Date.now()).padStart(15, '0')}-${String(ticketSeq++).padStart(6, '0')}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const ticket = join(dir, name);
    await this.#create(ticket, owner);
    const forget = atExit(() => unlinkSync(ticket));
    const renew = setInterval(() => void utimes(ticket, new Date(), new Date()).catch(() => undefined), this.#renewMs);
    renew.unref();
    let wake: (() => void) | undefined;
    const poke = (): void => wake?.();
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dir, poke);
      watcher.on('error', () => undefined);
    } catch {
      // polling only
    }
    signal?.addEventListener('abort', poke);
    let queued = false;
    try {
      for (;;) {
        // Read before looking, so a change while looking wakes the next wait.
        const changed = new Promise<void>((resolve) => (wake = resolve));
        if (aborted()) return { granted: false, running: (await this.#scan(dir)).running, aborted: true };
        const scan = await this.#scan(dir);
        const place = scan.tickets.indexOf(name);
        const free = request.limit - scan.running;
        if (place >= 0 && place < free) {
          const grant = await this.#claimFree(dir, scan, request.limit, owner);
          if (grant !== undefined) return grant;
          continue;
        }
        if (place < 0) {
          // Removed by someone who found it dead: cannot be (this process lives), but stay in line.
          await this.#create(ticket, owner);
          continue;
        }
        if (!queued) {
          queued = true;
          request.onQueued?.(scan.running);
        }
        const timer = setTimeout(poke, this.#pollMs);
        await changed;
        clearTimeout(timer);
      }
    } finally {
      signal?.removeEventListener('abort', poke);
      watcher?.close();
      clearInterval(renew);
      forget();
      await unlink(ticket).catch(() => undefined);
    }
  }

  /** Claims one of the free lanes below the limit (each in turn until one is won). */
  async #claimFree(dir: string, scan: Scan, limit: number, owner: Owner): Promise<ConcurrencyGrant | undefined> {
    for (let i = 0; i < limit; i++) {
      const lane = scan.lanes.get(i);
      if (lane?.held === true) continue;
      const grant = await this.#claim(dir, i, lane?.gen ?? -1, owner);
      if (grant !== undefined) return grant;
    }
    return undefined;
  }

  /** Creates generation `newest + 1` of lane `i`; kept only if no newer one appeared meanwhile. */
  async #claim(dir: string, i: number, newest: number, owner: Owner): Promise<ConcurrencyGrant | undefined> {
    const gen = newest + 1;
    const file = join(dir, `lane-${i}-${gen}`);
    if (!(await this.#create(file, owner, true))) return undefined;
    const names = await readdir(dir).catch(() => [] as string[]);
    const older: string[] = [];
    for (const n of names) {
      const m = LANE.exec(n);
      if (m === null || Number(m[1]) !== i) continue;
      const g = Number(m[2]);
      if (g > gen) {
        // Claimed from an outdated look at the lane: the newer generation decides.
        await unlink(file).catch(() => undefined);
        return undefined;
      }
      if (g < gen) older.push(n);
    }
    for (const n of older) await unlink(join(dir, n)).catch(() => undefined);
    const released = `${file}.released`;
    const renew = setInterval(() => void utimes(file, new Date(), new Date()).catch(() => undefined), this.#renewMs);
    renew.unref();
    let done = false;
    const forget = atExit(() => writeFileSync(released, ''));
    return {
      granted: true,
      release: async () => {
        if (done) return;
        done = true;
        clearInterval(renew);
        forget();
        await writeFile(released, '').catch(() => undefined);
      },
    };
  }

  /**
   * Writes `owner` to `file`, which must not exist: written aside and linked in place, so the file
   * appears whole and only once. Returns false when it exists. Without hard links (some shared or
   * FAT folders) the file is created exclusively and written; a reader treats an unreadable young
   * file as held.
   */
  async #create(file: string, owner: Owner, exclusive = false): Promise<boolean> {
    const content = JSON.stringify({ ...owner, at: new Date().toISOString() });
    if (!exclusive) {
      await writeFile(file, content, { mode: 0o600 });
      return true;
    }
    const tmp = join(file, '..', `tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, content, { mode: 0o600 });
    try {
      await link(tmp, file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
      try {
        await writeFile(file, content, { flag: 'wx', mode: 0o600 });
        return true;
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e2;
      }
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Reads the flow's folder: each lane's newest generation and its holder's life, the live tickets. */
  async #scan(dir: string): Promise<Scan> {
    const names = await readdir(dir).catch(() => [] as string[]);
    const newest = new Map<number, number>();
    const released = new Set<string>();
    const tickets: string[] = [];
    const tmps: string[] = [];
    for (const n of names) {
      const m = LANE.exec(n);
      if (m !== null) {
        if (m[3] !== undefined) released.add(`${m[1]}-${m[2]}`);
        // A marker counts as its generation: a claim never reuses a released generation's name.
        newest.set(Number(m[1]), Math.max(newest.get(Number(m[1])) ?? -1, Number(m[2])));
      } else if (TICKET.test(n)) tickets.push(n);
      else if (TMP.test(n)) tmps.push(n);
    }
    const lanes = new Map<number, { gen: number; held: boolean }>();
    let running = 0;
    for (const [i, gen] of newest) {
      const held = !released.has(`${i}-${gen}`) && (await this.#alive(join(dir, `lane-${i}-${gen}`)));
      lanes.set(i, { gen, held });
      if (held) running++;
    }
    const live: string[] = [];
    for (const t of tickets.sort()) {
      if (await this.#alive(join(dir, t))) live.push(t);
      // Unique names: removing a dead waiter's ticket can never remove a live one.
      else await unlink(join(dir, t)).catch(() => undefined);
    }
    for (const t of tmps) {
      const file = join(dir, t);
      const info = await stat(file).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > this.#staleMs) await unlink(file).catch(() => undefined);
    }
    return { lanes, tickets: live, running };
  }

  /** Whether the process that wrote the file still holds it (a file that vanished was superseded: held). */
  async #alive(file: string): Promise<boolean> {
    let text: string;
    let mtime: number;
    try {
      [text, mtime] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mtimeMs)]);
    } catch {
      return true;
    }
    let owner: Owner;
    try {
      owner = JSON.parse(text) as Owner;
      if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') throw new Error('not an owner');
    } catch {
      // Being written (the no-hard-link fallback) unless long left so.
      return Date.now() - mtime < this.#staleMs;
    }
    if (owner.host !== HOST) return Date.now() - mtime < this.#staleMs;
    if (owner.pid === process.pid) return owner.start === undefined || owner.start === SELF.start;
    if (!pidAlive(owner.pid)) return false;
    const start = owner.start === undefined ? undefined : startTime(owner.pid);
    return start === undefined || start === owner.start;
  }
}
