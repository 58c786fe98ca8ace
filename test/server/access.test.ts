/**
 * Who may call the server: loopback by default; any other address only with Kestra's basic auth
 * configured (`server.basicAuth`, the password a secret reference); then every API call needs the
 * credentials, except Kestra's open URLs (`/ping`, webhooks — their key is their secret); a browser
 * on another site cannot change anything (Origin check); the password never shows anywhere.
 */
import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiError, Paged, ApiFlow } from './support/api-types.js';
import { getJson } from './support/client.js';
import { project, spawnCli, startServer, type ServerChild } from './support/processes.js';
import { call, sdk } from './support/sdk.js';

jest.setTimeout(120_000);

const PASSWORD = 'correct horse battery staple';
const env = { SECRET_SERVER_PASSWORD: Buffer.from(PASSWORD).toString('base64') };
let dir: ReturnType<typeof project>;
let server: ServerChild;

beforeAll(async () => {
  dir = project();
  writeFileSync(
    join(dir.dir, 'pebbleflow.yaml'),
    'server:\n  basicAuth:\n    username: admin\n    password:\n      secret: SERVER_PASSWORD\n',
  );
  writeFileSync(
    join(dir.flows, 'hook.yml'),
    'id: hook\nnamespace: company.sec\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Log\n    message: hi\ntriggers:\n  - id: w\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: k3y\n',
  );
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir, env });
});

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('without or with wrong credentials: 401 with a Basic challenge; with them, the SDK works', async () => {
  const none = await fetch(`${server.url}/api/v1/main/flows/search`);
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="pebbleflow"/);
  expect(((await none.json()) as ApiError).message).toBe('Unauthorized');
  for (const [user, password] of [
    ['admin', 'wrong'],
    ['admin', `${PASSWORD}x`],
    ['Admin', PASSWORD],
    ['', ''],
  ] as const) {
    expect((await fetch(`${server.url}/api/v1/main/flows/search`, { headers: { authorization: basic(user, password) } })).status).toBe(401);
  }
  expect((await fetch(`${server.url}/api/v1/main/flows/search`, { headers: { authorization: 'Bearer abc' } })).status).toBe(401);
  await expect(call(sdk(server.url).flows, 'searchFlows', 1, 10, 'main', {})).rejects.toMatchObject({ status: 401 });
  const { data } = await call<Paged<ApiFlow>>(
    sdk(server.url, { username: 'admin', password: PASSWORD }).flows,
    'searchFlows',
    1,
    10,
    'main',
    {},
  );
  expect(data.results.map((f) => f.id)).toEqual(['hook']);
});

test('Kestra’s open URLs need no credentials: /ping and the webhook endpoint (its key is its secret)', async () => {
  expect(await (await fetch(`${server.url}/ping`)).text()).toBe('pong');
  expect((await fetch(`${server.url}/api/v1/main/executions/webhook/company.sec/hook/k3y`, { method: 'POST' })).status).toBe(200);
  expect((await fetch(`${server.url}/api/v1/main/executions/webhook/company.sec/hook/nope`, { method: 'POST' })).status).toBe(404);
});

test('a state-changing call from another origin is refused (403), reads and same-origin calls are not', async () => {
  const auth = { authorization: basic('admin', PASSWORD) };
  const flow = 'id: other\nnamespace: company.sec\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n';
  const cross = await fetch(`${server.url}/api/v1/main/flows`, {
    method: 'POST',
    headers: { ...auth, origin: 'http://evil.example', 'content-type': 'application/x-yaml' },
    body: flow,
  });
  expect(cross.status).toBe(403);
  expect((await fetch(`${server.url}/api/v1/main/flows/company.sec/other`, { headers: auth })).status).toBe(404);
  expect((await fetch(`${server.url}/api/v1/main/flows/search`, { headers: { ...auth, origin: 'http://evil.example' } })).status).toBe(200);
  const same = await fetch(`${server.url}/api/v1/main/flows`, {
    method: 'POST',
    headers: { ...auth, origin: server.url, 'content-type': 'application/x-yaml' },
    body: flow,
  });
  expect(same.status).toBe(200);
});

test('the password shows nowhere: not in errors, logs or responses', async () => {
  const everything = [
    server.stdout(),
    server.stderr(),
    JSON.stringify((await getJson(`${server.url}/api/v1/main/flows/search`)).body),
  ].join('\n');
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(env.SECRET_SERVER_PASSWORD);
});

test('listening beyond loopback: refused without credentials (exit 2), accepted with them', async () => {
  const bare = project();
  try {
    const refused = spawnCli(['server', bare.flows, '--port', '0', '--host', '0.0.0.0'], { cwd: bare.dir });
    expect(await refused.exited).toBe(2);
    expect(refused.stderr()).toContain('Refusing to listen on 0.0.0.0 without credentials: add server.basicAuth');
    expect(refused.stdout()).toBe('');
  } finally {
    bare.cleanup();
  }
  const open = await startServer([dir.flows, '--port', '0', '--host', '0.0.0.0', '--data-dir', join(dir.dir, 'other-data')], {
    cwd: dir.dir,
    env,
  });
  try {
    expect(open.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    const port = new URL(open.url).port;
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/main/flows/search`)).status).toBe(401);
  } finally {
    await open.stop();
  }
});
