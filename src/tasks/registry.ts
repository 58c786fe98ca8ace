/**
 * Task registries: which task types a flow may use. A `TaskRegistry` is an object passed to
 * `checkFlow` and `runFlow`; the default one holds the core types and whatever embedders add
 * with `registerTaskType`, so flows load and run without passing one.
 */
import { CORE_TASKS } from './core.js';
import { normalizeTaskDefinition, type LegacyTaskPlugin } from './legacy.js';
import type { TaskDefinition } from './definition.js';

const TYPE_PATTERN = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

export class TaskRegistry {
  readonly #byName = new Map<string, TaskDefinition>();

  constructor(definitions: Iterable<TaskDefinition | LegacyTaskPlugin> = []) {
    for (const definition of definitions) this.register(definition);
  }

  /**
   * Adds a task type (or replaces one, with `{ replace: true }`). Its `type` and `aliases` must be
   * dotted Java-style names, as Kestra's are.
   */
  register(definition: TaskDefinition | LegacyTaskPlugin, options: { replace?: boolean } = {}): this {
    const def = normalizeTaskDefinition(definition);
    const names = [def.type, ...(def.aliases ?? [])];
    for (const name of names) {
      if (!TYPE_PATTERN.test(name))
        throw new TypeError(`Invalid task type name \`${name}\`: expected a dotted name such as com.example.MyTask`);
      const existing = this.#byName.get(name);
      if (existing !== undefined && options.replace !== true) {
        const by = existing.type === def.type ? '' : ` (by ${existing.type})`;
        throw new TypeError(`Task type \`${name}\` is already registered${by}; pass { replace: true } to replace it`);
      }
    }
    if (options.replace === true) {
      // A replaced type loses the names it had that the new definition does not declare.
      const old = this.#byName.get(def.type);
      if (old !== undefined) for (const name of [old.type, ...(old.aliases ?? [])]) this.#byName.delete(name);
    }
    for (const name of names) this.#byName.set(name, def);
    return this;
  }

  /** The task type for a name or alias. */
  resolve(name: string): TaskDefinition | undefined {
    return this.#byName.get(name);
  }

  /** Every registered task type, once each, in registration order. */
  list(): TaskDefinition[] {
    return [...new Set(this.#byName.values())];
  }

  /** A copy to add types to without changing this one. */
  clone(): TaskRegistry {
    return new TaskRegistry(this.list());
  }
}

/** A registry with the core task types (and nothing an embedder registered globally). */
export function createTaskRegistry(extra: Iterable<TaskDefinition | LegacyTaskPlugin> = []): TaskRegistry {
  const registry = new TaskRegistry(CORE_TASKS);
  for (const definition of extra) registry.register(definition);
  return registry;
}

/** The registry used when none is passed: the core types plus `registerTaskType` additions. */
export const defaultTaskRegistry: TaskRegistry = createTaskRegistry();

/** Adds a task type to the default registry. */
export function registerTaskType(definition: TaskDefinition | LegacyTaskPlugin, options: { replace?: boolean } = {}): void {
  defaultTaskRegistry.register(definition, options);
}

/** The task type for a name or alias, in the default registry. */
export function resolveTaskType(name: string): TaskDefinition | undefined {
  return defaultTaskRegistry.resolve(name);
}

/** Every task type of the default registry. */
export function listTaskTypes(): TaskDefinition[] {
  return defaultTaskRegistry.list();
}
