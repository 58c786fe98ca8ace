/**
 * `io.kestra.plugin.core.flow.Switch`: the tasks of the case whose key equals the rendered `value`,
 * else `defaults`; outputs `value` and `defaults` (whether no case matched). No match and no
 * defaults fails the task, as in Kestra.
 */
import type { TaskNode } from '../../flow/model.js';
import { defineTask } from '../definition.js';

export const switchTask = defineTask({
  type: 'io.kestra.plugin.core.flow.Switch',
  aliases: ['io.kestra.core.tasks.flows.Switch'],
  title: 'Run the tasks of the case matching `value`, else `defaults`.',
  properties: {
    value: { kind: 'string', required: true, description: 'Rendered; compared with the case keys as text.' },
  },
  outputs: { value: { kind: 'string' }, defaults: { kind: 'boolean' } },
  children: { cases: { kind: 'cases', required: true, description: 'Case key → tasks.' }, defaults: {} },
  async run(ctx) {
    const value = (await ctx.property<string>('value')) ?? '';
    const cases: ReadonlyMap<string, readonly TaskNode[]> = ctx.task.childMaps?.cases ?? new Map<string, readonly TaskNode[]>();
    const matched = cases.get(value);
    const outputs = { value, defaults: matched === undefined };
    ctx.setOutputs(outputs);
    const tasks = matched ?? ctx.task.children.defaults;
    if (tasks === undefined) {
      ctx.log(
        'WARN',
        `No task found on flow '${ctx.execution.namespace}.${ctx.execution.flowId}', task '${ctx.task.id}', execution '${ctx.execution.id}'`,
      );
      return { state: 'FAILED', outputs };
    }
    return { state: await ctx.runChildren({ tasks }), outputs };
  },
});
