/**
 * Kestra's KV endpoints (`KVController`) under `/api/v1/{tenant}/namespaces/{namespace}/kv`: list the
 * keys, get a typed value, put one (the body is JSON — read as Ion, as Kestra does — with an optional
 * `ttl` header, an ISO-8601 duration), delete one or several. The store is the one flows use
 * (`kv()`, `kv.Set`…): files under the storage folder, one per key.
 */
import { parseDuration } from '../../flow/duration.js';
import { KVStoreError, type KVStore } from '../../kv/kv-store.js';
import { parseIon } from '../../serdes/ion.js';
import { isMap, toKestraJson } from '../../engine/values.js';
import { HttpError, illegalArgument, notFound } from '../http/errors.js';
import { json, type ApiRequest } from '../http/exchange.js';
import { API, type ApiContext } from './context.js';
import { checkTenant } from './common.js';

/** Kestra's `KVType.from`: what the API says a stored value is. */
function kvType(value: unknown): string {
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'number' || typeof value === 'bigint') return 'NUMBER';
  if (Array.isArray(value) || isMap(value)) return 'JSON';
  // Java number wrappers (Double, BigDecimal) are the engine's only other objects.
  if (value !== null && typeof value === 'object') return 'NUMBER';
  return 'STRING';
}

const plain = (value: unknown): unknown => JSON.parse(toKestraJson(value, true)) as unknown;

function kvError(e: unknown): never {
  if (e instanceof KVStoreError) {
    if (e.code === 'KV_EXPIRED') throw new HttpError(410, `Resource has expired: ${e.message}`);
    throw illegalArgument(e.message);
  }
  throw e;
}

export function registerKvRoutes(ctx: ApiContext, kv: KVStore): void {
  const { router } = ctx;
  const base = `${API}/namespaces/{namespace}/kv`;
  const store = (req: ApiRequest) => {
    checkTenant(ctx, req);
    return kv.namespace(ctx.tenant, req.param('namespace'));
  };

  router.add('GET', base, async (req) => json(await store(req).list().catch(kvError)));

  router.add('GET', `${base}/{key}`, async (req) => {
    const namespace = req.param('namespace');
    const key = req.param('key');
    const found = await store(req).getValue(key).catch(kvError);
    if (found === undefined) throw notFound(`No value found for key '${key}' in namespace '${namespace}'`);
    return json({ type: kvType(found.value), value: plain(found.value) });
  });

  router.add('PUT', `${base}/{key}`, async (req) => {
    const ns = store(req);
    const text = await req.text();
    let values: unknown[];
    try {
      values = parseIon(text);
    } catch {
      throw illegalArgument(`Invalid JSON value for: ${text}`);
    }
    if (values.length !== 1) throw illegalArgument(`Invalid JSON value for: ${text}`);
    const ttlHeader = req.header('ttl');
    let ttlMs: number | undefined;
    if (ttlHeader !== undefined) {
      ttlMs = parseDuration(ttlHeader);
      if (ttlMs === undefined) throw illegalArgument(`Text cannot be parsed to a Duration: ${ttlHeader}`);
    }
    await ns.put(req.param('key'), values[0], ttlMs === undefined ? {} : { ttlMs }).catch(kvError);
    return { status: 200 };
  });

  router.add('DELETE', `${base}/{key}`, async (req) => json(await store(req).delete(req.param('key')).catch(kvError)));

  router.add('DELETE', base, async (req) => {
    const ns = store(req);
    const body = (await req.json()) as { keys?: unknown } | null;
    const keys = Array.isArray(body?.keys) ? body.keys.filter((k): k is string => typeof k === 'string') : [];
    const deleted: string[] = [];
    for (const key of keys) if (await ns.delete(key).catch(() => false)) deleted.push(key);
    return json({ keys: deleted });
  });
}
