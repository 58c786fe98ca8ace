/**
 * The script tasks' run on the script runner (src/scripts/script-task.ts), imported when a script task
 * first runs (the definitions are in scripts.ts); the dbt, ansible and CLI tool tasks run on it too.
 */
import {
  runScriptTask,
  ScriptDependencyError,
  ScriptFailedError,
  ScriptPropertyError,
  type ScriptHost,
  type ScriptTaskKind,
} from '../../scripts/script-task.js';
import type { TaskRunContext } from '../definition.js';
import { sharedWorkingDir } from '../storage/common.js';
import { TaskError } from '../types.js';

/** The script runner's view of a task run. */
export function scriptHost(ctx: TaskRunContext): ScriptHost {
  const wd = sharedWorkingDir(ctx);
  return {
    storage: ctx.storage,
    ...(wd === undefined ? {} : { workingDir: wd }),
    signal: ctx.signal,
    taskType: ctx.task.type,
    render: (template, extra) => ctx.render(template, extra),
    log: (level, message) => ctx.log(level, message),
  };
}

/** Runs a task on the script runner, with Kestra's outcome: outputs, or FAILED keeping them; property and missing-program errors as TaskErrors. */
export async function runAsScriptTask(
  ctx: TaskRunContext,
  kind: ScriptTaskKind,
  host: ScriptHost = scriptHost(ctx),
  props: Record<string, unknown> = ctx.task.properties,
): Promise<{ outputs: Record<string, unknown> }> {
  try {
    const result = await runScriptTask(host, props, kind);
    for (const m of result.metrics)
      ctx.log(
        'DEBUG',
        `metric ${m.type} ${m.name} = ${JSON.stringify(m.value)}${Object.keys(m.tags).length > 0 ? ` ${JSON.stringify(m.tags)}` : ''}`,
      );
    return { outputs: { ...result.outputs } };
  } catch (e) {
    throw scriptTaskError(e);
  }
}

/** A script runner error as the task error Kestra reports (a failed script keeps its outputs); other errors as they are. */
export function scriptTaskError(e: unknown): unknown {
  if (e instanceof ScriptFailedError) return new ScriptTaskFailure(e.message, { ...e.result.outputs });
  if (e instanceof ScriptPropertyError) return new TaskError('INVALID_PROPERTY', e.message);
  if (e instanceof ScriptDependencyError) return new TaskError('DEPENDENCY_MISSING', e.message);
  return e;
}

/** A failed script: FAILED with Kestra's message, and the outputs gathered so far (`exitCode`, `vars`, `outputFiles`). */
export class ScriptTaskFailure extends TaskError {
  constructor(
    message: string,
    readonly outputs: Readonly<Record<string, unknown>>,
  ) {
    super('SCRIPT_FAILED', message);
  }
}
