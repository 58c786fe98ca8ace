/**
 * The execution API of `pebbleflow server` (embedded mode), driven through Kestra's official SDK
 * and plain HTTP, against a real server process: execute with inputs and wait, read the execution,
 * its task runs, outputs and logs, follow a run over server-sent events, kill, webhooks with the
 * right and a wrong key, a Flow trigger, SECRET inputs that never reach the API, the logs or disk.
 * Shapes and status codes: Kestra's `webserver/.../controllers/api/ExecutionController.java`.
 */
import { jest } from '@jest/globals';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGate, type Gate } from './support/gate.js';
import { getJson, postForm, readEvents } from './support/client.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';
import { call, sdk, SdkError, type Sdk } from './support/sdk.js';
import type { ApiError, ApiExecution, ApiLog, Paged } from './support/api-types.js';

jest.setTimeout(120_000);

const SECRET_VALUE = 'hunter2-very-secret-value';

let server: ServerChild;
let gate: Gate;
let client: Sdk;
let dir: ReturnType<typeof project>;

const flow = (name: string, body: string): void => writeFileSync(join(dir.flows, `${name}.yml`), body);

beforeAll(async () => {
  gate = await startGate();
  dir = project();
  flow(
    'hello',
    `id: hello
namespace: company.team
labels:
  team: data
inputs:
  - id: name
    type: STRING
  - id: count
    type: INT
    defaults: 2
  - id: token
    type: SECRET
    required: false
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.name }} x{{ inputs.count }} with {{ inputs.token ?? 'no token' }}"
  - id: call
    type: io.kestra.plugin.core.http.Request
    uri: "${'{{'} vars.gate }}/hit/{{ execution.id }}"
  - id: out
    type: io.kestra.plugin.core.output.OutputValues
    values:
      greeting: "hi {{ inputs.name }}"
      doubled: "{{ inputs.count * 2 }}"
variables:
  gate: ${gate.origin}
outputs:
  - id: message
    type: STRING
    value: "{{ outputs.out.values.greeting }}"
`,
  );
  flow(
    'upload',
    `id: upload
namespace: company.team
inputs:
  - id: data
    type: FILE
  - id: note
    type: STRING
    required: false
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(inputs.data) }} ({{ fileSize(inputs.data) }} bytes)"
`,
  );
  flow(
    'slow',
    `id: slow
namespace: company.team
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: starting
  - id: wait
    type: io.kestra.plugin.core.http.Request
    uri: ${gate.origin}/hold/{{ execution.id }}
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: done
`,
  );
  flow(
    'hook',
    `id: hook
namespace: company.team
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "body {{ trigger.body }}"
triggers:
  - id: incoming
    type: io.kestra.plugin.core.trigger.Webhook
    key: "{{ 'abc' ~ 'XYZ123' }}"
`,
  );
  flow(
    'downstream',
    `id: downstream
namespace: company.other
inputs:
  - id: upstream
    type: STRING
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "after {{ trigger.flowId }} {{ trigger.state }} {{ inputs.upstream }}"
triggers:
  - id: after-hello
    type: io.kestra.plugin.core.trigger.Flow
    inputs:
      upstream: "{{ trigger.outputs.message }}"
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: company.team
        flowId: hello
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
`,
  );
  // Kestra's core/src/test/resources/flows/valids/webhook-with-condition.yaml
  flow(
    'webhook-with-condition',
    `id: webhook-with-condition
namespace: company.team
tasks:
  - id: out
    type: io.kestra.plugin.core.debug.Return
    format: "{{ trigger | json }}"
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: webhookKey
    conditions:
      - type: io.kestra.plugin.core.condition.ExpressionCondition
        expression: "{{trigger.body.hello == 'world'}}"
`,
  );
  flow(
    'off',
    `id: off
namespace: company.team
disabled: true
tasks:
  - id: x
    type: io.kestra.plugin.core.log.Log
    message: x
`,
  );
  flow(
    'retry-chain',
    `id: retry-chain
namespace: company.team
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    retry:
      behavior: CREATE_NEW_EXECUTION
      type: constant
      maxAttempt: 3
      interval: PT0.2S
`,
  );
  flow(
    'guarded',
    `id: guarded
namespace: company.team
inputs:
  - id: mode
    type: STRING
checks:
  - message: mode must not be block
    condition: "{{ inputs.mode != 'block' }}"
    style: ERROR
  - message: fail mode fails
    condition: "{{ inputs.mode != 'fail' }}"
    style: ERROR
    behavior: FAIL_EXECUTION
  - message: warn mode is risky
    condition: "{{ inputs.mode != 'warn' }}"
    style: WARNING
    behavior: CREATE_EXECUTION
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: ran {{ inputs.mode }}
`,
  );
  flow(
    'with-listener',
    `id: with-listener
namespace: company.team
listeners:
  - conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [SUCCESS]
    tasks:
      - { id: pause-a-bit, type: io.kestra.plugin.core.flow.Sleep, duration: PT0.5S }
      - { id: notify, type: io.kestra.plugin.core.log.Log, message: "{{ outputs.first.value }} ended {{ execution.state }}" }
tasks:
  - { id: first, type: io.kestra.plugin.core.debug.Return, format: v1 }
`,
  );
  flow(
    'fetcher',
    `id: fetcher
namespace: company.team
inputs:
  - id: target
    type: STRING
tasks:
  - id: fetch
    type: io.kestra.plugin.core.log.Fetch
    executionId: "{{ inputs.target }}"
    namespace: company.team
    flowId: guarded
`,
  );
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  client = sdk(server.url);
});

