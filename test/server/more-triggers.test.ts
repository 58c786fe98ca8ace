/**
 * ScheduleOnDates and http.Trigger against a real server process (embedded mode).
 * References: `core/src/test/java/io/kestra/core/schedulers/SchedulerScheduleOnDatesTest.java`
 * (scheduleOnDates: one execution per future date, with the trigger's `inputs` and the flow's
 * input defaults; a past date of a new trigger does not fire) and
 * `core/src/test/java/io/kestra/plugin/core/http/TriggerTest.java` with
 * `core/src/test/resources/flows/valids/http-listen.yaml` (the flow gets an execution once the
 * response meets `responseCondition`), here against a local server instead of a public API.
 */
import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution, ApiLog, Paged } from './support/api-types.js';
import { getJson } from './support/client.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';

jest.setTimeout(120_000);

async function executions(server: ServerChild, flowId: string): Promise<ApiExecution[]> {
  const { body } = await getJson<Paged<ApiExecution>>(
    `${server.url}/api/v1/main/executions/search?size=1000&flowId=${flowId}&sort=state.startDate:asc`,
  );
  return body.results;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('ScheduleOnDates fires once at each of its dates to come, with its inputs, and not again', async () => {
  const dir = project();
  // Whole seconds, as Kestra truncates them; a past date and two a few seconds ahead.
  const second = Math.floor(Date.now() / 1000) * 1000;
  const past = new Date(second - 60_000).toISOString();
  const after = new Date(second + 6000).toISOString();
  const later = new Date(second + 7000).toISOString();
  writeFileSync(
    join(dir.flows, 'dates.yml'),
    `id: dates
namespace: company.dates
inputs:
  - id: testInputs
    type: STRING
  - id: def
    type: STRING
    defaults: awesome
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.testInputs }} {{ inputs.def }}"
triggers:
  - id: schedule
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Europe/Paris
    dates:
      - "${later}"
      - "${past}"
      - "${after}"
    inputs:
      testInputs: "{{ 'test' }}-inputs"
`,
  );
  const server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  try {
    const list = await until('two executions', async () => {
      const l = await executions(server, 'dates');
      return l.length >= 2 ? l : undefined;
    });
    // "and not again": no third date, and the past one never fires for a new trigger.
    await sleep(3000);
    const all = await executions(server, 'dates');
    expect(all).toHaveLength(2);
    expect(all.map((e) => e.scheduleDate).sort()).toEqual([after, later]);
    expect(new Set(all.map((e) => e.id)).size).toBe(2);
    for (const e of all) {
      // SchedulerScheduleOnDatesTest: testInputs is test-inputs, def is awesome.
      expect(e.inputs).toEqual({ testInputs: 'test-inputs', def: 'awesome' });
      expect(e.trigger).toMatchObject({ id: 'schedule', type: 'io.kestra.plugin.core.trigger.ScheduleOnDates' });
      // Kestra's ScheduleOnDates creates its executions with no trigger variables.
      expect(e.trigger!.variables ?? {}).toEqual({});
      // Not created before its date.
      expect(Date.parse(e.state.histories[0]!.date)).toBeGreaterThanOrEqual(Date.parse(e.scheduleDate!));
    }
    const done = await until('the first execution to succeed', async () => {
      const { body } = await getJson<ApiExecution>(`${server.url}/api/v1/main/executions/${list[0]!.id}`);
      return body.state.current === 'SUCCESS' ? body : undefined;
    });
    const logs = await getJson<ApiLog[]>(`${server.url}/api/v1/main/logs/${done.id}`);
    expect(logs.body.map((l) => l.message)).toContain('test-inputs awesome');
  } finally {
    await server.stop();
    dir.cleanup();
  }
});

test('http.Trigger polls every interval and fires once the response meets responseCondition; stopAfter stops it', async () => {
  // 503 twice, then 200 "wait" twice, then 200 "go": only "go" meets the condition.
  const answers: [number, string][] = [
    [503, 'down'],
    [503, 'down'],
    [200, 'wait'],
    [200, 'wait'],
  ];
  const requests: { at: number; method: string; header: string | undefined }[] = [];
  const http: Server = createServer((req, res) => {
    requests.push({ at: Date.now(), method: req.method ?? '', header: req.headers['x-poll'] as string | undefined });
    const [status, body] = answers[requests.length - 1] ?? [200, 'go'];
    res.writeHead(status, { 'content-type': 'text/plain', 'x-answer': String(requests.length) });
    res.end(body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const uri = `http://127.0.0.1:${(http.address() as AddressInfo).port}/status`;
  const dir = project();
  writeFileSync(
    join(dir.flows, 'listen.yml'),
    `id: http-listen
namespace: company.http
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.code }} {{ trigger.body }}"
triggers:
  - id: http
    type: io.kestra.plugin.fs.http.Trigger
    uri: ${uri}
    headers:
      x-poll: "{{ flow.id }}"
    responseCondition: "{{ response.statusCode == 200 and response.body == 'go' }}"
    interval: PT1S
    stopAfter:
      - SUCCESS
`,
  );
  const server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  try {
    const [fired] = await until('an execution', async () => {
      const l = await executions(server, 'http-listen');
      return l.length > 0 ? l : undefined;
    });
    // Polled while the answers did not meet the condition, nothing created for them.
    expect(requests.length).toBeGreaterThanOrEqual(5);
    expect(requests[0]).toMatchObject({ method: 'GET', header: 'http-listen' });
    // About one request per interval (PT1S), not a busy loop.
    expect(requests[4]!.at - requests[0]!.at).toBeGreaterThanOrEqual(3000);
    expect(fired!.trigger).toMatchObject({ id: 'http', type: 'io.kestra.plugin.fs.http.Trigger' });
    const vars = fired!.trigger!.variables!;
    expect(vars).toMatchObject({ uri, code: 200, body: 'go' });
    expect((vars.headers as Record<string, string[]>)['x-answer']).toEqual(['5']);
    const done = await until('the execution to succeed', async () => {
      const { body } = await getJson<ApiExecution>(`${server.url}/api/v1/main/executions/${fired!.id}`);
      return body.state.current === 'SUCCESS' ? body : undefined;
    });
    const logs = await getJson<ApiLog[]>(`${server.url}/api/v1/main/logs/${done.id}`);
    expect(logs.body.map((l) => l.message)).toContain('200 go');
    // stopAfter SUCCESS disabled the trigger: no more polls, no more executions.
    await sleep(1500);
    const polled = requests.length;
    await sleep(3000);
    expect(requests.length).toBe(polled);
    expect(await executions(server, 'http-listen')).toHaveLength(1);
  } finally {
    await server.stop();
    http.close();
    dir.cleanup();
  }
});
