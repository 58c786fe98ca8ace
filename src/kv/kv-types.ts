/** Kestra's `KVType`: its own module, as kv.Set's definition (its schema) needs the names and nothing of the store. */
export const KV_TYPES = ['STRING', 'NUMBER', 'BOOLEAN', 'DATETIME', 'DATE', 'DURATION', 'JSON'] as const;
export type KVType = (typeof KV_TYPES)[number];
