/**
 * An execution's life beyond one run (embedded mode, real server processes): Pause and resume
 * (with `onResume` inputs, checked), restart of a failed execution (Kestra keeps the id and reruns
 * only the failed task runs), and a server killed with SIGKILL mid-run: started again, it continues
 * the execution without running its finished task runs again.
 * Reference: `ExecutionController.java` (resume, restart), `core/.../services/ExecutionService.java`.
 */
import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiError, ApiExecution, ApiLog } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { startGate, type Gate } from './support/gate.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';
import { call, sdk } from './support/sdk.js';

jest.setTimeout(180_000);

let gate: Gate;
let dir: ReturnType<typeof project>;
let server: ServerChild;

beforeAll(async () => {
  gate = await startGate();
  dir = project();
  writeFileSync(
    join(dir.flows, 'approval.yml'),
    `id: approval
namespace: company.life
tasks:
  - id: before
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hit/{{ execution.id }}-before
  - id: wait_for_approval
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
      - id: comment
        type: STRING
        required: false
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "approved={{ outputs.wait_for_approval.onResume.approved }} {{ outputs.wait_for_approval.onResume.comment ?? '' }}"
`,
  );
  writeFileSync(
    join(dir.flows, 'flaky.yml'),
    `id: flaky
namespace: company.life
inputs:
  - id: fail
    type: BOOLEAN
    defaults: true
tasks:
  - id: first
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hit/{{ execution.id }}-first
  - id: breaks
    type: io.kestra.plugin.core.execution.Fail
    runIf: "{{ inputs.fail }}"
    errorMessage: broken
`,
  );
  writeFileSync(
    join(dir.flows, 'long.yml'),
    `id: long
namespace: company.life
tasks:
  - id: first
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hit/{{ execution.id }}-first
  - id: held
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hold/{{ execution.id }}
  - id: last
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hit/{{ execution.id }}-last
`,
  );
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
});

afterAll(async () => {
  await server?.stop();
  await gate?.close();
  dir?.cleanup();
});

const api = (path: string): string => `${server.url}/api/v1/main${path}`;
const get = async (id: string): Promise<ApiExecution> => (await getJson<ApiExecution>(api(`/executions/${id}`))).body;
const reaches = (id: string, state: string): Promise<ApiExecution> =>
  until(`${id} to be ${state}`, async () => {
    const e = await get(id);
    return e.state.current === state ? e : undefined;
  });

test('Pause, then resume with onResume inputs (checked: 422), through plain HTTP and the SDK', async () => {
  // wait=true returns at a pause, as Kestra's isStopFollow does not: the execution is not over.
  const created = await postForm<ApiExecution>(api('/executions/company.life/approval'), {});
  const paused = await reaches(created.body.id, 'PAUSED');
  expect(paused.taskRunList.find((t) => t.taskId === 'wait_for_approval')?.state.current).toBe('PAUSED');
  // `approved` is required (a BOOLEAN reads any text, as Kestra's Boolean.valueOf does).
  const bad = await postForm<ApiError>(api(`/executions/${paused.id}/resume`), { comment: 'no decision yet' });
  expect(bad.status).toBe(422);
  expect(bad.body.message).toContain('Invalid input for `approved`');
  const ok = await postForm(api(`/executions/${paused.id}/resume`), { approved: 'true', comment: 'lgtm' });
  expect(ok.status).toBe(204);
  const done = await reaches(paused.id, 'SUCCESS');
  expect(done.taskRunList.map((t) => t.taskId)).toEqual(['before', 'wait_for_approval', 'after']);
  expect(gate.hits(`${paused.id}-before`)).toBe(1);
  const logs = await getJson<ApiLog[]>(api(`/logs/${paused.id}`));
  expect(logs.body.at(-1)?.message).toBe('approved=true lgtm');
  // Resuming what is not paused: 409.
  const again = await postForm<ApiError>(api(`/executions/${paused.id}/resume`), { approved: 'true' });
  expect(again.status).toBe(409);

  // The SDK's resumeExecution sends no inputs: fine for a Pause without required ones… and refused here.
  const second = (await postForm<ApiExecution>(api('/executions/company.life/approval'), {})).body;
  await reaches(second.id, 'PAUSED');
  await expect(call(sdk(server.url).executions, 'resumeExecution', second.id, 'main')).rejects.toMatchObject({ status: 422 });
});

test('restart: the same execution, RESTARTED, only the failed task run runs again', async () => {
  const failed = (await postForm<ApiExecution>(api('/executions/company.life/flaky?wait=true'), {})).body;
  expect(failed.state.current).toBe('FAILED');
  // Fix the flow (revision 2), then restart on it.
  writeFileSync(
    join(dir.flows, 'flaky.yml'),
    (await getJson<{ source: string }>(api('/flows/company.life/flaky?source=true'))).body.source.replace(
      'errorMessage: broken',
      'errorMessage: broken\n    disabled: true',
    ),
  );
  await until('revision 2', async () =>
    (await getJson<{ revision: number }>(api('/flows/company.life/flaky'))).body.revision === 2 ? true : undefined,
  );
  const { data, status } = await call<ApiExecution>(sdk(server.url).executions, 'restartExecution', failed.id, 'main', { revision: 2 });
  expect(status).toBe(200);
  expect(data).toMatchObject({ id: failed.id, flowRevision: 2, state: { current: 'RESTARTED' } });
  const done = await until('the restarted execution to end', async () => {
    const e = await get(failed.id);
    return ['SUCCESS', 'FAILED', 'WARNING'].includes(e.state.current) && e.state.histories.some((h) => h.state === 'RESTARTED')
      ? e
      : undefined;
  });
  expect(done.state.current).toBe('SUCCESS');
  expect(done.state.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING', 'FAILED', 'RESTARTED', 'RUNNING', 'SUCCESS']);
  expect(gate.hits(`${failed.id}-first`)).toBe(1);
  // Nothing left to restart: 409.
  const nothing = await fetch(api(`/executions/${failed.id}/restart`), { method: 'POST' });
  expect(nothing.status).toBe(409);
});

test('a server killed with SIGKILL mid-run continues the execution when started again, finished task runs not rerun', async () => {
  const created = (await postForm<ApiExecution>(api('/executions/company.life/long'), {})).body;
  await until('the held request', () => (gate.held().includes(created.id) ? true : undefined));
  expect(await server.stop('SIGKILL')).toBe('SIGKILL');
  gate.release(created.id);
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  await until('the held request again', () => (gate.held().includes(created.id) ? true : undefined));
  gate.release(created.id);
  const done = await reaches(created.id, 'SUCCESS');
  const held = done.taskRunList.find((t) => t.taskId === 'held')!;
  // The interrupted attempt ended KILLED, a new one ran.
  expect(held.attempts.map((a) => a.state.current)).toEqual(['KILLED', 'SUCCESS']);
  expect(gate.hits(`${created.id}-first`)).toBe(1);
  expect(gate.hits(`${created.id}-last`)).toBe(1);
  expect(done.taskRunList.filter((t) => t.taskId === 'first')).toHaveLength(1);
});
