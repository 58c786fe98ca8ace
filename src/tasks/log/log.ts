/** `io.kestra.plugin.core.log.Log`: one log line per message (a list gives one line per element). */
import { LOG_LEVELS, type LogLevel } from '../../flow/schema.js';
import { defineTask } from '../definition.js';
import { TaskError } from '../types.js';

export const logTask = defineTask({
  type: 'io.kestra.plugin.core.log.Log',
  aliases: ['io.kestra.core.tasks.log.Log'],
  title: 'Log a message (or one line per element of a list).',
  properties: {
    message: {
      required: true,
      dynamic: false,
      schema: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], 'x-expected': 'a string or a list of strings' },
      description: 'Rendered; a list logs one line per element.',
    },
    level: {
      kind: 'string',
      default: 'INFO',
      schema: {
        anyOf: [{ enum: [...LOG_LEVELS] }, { type: 'string', pattern: '\\{\\{|\\{%' }],
        'x-expected': 'a log level (or an expression)',
      },
    },
  },
  async run(ctx) {
    const level = ((await ctx.property<string>('level')) ?? 'INFO').trim().toUpperCase();
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new TaskError('INVALID_PROPERTY', `Invalid log level \`${level}\`: expected one of ${LOG_LEVELS.join(', ')}`);
    }
    const message = ctx.task.properties.message;
    const messages = Array.isArray(message) ? message : [message];
    for (const m of messages) {
      if (typeof m !== 'string') throw new TaskError('INVALID_PROPERTY', 'Invalid message type');
      ctx.log(level as LogLevel, await ctx.render(m));
    }
  },
});
