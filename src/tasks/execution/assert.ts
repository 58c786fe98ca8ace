/**
 * `io.kestra.plugin.core.execution.Assert`: renders each condition; every falsy one (or one that does
 * not render) logs an error, and the task fails with `N assertion(s) failed!` (plus `errorMessage`).
 */
import { isTruthy } from '../coerce.js';
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';

export const assertTask = defineTask({
  type: 'io.kestra.plugin.core.execution.Assert',
  title: 'Fail when one of `conditions` renders falsy.',
  properties: {
    conditions: { required: true, dynamic: false, schema: { type: 'array', items: { type: 'string' } } },
    errorMessage: { kind: 'string' },
  },
  async run(ctx) {
    const conditions = (ctx.task.properties.conditions ?? []) as unknown[];
    let failed = 0;
    for (const condition of conditions) {
      const text = String(condition);
      try {
        if (!isTruthy(await ctx.render(text))) {
          ctx.log('ERROR', `Assertion \`${text}\` failed!`);
          failed++;
        }
      } catch (e) {
        ctx.log('ERROR', `Assertion \`${text}\` failed, failed to render \`${(e as Error).message}\``);
        failed++;
      }
    }
    if (failed > 0) {
      const extra = await ctx.property<string>('errorMessage');
      throw new TaskError(
        'ASSERTION_FAILED',
        `${failed} assertion${failed > 1 ? 's' : ''} failed!${extra === undefined ? '' : `\n${extra}`}`,
      );
    }
  },
});
