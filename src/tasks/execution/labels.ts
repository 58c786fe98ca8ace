/**
 * `io.kestra.plugin.core.execution.Labels`: adds labels to the execution (a map, a list of
 * `{key, value}`, or a JSON map text), keys and values rendered; existing keys are replaced.
 * System labels (`system.*`) are refused, as in Kestra.
 */
import { parseJson } from '../../engine/builtins/kestra/json.js';
import { asString } from '../coerce.js';
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';

export const labelsTask = defineTask({
  type: 'io.kestra.plugin.core.execution.Labels',
  aliases: ['io.kestra.core.tasks.executions.Labels'],
  title: 'Add labels to the execution.',
  properties: {
    labels: {
      required: true,
      dynamic: false,
      schema: {
        anyOf: [
          { type: 'object' },
          { type: 'string' },
          { type: 'array', items: { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: {} } } },
        ],
        'x-expected': 'a map, a list of {key, value}, or a JSON map',
      },
    },
  },
  async run(ctx) {
    const raw = ctx.task.properties.labels;
    const entries = new Map<string, string>();
    if (typeof raw === 'string') {
      const rendered = await ctx.render(raw);
      let parsed: unknown;
      try {
        parsed = parseJson(rendered);
      } catch (e) {
        throw new TaskError('INVALID_PROPERTY', `Invalid value for \`labels\`: ${(e as Error).message}`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new TaskError('INVALID_PROPERTY', `Invalid value for \`labels\`: expected a JSON map, got \`${rendered}\``);
      for (const [k, v] of Object.entries(parsed)) entries.set(k, asString(v));
    } else if (Array.isArray(raw)) {
      for (const item of raw) {
        if (item === null || typeof item !== 'object' || Array.isArray(item))
          throw new TaskError('INVALID_PROPERTY', `Unknown value type: ${typeof item}`);
        const { key, value } = item as { key?: unknown; value?: unknown };
        entries.set(await ctx.render(asString(key)), await ctx.render(asString(value)));
      }
    } else if (raw !== null && typeof raw === 'object') {
      for (const [k, v] of Object.entries(raw)) entries.set(await ctx.render(k), await ctx.render(asString(v)));
    }
    for (const [key, value] of entries)
      if (key.startsWith('system.'))
        throw new TaskError('SYSTEM_LABEL', `System labels can only be set by Kestra itself, offending label: ${key}=${value}`);
    ctx.executionControl.addLabels([...entries].map(([key, value]) => ({ key, value })));
  },
});
