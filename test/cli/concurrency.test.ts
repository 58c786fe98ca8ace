/**
 * Flow `concurrency` between `pebbleflow run` processes sharing a data folder, through the real CLI
 * (child processes from source). Kestra's behaviour, from ExecutorService.checkConcurrencyLimit
 * (core/src/main/java/io/kestra/core/runners/ExecutorService.java) and its test
 * FlowConcurrencyCaseTest (core/src/test/java/io/kestra/core/runners/FlowConcurrencyCaseTest.java,
 * flows flow-concurrency-queue/cancel/fail.yml): over the limit, QUEUE waits QUEUED and then runs
 * (CREATED, QUEUED, RUNNING), CANCEL ends CANCELLED, FAIL ends FAILED with "Flow is FAILED due to
 * concurrency limit exceeded".
 *
 * Each run holds its task until the test creates its gate file, so nothing depends on timing.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { spawnCli, until, type Child } from '../server/support/processes.js';

jest.setTimeout(180_000);

let dir: string;
let children: Child[] = [];
let gates: string[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-cli-concurrency-'));
  children = [];
  gates = [];
});

afterEach(async () => {
  // Open every gate: a shell left by a killed run ends too.
  for (const g of gates) writeFileSync(g, '');
  await Promise.all(children.map((c) => c.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

function flow(behavior: 'QUEUE' | 'CANCEL' | 'FAIL', limit = 1): string {
  const file = join(dir, `gated-${behavior.toLowerCase()}-${limit}.yaml`);
  writeFileSync(
    file,
    `id: gated
namespace: company.team
inputs:
  - id: gate
    type: STRING
concurrency:
  behavior: ${behavior}
  limit: ${limit}
tasks:
  - id: hold
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      # At most a minute, should the test not open it.
      - 'i=0; while [ ! -e "{{ inputs.gate }}" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done'
`,
  );
  return file;
}

interface Run {
  readonly child: Child;
  readonly gate: string;
  open(): void;
  /** The execution as the run keeps it in .pebbleflow/executions (undefined until written). */
  stored(): { state: { current: string } } | undefined;
}

function start(file: string, name: string, options: { open?: boolean } = {}): Run {
  const gate = join(dir, `gate-${name}`);
  gates.push(gate);
  if (options.open === true) writeFileSync(gate, '');
  const child = spawnCli(['run', file, '--json', '-i', `gate=${gate}`], { cwd: dir });
  children.push(child);
  return {
    child,
    gate,
    open: () => writeFileSync(gate, ''),
    stored: () => stored().find((e) => e.inputs['gate'] === gate),
  };
}

interface StoredExecution {
  id: string;
  inputs: Record<string, unknown>;
  state: { current: string };
}

function stored(): StoredExecution[] {
  const executions = join(dir, '.pebbleflow', 'executions');
  if (!existsSync(executions)) return [];
  const out: StoredExecution[] = [];
  for (const f of readdirSync(executions).filter((n) => n.endsWith('.json'))) {
    try {
      out.push((JSON.parse(readFileSync(join(executions, f), 'utf8')) as { execution: StoredExecution }).execution);
    } catch {
      // being replaced
    }
  }
  return out;
}

/** Waits until the run's kept execution is in `state`; fails as soon as the run ended otherwise. */
async function inState(run: Run, state: string): Promise<void> {
  let exited: number | string | undefined;
  void run.child.exited.then((code) => (exited = code));
  await until(
    `${run.gate} ${state}`,
    () => {
      if (run.stored()?.state.current === state) return true;
      if (exited !== undefined)
        throw new Error(`the run ended (${exited}, ${run.stored()?.state.current}) without being ${state}: ${run.child.stderr()}`);
      return undefined;
    },
    90_000,
  );
}

interface Report {
  state: string;
  histories: { state: string; date: string }[];
  endDate: string;
  taskRuns: unknown[];
  logs: { level: string; message: string }[];
}

async function report(run: Run): Promise<{ code: number | string; report: Report }> {
  const code = await run.child.exited;
  try {
    return { code, report: JSON.parse(run.child.stdout()) as Report };
  } catch {
    throw new Error(`no report (exit ${code}): ${run.child.stdout()}\n${run.child.stderr()}`);
  }
}

const flowDir = (): string => join(dir, '.pebbleflow', 'concurrency', 'main', 'company.team', 'gated');
const tickets = (): string[] => (existsSync(flowDir()) ? readdirSync(flowDir()).filter((n) => n.startsWith('ticket-')) : []);

