import { LOG_LEVELS, logTask, type LogLevel } from '../flow/schema.js';
import { TaskError, type TaskPlugin } from './types.js';

/** `io.kestra.plugin.core.log.Log`: one log line per message (a list gives one line per element). */
export const logPlugin: TaskPlugin = {
  ...logTask,
  async run(ctx) {
    const level =
      ctx.task.properties.level === undefined ? 'INFO' : (await ctx.render(String(ctx.task.properties.level))).trim().toUpperCase();
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
};
