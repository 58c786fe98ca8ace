/**
 * `io.kestra.plugin.core.flow.Pause`: the task run goes PAUSED. With `delay` it resumes by itself
 * after it; with `timeout` it fails unless resumed before; with neither it waits for a resume — a CLI
 * run ends PAUSED and `pebbleflow resume EXECUTION_ID [-i …]` continues it. `onResume` declares the
 * inputs asked on resume (output `onResume`). The deprecated `tasks` run after the resume.
 */
import { asDurationMs } from '../coerce.js';
import { defineTask } from '../definition.js';

export const pauseTask = defineTask({
  type: 'io.kestra.plugin.core.flow.Pause',
  aliases: ['io.kestra.core.tasks.flows.Pause'],
  title: 'Pause the execution until resumed (or for `delay`; fail after `timeout`).',
  properties: {
    delay: { kind: 'duration', description: 'Resume by itself after this duration.' },
    onResume: {
      dynamic: false,
      schema: { type: 'array', items: { type: 'object', required: ['type'] } },
      description: 'Inputs asked on resume (flow input declarations); their values are the `onResume` output.',
    },
  },
  outputs: { onResume: { kind: 'map' } },
  // Kestra's Pause redefines `timeout`: how long to wait for a resume before failing.
  ownsTimeout: true,
  children: { tasks: { description: 'Deprecated: run after the resume.' } },
  async run(ctx) {
    const delayMs = await ctx.property<number>('delay');
    const timeoutMs = ctx.task.timeout === undefined ? undefined : asDurationMs(await ctx.render(ctx.task.timeout), 'timeout');
    const outcome = await ctx.pause({ ...(delayMs === undefined ? {} : { delayMs }), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    // Timed out: Kestra moves the task run to FAILED without a log line.
    if (!outcome.resumed) return { state: 'FAILED' };
    const outputs = ctx.task.properties.onResume === undefined ? undefined : { onResume: { ...outcome.inputs } };
    const tasks = ctx.task.children.tasks ?? [];
    const state = tasks.length === 0 ? 'SUCCESS' : await ctx.runChildren({ tasks });
    return { state, ...(outputs === undefined ? {} : { outputs }) };
  },
});
