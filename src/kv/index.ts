export { KVStore, NamespaceKV, FlowKV, KVStoreError, KV_TYPES, convertKVValue, validateKey, isParentNamespace } from './kv-store.js';
export type { KVEntry, KVPutOptions, KVType, KVErrorCode } from './kv-store.js';
export { kvExtension } from './functions.js';
export type { KVRuntime } from './functions.js';
