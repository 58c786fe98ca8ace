/**
 * `io.kestra.plugin.core.flow.WorkingDirectory`: runs its `tasks` one after the other in one shared
 * folder — namespace files and `inputFiles` are put there first, `outputFiles` are stored after — and
 * removes the folder at the end. Children find the folder through the task services.
 */
import { loadNamespaceFiles, namespaceFilesOption, storeOutputFiles, writeInputFiles } from '../../scripts/script-task.js';
import { WorkingDir } from '../../storage/working-dir.js';
import { asRecord } from '../coerce.js';
import type { LogLevel } from '../../flow/schema.js';
import { defineTask } from '../definition.js';
import { WORKING_DIR_SERVICE } from '../storage/common.js';

export const workingDirectoryTask = defineTask({
  type: 'io.kestra.plugin.core.flow.WorkingDirectory',
  aliases: ['io.kestra.core.tasks.flows.WorkingDirectory', 'io.kestra.core.tasks.flows.Worker'],
  title: 'Run `tasks` in order in one shared working directory (inputFiles, namespaceFiles, outputFiles).',
  properties: {
    inputFiles: {
      kind: 'any',
      dynamic: false,
      schema: { anyOf: [{ type: 'object' }, { type: 'string' }], 'x-expected': 'a map of file names to contents, or a JSON object' },
      description: 'File name → content (a kestra:// URI is copied from the storage).',
    },
    outputFiles: {
      kind: 'list',
      schema: { type: 'array', items: { type: 'string' } },
      description: 'Globs of files stored when the tasks are done.',
    },
    namespaceFiles: {
      kind: 'any',
      dynamic: false,
      schema: { type: 'object', properties: { enabled: {}, include: {}, exclude: {} } },
      description: 'Copy namespace files into the folder first: { enabled, include, exclude }.',
    },
    cache: {
      kind: 'any',
      dynamic: false,
      schema: { type: 'object', properties: { patterns: { type: 'array', items: { type: 'string' } }, ttl: { type: 'string' } } },
      description: 'Accepted; a local run does not cache the folder between executions.',
    },
  },
  outputs: { outputFiles: { kind: 'map' } },
  children: { tasks: { required: true } },
  async run(ctx) {
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
  },
});
