/** Kestra's KV tasks: `kv.Set`, `kv.Get`, `kv.GetKeys`, `kv.Delete` and `kv.PurgeKV`, on the local KV store. */
import { KV_TYPES } from '../../kv/kv-types.js';
import { defineTask } from '../definition.js';

const namespaceProperty = { kind: 'string', default: '{{ flow.namespace }}', description: 'Default: the flow’s namespace.' } as const;

export const kvSetTask = defineTask({
  type: 'io.kestra.plugin.core.kv.Set',
  title: 'Set a key of the KV store (ttl, overwrite, kvType).',
  properties: {
    key: { kind: 'string', required: true },
    value: { kind: 'any', required: true, dynamic: false, description: 'Rendered; a single expression keeps its type.' },
    namespace: namespaceProperty,
    overwrite: { kind: 'boolean', default: true },
    ttl: { kind: 'duration', description: 'ISO-8601 duration after which the key expires.' },
    kvType: { kind: 'string', schema: { enum: [...KV_TYPES] }, description: 'Type the value is converted to; default: as rendered.' },
    kvDescription: { kind: 'string' },
  },
  async run(ctx) {
    await (await import('./kv-run.js')).runKvSet(ctx);
  },
});

export const kvGetTask = defineTask({
  type: 'io.kestra.plugin.core.kv.Get',
  title: 'Get the value of a key of the KV store; output `value`.',
  properties: {
    key: { kind: 'string', required: true },
    namespace: namespaceProperty,
    errorOnMissing: { kind: 'boolean', default: false },
  },
  outputs: { value: { kind: 'any' } },
  async run(ctx) {
    return (await import('./kv-run.js')).runKvGet(ctx);
  },
});

export const kvGetKeysTask = defineTask({
  type: 'io.kestra.plugin.core.kv.GetKeys',
  title: 'The keys of the KV store that start with `prefix`; output `keys`.',
  properties: { prefix: { kind: 'string' }, namespace: namespaceProperty },
  outputs: { keys: { kind: 'list' } },
  async run(ctx) {
    return (await import('./kv-run.js')).runKvGetKeys(ctx);
  },
});

export const kvDeleteTask = defineTask({
  type: 'io.kestra.plugin.core.kv.Delete',
  title: 'Delete a key of the KV store; output `deleted`.',
  properties: {
    key: { kind: 'string', required: true },
    namespace: namespaceProperty,
    errorOnMissing: { kind: 'boolean', default: false },
  },
  outputs: { deleted: { kind: 'boolean' } },
  async run(ctx) {
    return (await import('./kv-run.js')).runKvDelete(ctx);
  },
});

export const purgeKvTask = defineTask({
  type: 'io.kestra.plugin.core.kv.PurgeKV',
  title: 'Delete keys of the KV store (expired ones by default) across namespaces; output `size`.',
  properties: {
    namespaces: {
      kind: 'list',
      description: 'Namespaces to purge (default: every namespace this flow may write: its own and its children).',
    },
    namespacePattern: { kind: 'string', description: 'A glob over namespace names, instead of `namespaces`.' },
    keyPattern: { kind: 'string', description: 'A glob over keys.' },
    includeChildNamespaces: { kind: 'boolean', default: true },
    expiredOnly: { kind: 'boolean', deprecated: true, description: 'Overrides `behavior`.' },
    behavior: {
      kind: 'map',
      schema: { type: 'object', properties: { type: { enum: ['key'] }, expiredOnly: { type: 'boolean' } } },
      description: '{ type: key, expiredOnly: true } by default.',
    },
  },
  outputs: { size: { kind: 'integer' } },
  async run(ctx) {
    return (await import('./kv-run.js')).runPurgeKv(ctx);
  },
});
