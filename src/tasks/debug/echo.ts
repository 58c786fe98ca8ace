/** `io.kestra.plugin.core.debug.Echo` (deprecated for Log): logs the rendered `format` at `level`. */
import { LOG_LEVELS, type LogLevel } from '../../flow/schema.js';
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';

export const echoTask = defineTask({
  type: 'io.kestra.plugin.core.debug.Echo',
  aliases: ['io.kestra.core.tasks.debugs.Echo'],
  title: 'Log `format` (deprecated: use Log).',
  properties: {
    format: { kind: 'string', required: true },
    level: { kind: 'string', dynamic: false, default: 'INFO', schema: { enum: [...LOG_LEVELS] } },
  },
  async run(ctx) {
    const level = ((await ctx.property<string>('level')) ?? 'INFO').toUpperCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level))
      throw new TaskError('INVALID_PROPERTY', `Invalid log level \`${level}\`: expected one of ${LOG_LEVELS.join(', ')}`);
    ctx.log(level as LogLevel, (await ctx.property<string>('format')) ?? '');
  },
});
