/** `io.kestra.plugin.core.log.Fetch`: this execution's log lines (at `level` or above) as an Ion file; outputs `uri` and `size`. */
import { LOG_LEVELS } from '../../flow/schema.js';
import { defineTask } from '../definition.js';

export const logFetchTask = defineTask({
  type: 'io.kestra.plugin.core.log.Fetch',
  aliases: ['io.kestra.core.tasks.log.Fetch'],
  title: "Store this execution's log lines in an Ion file; outputs `uri` and `size`.",
  properties: {
    level: { kind: 'string', default: 'INFO', schema: { enum: [...LOG_LEVELS] } },
    tasksId: { kind: 'list', dynamic: false, description: 'Only the lines of these tasks.' },
    executionId: { kind: 'string', description: 'Only the current execution can be read locally.' },
    namespace: { kind: 'string' },
    flowId: { kind: 'string' },
  },
  outputs: { uri: { kind: 'string' }, size: { kind: 'integer' } },
  async run(ctx) {
    return (await import('./fetch-run.js')).runLogFetch(ctx);
  },
});