test('QUEUE (flowConcurrencyQueue): the second run waits QUEUED and starts once the first ended', async () => {
  const file = flow('QUEUE');
  const first = start(file, 'first');
  await inState(first, 'RUNNING');
  const second = start(file, 'second', { open: true });
  await inState(second, 'QUEUED');
  expect(first.stored()?.state.current).toBe('RUNNING');
  first.open();
  const [a, b] = [await report(first), await report(second)];
  expect([a.code, a.report.state]).toEqual([0, 'SUCCESS']);
  expect([b.code, b.report.state]).toEqual([0, 'SUCCESS']);
  expect(b.report.histories.map((h) => h.state)).toEqual(['CREATED', 'QUEUED', 'RUNNING', 'SUCCESS']);
  const running = b.report.histories.find((h) => h.state === 'RUNNING')!.date;
  expect(Date.parse(running)).toBeGreaterThanOrEqual(Date.parse(a.report.endDate));
  expect(b.report.logs).toContainEqual(
    expect.objectContaining({ level: 'INFO', message: 'Flow is queued due to concurrency limit exceeded, 1 running(s)' }),
  );
  expect(tickets()).toEqual([]);
});

test.each([
  ['CANCEL', 'CANCELLED', undefined],
  ['FAIL', 'FAILED', 'Flow is FAILED due to concurrency limit exceeded'],
] as const)('%s (flowConcurrencyCancel, flowConcurrencyFail): the second run ends %s at once', async (behavior, state, message) => {
  const file = flow(behavior);
  const first = start(file, 'first');
  await inState(first, 'RUNNING');
  const second = start(file, 'second', { open: true });
  const b = await report(second);
  expect(first.stored()?.state.current).toBe('RUNNING');
  expect([b.code, b.report.state]).toEqual([1, state]);
  expect(b.report.histories.map((h) => h.state)).toEqual(['CREATED', state]);
  expect(b.report.taskRuns).toEqual([]);
  if (message !== undefined) expect(b.report.logs).toContainEqual(expect.objectContaining({ level: 'ERROR', message }));
  first.open();
  expect((await report(first)).report.state).toBe('SUCCESS');
});

test('a holder killed with SIGKILL does not hold up the run waiting behind it', async () => {
  const file = flow('QUEUE');
  const first = start(file, 'first');
  await inState(first, 'RUNNING');
  const second = start(file, 'second', { open: true });
  await inState(second, 'QUEUED');
  await first.child.stop('SIGKILL');
  const b = await report(second);
  expect([b.code, b.report.state]).toEqual([0, 'SUCCESS']);
  expect(b.report.histories.map((h) => h.state)).toEqual(['CREATED', 'QUEUED', 'RUNNING', 'SUCCESS']);
});

test('a queued run stopped by SIGTERM ends KILLED and leaves no ticket; one SIGKILLed does not hold up the line', async () => {
  const file = flow('QUEUE');
  const first = start(file, 'first');
  await inState(first, 'RUNNING');
  const stopped = start(file, 'stopped', { open: true });
  await inState(stopped, 'QUEUED');
  expect(tickets()).toHaveLength(1);
  await stopped.child.stop('SIGTERM');
  const s = await report(stopped);
  expect([s.code, s.report.state]).toEqual([143, 'KILLED']);
  expect(s.report.taskRuns).toEqual([]);
  expect(tickets()).toEqual([]);

  const killed = start(file, 'killed', { open: true });
  await inState(killed, 'QUEUED');
  await killed.child.stop('SIGKILL');
  const third = start(file, 'third', { open: true });
  await inState(third, 'QUEUED');
  first.open();
  const t = await report(third);
  expect([t.code, t.report.state]).toEqual([0, 'SUCCESS']);
  // The third found the killed waiter's ticket dead and removed it.
  expect(tickets()).toEqual([]);
});

test('limit 2: two runs at once, the third QUEUED until one ends', async () => {
  const file = flow('QUEUE', 2);
  const first = start(file, 'first');
  const second = start(file, 'second');
  await Promise.all([inState(first, 'RUNNING'), inState(second, 'RUNNING')]);
  const third = start(file, 'third', { open: true });
  await inState(third, 'QUEUED');
  expect([first.stored()?.state.current, second.stored()?.state.current]).toEqual(['RUNNING', 'RUNNING']);
  second.open();
  const c = await report(third);
  expect(c.report.histories.map((h) => h.state)).toEqual(['CREATED', 'QUEUED', 'RUNNING', 'SUCCESS']);
  expect(c.report.logs).toContainEqual(
    expect.objectContaining({ message: 'Flow is queued due to concurrency limit exceeded, 2 running(s)' }),
  );
  expect(first.stored()?.state.current).toBe('RUNNING');
  first.open();
  expect((await report(first)).report.state).toBe('SUCCESS');
  expect((await report(second)).report.state).toBe('SUCCESS');
});