afterAll(async () => {
  if (process.env.DEBUG_SERVER !== undefined) process.stderr.write(server?.stderr() ?? '');
  await server?.stop();
  await gate?.close();
  dir?.cleanup();
});

const api = (path: string): string => `${server.url}/api/v1/main${path}`;

describe('execute a flow with inputs', () => {
  let execution: ApiExecution;

  beforeAll(async () => {
    const res = await postForm<ApiExecution>(api('/executions/company.team/hello?wait=true&labels=env:test'), {
      name: 'Ada',
      count: '21',
      token: SECRET_VALUE,
    });
    expect(res.status).toBe(200);
    execution = res.body;
  });

  test('wait=true answers with the finished execution in Kestra’s shape', () => {
    expect(execution).toMatchObject({
      namespace: 'company.team',
      flowId: 'hello',
      flowRevision: 1,
      state: { current: 'SUCCESS' },
      inputs: { name: 'Ada', count: 21, token: '******' },
      outputs: { message: 'hi Ada' },
      deleted: false,
    });
    expect(execution.id).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(execution.url).toBe(`${server.url}/ui/main/executions/company.team/hello/${execution.id}`);
    expect(execution.labels).toEqual(
      expect.arrayContaining([
        { key: 'team', value: 'data' },
        { key: 'env', value: 'test' },
      ]),
    );
    expect(execution.state.histories.map((h) => h.state)).toEqual(['CREATED', 'RUNNING', 'SUCCESS']);
    expect(gate.hits(execution.id)).toBe(1);
  });

  test('the SDK reads the execution, its task runs (with the worker of each attempt) and outputs', async () => {
    const { data, status } = await call<ApiExecution>(client.executions, 'getExecution', execution.id, 'main');
    expect(status).toBe(200);
    expect(data.state.current).toBe('SUCCESS');
    expect(data.taskRunList.map((t) => t.taskId)).toEqual(['greet', 'call', 'out']);
    for (const taskRun of data.taskRunList) {
      expect(taskRun).toMatchObject({
        executionId: execution.id,
        namespace: 'company.team',
        flowId: 'hello',
        state: { current: 'SUCCESS' },
      });
      expect(taskRun.attempts).toHaveLength(1);
      expect(taskRun.attempts[0]?.workerId).toMatch(/.+:\d+$/);
    }
    expect(data.taskRunList[2]?.outputs).toEqual({ values: { greeting: 'hi Ada', doubled: '42' } });
    expect(data.taskRunList[1]?.outputs.code).toBe(200);
  });

  test('the SDK lists the logs, masked', async () => {
    const { data } = await call<ApiLog[]>(client.logs, 'listLogsFromExecution', execution.id, 'main', {});
    const greet = data.find((l) => l.taskId === 'greet');
    expect(greet).toMatchObject({ namespace: 'company.team', flowId: 'hello', executionId: execution.id, level: 'INFO' });
    expect(greet?.message).toBe('Hello Ada x21 with ******');
    const { data: errorsOnly } = await call<ApiLog[]>(client.logs, 'listLogsFromExecution', execution.id, 'main', { minLevel: 'ERROR' });
    expect(errorsOnly).toEqual([]);
  });

  test('the SDK searches executions by namespace prefix, flow, state and label', async () => {
    const { data } = await call<Paged<ApiExecution>>(client.executions, 'searchExecutions', 1, 10, 'main', {
      namespace: 'company',
      flowId: 'hello',
      state: ['SUCCESS'],
      labels: ['env:test'],
    });
    expect(data.total).toBeGreaterThanOrEqual(1);
    expect(data.results.map((e) => e.id)).toContain(execution.id);
    const none = await call<Paged<ApiExecution>>(client.executions, 'searchExecutions', 1, 10, 'main', {
      state: ['KILLED'],
      labels: ['env:test'],
    });
    expect(none.data.total).toBe(0);
  });

  test('a SECRET input never reaches the API, the logs or the data folder', async () => {
    const everything = JSON.stringify([await getJson(api(`/executions/${execution.id}`)), await getJson(api(`/logs/${execution.id}`))]);
    expect(everything).not.toContain(SECRET_VALUE);
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(join(dir.dir, '.pebbleflow'));
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toContain(SECRET_VALUE);
  });

  test('a Flow trigger starts the downstream flow with the upstream outputs', async () => {
    const found = await until('the downstream execution', async () => {
      const { body } = await getJson<Paged<ApiExecution>>(
        api('/executions/search?namespace=company.other&flowId=downstream&state=SUCCESS'),
      );
      return body.results.find((e) => e.trigger?.variables?.executionId === execution.id);
    });
    expect(found.trigger).toMatchObject({
      id: 'after-hello',
      type: 'io.kestra.plugin.core.trigger.Flow',
      variables: { executionId: execution.id, namespace: 'company.team', flowId: 'hello', flowRevision: 1, state: 'SUCCESS' },
    });
    expect(found.inputs).toEqual({ upstream: 'hi Ada' });
    const logs = await getJson<ApiLog[]>(api(`/logs/${found.id}`));
    expect(logs.body[0]?.message).toBe('after hello SUCCESS hi Ada');
  });
});

