/**
 * The flows of one tenant, with the flows folder as the source of truth: every `*.yml`/`*.yaml`
 * under it is a flow; a file saved with problems is reported and the previous revision keeps
 * running; a deleted file deletes its flow. Each change of a flow's source is a new revision
 * (Kestra's revision history), kept under `.pebbleflow/flows/` so revisions survive restarts.
 * Flows created or updated through the API are written into the folder (`namespace_id.yml`,
 * Kestra's watcher naming) and read back from it like any other file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { checkFlow } from '../../flow/loader.js';
import { defaultTaskRegistry, type TaskRegistry } from '../../tasks/registry.js';
import { isFlowError, type FlowProblem } from '../../flow/errors.js';
import type { Flow } from '../../flow/model.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { DirWatcher, scanFlowFiles } from './dir-watcher.js';
import { FlowRepositoryError } from '../errors.js';

export interface RevisionEntry {
  readonly revision: number;
  readonly source: string;
  /** ISO-8601 */
  readonly date: string;
  readonly deleted?: boolean;
  /** The file (relative to the flows folder) the revision was read from. */
  readonly file?: string;
}

/** One revision of a flow, parsed. */
export interface FlowRecord {
  readonly tenant: string;
  readonly namespace: string;
  readonly id: string;
  readonly revision: number;
  readonly source: string;
  readonly deleted: boolean;
  readonly updated: string;
  /** The file that defines it now (absolute), for the latest revision. */
  readonly file?: string;
  /** Parsed with the revision set (what the runner gets). */
  readonly flow: Flow;
}

export interface FileStatus {
  /** Relative to the flows folder. */
  readonly file: string;
  readonly namespace?: string;
  readonly id?: string;
  readonly revision?: number;
  readonly problems: readonly FlowProblem[];
}

export type FlowChange =
  | { readonly kind: 'upsert'; readonly record: FlowRecord; readonly previous?: FlowRecord }
  | { readonly kind: 'delete'; readonly record: FlowRecord };

export { FlowRepositoryError };

interface Entry {
  readonly namespace: string;
  readonly id: string;
  history: RevisionEntry[];
  file?: string;
  /** Latest non-deleted revision, parsed. */
  active?: FlowRecord;
}

interface FileState {
  size: number;
  mtimeMs: number;
  hash: string;
  key?: string;
  /** Set when the file defines a flow another file already has: it takes over if that file goes. */
  duplicateOf?: string;
  problems: FlowProblem[];
}

const keyOf = (namespace: string, id: string): string => `${namespace}\u0000${id}`;
const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex');

export class FlowRepository {
  readonly dir: string;
  readonly tenant: string;
  private readonly historyDir: string;
  private readonly entries = new Map<string, Entry>();
  private readonly files = new Map<string, FileState>();
  private readonly listeners = new Set<(change: FlowChange) => void>();
  private readonly log: (line: string) => void;
  private watcher: DirWatcher | undefined;
  private syncing: Promise<void> | undefined;
  private again = false;

  /** The task types flows are checked against (core and the config's plugins). */
  readonly registry: TaskRegistry;

