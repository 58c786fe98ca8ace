/**
 * Flows found by namespace and id (Kestra's flow repository): how a Subflow task finds its child
 * flow. The CLI reads a folder of flow files (`--flows DIR`, default the flow file's folder).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskRegistry } from '../tasks/registry.js';
import { checkFlowFile } from './loader.js';
import type { Flow } from './model.js';

export interface FlowRepository {
  /** The flow with this namespace and id (the latest revision, or the given one), if there is one. */
  find(namespace: string, id: string, options?: { tenant?: string; revision?: number }): Flow | undefined | Promise<Flow | undefined>;
  /** The folder the flows are files in, when they are (git.SyncFlows writes there). */
  readonly dir?: string;
  /** The namespaces that have flows (Kestra's `findDistinctNamespace`): which namespaces exist for the KV store. */
  namespaces?(tenant: string): Iterable<string> | undefined | Promise<Iterable<string> | undefined>;
}

/** Flows held in memory (embedders, tests). */
export class MemoryFlowRepository implements FlowRepository {
  readonly #flows = new Map<string, Flow>();
  constructor(flows: Iterable<Flow> = []) {
    for (const flow of flows) this.add(flow);
  }
  add(flow: Flow): this {
    this.#flows.set(`${flow.namespace}\u0000${flow.id}`, flow);
    return this;
  }
  find(namespace: string, id: string): Flow | undefined {
    return this.#flows.get(`${namespace}\u0000${id}`);
  }
  namespaces(): Set<string> {
    return new Set([...this.#flows.values()].map((f) => f.namespace));
  }
}

const CONFIG_NAMES = new Set(['pebbleflow.yaml', 'pebbleflow.yml']);
const MAX_DEPTH = 8;

/**
 * Every valid flow file (`*.yml`, `*.yaml`) in a folder and its subfolders, indexed by namespace
 * and id on first use. Files that do not load are skipped (`pebbleflow validate` reports them).
 */
export class DirectoryFlowRepository implements FlowRepository {
  readonly dir: string;
  readonly #registry: TaskRegistry | undefined;
  #index: Map<string, Flow> | undefined;

  constructor(dir: string, options: { registry?: TaskRegistry } = {}) {
    this.dir = dir;
    this.#registry = options.registry;
  }

  find(namespace: string, id: string): Flow | undefined {
    this.#index ??= this.#scan();
    return this.#index.get(`${namespace}\u0000${id}`);
  }

  namespaces(): Set<string> {
    this.#index ??= this.#scan();
    return new Set([...this.#index.values()].map((f) => f.namespace));
  }

  #scan(): Map<string, Flow> {
    const index = new Map<string, Flow>();
    const walk = (dir: string, depth: number): void => {
      if (depth > MAX_DEPTH) return;
      let entries: string[];
      try {
        entries = readdirSync(dir).sort();
      } catch {
        return;
      }
      for (const name of entries) {
        if (name.startsWith('.') || name === 'node_modules') continue;
        const path = join(dir, name);
        let isDir = false;
        try {
          isDir = statSync(path).isDirectory();
        } catch {
          continue;
        }
        if (isDir) walk(path, depth + 1);
        else if (/\.ya?ml$/i.test(name) && !CONFIG_NAMES.has(name)) {
          const { flow } = checkFlowFile(path, path, this.#registry === undefined ? {} : { registry: this.#registry });
          const key = flow === undefined ? undefined : `${flow.namespace}\u0000${flow.id}`;
          if (flow !== undefined && key !== undefined && !index.has(key)) index.set(key, flow);
        }
      }
    };
    walk(this.dir, 0);
    return index;
  }
}