// ExecutionController.isStopFollow: wait=true answers once the listeners ran (ConditionService.isTerminatedWithListeners).
describe('flow listeners', () => {
  test('wait=true answers once the listeners ran; their task runs and logs are the execution’s', async () => {
    const res = await postForm<ApiExecution>(api('/executions/company.team/with-listener?wait=true'), {});
    expect(res.status).toBe(200);
    expect(res.body.state.current).toBe('SUCCESS');
    expect(res.body.taskRunList.map((t) => [t.taskId, t.state.current])).toEqual([
      ['first', 'SUCCESS'],
      ['pause-a-bit', 'SUCCESS'],
      ['notify', 'SUCCESS'],
    ]);
    const logs = await getJson<ApiLog[]>(api(`/logs/${res.body.id}`));
    expect(logs.body.map((l) => l.message)).toContain('v1 ended SUCCESS');
  });
});

describe('retry with behavior CREATE_NEW_EXECUTION', () => {
  test('the retried execution ends RETRIED and the new executions of the chain are stored, listed and run', async () => {
    const res = await postForm<ApiExecution>(api('/executions/company.team/retry-chain?wait=true'), {});
    expect(res.status).toBe(200);
    // wait=true answers once the execution is terminated: RETRIED is (Kestra's State.Type#isTerminated).
    expect(res.body.state.current).toBe('RETRIED');
    const first = res.body;
    const search = (): Promise<{ body: Paged<ApiExecution> }> =>
      getJson<Paged<ApiExecution>>(api('/executions/search?namespace=company.team&flowId=retry-chain&size=10'));
    const all = await until('the chain of three executions to end', async () => {
      const { body } = await search();
      return body.results.length === 3 && body.results.every((e) => e.state.current !== 'CREATED' && e.state.current !== 'RUNNING')
        ? body.results
        : undefined;
    });
    expect(all.map((e) => e.state.current).sort()).toEqual(['FAILED', 'RETRIED', 'RETRIED']);
    const byParent = new Map(all.map((e) => [(e as ApiExecution & { parentId?: string }).parentId, e]));
    const second = byParent.get(first.id);
    const third = second === undefined ? undefined : byParent.get(second.id);
    expect([second?.state.current, third?.state.current]).toEqual(['RETRIED', 'FAILED']);
    const read = await getJson<ApiExecution & { originalId?: string; metadata?: { attemptNumber: number } }>(
      api(`/executions/${third?.id ?? 'none'}`),
    );
    expect(read.status).toBe(200);
    expect(read.body.originalId).toBe(first.id);
    expect(read.body.metadata?.attemptNumber).toBe(3);
    expect(read.body.taskRunList?.map((t) => [t.taskId, t.state.current])).toEqual([['fail', 'FAILED']]);
  });
});

