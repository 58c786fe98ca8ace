/**
 * The server loads the config's `plugins` as `pebbleflow run` does: the flows folder is checked with
 * their task types (a flow of the example plugin, examples/plugin-checksum, is valid, not refused with
 * "Invalid type"), `/flows/validate` knows them, and an execution created through the API runs them.
 * A plugin that cannot be loaded stops the start with the PluginError.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError } from '../../src/plugins/load-plugins.js';
import { PebbleflowServer } from '../../src/server/server.js';
import { getJson, postForm } from './support/client.js';
import type { ApiExecution } from './support/api-types.js';

const EXAMPLE = join(process.cwd(), 'examples', 'plugin-checksum');

let dir: string;
let server: PebbleflowServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-server-plugins-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

test('a flow using the example plugin is valid and runs through the server API', async () => {
  const flows = join(dir, 'flows');
  mkdirSync(flows, { recursive: true });
  copyFileSync(join(EXAMPLE, 'flow.yaml'), join(flows, 'checksum.yaml'));
  const logs: string[] = [];
  server = await PebbleflowServer.start({
    flowsDir: flows,
    dataDir: join(dir, 'data'),
    port: 0,
    config: join(EXAMPLE, 'pebbleflow.yaml'),
    watch: false,
    ui: false,
    env: { PATH: process.env['PATH'] ?? '' },
    log: (line) => logs.push(line),
  });
  const api = `${server.url}/api/v1/main`;
  const validate = await fetch(`${api}/flows/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-yaml' },
    body: `id: v\nnamespace: company.team\ntasks:\n  - id: hash\n    type: com.example.checksum.Digest\n    content: abc\n`,
  });
  const problems = (await validate.json()) as { constraints?: string }[];
  expect(problems[0]?.constraints).toBeUndefined();

  const created = await postForm<ApiExecution>(`${api}/executions/company.team/checksum`, { text: 'plugin' });
  expect(created.status).toBe(200);
  let execution: ApiExecution | undefined;
  for (let i = 0; i < 200; i++) {
    execution = (await getJson<ApiExecution>(`${api}/executions/${created.body.id}`)).body;
    if (['SUCCESS', 'FAILED', 'WARNING', 'KILLED'].includes(execution.state.current)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(execution?.state.current).toBe('SUCCESS');
  const hash = execution?.taskRunList.find((t) => t.taskId === 'hash');
  // The plugin's sha256 (its default algorithm) of the input.
  expect(hash?.outputs['hash']).toBe(createHash('sha256').update('plugin').digest('hex'));
  expect(execution?.taskRunList.map((t) => [t.taskId, t.state.current])).toEqual([
    ['hash', 'SUCCESS'],
    ['verify', 'SUCCESS'],
    ['log', 'SUCCESS'],
  ]);
  expect(logs.some((l) => /Invalid type/.test(l))).toBe(false);
}, 30_000);

test('a plugin that cannot be loaded stops the server start', async () => {
  const config = join(dir, 'pebbleflow.yaml');
  writeFileSync(config, 'plugins:\n  - ./missing-plugin\n');
  mkdirSync(join(dir, 'flows'), { recursive: true });
  await expect(
    PebbleflowServer.start({
      flowsDir: join(dir, 'flows'),
      dataDir: join(dir, 'data'),
      port: 0,
      config,
      watch: false,
      ui: false,
      log: () => {},
    }),
  ).rejects.toBeInstanceOf(PluginError);
});
