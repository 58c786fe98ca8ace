/** WorkingDirectory's run, imported on first use (the definition is in working-directory.ts). */
import { loadNamespaceFiles, namespaceFilesOption, storeOutputFiles, writeInputFiles } from '../../scripts/script-task.js';
import { WorkingDir } from '../../storage/working-dir.js';
import { asRecord } from '../coerce.js';
import type { LogLevel } from '../../flow/schema.js';
import { WORKING_DIR_SERVICE } from '../storage/common.js';
import { cacheOption, restoreCache, saveCache } from './working-directory-cache.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

export async function runWorkingDirectory(ctx: TaskRunContext): Promise<TaskResult> {
  const cache = cacheOption(ctx.task.properties.cache);
  const wd = await WorkingDir.create();
  const host = {
    storage: ctx.storage,
    signal: ctx.signal,
    render: (t: string, e: Readonly<Record<string, unknown>>) => ctx.render(t, e),
    log: (l: LogLevel, m: string) => ctx.log(l, m),
  };
  try {
    ctx.services.provide(WORKING_DIR_SERVICE, wd);
    // Kestra's preExecuteTasks: the cache first, then namespace files, then inputFiles
    const cacheId = ctx.task.id;
    const objectId = ctx.taskRun.value;
    const restored = cache === undefined ? undefined : await restoreCache(ctx.storage, wd, cacheId, objectId, cache, host.log);
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
    const outputFiles =
      state === 'FAILED' || state === 'KILLED' || patterns.length === 0 ? undefined : await storeOutputFiles(ctx.storage, wd, patterns);
    // Kestra's postExecuteTasks runs after the children, failed or not (not when the run was killed)
    if (cache !== undefined && restored !== undefined && state !== 'KILLED' && !ctx.signal.aborted)
      await saveCache(ctx.storage, wd, cacheId, objectId, cache, restored, host.log);
    return outputFiles === undefined ? { state } : { state, outputs: { outputFiles } };
  } finally {
    await wd.cleanup().catch(() => undefined);
  }
}
