/**
 * Schedules in embedded mode, against a real server process: a per-second schedule fires once
 * per tick with Kestra's `trigger.date`/`next`/`previous`; a restart keeps the executions and the
 * schedule's state, and runs the ticks missed meanwhile (`recoverMissedSchedules: ALL`, Kestra's
 * default) or not (`NONE`); a second server on the same data folder is refused; `conditions`
 * limit the ticks that fire.
 * Reference: `core/src/main/java/io/kestra/plugin/core/trigger/Schedule.java`,
 * `core/src/main/java/io/kestra/core/schedulers/AbstractScheduler.java`.
 */
import { jest } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiExecution, ApiLog, Paged } from './support/api-types.js';
import { getJson } from './support/client.js';
import { project, spawnCli, startServer, until, type ServerChild } from './support/processes.js';

jest.setTimeout(180_000);

let dir: ReturnType<typeof project>;

const tick = (id: string, recover: string, disabled = false): string => `id: ${id}
namespace: company.cron
inputs:
  - id: who
    type: STRING
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.who }} at {{ trigger.date }} (previous {{ trigger.previous }}, next {{ trigger.next }})"
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "*/1 * * * * *"
    withSeconds: true
    timezone: Europe/Paris
    recoverMissedSchedules: ${recover}
    disabled: ${disabled}
    inputs:
      who: "{{ flow.id }}"
    labels:
      source: schedule
`;

beforeAll(() => {
  dir = project();
  writeFileSync(join(dir.flows, 'all.yml'), tick('all', 'ALL'));
  writeFileSync(join(dir.flows, 'none.yml'), tick('none', 'NONE'));
});

afterAll(() => dir.cleanup());

async function executions(server: ServerChild, flowId: string): Promise<ApiExecution[]> {
  const { body } = await getJson<Paged<ApiExecution>>(
    `${server.url}/api/v1/main/executions/search?size=10000&flowId=${flowId}&sort=state.startDate:asc`,
  );
  return body.results;
}

const seconds = (list: readonly ApiExecution[]): number[] =>
  list.map((e) => Date.parse(String(e.trigger?.variables?.date)) / 1000).sort((a, b) => a - b);

test('once per tick, with the dates Kestra gives; a restart keeps history and state and recovers missed ticks (ALL) or not (NONE)', async () => {
  let server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  const first = await until('four ticks of each schedule', async () => {
    const [all, none] = [await executions(server, 'all'), await executions(server, 'none')];
    return all.length >= 4 && none.length >= 4 ? all : undefined;
  });
  const sample = first[0]!;
  expect(sample.trigger).toMatchObject({ id: 'every-second', type: 'io.kestra.plugin.core.trigger.Schedule' });
  const vars = sample.trigger!.variables!;
  // Printed in the trigger's zone, as Kestra's Jackson does (`+01:00` or `+02:00` in Paris).
  expect(vars.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$/);
  expect(Date.parse(String(vars.next)) - Date.parse(String(vars.date))).toBe(1000);
  expect(Date.parse(String(vars.date)) - Date.parse(String(vars.previous))).toBe(1000);
  expect(sample.inputs).toEqual({ who: 'all' });
  expect(sample.labels).toEqual(expect.arrayContaining([{ key: 'source', value: 'schedule' }]));
  expect(sample.scheduleDate).toBe(new Date(String(vars.date)).toISOString());
  const done = await until('the first execution to end', async () => {
    const { body } = await getJson<ApiExecution>(`${server.url}/api/v1/main/executions/${sample.id}`);
    return body.state.current === 'SUCCESS' ? body : undefined;
  });
  const logs = await getJson<ApiLog[]>(`${server.url}/api/v1/main/logs/${done.id}`);
  expect(logs.body[0]?.message).toBe(`all at ${String(vars.date)} (previous ${String(vars.previous)}, next ${String(vars.next)})`);

  // A second server on the same data folder is refused: one embedded server per folder.
  const second = spawnCli(['server', dir.flows, '--port', '0'], { cwd: dir.dir });
  expect(await second.exited).toBe(2);
  expect(second.stderr()).toContain(`Another pebbleflow server (pid ${server.pid}) uses the data folder`);

  // Down for a few seconds, then back.
  const before = seconds(await executions(server, 'all'));
  expect(await server.stop()).toBe(0);
  await new Promise((r) => setTimeout(r, 3000));
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  const restartedAt = Date.now() / 1000;
  const all = await until('ALL to catch up and go on', async () => {
    const list = seconds(await executions(server, 'all'));
    return list.length > 0 && list.at(-1)! > restartedAt + 2 ? list : undefined;
  });
  // History kept, and every tick has exactly one execution: those missed while down too.
  expect(all.slice(0, before.length)).toEqual(before);
  expect(new Set(all).size).toBe(all.length);
  for (let i = 1; i < all.length; i++) expect(all[i]! - all[i - 1]!).toBe(1);
  // NONE: the ticks of the downtime are not run (a gap), and it goes on.
  const none = await until('NONE to go on', async () => {
    const list = seconds(await executions(server, 'none'));
    return list.length > 0 && list.at(-1)! > restartedAt + 1 ? list : undefined;
  });
  expect(new Set(none).size).toBe(none.length);
  const gaps = none.slice(1).map((s, i) => s - none[i]!);
  expect(Math.max(...gaps)).toBeGreaterThanOrEqual(3);
  await server.stop();
});

