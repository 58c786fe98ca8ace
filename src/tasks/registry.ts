/**
 * The one table of task types. Core types are registered here; embedders add their own with
 * `registerTaskType`, and both the loader and the runner look types up in it.
 */
import { failPlugin } from './fail.js';
import { requestPlugin } from './http-request.js';
import { ifPlugin } from './if.js';
import { logPlugin } from './log.js';
import { outputValuesPlugin } from './output-values.js';
import { returnPlugin } from './return.js';
import { sequentialPlugin } from './sequential.js';
import type { TaskPlugin } from './types.js';

const byName = new Map<string, TaskPlugin>();
const TYPE_PATTERN = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

/**
 * Adds a task type (or replaces one, with `{ replace: true }`). Its `type` and `aliases` must be
 * dotted Java-style names, as Kestra's are.
 */
export function registerTaskType(plugin: TaskPlugin, options: { replace?: boolean } = {}): void {
  const names = [plugin.type, ...(plugin.aliases ?? [])];
  for (const name of names) {
    if (!TYPE_PATTERN.test(name))
      throw new TypeError(`Invalid task type name \`${name}\`: expected a dotted name such as com.example.MyTask`);
    const existing = byName.get(name);
    if (existing !== undefined && existing.type !== plugin.type && options.replace !== true) {
      throw new TypeError(`Task type \`${name}\` is already registered (by ${existing.type}); pass { replace: true } to replace it`);
    }
    if (existing !== undefined && options.replace !== true)
      throw new TypeError(`Task type \`${name}\` is already registered; pass { replace: true } to replace it`);
  }
  for (const name of names) byName.set(name, plugin);
}

/** The task type for a name or alias. */
export function resolveTaskType(name: string): TaskPlugin | undefined {
  return byName.get(name);
}

/** Every registered task type, once each. */
export function listTaskTypes(): TaskPlugin[] {
  return [...new Set(byName.values())];
}

for (const plugin of [requestPlugin, logPlugin, returnPlugin, outputValuesPlugin, failPlugin, ifPlugin, sequentialPlugin])
  registerTaskType(plugin);
