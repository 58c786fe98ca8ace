/**
 * `io.kestra.plugin.core.trigger.Toggle`: enables or disables a trigger of a flow (`namespace` and
 * `flowId`, default this flow's; `trigger`, its id), as Kestra saves the trigger's state with
 * `disabled = !enabled`. Triggers live in `pebbleflow server`: there a disabled Schedule stops
 * firing (an enabled one is armed again) and a disabled Webhook or Flow trigger starts nothing; a
 * local `pebbleflow run` has no triggers, so the task fails there.
 * Reference: `core/src/main/java/io/kestra/plugin/core/trigger/Toggle.java`.
 */
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';

export const toggleTask = defineTask({
  type: 'io.kestra.plugin.core.trigger.Toggle',
  aliases: ['io.kestra.core.tasks.trigger.Toggle'],
  title: 'Toggle a trigger: enable or disable it.',
  properties: {
    namespace: { kind: 'string', description: 'The namespace of the flow of the trigger to toggle. Default: the current flow namespace.' },
    flowId: { kind: 'string', description: 'The flow identifier of the trigger to toggle. Default: the current flow identifier.' },
    trigger: { kind: 'string', required: true, description: 'The identifier of the trigger to toggle.' },
    enabled: { kind: 'boolean', dynamic: false, default: false, description: 'Whether to enable or disable the trigger.' },
  },
  async run(ctx) {
    const namespace = (await ctx.property<string>('namespace')) ?? ctx.flow.namespace;
    const flowId = (await ctx.property<string>('flowId')) ?? ctx.flow.id;
    const triggerId = (await ctx.property<string>('trigger')) ?? '';
    const enabled = (await ctx.property<boolean>('enabled')) ?? false;
    const result = await ctx.toggleTrigger({ namespace, flowId, triggerId, enabled });
    if (result === 'flow-not-found')
      throw new TaskError(
        'INVALID_PROPERTY',
        `Unable to find flow ${namespace}.${flowId}. Make sure the flow exists and the current execution is authorized to access it.`,
      );
    if (result === 'trigger-not-found')
      throw new TaskError('INVALID_PROPERTY', `Unable to find trigger ${triggerId} for the flow ${namespace}.${flowId}`);
  },
});
