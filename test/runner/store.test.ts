/**
 * Executions kept in stores and continued: the file store the CLI uses (atomic writes, 0600,
 * masked), and a run continued after its process died — ended task runs reused (not run again),
 * the RUNNING one gets a new attempt, the old one ends KILLED.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Execution } from '../../src/flow/execution.js';
import { parseFlow } from '../../src/flow/loader.js';
import { clonePlain } from '../../src/runner/context.js';
import { resumeExecution, runExecution } from '../../src/runner/runner.js';
import { ExecutionStoreError, FileExecutionStore, MemoryExecutionStore } from '../../src/runner/store.js';
import { defineTask } from '../../src/tasks/definition.js';
import { createTaskRegistry } from '../../src/tasks/registry.js';

jest.setTimeout(30_000);

const runs: string[] = [];
const counted = defineTask({
  type: 'com.example.Counted',
  properties: { ms: { kind: 'integer', default: 0 } },
  async run(ctx) {
    runs.push(ctx.task.id);
    const ms = (await ctx.property<number>('ms')) ?? 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(ctx.signal.reason as Error);
      });
    });
    return { outputs: { at: ctx.task.id } };
  },
});
const registry = createTaskRegistry([counted]);

test('the file store: one JSON file per execution, mode 0600, written atomically, secrets masked, ids checked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pf-store-'));
  const store = new FileExecutionStore(dir, { meta: { flowFile: 'x.yaml' } });
  const canary = 'store-canary-91xq';
  const flow = parseFlow(`id: s
namespace: n
tasks:
  - { id: a, type: io.kestra.plugin.core.debug.Return, format: "{{ secret('k') }}" }
  - { id: b, type: io.kestra.plugin.core.log.Log, message: "got {{ outputs.a.value }}" }
`);
  const { execution } = await runExecution(flow, { env: { SECRET_K: Buffer.from(canary).toString('base64') }, store });
  expect(readdirSync(dir)).toEqual([`${execution.id}.json`]);
  const file = join(dir, `${execution.id}.json`);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const text = readFileSync(file, 'utf8');
  expect(text).not.toContain(canary);
  const stored = FileExecutionStore.read(dir, execution.id);
  expect(stored.execution.state.current).toBe('SUCCESS');
  expect(stored.execution.taskRunList.map((t) => t.taskId)).toEqual(['a', 'b']);
  expect(stored.execution.taskRunList[0]?.outputs).toEqual({ value: '******' });
  expect(stored.logs.map((l) => l.message)).toEqual(['got ******']);
  expect(stored.meta).toEqual({ flowFile: 'x.yaml' });
  expect(() => FileExecutionStore.read(dir, '../etc/passwd')).toThrow(ExecutionStoreError);
  expect(() => FileExecutionStore.read(dir, 'nope')).toThrow(/No execution nope/);
});

test('a run whose process died continues: ended task runs are reused, the RUNNING one gets a new attempt', async () => {
  runs.length = 0;
  const flow = parseFlow(
    `id: crash
namespace: n
tasks:
  - { id: first, type: com.example.Counted }
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - { id: second, type: com.example.Counted, ms: 2000 }
      - { id: third, type: com.example.Counted }
  - { id: last, type: io.kestra.plugin.core.log.Log, message: "{{ outputs.first.at }} {{ outputs.third.at }}" }
`,
    { registry },
  );
  const store = new MemoryExecutionStore();
  let snapshot: Execution | undefined;
  const controller = new AbortController();
  await runExecution(flow, {
    env: {},
    registry,
    store,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'task-state' && e.taskRun.taskId === 'second' && e.taskRun.state === 'RUNNING' && snapshot === undefined) {
        // What a store holds when the process dies here.
        snapshot = clonePlain(store.get([...store.executions.keys()][0]!)!);
        controller.abort();
      }
    },
  });
  expect(snapshot?.state.current).toBe('RUNNING');
  expect(snapshot?.taskRunList.map((t) => [t.taskId, t.state.current])).toEqual([
    ['first', 'SUCCESS'],
    ['seq', 'RUNNING'],
    ['second', 'RUNNING'],
  ]);
  runs.length = 0;
  const { report } = await resumeExecution(flow, snapshot!, { env: {}, registry });
  expect(report.state).toBe('SUCCESS');
  expect(runs).toEqual(['second', 'third']);
  expect(report.taskRuns.map((t) => [t.taskId, t.state, t.attempts.map((a) => a.state)])).toEqual([
    ['first', 'SUCCESS', ['SUCCESS']],
    ['seq', 'SUCCESS', []],
    ['second', 'SUCCESS', ['KILLED', 'SUCCESS']],
    ['third', 'SUCCESS', ['SUCCESS']],
    ['last', 'SUCCESS', ['SUCCESS']],
  ]);
  expect(report.logs.map((l) => l.message)).toEqual(['first third']);
});
