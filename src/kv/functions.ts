/**
 * Kestra's `kv(key, namespace, errorOnMissing)` template function. Without `namespace` the key is looked
 * up in the flow's namespace, then its parents; `errorOnMissing` defaults to true (Kestra ≥ 0.22). The
 * store and the flow's namespace come from `RenderScope.runtime.kv`, set by the runner.
 */
import { functionError } from '../engine/builtins/kestra/common.js';
import type { Extension, FunctionDefinition } from '../engine/extension.js';
import { FlowKV, KVStoreError } from './kv-store.js';

/** What `kv()` needs of `RenderScope.runtime` (the flow runner's execution runtime has it). */
export interface KVRuntime {
  readonly kv?: FlowKV;
}

const kv: FunctionDefinition = {
  argNames: ['key', 'namespace', 'errorOnMissing'],
  async call(args, ctx) {
    if (!Object.hasOwn(args, 'key')) throw functionError("The 'kv' function expects an argument 'key'.");
    const key = args['key'];
    if (typeof key !== 'string')
      throw functionError(`The 'kv' function expects an argument 'key' of type string, got ${key === null ? 'null' : typeof key}.`);
    const nsArg = args['namespace'];
    if (nsArg !== undefined && nsArg !== null && typeof nsArg !== 'string')
      throw functionError("The 'kv' function expects an argument 'namespace' of type string.");
    const missingArg = args['errorOnMissing'];
    if (missingArg !== undefined && missingArg !== null && typeof missingArg !== 'boolean') {
      throw functionError("The 'kv' function expects an argument 'errorOnMissing' of type boolean.");
    }
    const errorOnMissing = missingArg ?? true;
    const store = (ctx.scope.runtime as KVRuntime | null | undefined)?.kv;
    if (!(store instanceof FlowKV))
      throw functionError("The 'kv' function reads the KV store, which only exists while a flow runs (pebbleflow run)");
    const namespace = typeof nsArg === 'string' ? nsArg : store.fromNamespace;
    let value: { value: unknown } | undefined;
    try {
      value = typeof nsArg === 'string' ? await (await store.namespace(nsArg)).getValue(key) : await store.getInherited(key);
    } catch (e) {
      if (e instanceof KVStoreError && e.code === 'KV_EXPIRED' && !errorOnMissing) value = undefined;
      else throw functionError(e instanceof Error ? e.message : String(e), e);
    }
    if (value === undefined && errorOnMissing) throw functionError(`The key '${key}' does not exist in the namespace '${namespace}'.`);
    return value === undefined ? null : value.value;
  },
};

export function kvExtension(): Extension {
  return { functions: { kv } };
}
