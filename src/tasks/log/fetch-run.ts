/** log.Fetch's run, imported on first use (the definition is in fetch.ts). */
import { LOG_LEVELS, type LogLevel } from '../../flow/schema.js';
import { toIonLine } from '../../serdes/ion.js';
import { RunStorage } from '../../storage/run-storage.js';
import { TaskError } from '../types.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

export async function runLogFetch(ctx: TaskRunContext): Promise<TaskResult> {
  const executionId = await ctx.property<string>('executionId');
  const namespace = await ctx.property<string>('namespace');
  const flowId = await ctx.property<string>('flowId');
  if (executionId === undefined && (namespace !== undefined || flowId !== undefined)) {
    throw new TaskError('INVALID_PROPERTY', '`namespace` and `flowId` should only be set when `executionId` is set.');
  }
  if (executionId !== undefined && executionId !== ctx.execution.id) {
    throw new TaskError(
      'UNSUPPORTED',
      `Only the logs of the current execution can be fetched locally (asked for execution '${executionId}')`,
    );
  }
  const level = ((await ctx.property<string>('level')) ?? 'INFO').trim().toUpperCase() as LogLevel;
  const min = LOG_LEVELS.indexOf(level);
  if (min < 0) throw new TaskError('INVALID_PROPERTY', `Invalid value for \`level\`: expected one of ${LOG_LEVELS.join(', ')}`);
  const tasks = Array.isArray(ctx.task.properties.tasksId) ? ctx.task.properties.tasksId.map(String) : undefined;
  const selected = ctx
    .executionLogs()
    .filter((l) => LOG_LEVELS.indexOf(l.level) >= min && (tasks === undefined || (l.taskId !== undefined && tasks.includes(l.taskId))));
  const lines = selected.map((l) =>
    toIonLine({
      namespace: ctx.flow.namespace,
      flowId: ctx.flow.id,
      ...(l.taskId === undefined ? {} : { taskId: l.taskId }),
      executionId: ctx.execution.id,
      ...(l.taskRunId === undefined ? {} : { taskRunId: l.taskRunId }),
      timestamp: l.timestamp,
      level: l.level,
      message: l.message,
    }),
  );
  const uri = await ctx.storage.putData(lines.map((l) => `${l}\n`).join(''), RunStorage.fileName(undefined, '.ion'));
  return { outputs: { uri, size: selected.length } };
}
