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
    delay: { kind: 'duration', description: 'Resume by itself after this duration.', deprecated: true },
    pauseDuration: { kind: 'duration', description: 'How long to pause; what happens then is `behavior`.' },
    behavior: {
      kind: 'string',
      default: 'RESUME',
      schema: { enum: ['RESUME', 'WARN', 'FAIL', 'CANCEL'] },
      description: 'When `pauseDuration` elapses: RESUME continues, WARN ends the task WARNING, FAIL fails it, CANCEL cancels it.',
    },
    onPause: { dynamic: false, schema: { type: 'object', required: ['id', 'type'] }, description: 'Accepted; not run locally.' },
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
    const pauseMs = await ctx.property<number>('pauseDuration');
    const behavior = String((await ctx.property<string>('behavior')) ?? 'RESUME').toUpperCase();
    // `pauseDuration` with RESUME is the older `delay`; with another behavior it is a deadline whose end sets the state.
    const delayMs = pauseMs !== undefined && behavior === 'RESUME' ? pauseMs : await ctx.property<number>('delay');
    const timeoutMs =
      pauseMs !== undefined && behavior !== 'RESUME'
        ? pauseMs
        : ctx.task.timeout === undefined
          ? undefined
          : asDurationMs(await ctx.render(ctx.task.timeout), 'timeout');
    const outcome = await ctx.pause({ ...(delayMs === undefined ? {} : { delayMs }), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    // Timed out: Kestra moves the task run to FAILED without a log line (or to the `behavior`'s state).
    if (!outcome.resumed) {
      if (pauseMs === undefined || behavior === 'FAIL') return { state: 'FAILED' };
      if (behavior === 'WARN') return { state: 'WARNING' };
      // CANCEL: the execution ends CANCELLED, as an Exit task's would.
      ctx.executionControl.exit('CANCELLED');
      return { state: 'CANCELLED' };
    }
    const outputs = ctx.task.properties.onResume === undefined ? undefined : { onResume: { ...outcome.inputs } };
    const tasks = ctx.task.children.tasks ?? [];
    const state = tasks.length === 0 ? 'SUCCESS' : await ctx.runChildren({ tasks });
    return { state, ...(outputs === undefined ? {} : { outputs }) };
  },
});
