/**
 * The loop values of ForEach, EachSequential and EachParallel, as Kestra's
 * `FlowableUtils.resolveEachTasks` computes them: a string is rendered then read as a JSON list; a
 * list has its strings and integers rendered (as strings) and its maps rendered deeply; values are
 * made distinct; a string value stays as it is, anything else becomes its JSON text.
 */
import { parseJson } from '../../engine/builtins/kestra/json.js';
import { toJavaString, toKestraJson } from '../../engine/values.js';
import type { TaskNode } from '../../flow/model.js';
import type { StateType } from '../../flow/execution.js';
import type { ChildItem, ChildrenPlan, PropertyDefinition, TaskCheckContext, TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';

export async function resolveEachValues(ctx: TaskRunContext, raw: unknown, property: string): Promise<string[]> {
  let values: unknown[];
  if (typeof raw === 'string') {
    const rendered = await ctx.render(raw);
    let parsed: unknown;
    try {
      parsed = parseJson(rendered);
    } catch (e) {
      throw new TaskError(
        'INVALID_PROPERTY',
        `Invalid value for \`${property}\`: ${(e as Error).message} (expected a JSON list, got \`${rendered}\`)`,
      );
    }
    if (!Array.isArray(parsed))
      throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${property}\`: expected a JSON list, got \`${rendered}\``);
    values = parsed;
  } else if (Array.isArray(raw)) {
    values = [];
    for (const item of raw) {
      if (typeof item === 'string') values.push(await ctx.render(item));
      else if (typeof item === 'number' && Number.isInteger(item)) values.push(await ctx.render(String(item)));
      else if (item !== null && typeof item === 'object' && !Array.isArray(item)) values.push(await ctx.renderValue(item));
      else throw new TaskError('INVALID_PROPERTY', `Unknown value element type: ${javaType(item)}`);
    }
  } else {
    throw new TaskError('INVALID_PROPERTY', `Unknown value type: ${javaType(raw)}`);
  }
  const seen = new Set<string>();
  const out: string[] = [];
  let nulls = 0;
  for (const v of values) {
    if (v === null || v === undefined) {
      nulls++;
      continue;
    }
    const text = typeof v === 'string' ? v : toKestraJson(v);
    if (!seen.has(text)) {
      seen.add(text);
      out.push(text);
    }
  }
  // Kestra counts nulls among the distinct values: at most one.
  if (nulls > 0) throw new TaskError('INVALID_PROPERTY', `Found '1' null values on Each, with values=${toJavaString(values)}`);
  return out;
}

function javaType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'class java.lang.Boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'class java.lang.Integer' : 'class java.lang.Double';
  if (Array.isArray(value)) return 'class java.util.ArrayList';
  if (typeof value === 'object') return 'class java.util.LinkedHashMap';
  return 'class java.lang.String';
}

/** Every task of `tasks` for every value, value by value (Kestra's resolved tasks order). */
export function eachItems(values: readonly string[], tasks: readonly TaskNode[]): ChildItem[] {
  const out: ChildItem[] = [];
  for (const value of values) for (const task of tasks) out.push({ task, value });
  return out;
}

/** Load-time check: a literal that is not a list (nor a string that could render to one) is refused. */
export function checkEachValues(task: TaskNode, property: string, ctx: TaskCheckContext): void {
  const raw = task.properties[property];
  if (raw === undefined) return;
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      if (typeof item === 'string' || (typeof item === 'number' && Number.isInteger(item))) return;
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) return;
      ctx.problem(`Invalid value for \`${property}\`: each element must be a string, an integer or a map, got ${JSON.stringify(item)}`, [
        property,
        i,
      ]);
    });
    return;
  }
  if (typeof raw === 'string') {
    if (/\{\{|\{%/.test(raw)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed))
      ctx.problem(`Invalid value for \`${property}\`: expected a list (or a JSON list, or an expression), got \`${raw}\``, [property]);
    return;
  }
  // Other types are refused by the property's schema.
}

/** The values property of the Each tasks: a list, a JSON list, or an expression (rendered by the task). */
export const EACH_VALUES_PROPERTY: PropertyDefinition = {
  required: true,
  dynamic: false,
  schema: { anyOf: [{ type: 'array' }, { type: 'string' }], 'x-expected': 'a list, a JSON list or an expression' },
  description: 'A list, a JSON list, or an expression that renders to one; strings and integers are rendered, maps rendered deeply.',
};

/** Runs the task's `tasks` once per value of `property` (nothing to run: SUCCESS, as Kestra's Each tasks). */
export async function runEach(ctx: TaskRunContext, property: string, plan: Omit<ChildrenPlan, 'tasks'>): Promise<{ state: StateType }> {
  const values = await resolveEachValues(ctx, ctx.task.properties[property], property);
  const items = eachItems(values, ctx.task.children.tasks ?? []);
  if (items.length === 0) return { state: 'SUCCESS' };
  return { state: await ctx.runChildren({ ...plan, tasks: items }) };
}
