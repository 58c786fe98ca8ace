/**
 * The execution notifications (SlackExecution, DiscordExecution, TeamsExecution, GoogleChatExecution,
 * MailExecution): the summary plugin-notifications' `ExecutionService.executionMap` builds —
 * duration (HH:mm:ss.SSS), startDate, link (when the config's `url`, Kestra's kestra.url, is set),
 * execution, customMessage, customFields, lastTask, firstFailed — rendered with Kestra's own
 * templates (templates.ts), then sent as each service's incoming webhook does.
 */
import { isTerminal, type Execution, type TaskRun } from '../../flow/execution.js';
import { asRecord } from '../coerce.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';

/** Apache Commons' formatDurationHMS: HH:mm:ss.SSS (hours not wrapped). */
export function formatDurationHMS(ms: number): string {
  const total = Math.max(0, Math.floor(ms));
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Math.floor((total % 60_000) / 1000);
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(total % 1000, 3)}`;
}

/** Kestra's State.getDuration(): from the first state to the last one, or to now while it has one state. */
function durationOf(execution: Readonly<Execution>): number {
  const histories = execution.state.histories;
  const first = histories[0]?.date ?? execution.state.startDate;
  const last = histories.length > 1 ? histories[histories.length - 1]!.date : undefined;
  return (last === undefined ? Date.now() : Date.parse(last)) - Date.parse(first);
}

/** UriProvider.executionUrl: `<kestra.url>/ui/[<tenant>/]executions/<namespace>/<flowId>/<id>`. */
function executionLink(base: string, execution: Readonly<Execution>): string {
  const tenant = execution.tenantId === undefined ? '' : `${execution.tenantId}/`;
  return `${base.replace(/\/+$/, '')}/ui/${tenant}executions/${execution.namespace}/${execution.flowId}/${execution.id}`;
}

/** The template variables of an execution notification. */
export async function executionMap(ctx: TaskRunContext): Promise<Record<string, unknown>> {
  const executionId = ((await ctx.property<string>('executionId')) ?? ctx.execution.id).trim();
  const isCurrent = executionId === ctx.execution.id;
  if (isCurrent) ctx.log('INFO', 'Loading execution data for the current execution.');
  const execution = await ctx.findExecution(executionId);
  if (execution === undefined)
    throw new TaskError(
      'INVALID_PROPERTY',
      `Unable to find execution '${executionId}' (pebbleflow reports the current execution, or one this folder keeps in .pebbleflow/executions)`,
    );
  const map: Record<string, unknown> = {
    duration: formatDurationHMS(durationOf(execution)),
    startDate: execution.state.startDate,
    execution: JSON.parse(JSON.stringify(execution)) as unknown,
  };
  const kestra = ctx.variables.kestra as { url?: unknown } | undefined;
  if (typeof kestra?.url === 'string' && kestra.url !== '') map.link = executionLink(kestra.url, execution);
  const customMessage = await ctx.property<string>('customMessage');
  if (customMessage !== undefined) map.customMessage = customMessage;
  const customFields = asRecord((await ctx.property('customFields')) ?? {}, 'customFields');
  if (Object.keys(customFields).length > 0) map.customFields = customFields;

  const runs: readonly TaskRun[] = execution.taskRunList;
  // The current execution: the task runs that ended (this notification and the flowables around it are
  // still running; Kestra's repository view may list them, which would always report "Succeeded").
  // Another execution: as Kestra, those in the state the execution ended with.
  const failed = runs.some((t) => t.state.current === 'FAILED');
  const considered = isCurrent
    ? runs.filter((t) => t.id !== ctx.taskRun.id && isTerminal(t.state.current))
    : runs.filter((t) => t.state.current === (failed ? 'FAILED' : 'SUCCESS'));
  // Nothing ended yet (the notification is the first task): this task run, as Kestra's list has it.
  const last = considered[considered.length - 1] ?? (isCurrent ? runs.find((t) => t.id === ctx.taskRun.id) : undefined);
  if (last !== undefined) {
    const lastTask = JSON.parse(JSON.stringify(last)) as unknown;
    map.firstFailed = last.state.current === 'FAILED' ? lastTask : false;
    map.lastTask = lastTask;
  }
  return map;
}

/** Renders a JSON template (Slack, Discord, Teams, Google Chat) with the summary; the result must be a JSON object. */
export async function renderJsonTemplate(
  ctx: TaskRunContext,
  template: string,
  variables: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const text = await ctx.render(template, variables);
  try {
    return asRecord(JSON.parse(text), 'template');
  } catch (e) {
    throw new TaskError('INVALID_PROPERTY', `The notification template did not render to a JSON object: ${(e as Error).message}`);
  }
}
