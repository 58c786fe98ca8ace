/** `io.kestra.plugin.core.output.OutputValues`: renders `values`, outputs them as `values`. */
import { defineTask } from '../definition.js';

export const outputValuesTask = defineTask({
  type: 'io.kestra.plugin.core.output.OutputValues',
  aliases: ['io.kestra.core.tasks.outputs.OutputValues'],
  title: 'Render `values`; output them as `values`.',
  properties: { values: { kind: 'any', schema: { type: 'object' }, description: 'Rendered deeply (keys too).' } },
  outputs: { values: { kind: 'map' } },
  async run(ctx) {
    return { outputs: { values: (await ctx.property('values')) ?? {} } };
  },
});