describe('refusals, with Kestra’s status codes', () => {
  // Kestra's ExecutionController takes FILE inputs as multipart file parts and stores them under
  // the execution (`…/executions/<id>/inputs/<input>/<file name>`).
  test('a FILE input uploaded as a multipart part is stored under the execution and read by the flow', async () => {
    const form = new FormData();
    form.append('data', new Blob(['id,name\n1,Ada\n'], { type: 'text/csv' }), '../people.csv');
    const res = await fetch(`${server.url}/api/v1/main/executions/company.team/upload?wait=true`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const done = (await res.json()) as ApiExecution;
    expect(done.state.current).toBe('SUCCESS');
    expect(done.inputs.data).toBe(`kestra:///company/team/upload/executions/${done.id}/inputs/data/people.csv`);
    const logs = await getJson<ApiLog[]>(`${server.url}/api/v1/main/logs/${done.id}`);
    expect(logs.body.map((l) => l.message)).toContain('id,name\n1,Ada\n (14 bytes)');
  });

  test('a file part for an input that is not FILE is refused (422) and a FILE input given as a text path is never read from disk', async () => {
    const form = new FormData();
    form.append('data', new Blob(['x']), 'x.txt');
    form.append('note', new Blob(['x']), 'note.txt');
    const wrong = await fetch(`${server.url}/api/v1/main/executions/company.team/upload`, { method: 'POST', body: form });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('`note`');
    const path = await postForm<ApiError>(`${server.url}/api/v1/main/executions/company.team/upload`, { data: '/etc/passwd' });
    expect(path.status).toBe(422);
    expect(JSON.stringify(path.body)).not.toContain('root:');
  });

  test('bad inputs: 422 listing every problem, and no execution', async () => {
    const before = (await getJson<Paged<ApiExecution>>(api('/executions/search?flowId=hello&size=1000'))).body.total;
    const res = await postForm<ApiError>(api('/executions/company.team/hello'), { count: 'many', unknown: 'x' });
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/^Invalid entity: /);
    expect(res.body.message).toContain('Invalid input for `count`');
    expect(res.body.message).toContain('missing required input');
    // Two problems: `unknown` is not declared, and ignored as Kestra ignores it.
    expect(res.body._embedded?.errors.length).toBe(2);
    expect(res.body.message).not.toContain('unknown');
    expect((await getJson<Paged<ApiExecution>>(api('/executions/search?flowId=hello&size=1000'))).body.total).toBe(before);
  });

  test('flow checks: BLOCK_EXECUTION refuses (422, no execution), FAIL_EXECUTION creates it FAILED, CREATE_EXECUTION runs it; each logs its message', async () => {
    const count = async (): Promise<number> =>
      (await getJson<Paged<ApiExecution>>(api('/executions/search?flowId=guarded&size=1000'))).body.total;
    const before = await count();
    const blocked = await postForm<ApiError>(api('/executions/company.team/guarded?wait=true'), { mode: 'block' });
    expect(blocked.status).toBe(422);
    expect(blocked.body.message).toContain('Execution blocked by the flow checks');
    expect(blocked.body._embedded?.errors.map((e) => e.message)).toEqual(['checks: mode must not be block']);
    expect(await count()).toBe(before);

    const failed = await postForm<ApiExecution>(api('/executions/company.team/guarded?wait=true'), { mode: 'fail' });
    expect(failed.status).toBe(200);
    expect(failed.body.state.current).toBe('FAILED');
    expect(failed.body.taskRunList ?? []).toEqual([]);
    const failedLogs = (await getJson<ApiLog[]>(api(`/logs/${failed.body.id}`))).body;
    expect(failedLogs.map((l) => [l.level, l.message])).toEqual([['ERROR', 'fail mode fails']]);

    const warned = await postForm<ApiExecution>(api('/executions/company.team/guarded?wait=true'), { mode: 'warn' });
    expect(warned.body.state.current).toBe('SUCCESS');
    const warnedLogs = (await getJson<ApiLog[]>(api(`/logs/${warned.body.id}`))).body;
    expect(warnedLogs.map((l) => [l.level, l.message])).toEqual([
      ['WARN', 'warn mode is risky'],
      ['INFO', 'ran warn'],
    ]);
    expect(await count()).toBe(before + 2);
  });

  test("log.Fetch reads another execution's logs from the server's store", async () => {
    const source = await postForm<ApiExecution>(api('/executions/company.team/guarded?wait=true'), { mode: 'warn' });
    expect(source.body.state.current).toBe('SUCCESS');
    const fetched = await postForm<ApiExecution>(api('/executions/company.team/fetcher?wait=true'), { target: source.body.id });
    expect(fetched.body.state.current).toBe('SUCCESS');
    // The check's WARN line and the task's INFO line.
    expect(fetched.body.taskRunList?.[0]?.outputs).toMatchObject({ size: 2 });
  });

  test('a disabled flow: 409; an unknown flow or execution: 404', async () => {
    expect((await postForm(api('/executions/company.team/off'), {})).status).toBe(409);
    expect((await postForm(api('/executions/company.team/nope'), {})).status).toBe(404);
    await expect(call(client.executions, 'getExecution', 'doesNotExist1234567890', 'main')).rejects.toMatchObject({ status: 404 });
    expect((await getJson<ApiError>(api('/executions/doesNotExist1234567890'))).body).toMatchObject({ message: 'Not Found' });
  });

  test('another tenant is not served here', async () => {
    const res = await getJson(`${server.url}/api/v1/other/executions/search`);
    expect(res.status).toBe(404);
  });
});

