/** `io.kestra.plugin.core.flow.Sleep`: waits for `duration` (a kill or a timeout cuts it short). */
import { formatJavaDuration } from '../../flow/duration.js';
import { defineTask } from '../definition.js';

export const sleepTask = defineTask({
  type: 'io.kestra.plugin.core.flow.Sleep',
  title: 'Wait for `duration`.',
  properties: { duration: { kind: 'duration', required: true } },
  async run(ctx) {
    const ms = (await ctx.property<number>('duration')) ?? 0;
    ctx.log('INFO', `Waiting for ${formatJavaDuration(ms)}`);
    await new Promise<void>((resolve, reject) => {
      if (ctx.signal.aborted) return reject(ctx.signal.reason as Error);
      const timer = setTimeout(() => {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(ctx.signal.reason as Error);
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
  },
});
