/**
 * A waited subflow execution that pauses (approval inside a subflow), in `pebbleflow server`
 * (embedded mode, real server processes): the parent's Subflow task run stays RUNNING, and so does
 * the parent, while the child is PAUSED; resuming the child through the API ends it in its own job,
 * and its end continues the parent, whose task run takes the child's state and outputs. The same
 * with ForEachItem (each batch pausing), a kill of either side, and a server SIGKILLed meanwhile.
 * Reference (Kestra, Dec 2024): `core/src/main/java/io/kestra/core/runners/ExecutorService.java`
 * (`handleExecutableTask`: the task run RUNNING while its subflow runs; the `SubflowExecutionResult`
 * of the ended child sets it), `plugin/core/flow/Subflow.java` (`createSubflowExecutionResult`:
 * executionId, state, the child's outputs), `ExecutableUtils.manageIterations` (ForEachItem counts
 * a batch when its subflow ends), `services/ExecutionService.java` (kill cascades to subflow
 * executions), `core/src/test/java/io/kestra/plugin/core/flow/PauseTest.java` (a paused execution
 * is PAUSED with its Pause task run PAUSED until resumed).
 */
import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution, ApiLog } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';

jest.setTimeout(240_000);

let dir: ReturnType<typeof project>;
let server: ServerChild;

beforeAll(async () => {
  dir = project();
  writeFileSync(
    join(dir.flows, 'child.yml'),
    `id: child
namespace: company.sub
inputs:
  - id: n
    type: INT
tasks:
  - id: approve
    type: io.kestra.plugin.core.flow.Pause
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: "approved {{ inputs.n }}"
outputs:
  - id: doubled
    type: INT
    value: "{{ inputs.n * 2 }}"
`,
  );
  writeFileSync(
    join(dir.flows, 'parent.yml'),
    `id: parent
namespace: company.sub
tasks:
  - id: sub
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: child
    inputs:
      n: 21
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "child said {{ outputs.sub.outputs.doubled }} ({{ outputs.sub.state }})"
`,
  );
  writeFileSync(
    join(dir.flows, 'batches.yml'),
    `id: batches
namespace: company.sub
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "a\\nb\\n"
    extension: .txt
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ outputs.write.uri }}"
    namespace: company.sub
    flowId: child
    inputs:
      n: "{{ taskrun.iteration }}"
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "merged {{ read(outputs.each_merge.subflowOutputs) | trim }}"
`,
  );
  writeFileSync(
    join(dir.flows, 'secret-child.yml'),
    `id: secret-child
namespace: company.sub
inputs:
  - { id: token, type: SECRET }
tasks:
  - { id: approve, type: io.kestra.plugin.core.flow.Pause }
outputs:
  - { id: digest, type: STRING, value: "{{ inputs.token | sha256 }}" }
`,
  );
  writeFileSync(
    join(dir.flows, 'secret-parent.yml'),
    `id: secret-parent
namespace: company.sub
inputs:
  - { id: token, type: SECRET }
tasks:
  - id: sub
    type: io.kestra.plugin.core.flow.Subflow
    namespace: company.sub
    flowId: secret-child
    inputs: { token: "{{ inputs.token }}" }
`,
  );
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
});

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

const api = (path: string): string => `${server.url}/api/v1/main${path}`;
const get = async (id: string): Promise<ApiExecution> => (await getJson<ApiExecution>(api(`/executions/${id}`))).body;
const reaches = (id: string, state: string): Promise<ApiExecution> =>
  until(`${id} to be ${state}`, async () => {
    const e = await get(id);
    return e.state.current === state ? e : undefined;
  });
const children = async (parentId: string): Promise<ApiExecution[]> =>
  (await getJson<{ results: ApiExecution[] }>(api(`/executions/search?triggerExecutionId=${parentId}&size=100`))).body.results;
/** The paused children of an execution, once there are `count` of them. */
const pausedChildren = (parentId: string, count: number): Promise<ApiExecution[]> =>
  until(`${count} paused children of ${parentId}`, async () => {
    const found = (await children(parentId)).filter((c) => c.state.current === 'PAUSED');
    return found.length === count ? found : undefined;
  });
