/**
 * `io.kestra.plugin.core.execution.Exit`: ends the execution now in `state` (SUCCESS, WARNING,
 * FAILED, KILLED or CANCELED); nothing else starts. Only KILLED stops task runs still running in
 * other branches, as in Kestra. The Exit task run and its parents take that state.
 */
import type { StateType } from '../../flow/execution.js';
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';

const STATES: Readonly<Record<string, Extract<StateType, 'SUCCESS' | 'WARNING' | 'FAILED' | 'KILLED' | 'CANCELLED'>>> = {
  SUCCESS: 'SUCCESS',
  WARNING: 'WARNING',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
  CANCELED: 'CANCELLED',
  CANCELLED: 'CANCELLED',
};

export const exitTask = defineTask({
  type: 'io.kestra.plugin.core.execution.Exit',
  title: 'End the execution now, in the given state.',
  properties: {
    state: {
      kind: 'string',
      default: 'SUCCESS',
      schema: {
        anyOf: [{ enum: Object.keys(STATES) }, { type: 'string', pattern: '\\{\\{|\\{%' }],
        'x-expected': 'SUCCESS, WARNING, FAILED, KILLED or CANCELED',
      },
    },
  },
  async run(ctx) {
    const text = ((await ctx.property<string>('state')) ?? 'SUCCESS').trim().toUpperCase();
    const state = STATES[text];
    if (state === undefined)
      throw new TaskError(
        'INVALID_PROPERTY',
        `Invalid value for \`state\`: expected one of SUCCESS, WARNING, KILLED, FAILED, CANCELED, got \`${text}\``,
      );
    ctx.executionControl.exit(state);
    return { state };
  },
});