describe('follow and kill', () => {
  test('follow streams progress events, then the finished execution with id `end`', async () => {
    const created = await postForm<ApiExecution>(api('/executions/company.team/slow'), {});
    const id = created.body.id;
    let released = false;
    const events = await readEvents(api(`/executions/${id}/follow`), {
      onEvent: (e) => {
        // Release the held request once the run is visibly in progress.
        if (!released && e.id === 'progress' && (JSON.parse(e.data) as ApiExecution).taskRunList.some((t) => t.taskId === 'wait')) {
          released = true;
          void until('the held request', () => (gate.held().includes(id) ? true : undefined)).then(() => gate.release(id));
        }
      },
    });
    expect(released).toBe(true);
    const last = events.at(-1)!;
    expect(last.id).toBe('end');
    expect((JSON.parse(last.data) as ApiExecution).state.current).toBe('SUCCESS');
    const states = events.filter((e) => e.id === 'progress').map((e) => (JSON.parse(e.data) as ApiExecution).state.current);
    expect(states).toContain('RUNNING');
    // Following a finished execution answers with `end` at once.
    const again = await readEvents(api(`/executions/${id}/follow`));
    expect(again.map((e) => e.id)).toEqual(['end']);
  });

  test('the SDK kills a running execution: 202, then KILLED and the last task never runs', async () => {
    const created = await postForm<ApiExecution>(api('/executions/company.team/slow'), {});
    const id = created.body.id;
    await until('the execution to hold', () => (gate.held().includes(id) ? true : undefined));
    const { status } = await call(client.executions, 'killExecution', id, true, 'main');
    expect(status).toBe(202);
    const killed = await until('KILLED', async () => {
      const { body } = await getJson<ApiExecution>(api(`/executions/${id}`));
      return body.state.current === 'KILLED' ? body : undefined;
    });
    expect(killed.taskRunList.map((t) => t.taskId)).toEqual(['before', 'wait']);
    expect(killed.taskRunList[1]?.state.current).not.toBe('SUCCESS');
  });

  test('delete removes an execution and its logs (204), then 404', async () => {
    const res = await postForm<ApiExecution>(api('/executions/company.team/hello?wait=true'), { name: 'Del' });
    const id = res.body.id;
    const { status } = await call(client.executions, 'deleteExecution', id, true, true, true, 'main');
    expect(status).toBe(204);
    expect((await getJson(api(`/executions/${id}`))).status).toBe(404);
    expect((await getJson(api(`/logs/${id}`))).body).toEqual([]);
    await expect(call(client.executions, 'deleteExecution', id, true, true, true, 'main')).rejects.toBeInstanceOf(SdkError);
  });
});

