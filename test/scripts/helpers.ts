import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../src/pebbleflow-engine.js';
import type { LogLevel } from '../../src/flow/schema.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { RunStorage } from '../../src/storage/run-storage.js';
import type { WorkingDir } from '../../src/storage/working-dir.js';
import type { ScriptHost } from '../../src/scripts/script-task.js';

export interface TestHost extends ScriptHost {
  readonly logs: { level: LogLevel; message: string }[];
  readonly controller: AbortController;
  cleanup(): Promise<void>;
}

/** A script host on a real engine and a real storage in a temporary folder. */
export async function testHost(
  options: { namespace?: string; workingDir?: WorkingDir; secrets?: Record<string, string>; nsFilesDir?: string; root?: string } = {},
): Promise<TestHost> {
  const dir = options.root ?? (await mkdtemp(join(tmpdir(), 'pf-scripts-')));
  const storage = new LocalStorage(join(dir, 'storage'), options.nsFilesDir === undefined ? {} : { namespaceFilesDir: options.nsFilesDir });
  const namespace = options.namespace ?? 'company.team';
  const run = new RunStorage(storage, {
    tenant: 'main',
    namespace,
    flowId: 'flow',
    executionId: 'EXEC',
    taskId: 'script',
    taskRunId: 'RUN',
  });
  const engine = createEngine({ config: { secrets: [{ type: 'memory', values: options.secrets ?? {} }] } });
  const logs: { level: LogLevel; message: string }[] = [];
  const controller = new AbortController();
  const context = { flow: { id: 'flow', namespace, tenantId: 'main' }, execution: { id: 'EXEC' }, vars: { who: 'world' } };
  return {
    storage: run,
    ...(options.workingDir === undefined ? {} : { workingDir: options.workingDir }),
    signal: controller.signal,
    controller,
    logs,
    render: (template, extra) => engine.render(template, { ...context, ...extra }, { tenant: 'main', namespace }),
    log: (level, message) => logs.push({ level, message }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export const KESTRA_LIBS_NODE_PATH = join(process.cwd(), 'node_modules');
