/**
 * Kestra's state tasks (`state.Set`, `state.Get`, `state.Delete`) on the KV store, as Kestra ≥ 0.18
 * keeps them: key `<flow slug>_states_tasks-states_<name>[_<taskrun value>]` in the flow's namespace
 * (without the flow part when `namespace: true`), value the JSON of a map that `Set` merges into.
 */
import { defineTask } from '../definition.js';

const common = {
  name: { kind: 'string', default: 'default', description: 'The name of the state.' },
  namespace: { kind: 'boolean', default: false, description: 'Share the state across the flows of the namespace.' },
  taskrunValue: { kind: 'boolean', default: true, description: 'Keep one state per loop value (`taskrun.value`).' },
} as const;

export const stateSetTask = defineTask({
  type: 'io.kestra.plugin.core.state.Set',
  aliases: ['io.kestra.core.tasks.states.Set'],
  title: 'Merge `data` into a state; outputs `count` and `key`.',
  properties: { ...common, data: { kind: 'map', description: 'Keys and values are rendered.' } },
  outputs: { count: { kind: 'integer' }, key: { kind: 'string' } },
  async run(ctx) {
    return (await import('./state-run.js')).runStateSet(ctx);
  },
});

export const stateGetTask = defineTask({
  type: 'io.kestra.plugin.core.state.Get',
  aliases: ['io.kestra.core.tasks.states.Get'],
  title: 'Read a state; outputs `count` and `data`.',
  properties: { ...common, errorOnMissing: { kind: 'boolean', default: false } },
  outputs: { count: { kind: 'integer' }, data: { kind: 'map' } },
  async run(ctx) {
    return (await import('./state-run.js')).runStateGet(ctx);
  },
});

export const stateDeleteTask = defineTask({
  type: 'io.kestra.plugin.core.state.Delete',
  aliases: ['io.kestra.core.tasks.states.Delete'],
  title: 'Delete a state; output `deleted`.',
  properties: { ...common, errorOnMissing: { kind: 'boolean', default: false } },
  outputs: { deleted: { kind: 'boolean' } },
  async run(ctx) {
    return (await import('./state-run.js')).runStateDelete(ctx);
  },
});