describe('webhooks', () => {
  const hook = (key: string): string => api(`/executions/webhook/company.team/hook/${key}`);

  test('the right key starts an execution with the body, headers and parameters (GET, POST, PUT)', async () => {
    const post = await fetch(`${hook('abcXYZ123')}?a=1&a=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Custom': 'v' },
      body: '{"n":1}',
    });
    expect(post.status).toBe(200);
    const execution = (await post.json()) as ApiExecution;
    expect(execution.trigger).toMatchObject({
      id: 'incoming',
      type: 'io.kestra.plugin.core.trigger.Webhook',
      variables: { body: { n: 1 }, parameters: { a: ['1', '2'] } },
    });
    expect((execution.trigger?.variables?.headers as Record<string, string[]>)['X-Custom']).toEqual(['v']);
    const put = await fetch(hook('abcXYZ123'), { method: 'PUT', body: 'plain text' });
    expect(((await put.json()) as ApiExecution).trigger?.variables?.body).toBe('plain text');
    const get = await call<ApiExecution>(client.executions, 'triggerExecutionByGetWebhook', 'company.team', 'hook', 'abcXYZ123', 'main');
    expect(get.status).toBe(200);
    expect(get.data.trigger?.variables?.body).toBeNull();
    const done = await until('the webhook execution', async () => {
      const { body } = await getJson<ApiExecution>(api(`/executions/${execution.id}`));
      return body.state.current === 'SUCCESS' ? body : undefined;
    });
    expect((await getJson<ApiLog[]>(api(`/logs/${done.id}`))).body[0]?.message).toBe('body {"n":1}');
  });

  test('conditions render with the request as `trigger`: met, an execution; not met, 204 and nothing', async () => {
    const url = api('/executions/webhook/company.team/webhook-with-condition/webhookKey');
    const search = api('/executions/search?flowId=webhook-with-condition&size=1000');
    const before = (await getJson<Paged<ApiExecution>>(search)).body.total;
    const notMet = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hello":"there"}' });
    expect(notMet.status).toBe(204);
    const met = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hello":"world"}' });
    expect(met.status).toBe(200);
    expect(((await met.json()) as ApiExecution).trigger?.variables?.body).toEqual({ hello: 'world' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await getJson<Paged<ApiExecution>>(search)).body.total).toBe(before + 1);
  });

  test('a wrong key, or an unknown flow, answers 404 and starts nothing', async () => {
    const before = (await getJson<Paged<ApiExecution>>(api('/executions/search?flowId=hook&size=1000'))).body.total;
    for (const method of ['GET', 'POST', 'PUT']) {
      const res = await fetch(hook('abcXYZ12'), { method, ...(method === 'GET' ? {} : { body: '{}' }) });
      expect(res.status).toBe(404);
      expect(((await res.json()) as ApiError).message).toBe('Not Found: Webhook not found');
    }
    expect((await fetch(api('/executions/webhook/company.team/nope/abcXYZ123'), { method: 'POST' })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    expect((await getJson<Paged<ApiExecution>>(api('/executions/search?flowId=hook&size=1000'))).body.total).toBe(before);
  });
});
