/** WorkingDirectory's run, imported on first use (the definition is in working-directory.ts). */
import { loadNamespaceFiles, namespaceFilesOption, storeOutputFiles, writeInputFiles } from '../../scripts/script-task.js';
import { WorkingDir } from '../../storage/working-dir.js';
import { asRecord } from '../coerce.js';
import type { LogLevel } from '../../flow/schema.js';
import { WORKING_DIR_SERVICE } from '../storage/common.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

export async function runWorkingDirectory(ctx: TaskRunContext): Promise<TaskResult> {
  const wd = await WorkingDir.create();
  const host = {
    storage: ctx.storage,
    signal: ctx.signal,
    render: (t: string, e: Readonly<Record<string, unknown>>) => ctx.render(t, e),
    log: (l: LogLevel, m: string) => ctx.log(l, m),
  };
  try {
    ctx.services.provide(WORKING_DIR_SERVICE, wd);
    if (ctx.task.properties.cache !== undefined)
      ctx.log('INFO', 'The WorkingDirectory cache is not used by pebbleflow: the folder starts empty on every run');
    const nsFiles = await namespaceFilesOption(host, ctx.task.properties);
    if (nsFiles !== undefined) await loadNamespaceFiles(host, wd, nsFiles);
    const rawInputs = ctx.task.properties.inputFiles;
    if (rawInputs !== undefined && rawInputs !== null) {
      const rendered = asRecord(
        typeof rawInputs === 'string' ? await ctx.render(rawInputs) : await ctx.renderValue(rawInputs),
        'inputFiles',
      );
      const files: Record<string, string> = {};
      for (const [name, value] of Object.entries(rendered))
        if (value !== null && value !== undefined) files[name] = typeof value === 'string' ? value : JSON.stringify(value);
      await writeInputFiles(host, wd, files);
    }
    const state = await ctx.runChildren({ tasks: ctx.task.children.tasks ?? [] });
    const patterns = ((await ctx.property<unknown[]>('outputFiles')) ?? []).map(String);
    if (state === 'FAILED' || state === 'KILLED' || patterns.length === 0) return { state };
    return { state, outputs: { outputFiles: await storeOutputFiles(ctx.storage, wd, patterns) } };
  } finally {
    await wd.cleanup().catch(() => undefined);
  }
}
