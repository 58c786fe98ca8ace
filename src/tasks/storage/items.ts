/**
 * `FilterItems` and `DeduplicateItems`: read an Ion file line by line (one item per line, as Kestra
 * writes them), evaluate a template with each item's fields as variables, and write the lines kept.
 */
import { defineTask } from '../definition.js';

export const filterItemsTask = defineTask({
  type: 'io.kestra.plugin.core.storage.FilterItems',
  aliases: ['io.kestra.core.tasks.storages.FilterItems'],
  title: 'Keep (or drop) the items of an Ion file that match a template; outputs `uri`, `processedItemsTotal`, `droppedItemsTotal`.',
  properties: {
    from: { kind: 'string', required: true, description: 'A kestra:// URI of an Ion file.' },
    filterCondition: {
      kind: 'string',
      required: true,
      dynamic: false,
      description: "Rendered per item with the item's fields as variables.",
    },
    filterType: { kind: 'string', default: 'INCLUDE', schema: { enum: ['INCLUDE', 'EXCLUDE'] } },
    errorOrNullBehavior: { kind: 'string', default: 'FAIL', schema: { enum: ['FAIL', 'INCLUDE', 'EXCLUDE'] } },
  },
  outputs: { uri: { kind: 'string' }, processedItemsTotal: { kind: 'integer' }, droppedItemsTotal: { kind: 'integer' } },
  async run(ctx) {
    return (await import('./items-run.js')).runFilterItems(ctx);
  },
});

export const deduplicateItemsTask = defineTask({
  type: 'io.kestra.plugin.core.storage.DeduplicateItems',
  aliases: ['io.kestra.core.tasks.storages.DeduplicateItems'],
  title: 'Keep the last item for each key of an Ion file; outputs `uri`, `numKeys`, `processedItemsTotal`, `droppedItemsTotal`.',
  properties: {
    from: { kind: 'string', required: true, description: 'A kestra:// URI of an Ion file.' },
    expr: {
      kind: 'string',
      required: true,
      dynamic: false,
      description: "The key, rendered per item with the item's fields as variables.",
    },
  },
  outputs: {
    uri: { kind: 'string' },
    numKeys: { kind: 'integer' },
    processedItemsTotal: { kind: 'integer' },
    droppedItemsTotal: { kind: 'integer' },
  },
  async run(ctx) {
    return (await import('./items-run.js')).runDeduplicateItems(ctx);
  },
});
