/** The deprecated Bash, Python and Node tasks' run, imported when one first runs (the definitions are in legacy-scripts.ts). */
import { runLegacyScript, type LegacyLanguage } from '../../scripts/legacy-script.js';
import type { TaskResult, TaskRunContext } from '../definition.js';
import { scriptHost, scriptTaskError } from './scripts-run.js';

export async function runLegacyScriptTask(ctx: TaskRunContext, language: LegacyLanguage): Promise<TaskResult> {
  try {
    return { outputs: { ...(await runLegacyScript(scriptHost(ctx), ctx.task.properties, language)) } };
  } catch (e) {
    throw scriptTaskError(e);
  }
}
