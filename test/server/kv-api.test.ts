/**
 * Kestra's KV endpoints (`KVController`), with the official SDK and plain HTTP: put (JSON read as
 * Ion, a `ttl` header), get with its type, list, delete one and several; 404 for a missing key,
 * 410 once expired, 422 for a value that is not JSON.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { ApiError, ApiExecution } from './support/api-types.js';
import { postForm } from './support/client.js';
import { project, startServer, type ServerChild } from './support/processes.js';
import { call, sdk, type Sdk } from './support/sdk.js';

jest.setTimeout(120_000);

let dir: ReturnType<typeof project>;
let server: ServerChild;
let client: Sdk;

beforeAll(async () => {
  dir = project();
  writeFileSync(
    join(dir.flows, 'kv_flow.yml'),
    `id: kv-flow
namespace: company.kv
tasks:
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ kv('ratio') }} {{ kv('doc').b[1] }}"
  - id: set
    type: io.kestra.plugin.core.kv.Set
    key: from-flow
    value: "{{ kv('doc').a + 1 }}"
    kvType: NUMBER
`,
  );
  // A data folder away from the working directory: the runs must find the store there, not in ./.pebbleflow.
  server = await startServer([dir.flows, '--port', '0', '--data-dir', join(dir.dir, 'data')], { cwd: dir.dir });
  client = sdk(server.url);
});

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

const kv = (ns: string, key = ''): string => `${server.url}/api/v1/main/namespaces/${ns}/kv${key === '' ? '' : `/${key}`}`;
const put = (ns: string, key: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(kv(ns, key), { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body });

test('put then get typed values, through the SDK and plain HTTP', async () => {
  expect((await call(client.kv, 'setKeyValue', 'company.kv', 'greeting', 'main', '"hello"')).status).toBe(200);
  for (const [key, body] of [
    ['count', '42'],
    ['ratio', '4.5'],
    ['flag', 'true'],
    ['doc', '{"a": 1, "b": [1, "x"]}'],
  ] as const)
    expect((await put('company.kv', key, body)).status).toBe(200);
  const get = async (key: string): Promise<unknown> => (await call(client.kv, 'getKeyValue', 'company.kv', key, 'main')).data;
  expect(await get('greeting')).toEqual({ type: 'STRING', value: 'hello' });
  expect(await get('count')).toEqual({ type: 'NUMBER', value: 42 });
  expect(await get('ratio')).toEqual({ type: 'NUMBER', value: 4.5 });
  expect(await get('flag')).toEqual({ type: 'BOOLEAN', value: true });
  expect(await get('doc')).toEqual({ type: 'JSON', value: { a: 1, b: [1, 'x'] } });
  const { data } = await call<{ key: string; creationDate: string; updateDate: string }[]>(client.kv, 'listKeys', 'company.kv', 'main');
  expect(data.map((e) => e.key).sort()).toEqual(['count', 'doc', 'flag', 'greeting', 'ratio']);
  expect(Date.parse(data[0]!.creationDate)).not.toBeNaN();
});

test('missing: 404; expired: 410; not JSON or a bad key: 422', async () => {
  const missing = await fetch(kv('company.kv', 'nope'));
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as ApiError).message).toBe("Not Found: No value found for key 'nope' in namespace 'company.kv'");
  expect((await put('company.kv', 'short', '"x"', { ttl: 'PT0.2S' })).status).toBe(200);
  expect((await fetch(kv('company.kv', 'short'))).status).toBe(200);
  await new Promise((r) => setTimeout(r, 400));
  expect((await fetch(kv('company.kv', 'short'))).status).toBe(410);
  expect((await fetch(kv('company.kv', 'short'))).status).toBe(404);
  const bad = await put('company.kv', 'broken', 'not json{');
  expect(bad.status).toBe(422);
  expect(((await bad.json()) as ApiError).message).toBe('Illegal argument: Invalid JSON value for: not json{');
  expect((await put('company.kv', '.hidden', '1')).status).toBe(422);
  expect((await put('company.kv', 'k', '1', { ttl: 'soon' })).status).toBe(422);
});

test("flows and the API share one store: the server's runs read what the API put and put what it reads", async () => {
  const res = await postForm<ApiExecution>(`${server.url}/api/v1/main/executions/company.kv/kv-flow?wait=true`, {});
  expect(res.status).toBe(200);
  expect(res.body.state.current).toBe('SUCCESS');
  expect(res.body.taskRunList.find((t) => t.taskId === 'read')?.outputs).toEqual({ value: '4.5 x' });
  expect((await call(client.kv, 'getKeyValue', 'company.kv', 'from-flow', 'main')).data).toEqual({ type: 'NUMBER', value: 2 });
  // Without a config file the store lives in the data folder.
  expect(existsSync(join(dir.dir, 'data', 'storage', 'main', 'company', 'kv', '_kv', 'from-flow.ion'))).toBe(true);
  expect(existsSync(join(dir.dir, '.pebbleflow'))).toBe(false);
  expect((await call(client.kv, 'deleteKeyValue', 'company.kv', 'from-flow', 'main')).data).toBe(true);
});

test('delete one (true, then false) and several at once', async () => {
  expect((await call(client.kv, 'deleteKeyValue', 'company.kv', 'greeting', 'main')).data).toBe(true);
  expect((await call(client.kv, 'deleteKeyValue', 'company.kv', 'greeting', 'main')).data).toBe(false);
  const res = await fetch(kv('company.kv'), {
    method: 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: ['count', 'flag', 'nope'] }),
  });
  expect(await res.json()).toEqual({ keys: ['count', 'flag'] });
  const { data } = await call<{ key: string }[]>(client.kv, 'listKeys', 'company.kv', 'main');
  expect(data.map((e) => e.key).sort()).toEqual(['doc', 'ratio']);
});
