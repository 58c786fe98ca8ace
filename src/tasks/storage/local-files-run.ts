/** LocalFiles' run, imported on first use (the definition is in local-files.ts). */
import { storeOutputFiles, writeInputFiles } from '../../scripts/script-task.js';
import { asRecord } from '../coerce.js';
import { TaskError } from '../types.js';
import { withWorkingDir } from './common.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

export async function runLocalFiles(ctx: TaskRunContext): Promise<TaskResult> {
  const rawInputs = await ctx.property<unknown>('inputs');
  const outputs = ((await ctx.property<unknown[]>('outputs')) ?? []).map(String);
  return withWorkingDir(ctx, async (wd) => {
    if (rawInputs !== undefined && rawInputs !== null) {
      const files: Record<string, string> = {};
      let entries: Record<string, unknown>;
      try {
        entries = asRecord(rawInputs, 'inputs');
      } catch {
        throw new TaskError('INVALID_PROPERTY', `Invalid \`inputs\` properties with type '${typeof rawInputs}'`);
      }
      for (const [name, value] of Object.entries(entries))
        if (value !== null && value !== undefined) files[name] = typeof value === 'string' ? value : JSON.stringify(value);
      await writeInputFiles(
        { storage: ctx.storage, signal: ctx.signal, render: (t, e) => ctx.render(t, e), log: (l, m) => ctx.log(l, m) },
        wd,
        files,
      );
    }
    return { outputs: { uris: await storeOutputFiles(ctx.storage, wd, outputs) } };
  });
}
