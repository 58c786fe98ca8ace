/**
 * `pebbleflow run` and `pebbleflow resume` as a user meets them: the task-run tree with loop
 * values, the `--json` report (task runs with their parent, value and attempts; labels; flow
 * outputs), a paused run continued with `resume`, child flows found in `--flows`, and SIGINT /
 * SIGTERM stopping a real child process cleanly.
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startCli } from '../support/cli.js';

let dir: string;
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-run-'));
  write(
    'loop.yaml',
    `id: loop
namespace: company.team
labels: { team: data }
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b]
    tasks:
      - { id: ret, type: io.kestra.plugin.core.debug.Return, format: "{{ taskrun.value }}!" }
outputs:
  - { id: joined, type: STRING, value: "{{ outputs.ret.a.value }}{{ outputs.ret.b.value }}" }
`,
  );
  write(
    'approve.yaml',
    `id: approve
namespace: company.team
tasks:
  - id: before
    type: io.kestra.plugin.core.log.Log
    message: before
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - { id: approver, type: STRING }
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "approved by {{ outputs.wait.onResume.approver }}"
`,
  );
  mkdirSync(join(dir, 'children'));
  write(
    'children/child.yaml',
    'id: child\nnamespace: company.team\ninputs: [{ id: n, type: INT }]\ntasks: [{ id: r, type: io.kestra.plugin.core.debug.Return, format: "{{ inputs.n * 2 }}" }]\noutputs: [{ id: doubled, type: INT, value: "{{ outputs.r.value }}" }]\n',
  );
  write(
    'parent.yaml',
    'id: parent\nnamespace: company.team\ntasks:\n  - { id: call, type: io.kestra.plugin.core.flow.Subflow, namespace: company.team, flowId: child, inputs: { n: 21 } }\n  - { id: show, type: io.kestra.plugin.core.log.Log, message: "{{ outputs.call.outputs.doubled }}" }\n',
  );
  write(
    'slow.yaml',
    `id: slow
namespace: company.team
tasks:
  - { id: nap, type: io.kestra.plugin.core.flow.Sleep, duration: PT30S }
  - { id: never, type: io.kestra.plugin.core.log.Log, message: never }
finally:
  - { id: cleanup, type: io.kestra.plugin.core.log.Log, message: cleaned up }
`,
  );
  write(
    'stubborn.yaml',
    `id: stubborn
namespace: company.team
tasks:
  - { id: nap, type: io.kestra.plugin.core.flow.Sleep, duration: PT30S }
finally:
  - { id: long, type: io.kestra.plugin.core.flow.Sleep, duration: PT30S }
`,
  );
});

describe('pebbleflow run: the task-run tree and the --json report', () => {
  test('a CREATE_NEW_EXECUTION retry: each retried execution is printed, then the last one; the exit code is the last one’s', async () => {
    write(
      'retry-new.yaml',
      `id: retry-new
namespace: company.team
tasks:
  - id: fail
    type: io.kestra.plugin.core.execution.Fail
    retry: { behavior: CREATE_NEW_EXECUTION, type: constant, maxAttempt: 2, interval: PT0.1S }
`,
    );
    const r = await cli(['run', 'retry-new.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    const ids = [...r.stdout.matchAll(/^. (RETRIED|FAILED) +company\.team\.retry-new +execution (\w+)/gm)].map((m) => [m[1], m[2]]);
    expect(ids.map(([state]) => state)).toEqual(['RETRIED', 'FAILED']);
    expect(ids[0]?.[1]).not.toBe(ids[1]?.[1]);
    expect(r.stdout).toContain('retried in a new execution');
  });

  test('children indented under their flowable, loop values shown', async () => {
    const r = await cli(['run', 'loop.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => l.replace(/\d+(\.\d+)? m?s/, 'T'));
    expect(lines.slice(1, 8)).toEqual([
      '  ▸ each ForEach',
      '    ▸ ret [a] Return',
      '    ✔ ret [a] SUCCESS T',
      '    ▸ ret [b] Return',
      '    ✔ ret [b] SUCCESS T',
      '  ✔ each SUCCESS T',
      '',
    ]);
  });

  test('--json: task runs in creation order with parent, value and attempts; labels; flow outputs', async () => {
    const r = await cli(['run', 'loop.yaml', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      executionId: string;
      state: string;
      taskRuns: {
        id: string;
        taskId: string;
        value?: string;
        parentTaskRunId?: string;
        state: string;
        attempts: { state: string; workerId?: string }[];
        outputs: unknown;
      }[];
      labels: { key: string; value: string }[];
      flowOutputs: unknown;
    };
    expect(report.state).toBe('SUCCESS');
    const [each, a, b] = report.taskRuns;
    expect(report.taskRuns.map((t) => [t.taskId, t.value, t.state])).toEqual([
      ['each', undefined, 'SUCCESS'],
      ['ret', 'a', 'SUCCESS'],
      ['ret', 'b', 'SUCCESS'],
    ]);
    expect(a?.parentTaskRunId).toBe(each?.id);
    expect(b?.parentTaskRunId).toBe(each?.id);
    expect(each?.attempts).toEqual([]);
    expect(a?.attempts).toEqual([{ state: 'SUCCESS', startDate: expect.any(String), endDate: expect.any(String), workerId: 'local' }]);
    expect(a?.outputs).toEqual({ value: 'a!' });
    expect(report.labels).toEqual([
      { key: 'team', value: 'data' },
      { key: 'system.correlationId', value: report.executionId },
    ]);
    expect(report.flowOutputs).toEqual({ joined: 'a!b!' });
  });

  test('--flows: a Subflow finds its child flow by namespace and id (default: the flow file folder)', async () => {
    const r = await cli(['run', 'parent.yaml', '--flows', 'children', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      taskRuns: { taskId: string; outputs: Record<string, unknown> }[];
      logs: { message: string }[];
    };
    expect(report.taskRuns[0]?.outputs).toMatchObject({ state: 'SUCCESS', outputs: { doubled: 42 } });
    expect(report.logs.map((l) => l.message)).toEqual(['42']);
    mkdirSync(join(dir, 'empty'), { recursive: true });
    const missing = await cli(['run', 'parent.yaml', '--flows', 'empty', '--json'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("Unable to find flow 'company.team'.'child' with revision '0'");
  });
});

describe('pebbleflow resume', () => {
  test('a Pause without duration ends the run PAUSED (exit 0) and says how to resume; resume asks its onResume inputs', async () => {
    const paused = await cli(['run', 'approve.yaml'], { cwd: dir });
    expect(paused.code).toBe(0);
    const id = /execution ([0-9A-Za-z]{22})/.exec(paused.stdout)?.[1] ?? '';
    expect(paused.stdout).toContain(`⏸ PAUSED   company.team.approve  execution ${id}`);
    expect(paused.stdout).toContain(`    pebbleflow resume ${id} -i approver=…`);
    const file = join(dir, '.pebbleflow', 'executions', `${id}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const missingInput = await cli(['resume', id], { cwd: dir });
    expect(missingInput.code).toBe(2);
    expect(missingInput.stderr).toContain('Invalid input for `approver`, missing required input');

    const resumed = await cli(['resume', id, '-i', 'approver=ada', '--json'], { cwd: dir });
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as {
      executionId: string;
      state: string;
      taskRuns: { taskId: string; state: string; outputs: unknown }[];
      logs: { message: string }[];
    };
    expect(report.executionId).toBe(id);
    expect(report.state).toBe('SUCCESS');
    expect(report.taskRuns.map((t) => [t.taskId, t.state])).toEqual([
      ['before', 'SUCCESS'],
      ['wait', 'SUCCESS'],
      ['after', 'SUCCESS'],
    ]);
    expect(report.taskRuns[1]?.outputs).toEqual({ onResume: { approver: 'ada' } });
    expect(report.logs.map((l) => l.message)).toEqual(['before', 'approved by ada']);

    const again = await cli(['resume', id], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`Execution ${id} ended SUCCESS: only a paused or unfinished execution can be resumed`);
    expect((await cli(['resume', 'nope'], { cwd: dir })).code).toBe(2);
  });
});

function readdirOrEmpty(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

describe('signals during pebbleflow run', () => {
  test('SIGINT stops the running task (KILLED), runs finally, prints the final state and exits 130', async () => {
    const run = startCli(['run', 'slow.yaml'], dir);
    await run.waitFor('▸ nap');
    const sent = Date.now();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(20_000);
    const { stdout, stderr } = run.out();
    expect(stderr).toContain('SIGINT: stopping the run');
    expect(stdout).toContain('✘ nap KILLED');
    expect(stdout).toContain('INFO  cleaned up');
    expect(stdout).not.toContain('never');
    expect(stdout).toMatch(/✘ KILLED +company\.team\.slow/);
  });

  test('SIGTERM with --json prints the final report and exits 143', async () => {
    // A folder of its own: --json prints nothing while running, so wait for the execution file the run keeps.
    const own = mkdtempSync(join(tmpdir(), 'pf-term-'));
    writeFileSync(join(own, 'slow.yaml'), readFileSync(join(dir, 'slow.yaml')));
    const run = startCli(['run', 'slow.yaml', '--json'], own);
    for (let i = 0; i < 600 && readdirOrEmpty(join(own, '.pebbleflow', 'executions')).length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    const report = JSON.parse(run.out().stdout) as { state: string; taskRuns: { taskId: string; state: string }[] };
    expect(report.state).toBe('KILLED');
    expect(report.taskRuns.map((t) => [t.taskId, t.state])).toEqual([
      ['nap', 'KILLED'],
      ['cleanup', 'SUCCESS'],
    ]);
  });

  test('a second SIGINT exits at once, even while finally runs', async () => {
    const run = startCli(['run', 'stubborn.yaml'], dir);
    await run.waitFor('▸ nap');
    run.child.kill('SIGINT');
    await run.waitFor('▸ long');
    const sent = Date.now();
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(run.out().stderr).toContain('SIGINT again: exiting now');
  });
});
