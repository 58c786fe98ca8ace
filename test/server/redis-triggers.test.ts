/**
 * The triggers that only `pebbleflow server` fires, in Redis mode (two servers, one worker, every
 * part a real process): ScheduleOnDates through the BullMQ job schedulers (one execution per date
 * however many servers see it), http.Trigger polled by both servers (one execution per poll slot),
 * and trigger.Toggle run by a worker, which asks the servers to disable and enable a Webhook.
 * The embedded-mode counterparts are more-triggers.test.ts and toggle.test.ts.
 */
import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution, Paged } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { project, spawnCli, startServer, until, type Child, type ServerChild } from './support/processes.js';
import { redisAvailable, startRedis, type RedisServer } from './support/redis.js';

jest.setTimeout(180_000);

const available = redisAvailable();
const describeRedis = available ? describe : describe.skip;

let redis: RedisServer;
let dir: ReturnType<typeof project>;
let polled: Server;
let pollOrigin = '';
let polls = 0;
let one: ServerChild;
let two: ServerChild;
const children: Child[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function executions(flowId: string): Promise<ApiExecution[]> {
  const { body } = await getJson<Paged<ApiExecution>>(`${one.url}/api/v1/main/executions/search?size=1000&flowId=${flowId}`);
  return body.results;
}

beforeAll(async () => {
  if (!available) return;
  redis = await startRedis();
  dir = project();
  // Answers "wait" to the first three polls, then "go".
  polled = createServer((_req, res) => {
    polls++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(polls <= 3 ? 'wait' : 'go');
  });
  await new Promise<void>((resolve) => polled.listen(0, '127.0.0.1', resolve));
  pollOrigin = `http://127.0.0.1:${(polled.address() as AddressInfo).port}`;
  const second = Math.floor(Date.now() / 1000) * 1000;
  writeFileSync(
    join(dir.flows, 'dates.yml'),
    `id: dates
namespace: scale.triggers
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: on a date
triggers:
  - id: on-dates
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    dates:
      - "${new Date(second + 12_000).toISOString()}"
      - "${new Date(second + 14_000).toISOString()}"
`,
  );
  writeFileSync(
    join(dir.flows, 'poll.yml'),
    `id: poll
namespace: scale.triggers
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "got {{ trigger.body }} ({{ trigger.code }})"
triggers:
  - id: watch
    type: io.kestra.plugin.core.http.Trigger
    uri: ${pollOrigin}/status
    interval: PT1S
    responseCondition: "{{ response.body == 'go' }}"
    stopAfter: [SUCCESS]
`,
  );
  writeFileSync(
    join(dir.flows, 'hooked.yml'),
    `id: hooked
namespace: scale.triggers
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hooked
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k3y-redis
`,
  );
  const toggler = (enabled: boolean): string => `id: toggle-${enabled ? 'on' : 'off'}
namespace: scale.triggers
tasks:
  - id: toggle
    type: io.kestra.plugin.core.trigger.Toggle
    namespace: scale.triggers
    flowId: hooked
    trigger: hook
    enabled: ${enabled}
`;
  writeFileSync(join(dir.flows, 'toggle-off.yml'), toggler(false));
  writeFileSync(join(dir.flows, 'toggle-on.yml'), toggler(true));
  one = await startServer([dir.flows, '--port', '0', '--redis', redis.url], { cwd: dir.dir });
  two = await startServer([dir.flows, '--port', '0', '--redis', redis.url], { cwd: dir.dir });
  children.push(one, two);
  const w = spawnCli(['worker', '--redis', redis.url, '--concurrency', '4'], { cwd: dir.dir });
  children.push(w);
  await until('the worker to be ready', () => (/pebbleflow worker \S+ ready/.test(w.stdout()) ? true : undefined), 90_000);
});

afterAll(async () => {
  if (!available) return;
  for (const child of children) await child.stop('SIGKILL');
  await new Promise<void>((resolve) => polled.close(() => resolve()));
  await redis.stop();
  dir.cleanup();
});

describeRedis('triggers on Redis', () => {
  test('http.Trigger polled by two servers starts one execution once the answer meets responseCondition, then stops', async () => {
    const [fired] = await until(
      'the poll to fire',
      async () => {
        const list = (await executions('poll')).filter((e) => e.state.current === 'SUCCESS');
        return list.length > 0 ? list : undefined;
      },
      60_000,
      250,
    );
    expect(fired?.trigger?.variables).toMatchObject({ code: 200, body: 'go' });
    // stopAfter SUCCESS disables the trigger: a few more seconds bring no other execution.
    await sleep(4000);
    const all = await executions('poll');
    // Both servers poll every slot; an execution's id is the slot's, so a slot starts one at most.
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.length).toBeLessThanOrEqual(2);
    expect(all.every((e) => e.trigger?.variables?.body === 'go')).toBe(true);
    expect(polls).toBeGreaterThanOrEqual(4);
  });

  test('ScheduleOnDates fires once at each date with two servers', async () => {
    const list = await until(
      'both dates to fire',
      async () => {
        const done = (await executions('dates')).filter((e) => e.state.current === 'SUCCESS');
        return done.length >= 2 ? done : undefined;
      },
      60_000,
      250,
    );
    await sleep(2500);
    const all = await executions('dates');
    expect(all).toHaveLength(2);
    expect(new Set(all.map((e) => e.scheduleDate)).size).toBe(2);
    expect(list).toHaveLength(2);
  });

  test('Toggle run by a worker disables and enables a Webhook through the servers', async () => {
    const hook = (server: ServerChild): Promise<number> =>
      fetch(`${server.url}/api/v1/main/executions/webhook/scale.triggers/hooked/k3y-redis`, { method: 'POST' }).then((r) => r.status);
    expect(await hook(one)).toBe(200);
    const off = await postForm<ApiExecution>(`${one.url}/api/v1/main/executions/scale.triggers/toggle-off?wait=true`, {});
    expect(off.body.state.current).toBe('SUCCESS');
    await until(
      'both servers to disable the webhook',
      async () => ((await hook(one)) === 404 && (await hook(two)) === 404 ? true : undefined),
      20_000,
      200,
    );
    const on = await postForm<ApiExecution>(`${two.url}/api/v1/main/executions/scale.triggers/toggle-on?wait=true`, {});
    expect(on.body.state.current).toBe('SUCCESS');
    await until(
      'both servers to enable it again',
      async () => ((await hook(one)) === 200 && (await hook(two)) === 200 ? true : undefined),
      20_000,
      200,
    );
  });
});
