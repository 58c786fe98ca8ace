/** `io.kestra.plugin.core.debug.Return`: renders `format`, outputs it as `value`. */
import { defineTask } from '../definition.js';

export const returnTask = defineTask({
  type: 'io.kestra.plugin.core.debug.Return',
  aliases: ['io.kestra.core.tasks.debugs.Return'],
  title: 'Render `format`; output `value`.',
  properties: { format: { kind: 'string', description: 'Rendered; the output `value`.' } },
  outputs: { value: { kind: 'string' } },
  async run(ctx) {
    const value = await ctx.property<string>('format');
    return { outputs: { value: value ?? null } };
  },
});
