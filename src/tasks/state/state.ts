/**
 * Kestra's state tasks (`state.Set`, `state.Get`, `state.Delete`) on the KV store, as Kestra ≥ 0.18
 * keeps them: key `<flow slug>_states_tasks-states_<name>[_<taskrun value>]` in the flow's namespace
 * (without the flow part when `namespace: true`), value the JSON of a map that `Set` merges into.
 */
import { createHash } from 'node:crypto';
import { slugify } from '../../engine/builtins/kestra/strings.js';
import { asRecord } from '../coerce.js';
import { defineTask, type TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';

const common = {
  name: { kind: 'string', default: 'default', description: 'The name of the state.' },
  namespace: { kind: 'boolean', default: false, description: 'Share the state across the flows of the namespace.' },
  taskrunValue: { kind: 'boolean', default: true, description: 'Keep one state per loop value (`taskrun.value`).' },
} as const;

/** Kestra's `Hashing.hashToString` (a stable short hash of the task run value). */
function hashValue(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

async function stateKey(ctx: TaskRunContext): Promise<{ key: string; name: string }> {
  const name = (await ctx.property<string>('name')) ?? 'default';
  const shared = (await ctx.property<boolean>('namespace')) === true;
  const perValue = (await ctx.property<boolean>('taskrunValue')) ?? true;
  const value = perValue ? ctx.taskRun.value : undefined;
  const flowPart = shared ? '' : `${slugify(ctx.flow.id)}_`;
  return { key: `${flowPart}states_tasks-states_${name}${value === undefined ? '' : `_${hashValue(value)}`}`, name };
}

async function load(ctx: TaskRunContext, key: string): Promise<Record<string, unknown> | undefined> {
  const found = await (await ctx.kv.namespace(ctx.flow.namespace)).getValue(key);
  if (found === undefined) return undefined;
  const value = found.value;
  if (typeof value === 'string') return asRecord(value, 'state');
  return asRecord(value ?? {}, 'state');
}

export const stateSetTask = defineTask({
  type: 'io.kestra.plugin.core.state.Set',
  aliases: ['io.kestra.core.tasks.states.Set'],
  title: 'Merge `data` into a state; outputs `count` and `key`.',
  properties: { ...common, data: { kind: 'map', description: 'Keys and values are rendered.' } },
  outputs: { count: { kind: 'integer' }, key: { kind: 'string' } },
  async run(ctx) {
    const { key } = await stateKey(ctx);
    const data = (await ctx.property<Record<string, unknown>>('data')) ?? {};
    const merged = { ...((await load(ctx, key)) ?? {}), ...data };
    await (await ctx.kv.namespace(ctx.flow.namespace)).put(key, JSON.stringify(merged));
    return { outputs: { count: Object.keys(merged).length, key } };
  },
});

export const stateGetTask = defineTask({
  type: 'io.kestra.plugin.core.state.Get',
  aliases: ['io.kestra.core.tasks.states.Get'],
  title: 'Read a state; outputs `count` and `data`.',
  properties: { ...common, errorOnMissing: { kind: 'boolean', default: false } },
  outputs: { count: { kind: 'integer' }, data: { kind: 'map' } },
  async run(ctx) {
    const { key } = await stateKey(ctx);
    const data = await load(ctx, key);
    if (data === undefined && (await ctx.property<boolean>('errorOnMissing')) === true)
      throw new TaskError('STATE_NOT_FOUND', `State ${key} not found`);
    return { outputs: { count: Object.keys(data ?? {}).length, data: data ?? {} } };
  },
});

export const stateDeleteTask = defineTask({
  type: 'io.kestra.plugin.core.state.Delete',
  aliases: ['io.kestra.core.tasks.states.Delete'],
  title: 'Delete a state; output `deleted`.',
  properties: { ...common, errorOnMissing: { kind: 'boolean', default: false } },
  outputs: { deleted: { kind: 'boolean' } },
  async run(ctx) {
    const { key, name } = await stateKey(ctx);
    const deleted = await (await ctx.kv.namespace(ctx.flow.namespace)).delete(key);
    if (!deleted && (await ctx.property<boolean>('errorOnMissing')) === true)
      throw new TaskError('STATE_NOT_FOUND', `Unable to find the state file '${name}'`);
    return { outputs: { deleted } };
  },
});
