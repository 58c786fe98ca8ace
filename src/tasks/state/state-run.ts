/** The state tasks' run, imported on first use (the definitions are in state.ts). */
import { createHash } from 'node:crypto';
import { slugify } from '../../engine/builtins/kestra/strings.js';
import { asRecord } from '../coerce.js';
import { TaskError } from '../types.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

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

export async function runStateSet(ctx: TaskRunContext): Promise<TaskResult> {
  const { key } = await stateKey(ctx);
  const data = (await ctx.property<Record<string, unknown>>('data')) ?? {};
  const merged = { ...((await load(ctx, key)) ?? {}), ...data };
  await (await ctx.kv.namespace(ctx.flow.namespace)).put(key, JSON.stringify(merged));
  return { outputs: { count: Object.keys(merged).length, key } };
}

export async function runStateGet(ctx: TaskRunContext): Promise<TaskResult> {
  const { key } = await stateKey(ctx);
  const data = await load(ctx, key);
  if (data === undefined && (await ctx.property<boolean>('errorOnMissing')) === true)
    throw new TaskError('STATE_NOT_FOUND', `State ${key} not found`);
  return { outputs: { count: Object.keys(data ?? {}).length, data: data ?? {} } };
}

export async function runStateDelete(ctx: TaskRunContext): Promise<TaskResult> {
  const { key, name } = await stateKey(ctx);
  const deleted = await (await ctx.kv.namespace(ctx.flow.namespace)).delete(key);
  if (!deleted && (await ctx.property<boolean>('errorOnMissing')) === true)
    throw new TaskError('STATE_NOT_FOUND', `Unable to find the state file '${name}'`);
  return { outputs: { deleted } };
}
