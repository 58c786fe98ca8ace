/** The KV tasks' run, imported on first use (the definitions are in kv.ts). */
import { parseJson } from '../../engine/builtins/kestra/json.js';
import { renderTyped } from '../../engine/render-typed.js';
import { convertKVValue, KV_TYPES, type KVType } from '../../kv/kv-store.js';
import { globMatcher } from '../../storage/glob.js';
import { TaskError } from '../types.js';
import { requiredProperty } from '../storage/common.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

/** Kestra's `renderTyped` of a property: a non-string value is kept as written. */
async function renderTypedProperty(ctx: TaskRunContext, raw: unknown): Promise<unknown> {
  return typeof raw === 'string' ? renderTyped(raw, (template) => ctx.render(template)) : raw;
}

export async function runKvSet(ctx: TaskRunContext): Promise<void> {
  const namespace = await requiredProperty<string>(ctx, 'namespace');
  const key = await requiredProperty<string>(ctx, 'key');
  const kvType = (await ctx.property<string>('kvType'))?.trim().toUpperCase();
  if (kvType !== undefined && !(KV_TYPES as readonly string[]).includes(kvType)) {
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`kvType\`: expected one of ${KV_TYPES.join(', ')}, got \`${kvType}\``);
  }
  const value = convertKVValue(await renderTypedProperty(ctx, ctx.task.properties.value), kvType as KVType | undefined, parseJson);
  const ttlMs = await ctx.property<number>('ttl');
  const description = await ctx.property<string>('kvDescription');
  await (
    await ctx.kv.namespace(namespace)
  ).put(key, value, {
    overwrite: (await ctx.property<boolean>('overwrite')) ?? true,
    ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(description === undefined ? {} : { description }),
  });
}

export async function runKvGet(ctx: TaskRunContext): Promise<TaskResult> {
  const namespace = await requiredProperty<string>(ctx, 'namespace');
  const key = await requiredProperty<string>(ctx, 'key');
  const found = await (await ctx.kv.namespace(namespace)).getValue(key);
  if (found === undefined && (await ctx.property<boolean>('errorOnMissing')) === true) {
    throw new TaskError(
      'KV_NOT_FOUND',
      `No value found for key '${key}' in namespace '${namespace}' and \`errorOnMissing\` is set to true`,
    );
  }
  return { outputs: { value: found?.value ?? null } };
}

export async function runKvGetKeys(ctx: TaskRunContext): Promise<TaskResult> {
  const namespace = await requiredProperty<string>(ctx, 'namespace');
  const prefix = await ctx.property<string>('prefix');
  const keys = (await (await ctx.kv.namespace(namespace)).list())
    .map((e) => e.key)
    .filter((k) => prefix === undefined || k.startsWith(prefix));
  return { outputs: { keys } };
}

export async function runKvDelete(ctx: TaskRunContext): Promise<TaskResult> {
  const namespace = await requiredProperty<string>(ctx, 'namespace');
  const key = await requiredProperty<string>(ctx, 'key');
  const deleted = await (await ctx.kv.namespace(namespace)).delete(key);
  if (!deleted && (await ctx.property<boolean>('errorOnMissing')) === true) {
    throw new TaskError(
      'KV_NOT_FOUND',
      `No value found for key '${key}' in namespace '${namespace}' and \`errorOnMissing\` is set to true`,
    );
  }
  return { outputs: { deleted } };
}

export async function runPurgeKv(ctx: TaskRunContext): Promise<TaskResult> {
  const namespaces = (await ctx.property<unknown[]>('namespaces'))?.map(String);
  const pattern = await ctx.property<string>('namespacePattern');
  if (namespaces !== undefined && pattern !== undefined)
    throw new TaskError('INVALID_PROPERTY', '`namespaces` and `namespacePattern` cannot be used together: use one or the other');
  const includeChildren = (await ctx.property<boolean>('includeChildNamespaces')) ?? true;
  const behavior = (await ctx.property<Record<string, unknown>>('behavior')) ?? {};
  if (behavior['type'] !== undefined && behavior['type'] !== 'key') {
    throw new TaskError(
      'UNSUPPORTED',
      `PurgeKV behavior '${String(behavior['type'])}' is not available locally (versioned KV entries are a Kestra EE feature)`,
    );
  }
  const expiredOnly =
    (await ctx.property<boolean>('expiredOnly')) ?? (behavior['expiredOnly'] === undefined ? true : behavior['expiredOnly'] === true);
  const keyPattern = await ctx.property<string>('keyPattern');
  const keyMatches = keyPattern === undefined ? () => true : globMatcher([keyPattern]);
  const all = await ctx.kv.store.namespaces(ctx.kv.tenant);
  const selected = all.filter((ns) => {
    if (pattern !== undefined) return globMatcher([pattern])(ns);
    const roots = namespaces ?? [ctx.flow.namespace];
    return roots.some((root) => ns === root || (includeChildren && ns.startsWith(`${root}.`)));
  });
  ctx.log('INFO', `purging ${selected.length} namespaces: [${selected.join(', ')}]`);
  let size = 0;
  for (const ns of selected) {
    const store = ctx.kv.store.namespace(ctx.kv.tenant, ns);
    for (const entry of await store.listAll()) {
      if ((expiredOnly && !entry.expired) || !keyMatches(entry.key)) continue;
      if (await store.delete(entry.key)) size++;
    }
  }
  ctx.log('INFO', `purged ${size} keys`);
  return { outputs: { size } };
}