  constructor(options: { dir: string; dataDir: string; tenant: string; log?: (line: string) => void; registry?: TaskRegistry }) {
    this.registry = options.registry ?? defaultTaskRegistry;
    this.dir = resolve(options.dir);
    this.tenant = options.tenant;
    this.historyDir = join(options.dataDir, 'flows', options.tenant);
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Loads the revision history, reads the folder, then watches it. */
  async start(options: { watch?: boolean; pollMs?: number } = {}): Promise<void> {
    await this.loadHistory();
    await this.sync();
    if (options.watch !== false) {
      this.watcher = new DirWatcher(
        this.dir,
        () => void this.sync().catch((e: Error) => this.log(`pebbleflow: flows folder: ${e.message}`)),
      );
      await this.watcher.start(options.pollMs === undefined ? {} : { pollMs: options.pollMs });
    }
  }

  stop(): void {
    this.watcher?.stop();
  }

  onChange(listener: (change: FlowChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The namespaces that have flows (the KV store's "namespace exists", as Kestra's `NamespaceService`). */
  namespaces(): Set<string> {
    return new Set(this.list().map((r) => r.namespace));
  }

  /** Latest revisions of the flows that exist. */
  list(): FlowRecord[] {
    return [...this.entries.values()].flatMap((e) => (e.active === undefined ? [] : [e.active]));
  }

  /** The latest revision, or a given one (deleted revisions only with `allowDeleted`). */
  get(namespace: string, id: string, options: { revision?: number; allowDeleted?: boolean } = {}): FlowRecord | undefined {
    const entry = this.entries.get(keyOf(namespace, id));
    if (entry === undefined) return undefined;
    if (options.revision === undefined) {
      if (entry.active !== undefined) return entry.active;
      if (options.allowDeleted !== true) return undefined;
      const last = entry.history.at(-1);
      return last === undefined ? undefined : this.recordOf(entry, last);
    }
    const wanted = entry.history.filter((h) => h.revision === options.revision);
    const found = wanted.find((h) => h.deleted !== true) ?? (options.allowDeleted === true ? wanted[0] : undefined);
    if (found === undefined) return undefined;
    if (entry.active === undefined && options.allowDeleted !== true) return undefined;
    return this.recordOf(entry, found);
  }

  revisions(namespace: string, id: string): FlowRecord[] {
    const entry = this.entries.get(keyOf(namespace, id));
    if (entry === undefined) return [];
    return entry.history
      .filter((h) => h.deleted !== true)
      .flatMap((h) => {
        const r = this.recordOf(entry, h);
        return r === undefined ? [] : [r];
      });
  }

  lastRevision(namespace: string, id: string): number | undefined {
    return this.entries.get(keyOf(namespace, id))?.history.at(-1)?.revision;
  }

  /** Every flow file with what it defines and its problems (the server's "validate" of the folder). */
  fileStatuses(): FileStatus[] {
    return [...this.files.entries()]
      .map(([path, state]) => {
        const entry = state.key === undefined ? undefined : this.entries.get(state.key);
        return {
          file: relative(this.dir, path),
          ...(entry === undefined ? {} : { namespace: entry.namespace, id: entry.id }),
          ...(entry?.active === undefined || entry.file !== path ? {} : { revision: entry.active.revision }),
          problems: state.problems,
        };
      })
      .sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  /** Kestra's `POST /flows`: refused when the flow exists; written as `namespace_id.yml` in the folder. */
  async create(source: string): Promise<FlowRecord> {
    const flow = this.parse(source);
    const existing = this.entries.get(keyOf(flow.namespace, flow.id));
    if (existing?.active !== undefined) throw new FlowRepositoryError('FLOW_EXISTS', 'flow.id: Flow id already exists');
    const file = await this.freeFileName(flow.namespace, flow.id);
    await writeFileAtomic(file, source);
    await this.sync();
    const record = this.get(flow.namespace, flow.id);
    if (record === undefined) throw new FlowRepositoryError('FLOW_INVALID', `The flow file ${file} was written but not read back`);
    return record;
  }

  /** Kestra's `PUT /flows/{namespace}/{id}`: the id and namespace cannot change; an identical source keeps the revision. */
  async update(namespace: string, id: string, source: string): Promise<FlowRecord> {
    const entry = this.entries.get(keyOf(namespace, id));
    if (entry?.active === undefined) throw new FlowRepositoryError('FLOW_NOT_FOUND', `Flow ${namespace}.${id} not found`);
    const flow = this.parse(source);
    const problems: string[] = [];
    if (flow.id !== id) problems.push('flow.id: Illegal flow id update');
    if (flow.namespace !== namespace) problems.push('flow.namespace: Illegal namespace update');
    if (problems.length > 0) throw new FlowRepositoryError('FLOW_ID_CHANGED', problems.join(', '));
    const file = entry.file ?? (await this.freeFileName(namespace, id));
    await writeFileAtomic(file, source);
    await this.sync();
    return this.get(namespace, id)!;
  }

  /** Kestra's `DELETE /flows/{namespace}/{id}`: removes the file; the revisions stay readable with `allowDeleted`. */
  async delete(namespace: string, id: string): Promise<FlowRecord> {
    const entry = this.entries.get(keyOf(namespace, id));
    if (entry?.active === undefined) throw new FlowRepositoryError('FLOW_NOT_FOUND', `Flow ${namespace}.${id} not found`);
    const active = entry.active;
    if (entry.file !== undefined) await rm(entry.file, { force: true });
    await this.sync();
    if (this.entries.get(keyOf(namespace, id))?.active !== undefined) {
      // Another file still defines it (a duplicate that was waiting): that one now wins.
      return active;
    }
    return active;
  }

  /** Validates a source as create/update do (problems as FlowRepositoryError). */
  parse(source: string): Flow {
    const { flow, problems } = checkFlow(source, { registry: this.registry });
    if (flow === undefined) {
      const errors = problems.filter(isFlowError);
      throw new FlowRepositoryError(
        'FLOW_INVALID',
        errors.map((p) => `${p.line === undefined ? '' : `${p.line}:${p.column ?? 1}: `}${p.message}`).join('\n'),
        errors,
      );
    }
    return flow;
  }

  // ---------------------------------------------------------------------------------------------

  private recordOf(entry: Entry, h: RevisionEntry): FlowRecord | undefined {
    const { flow } = checkFlow(h.source, {
      registry: this.registry,
      ...(entry.file === undefined ? {} : { file: relative(this.dir, entry.file) }),
    });
    if (flow === undefined) return undefined;
    return {
      tenant: this.tenant,
      namespace: entry.namespace,
      id: entry.id,
      revision: h.revision,
      source: h.source,
      deleted: h.deleted === true,
      updated: h.date,
      ...(entry.file === undefined ? {} : { file: entry.file }),
      flow: { ...flow, revision: h.revision },
    };
  }

  private async freeFileName(namespace: string, id: string): Promise<string> {
    const stem = this.tenant === 'main' ? `${namespace}_${id}` : `${this.tenant}_${namespace}_${id}`;
    for (let n = 0; ; n++) {
      const file = join(this.dir, n === 0 ? `${stem}.yml` : `${stem}-${n}.yml`);
      if (
        !this.files.has(file) &&
        !(await readFile(file)
          .then(() => true)
          .catch(() => false))
      )
        return file;
    }
  }

  private historyFile(namespace: string, id: string): string {
    return join(this.historyDir, namespace, `${id}.json`);
  }

  private async loadHistory(): Promise<void> {
    const namespaces = await readdir(this.historyDir).catch(() => [] as string[]);
    for (const namespace of namespaces) {
      const files = await readdir(join(this.historyDir, namespace)).catch(() => [] as string[]);
      for (const name of files) {
        if (!name.endsWith('.json')) continue;
        try {
          const history = JSON.parse(await readFile(join(this.historyDir, namespace, name), 'utf8')) as RevisionEntry[];
          const id = basename(name, '.json');
          this.entries.set(keyOf(namespace, id), { namespace, id, history });
        } catch (e) {
          this.log(`pebbleflow: unreadable revision history ${join(this.historyDir, namespace, name)}: ${(e as Error).message}`);
        }
      }
    }
  }

  private async saveHistory(entry: Entry): Promise<void> {
    const file = this.historyFile(entry.namespace, entry.id);
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, JSON.stringify(entry.history, null, 1));
  }

  /** Reads the folder and applies what changed; calls are serialised and coalesced. */
  sync(): Promise<void> {
    if (this.syncing !== undefined) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.again = false;
          await this.syncOnce();
        } while (this.again);
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const scanned = await scanFlowFiles(this.dir);
    const seen = new Set<string>();
    const changes: FlowChange[] = [];
    const owners = new Map<string, string>();
    for (const [path, state] of this.files) if (state.key !== undefined) owners.set(state.key, path);

    for (const file of scanned) {
      seen.add(file.path);
      const known = this.files.get(file.path);
      if (known !== undefined && known.size === file.size && known.mtimeMs === file.mtimeMs) continue;
      let source: string;
      try {
        source = await readFile(file.path, 'utf8');
      } catch {
        continue; // gone between the scan and the read: the next pass sees it
      }
      const hash = hashOf(source);
      if (known !== undefined && known.hash === hash) {
        known.size = file.size;
        known.mtimeMs = file.mtimeMs;
        continue;
      }
      const shown = relative(this.dir, file.path);
      const { flow, problems } = checkFlow(source, { file: shown, registry: this.registry });
      const state: FileState = { size: file.size, mtimeMs: file.mtimeMs, hash, problems: [...problems] };
      if (flow === undefined) {
        state.key = known?.key ?? this.adopt(file.path);
        this.files.set(file.path, state);
        const entry = state.key === undefined ? undefined : this.entries.get(state.key);
        if (known === undefined && entry?.active !== undefined) changes.push({ kind: 'upsert', record: entry.active });
        const keeps =
          entry?.active === undefined ? '' : ` (revision ${entry.active.revision} of ${entry.namespace}.${entry.id} keeps running)`;
        this.log(`pebbleflow: ${shown} has ${problems.length} problem${problems.length === 1 ? '' : 's'}${keeps}:`);
        for (const p of problems) this.log(`  ${shown}:${p.line ?? 1}:${p.column ?? 1}: ${p.message}`);
        continue;
      }
      const key = keyOf(flow.namespace, flow.id);
      const owner = owners.get(key);
      // Defined twice: the file that had it first keeps it.
      if (owner !== undefined && owner !== file.path && scanned.some((s) => s.path === owner)) {
        const ownerState = this.files.get(owner);
        if (ownerState?.key === key) {
          state.problems = [
            {
              code: 'INVALID_VALUE',
              message: `Flow ${flow.namespace}.${flow.id} is already defined in ${relative(this.dir, owner)}`,
              path: 'id',
              file: shown,
            },
          ];
          state.duplicateOf = key;
          this.files.set(file.path, state);
          this.log(
            `pebbleflow: ${shown}: flow ${flow.namespace}.${flow.id} is already defined in ${relative(this.dir, owner)}; this file is ignored`,
          );
          continue;
        }
      }
      // The file may have defined another flow before: that flow loses its file.
      if (known?.key !== undefined && known.key !== key) {
        const change = await this.release(known.key, file.path);
        if (change !== undefined) changes.push(change);
      }
      state.key = key;
      this.files.set(file.path, state);
      owners.set(key, file.path);
      const change = await this.register(flow, source, file.path);
      if (change !== undefined) changes.push(change);
    }

    for (const [path, state] of [...this.files]) {
      if (seen.has(path)) continue;
      this.files.delete(path);
      if (state.key !== undefined) {
        const change = await this.release(state.key, path);
        if (change !== undefined) changes.push(change);
      }
    }
    // A file that waited behind a duplicate is read again now that the flow may be free.
    for (const change of changes) {
      if (change.kind !== 'delete') continue;
      const freed = keyOf(change.record.namespace, change.record.id);
      for (const [path, state] of this.files) {
        if (state.duplicateOf === freed) {
          this.files.delete(path);
          this.again = true;
        }
      }
    }

    // Flows recorded as alive whose file vanished while the server was stopped.
    for (const entry of this.entries.values()) {
      const last = entry.history.at(-1);
      if (entry.file === undefined && last !== undefined && last.deleted !== true) {
        entry.history.push({ revision: last.revision, source: last.source, date: new Date().toISOString(), deleted: true });
        await this.saveHistory(entry);
      }
    }
    for (const change of changes) for (const listener of this.listeners) listener(change);
  }

  /**
   * A file that is broken at start-up: the flow its last good revision came from stays alive on
   * that revision, as it would have if the server had been running when the file broke.
   */
  private adopt(path: string): string | undefined {
    const shown = relative(this.dir, path);
    for (const [key, entry] of this.entries) {
      const last = entry.history.at(-1);
      if (last === undefined || last.deleted === true || last.file !== shown || entry.file !== undefined) continue;
      const { flow } = checkFlow(last.source, { file: shown, registry: this.registry });
      if (flow === undefined) return undefined;
      entry.file = path;
      entry.active = {
        tenant: this.tenant,
        namespace: entry.namespace,
        id: entry.id,
        revision: last.revision,
        source: last.source,
        deleted: false,
        updated: last.date,
        file: path,
        flow: { ...flow, revision: last.revision },
      };
      return key;
    }
    return undefined;
  }

  private async register(flow: Flow, source: string, path: string): Promise<FlowChange | undefined> {
    const key = keyOf(flow.namespace, flow.id);
    let entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, (entry = { namespace: flow.namespace, id: flow.id, history: [] }));
    entry.file = path;
    const last = entry.history.at(-1);
    const previous = entry.active;
    if (last !== undefined && last.deleted !== true && last.source === source && previous !== undefined) return undefined;
    let revisionEntry: RevisionEntry;
    if (last !== undefined && last.deleted !== true && last.source === source) revisionEntry = last;
    else {
      revisionEntry = { revision: (last?.revision ?? 0) + 1, source, date: new Date().toISOString(), file: relative(this.dir, path) };
      entry.history.push(revisionEntry);
      await this.saveHistory(entry);
    }
    entry.active = {
      tenant: this.tenant,
      namespace: flow.namespace,
      id: flow.id,
      revision: revisionEntry.revision,
      source,
      deleted: false,
      updated: revisionEntry.date,
      file: path,
      flow: { ...flow, revision: revisionEntry.revision },
    };
    return { kind: 'upsert', record: entry.active, ...(previous === undefined ? {} : { previous }) };
  }

  private async release(key: string, path: string): Promise<FlowChange | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.file !== path) return undefined;
    entry.file = undefined;
    const active = entry.active;
    entry.active = undefined;
    if (active === undefined) return undefined;
    entry.history.push({ revision: active.revision, source: active.source, date: new Date().toISOString(), deleted: true });
    await this.saveHistory(entry);
    return { kind: 'delete', record: { ...active, deleted: true } };
  }
}