const conditioned = (id: string, conditions: string): string => `id: ${id}
namespace: company.cron
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ trigger.date }}"
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "*/1 * * * * *"
    withSeconds: true
    timezone: Europe/Paris
    conditions:
${conditions}`;

test('conditions: only the ticks whose conditions hold fire, next/previous skip the others; one that cannot be evaluated makes a FAILED execution', async () => {
  const conditionsDir = project();
  try {
    // Even seconds only (Expression on the default trigger.date), and a day condition that always holds.
    writeFileSync(
      join(conditionsDir.flows, 'even.yml'),
      conditioned(
        'even',
        `      - type: io.kestra.plugin.core.condition.Expression
        expression: "{{ (trigger.date | date('s') | number) % 2 == 0 }}"
      - type: io.kestra.plugin.core.condition.Or
        conditions:
          - { type: io.kestra.plugin.core.condition.Weekend }
          - type: io.kestra.plugin.core.condition.Not
            conditions:
              - { type: io.kestra.plugin.core.condition.Weekend }
`,
      ),
    );
    // Never: 2013-09-09 was a Monday.
    writeFileSync(
      join(conditionsDir.flows, 'never.yml'),
      conditioned('never', `      - { type: io.kestra.plugin.core.condition.Weekend, date: "2013-09-09" }\n`),
    );
    // Cannot render (strict variables): Kestra's scheduler emits a FAILED execution for the tick.
    writeFileSync(
      join(conditionsDir.flows, 'broken.yml'),
      conditioned('broken', `      - { type: io.kestra.plugin.core.condition.Expression, expression: "{{ nope.x }}" }\n`),
    );
    const server = await startServer([conditionsDir.flows, '--port', '0'], { cwd: conditionsDir.dir });
    const even = await until('three even ticks', async () => {
      const list = await executions(server, 'even');
      return list.length >= 3 ? list : undefined;
    });
    for (const e of even) {
      const vars = e.trigger!.variables!;
      expect((Date.parse(String(vars.date)) / 1000) % 2).toBe(0);
      // Schedule.trueOutputWithCondition: the neighbours are the nearest ticks whose conditions hold.
      expect(Date.parse(String(vars.next)) - Date.parse(String(vars.date))).toBe(2000);
      expect(Date.parse(String(vars.date)) - Date.parse(String(vars.previous))).toBe(2000);
    }
    const broken = await until('a FAILED execution of the broken schedule', async () => {
      const list = await executions(server, 'broken');
      return list.length > 0 ? list : undefined;
    });
    expect(broken[0]!.state.current).toBe('FAILED');
    expect(broken[0]!.taskRunList).toEqual([]);
    expect(server.stdout() + server.stderr()).toContain("Unable to evaluate the Schedule trigger 'every-second'");
    expect(await executions(server, 'never')).toEqual([]);
    // Nothing is reported as unsupported any more.
    expect(server.stdout() + server.stderr()).not.toContain('not supported');
    await server.stop();
  } finally {
    conditionsDir.cleanup();
  }
});
