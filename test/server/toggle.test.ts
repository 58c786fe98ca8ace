/**
 * The Toggle task against a real server (embedded mode): a flow disables another flow's Schedule
 * and Webhook triggers — the schedule stops firing, the webhook answers 404, the stored state says
 * `disabled: true` — then enables them again: the schedule fires anew, the webhook starts
 * executions. A missing trigger or flow fails the task with Kestra's messages.
 * Reference: `core/src/main/java/io/kestra/plugin/core/trigger/Toggle.java`.
 */
import { jest } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution, ApiLog, Paged } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';

jest.setTimeout(180_000);

let dir: ReturnType<typeof project>;
let server: ServerChild;

const toggler = (id: string, enabled: boolean, flowId = 'ticker', triggers = ['every-second', 'hook']): string => `id: ${id}
namespace: company.toggle
tasks:
${triggers
  .map(
    (t, i) => `  - id: t${i}
    type: io.kestra.plugin.core.trigger.Toggle
    namespace: company.toggle
    flowId: "{{ '${flowId}' }}"
    trigger: ${t}
    enabled: ${enabled}
`,
  )
  .join('')}`;

beforeAll(async () => {
  dir = project();
  writeFileSync(
    join(dir.flows, 'ticker.yml'),
    `id: ticker
namespace: company.toggle
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.date ?? 'hook' }}"
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "*/1 * * * * *"
    withSeconds: true
    recoverMissedSchedules: NONE
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k3y
`,
  );
  writeFileSync(join(dir.flows, 'disable.yml'), toggler('disable', false));
  writeFileSync(join(dir.flows, 'enable.yml'), toggler('enable', true));
  writeFileSync(join(dir.flows, 'no-trigger.yml'), toggler('no-trigger', false, 'ticker', ['nope']));
  writeFileSync(join(dir.flows, 'no-flow.yml'), toggler('no-flow', false, 'gone', ['every-second']));
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
});

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

async function scheduled(): Promise<number> {
  const { body } = await getJson<Paged<ApiExecution>>(`${server.url}/api/v1/main/executions/search?size=10000&flowId=ticker`);
  return body.results.filter((e) => e.trigger?.id === 'every-second').length;
}

async function runToEnd(flowId: string): Promise<ApiExecution> {
  const created = await postForm<ApiExecution>(`${server.url}/api/v1/main/executions/company.toggle/${flowId}`, {});
  expect(created.status).toBe(200);
  return until(`${flowId} to end`, async () => {
    const { body } = await getJson<ApiExecution>(`${server.url}/api/v1/main/executions/${created.body.id}`);
    return ['SUCCESS', 'FAILED'].includes(body.state.current) ? body : undefined;
  });
}

const webhook = async (): Promise<number> =>
  (await fetch(`${server.url}/api/v1/main/executions/webhook/company.toggle/ticker/k3y`, { method: 'POST' })).status;

function storedStates(): { triggerId: string; disabled?: boolean }[] {
  const file = join(dir.dir, '.pebbleflow', 'triggers', 'main.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { triggerId: string; disabled?: boolean }[]) : [];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('disabling stops the schedule and the webhook; enabling starts them again', async () => {
  await until('the schedule to fire twice', async () => ((await scheduled()) >= 2 ? true : undefined));
  expect(await webhook()).toBe(200);

  expect((await runToEnd('disable')).state.current).toBe('SUCCESS');
  await until('the states to be saved disabled', () => (storedStates().filter((s) => s.disabled === true).length === 2 ? true : undefined));
  // A tick already under way when the task ran may still end; after that, nothing.
  await sleep(1500);
  const stopped = await scheduled();
  const started = Date.now();
  await sleep(3000);
  console.log(`schedule count after ${Date.now() - started} ms disabled: ${stopped} -> ${await scheduled()}`);
  expect(await scheduled()).toBe(stopped);
  expect(await webhook()).toBe(404);

  expect((await runToEnd('enable')).state.current).toBe('SUCCESS');
  const states = await until('the states to be saved enabled', () =>
    storedStates().every((s) => s.disabled !== true) ? storedStates() : undefined,
  );
  expect(states.map((s) => s.triggerId).sort()).toEqual(['every-second', 'hook']);
  await until('the schedule to fire again', async () => ((await scheduled()) >= stopped + 2 ? true : undefined));
  expect(await webhook()).toBe(200);
});

test("a trigger or a flow that does not exist fails the task with Kestra's message", async () => {
  const noTrigger = await runToEnd('no-trigger');
  expect(noTrigger.state.current).toBe('FAILED');
  const logs = await getJson<ApiLog[]>(`${server.url}/api/v1/main/logs/${noTrigger.id}`);
  expect(logs.body.map((l) => l.message)).toContain('Unable to find trigger nope for the flow company.toggle.ticker');
  const noFlow = await runToEnd('no-flow');
  expect(noFlow.state.current).toBe('FAILED');
  const flowLogs = await getJson<ApiLog[]>(`${server.url}/api/v1/main/logs/${noFlow.id}`);
  expect(flowLogs.body.map((l) => l.message)).toContain(
    'Unable to find flow company.toggle.gone. Make sure the flow exists and the current execution is authorized to access it.',
  );
});
