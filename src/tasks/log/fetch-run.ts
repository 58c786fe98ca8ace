/** log.Fetch's run, imported on first use (the definition is in fetch.ts). */
import { LOG_LEVELS, type LogLevel } from '../../flow/schema.js';
import { toIonLine } from '../../serdes/ion.js';
import { RunStorage } from '../../storage/run-storage.js';
import { TaskError } from '../types.js';
import type { ExecutionLogLine, TaskRunContext, TaskResult } from '../definition.js';

/**
 * Kestra's log.Fetch (PluginUtilsService.executionFromTaskParameters, then LogRepository
 * findByExecutionId[AndTaskId]): the current execution's logs, or those of `executionId` in
 * `namespace`.`flowId` (both given, or neither: the current flow's); an execution of another flow
 * than the one named has no logs there.
 */
export async function runLogFetch(ctx: TaskRunContext): Promise<TaskResult> {
  const executionId = await ctx.property<string>('executionId');
  const namespace = await ctx.property<string>('namespace');
  const flowId = await ctx.property<string>('flowId');
  if (executionId === undefined && (namespace !== undefined || flowId !== undefined)) {
    throw new TaskError('INVALID_PROPERTY', '`namespace` and `flowId` should only be set when `executionId` is set.');
  }
  if (executionId !== undefined && (namespace === undefined) !== (flowId === undefined)) {
    throw new TaskError('INVALID_PROPERTY', 'Both `namespace` and `flowId` must be set when `executionId` is set.');
  }
  const level = ((await ctx.property<string>('level')) ?? 'INFO').trim().toUpperCase() as LogLevel;
  const min = LOG_LEVELS.indexOf(level);
  if (min < 0) throw new TaskError('INVALID_PROPERTY', `Invalid value for \`level\`: expected one of ${LOG_LEVELS.join(', ')}`);
  const target = {
    id: executionId ?? ctx.execution.id,
    namespace: namespace ?? ctx.flow.namespace,
    flowId: flowId ?? ctx.flow.id,
  };
  let logs: readonly ExecutionLogLine[] = [];
  if (target.id === ctx.execution.id) {
    if (target.namespace === ctx.flow.namespace && target.flowId === ctx.flow.id) logs = ctx.executionLogs();
  } else {
    // Asked first: a run that cannot reach other executions fails rather than find no lines.
    const found = await ctx.findExecutionLogs(target.id);
    const execution = found === undefined ? undefined : await ctx.findExecution(target.id);
    if (execution !== undefined && execution.namespace === target.namespace && execution.flowId === target.flowId) logs = found ?? [];
  }
  const tasks = Array.isArray(ctx.task.properties.tasksId) ? ctx.task.properties.tasksId.map(String) : undefined;
  const atLevel = logs.filter((l) => LOG_LEVELS.indexOf(l.level) >= min);
  // As Kestra: with `tasksId`, the lines of each task in the order the ids are listed.
  const selected =
    tasks === undefined ? atLevel : tasks.flatMap((taskId) => atLevel.filter((l) => l.taskId !== undefined && l.taskId === taskId));
  const lines = selected.map((l) =>
    toIonLine({
      namespace: target.namespace,
      flowId: target.flowId,
      ...(l.taskId === undefined ? {} : { taskId: l.taskId }),
      executionId: target.id,
      ...(l.taskRunId === undefined ? {} : { taskRunId: l.taskRunId }),
      timestamp: l.timestamp,
      level: l.level,
      message: l.message,
    }),
  );
  const uri = await ctx.storage.putData(lines.map((l) => `${l}\n`).join(''), RunStorage.fileName(undefined, '.ion'));
  return { outputs: { uri, size: selected.length } };
}
