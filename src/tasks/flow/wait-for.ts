/**
 * `io.kestra.plugin.core.flow.WaitFor`: runs its tasks, then again every `checkFrequency.interval`
 * (the task run PAUSED in between, its children replaced each time) until `condition` renders truthy,
 * or `maxIterations` / `maxDuration` is reached (FAILED then if `failOnMaxReached`). Output
 * `iterationCount`: 1 during the first iteration.
 */
import { isTruthy } from '../coerce.js';
import { asDurationMs } from '../coerce.js';
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_MAX_ITERATIONS = 100;
const DEFAULT_MAX_DURATION_MS = 3_600_000;

export const waitForTask = defineTask({
  type: 'io.kestra.plugin.core.flow.WaitFor',
  title: 'Run `tasks` again and again until `condition` is truthy (or a maximum is reached).',
  properties: {
    condition: {
      kind: 'string',
      dynamic: false,
      required: true,
      description: 'Rendered after each iteration; the loop stops once it is truthy.',
    },
    failOnMaxReached: { kind: 'boolean', default: false },
    checkFrequency: {
      kind: 'map',
      dynamic: false,
      schema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          maxIterations: { type: 'integer', minimum: 1 },
          maxDuration: { type: 'string' },
          interval: { type: 'string' },
        },
      },
      description: 'maxIterations (default 100), maxDuration (default PT1H), interval between iterations (default PT1S).',
    },
  },
  outputs: { iterationCount: { kind: 'integer' } },
  children: { tasks: { required: true } },
  async run(ctx) {
    const frequency = (ctx.task.properties.checkFrequency ?? {}) as Record<string, unknown>;
    const maxIterations = frequency.maxIterations === undefined ? DEFAULT_MAX_ITERATIONS : Number(frequency.maxIterations);
    const maxDurationMs = asDurationMs(frequency.maxDuration, 'checkFrequency.maxDuration') ?? DEFAULT_MAX_DURATION_MS;
    const intervalMs = asDurationMs(frequency.interval, 'checkFrequency.interval') ?? DEFAULT_INTERVAL_MS;
    const failOnMaxReached = (await ctx.property<boolean>('failOnMaxReached')) ?? false;
    const tasks = ctx.task.children.tasks ?? [];
    const started = Date.parse(ctx.taskRun.state.startDate);
    const stored = Number(ctx.taskRun.outputs?.iterationCount);
    let iterationCount = Number.isInteger(stored) && stored > 0 ? stored : 1;
    // Continued while PAUSED between two iterations: finish that wait, then go on.
    if (ctx.taskRun.state.current === 'PAUSED') {
      await ctx.pause({ delayMs: intervalMs });
      ctx.restartChildren();
    }
    for (;;) {
      ctx.setOutputs({ iterationCount });
      const state = await ctx.runChildren({ tasks });
      // Not every child succeeded (Kestra's childTaskRunExecuted): the state of the children decides.
      if (state !== 'SUCCESS') return { state, outputs: { iterationCount } };
      iterationCount++;
      ctx.setOutputs({ iterationCount });
      const reached = iterationCount > maxIterations || Date.now() > started + maxDurationMs;
      if (!reached) {
        const condition = String(ctx.task.properties.condition);
        if (isTruthy(await ctx.render(condition))) return { state: 'SUCCESS', outputs: { iterationCount } };
      } else {
        ctx.log('WARN', iterationCount > maxIterations ? 'Max iterations reached' : 'Max duration reached');
        if (failOnMaxReached) return { state: 'FAILED', outputs: { iterationCount } };
        return { state: 'SUCCESS', outputs: { iterationCount } };
      }
      const waited = await ctx.pause({ delayMs: intervalMs });
      if (!waited.resumed) throw new TaskError('WAITFOR_INTERRUPTED', 'WaitFor interrupted');
      ctx.restartChildren();
    }
  },
});
