/**
 * `io.kestra.plugin.core.flow.ForEachItem`: splits the storage file `items` into batches (`batch`:
 * `rows`, default 1, `bytes` or `partitions`, and `separator`) and runs the subflow
 * `namespace`/`flowId` once per batch, its `inputs` rendered with `taskrun.items` (the batch file's
 * URI) and `taskrun.iteration` (its number, from 1). As in Kestra it is a flowable of three internal
 * task runs, one after the other: `<id>_split` (output `splits`, a file listing the batches' URIs),
 * `<id>_items` (starts every subflow; outputs `numberOfBatches`, `iterations`: a counter per subflow
 * state, and `subflowOutputsBaseUri`) and `<id>_merge` (output `subflowOutputs`: the children's
 * flow outputs, one Ion line per batch). The implementation is in for-each-item-run.ts.
 */
import { defineTask } from '../definition.js';
import { SUBFLOW_LABELS_PROPERTY } from './subflow.js';

const EXPRESSION_OR = (type: 'integer' | 'string'): Record<string, unknown> =>
  type === 'integer' ? { anyOf: [{ type: 'integer' }, { type: 'string' }] } : { anyOf: [{ type: 'string' }, { type: 'integer' }] };

export const forEachItemTask = defineTask({
  type: 'io.kestra.plugin.core.flow.ForEachItem',
  aliases: ['io.kestra.core.tasks.flows.ForEachItem'],
  title: 'Split a storage file into batches and run a subflow for each batch (`taskrun.items`, `taskrun.iteration`).',
  properties: {
    items: {
      kind: 'string',
      required: true,
      dynamic: false,
      schema: { type: 'string', minLength: 1 },
      description:
        'A kestra:// URI (a task output file, a FILE input), one item per line; rendered by the `<id>_split` task run. Ion, JSON Lines or header-less CSV files fit.',
    },
    batch: {
      kind: 'map',
      dynamic: false,
      schema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          rows: { ...EXPRESSION_OR('integer'), description: 'Rows per batch (default 1).' },
          bytes: {
            ...EXPRESSION_OR('string'),
            description: 'Largest batch, e.g. `10MB`, `200KB` or a number of bytes; wins over `partitions` and `rows`.',
          },
          partitions: { ...EXPRESSION_OR('integer'), description: 'Number of batches, rows dealt round-robin; wins over `rows`.' },
          separator: { type: 'string', description: 'Written after each row (default `\\n`).' },
        },
      },
      description: 'How to split the items into batches: `rows` (default 1), `bytes` or `partitions`, and `separator`; each rendered.',
    },
    namespace: { kind: 'string', required: true, description: 'The namespace of the subflow.' },
    flowId: { kind: 'string', required: true, description: 'The id of the subflow.' },
    revision: { kind: 'integer', dynamic: false, schema: { type: 'integer', minimum: 1 }, description: 'Default: the latest.' },
    inputs: {
      kind: 'map',
      dynamic: false,
      schema: { type: 'object' },
      description: 'The subflow inputs, rendered for each batch with `taskrun.items` (the batch URI) and `taskrun.iteration`.',
    },
    labels: SUBFLOW_LABELS_PROPERTY,
    wait: { kind: 'boolean', dynamic: false, default: true, description: 'Wait for every subflow execution to end.' },
    transmitFailed: {
      kind: 'boolean',
      dynamic: false,
      default: true,
      description: 'With `wait`: a FAILED (else KILLED, else WARNING) subflow execution gives its state to `<id>_items`.',
    },
    inheritLabels: { kind: 'boolean', dynamic: false, default: false, description: "Pass this execution's labels on." },
    scheduleDate: { kind: 'string', description: 'Accepted; the subflows start at once.' },
  },
  children: { errors: { description: 'Run when a task run of this ForEachItem failed.' } },
  async run(ctx) {
    return (await import('./for-each-item-run.js')).runForEachItem(ctx);
  },
});