const taskRun = (e: ApiExecution, taskId: string) => e.taskRunList.find((t) => t.taskId === taskId);
const resume = async (id: string): Promise<void> => {
  expect((await postForm(api(`/executions/${id}/resume`), {})).status).toBe(204);
};
const kill = async (id: string): Promise<void> => {
  expect((await fetch(api(`/executions/${id}/kill`), { method: 'DELETE' })).status).toBe(202);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('Subflow wait: the parent stays RUNNING while the child is PAUSED, and ends with its outputs once it is resumed', async () => {
  const parent = (await postForm<ApiExecution>(api('/executions/company.sub/parent'), {})).body;
  const [child] = await pausedChildren(parent.id, 1);
  expect(taskRun(child!, 'approve')?.state.current).toBe('PAUSED');
  // As Kestra shows it: the execution and its Subflow task run RUNNING, nothing internal in the JSON.
  await sleep(500);
  const waiting = await get(parent.id);
  expect(waiting.state.current).toBe('RUNNING');
  expect(taskRun(waiting, 'sub')?.state.current).toBe('RUNNING');
  expect(taskRun(waiting, 'after')).toBeUndefined();
  expect(Object.keys(waiting)).not.toContain('subflowWaits');

  await resume(child!.id);
  expect((await reaches(child!.id, 'SUCCESS')).outputs).toEqual({ doubled: 42 });
  const done = await reaches(parent.id, 'SUCCESS');
  const sub = taskRun(done, 'sub')!;
  expect(sub.state.current).toBe('SUCCESS');
  expect(sub.state.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
  expect(sub.attempts).toHaveLength(1);
  expect(sub.outputs).toEqual({ executionId: child!.id, state: 'SUCCESS', outputs: { doubled: 42 } });
  expect(done.taskRunList.map((t) => t.taskId)).toEqual(['sub', 'after']);
  const logs = (await getJson<ApiLog[]>(api(`/logs/${parent.id}`))).body;
  expect(logs.map((l) => l.message)).toContain('child said 42 (SUCCESS)');
});

test('ForEachItem wait: each batch pauses; <id>_items stays RUNNING until the last subflow is resumed', async () => {
  const parent = (await postForm<ApiExecution>(api('/executions/company.sub/batches'), {})).body;
  const paused = await pausedChildren(parent.id, 2);
  const waiting = await get(parent.id);
  expect(waiting.state.current).toBe('RUNNING');
  expect(taskRun(waiting, 'each_items')?.state.current).toBe('RUNNING');
  expect(taskRun(waiting, 'each')?.state.current).toBe('RUNNING');

  const first = paused.find((c) => c.inputs?.n === 1)!;
  const second = paused.find((c) => c.inputs?.n === 2)!;
  await resume(first.id);
  await reaches(first.id, 'SUCCESS');
  // One batch ended: counted, the other still waited for.
  const half = await until('the first batch counted', async () => {
    const e = await get(parent.id);
    const iterations = taskRun(e, 'each_items')?.outputs?.iterations as Record<string, number> | undefined;
    return iterations?.SUCCESS === 1 ? e : undefined;
  });
  expect(half.state.current).toBe('RUNNING');
  expect(taskRun(half, 'each_items')?.state.current).toBe('RUNNING');

  await resume(second.id);
  const done = await reaches(parent.id, 'SUCCESS');
  const items = taskRun(done, 'each_items')!;
  expect(items.state.current).toBe('SUCCESS');
  expect(items.outputs).toMatchObject({ numberOfBatches: 2, iterations: { SUCCESS: 2, RUNNING: 0, CREATED: 0 } });
  expect(taskRun(done, 'each_merge')?.state.current).toBe('SUCCESS');
  // Two subflow executions in all: none made again when the parent went on.
  expect(await children(parent.id)).toHaveLength(2);
  const logs = (await getJson<ApiLog[]>(api(`/logs/${parent.id}`))).body;
  expect(logs.map((l) => l.message)).toContain('merged {doubled:"2"}\n{doubled:"4"}');
});

test('killing the waiting parent kills its paused child; killing a paused child ends the Subflow task run KILLED', async () => {
  const parent = (await postForm<ApiExecution>(api('/executions/company.sub/parent'), {})).body;
  const [child] = await pausedChildren(parent.id, 1);
  await kill(parent.id);
  const killed = await reaches(parent.id, 'KILLED');
  expect(taskRun(killed, 'sub')?.state.current).toBe('KILLED');
  const killedChild = await reaches(child!.id, 'KILLED');
  expect(taskRun(killedChild, 'approve')?.state.current).toBe('KILLED');

  const other = (await postForm<ApiExecution>(api('/executions/company.sub/parent'), {})).body;
  const [otherChild] = await pausedChildren(other.id, 1);
  await kill(otherChild!.id);
  await reaches(otherChild!.id, 'KILLED');
  // transmitFailed (default): the child's KILLED is the task run's (ExecutableUtils.guessState).
  const ended = await reaches(other.id, 'KILLED');
  expect(taskRun(ended, 'sub')).toMatchObject({ state: { current: 'KILLED' }, outputs: { executionId: otherChild!.id, state: 'KILLED' } });
  expect(taskRun(ended, 'after')).toBeUndefined();
});

test('a server SIGKILLed while the child is PAUSED: started again, resuming the child completes the parent', async () => {
  const parent = (await postForm<ApiExecution>(api('/executions/company.sub/parent'), {})).body;
  const [child] = await pausedChildren(parent.id, 1);
  await until('the parent to wait', async () => (taskRun(await get(parent.id), 'sub')?.state.current === 'RUNNING' ? true : undefined));
  await sleep(300);
  expect(await server.stop('SIGKILL')).toBe('SIGKILL');
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  // Still waiting after the restart (not run again, no second child).
  await sleep(1000);
  expect((await get(parent.id)).state.current).toBe('RUNNING');
  expect(await children(parent.id)).toHaveLength(1);
  await resume(child!.id);
  const done = await reaches(parent.id, 'SUCCESS');
  expect(taskRun(done, 'sub')?.outputs).toEqual({ executionId: child!.id, state: 'SUCCESS', outputs: { doubled: 42 } });
});

test("a paused child's SECRET inputs are there when it is resumed in its own job, and never shown", async () => {
  const token = 'paused-child-secret-value';
  const parent = (await postForm<ApiExecution>(api('/executions/company.sub/secret-parent'), { token })).body;
  const [child] = await pausedChildren(parent.id, 1);
  expect(child!.inputs?.['token']).toBe('******');
  await resume(child!.id);
  const done = await reaches(parent.id, 'SUCCESS');
  expect((taskRun(done, 'sub')?.outputs as { outputs?: Record<string, unknown> }).outputs?.['digest']).toBe(
    createHash('sha256').update(token).digest('hex'),
  );
  for (const id of [parent.id, child!.id]) expect(JSON.stringify(await get(id))).not.toContain(token);
});
