/**
 * ForEachItem (io.kestra.plugin.core.flow.ForEachItem) beyond Kestra's own tests (those are ported in
 * test/runner/kestra/flowables.test.ts): how `batch` cuts real files (rows, bytes, partitions,
 * separator, an empty file, a last line without line end), `taskrun.items` and `taskrun.iteration`,
 * labels, wait / transmitFailed, errors. Each batch goes to a subflow whose flow outputs are the
 * batch's content and number, so the merged outputs file shows every batch in order.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlow } from '../../src/flow/loader.js';
import type { Execution } from '../../src/flow/execution.js';
import { MemoryFlowRepository } from '../../src/flow/repository.js';
import { runExecution } from '../../src/runner/runner.js';
import { MemoryExecutionStore } from '../../src/runner/store.js';
import type { RunReport, TaskRunReport } from '../../src/runner/types.js';
import { parseIon } from '../../src/serdes/ion.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { parseStorageUri } from '../../src/storage/uri.js';

const CHILD = `id: child
namespace: company.team
inputs:
  - { id: items, type: STRING }
  - { id: n, type: INT }
tasks:
  - { id: log, type: io.kestra.plugin.core.log.Log, message: "{{ inputs.n }}" }
outputs:
  - { id: value, type: STRING, value: "{{ read(inputs.items) }}" }
  - { id: n, type: INT, value: "{{ inputs.n }}" }
`;
const PAUSED = `id: paused
namespace: company.team
inputs:
  - { id: items, type: STRING }
tasks:
  - { id: wait, type: io.kestra.plugin.core.flow.Pause }
`;
const FAILS = `id: fails
namespace: company.team
inputs:
  - { id: items, type: STRING }
tasks:
  - { id: fail, type: io.kestra.plugin.core.execution.Fail }
`;

// A failed subflow whose flow outputs still render (its INT output `n` would not type: it fails the
// subflow, yet ForEachItem renders it untyped), and one whose outputs cannot render.
const FAILS_WITH_OUTPUTS = `id: failsWithOutputs
namespace: company.team
inputs:
  - { id: items, type: STRING }
tasks:
  - { id: fail, type: io.kestra.plugin.core.execution.Fail }
outputs:
  - { id: value, type: STRING, value: "{{ read(inputs.items) }}" }
  - { id: n, type: INT, value: "not a number" }
`;
const BAD_OUTPUTS = `id: badOutputs
namespace: company.team
inputs:
  - { id: items, type: STRING }
tasks:
  - { id: fail, type: io.kestra.plugin.core.execution.Fail }
outputs:
  - { id: value, type: STRING, value: "{{ outputs.nope.value }}" }
`;
// Batch 1 ends last.
const SLOW_FIRST = `id: slowFirst
namespace: company.team
inputs:
  - { id: items, type: STRING }
  - { id: n, type: INT }
tasks:
  - { id: sleep, type: io.kestra.plugin.core.flow.Sleep, duration: "{{ inputs.n == 1 ? 'PT1S' : 'PT0.001S' }}" }
`;

let dir: string;
const store = new MemoryExecutionStore();
const flows = new MemoryFlowRepository(
  [CHILD, PAUSED, FAILS, FAILS_WITH_OUTPUTS, BAD_OUTPUTS, SLOW_FIRST].map((source) => parseFlow(source)),
);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-foreachitem-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs a parent flow whose ForEachItem (`each`) reads the FILE input `file`, holding `content`. */
async function runEach(
  content: string,
  each: string,
  options: { flowId?: string; inputs?: string; labels?: string; fileName?: string } = {},
): Promise<{ report: RunReport; execution: Execution }> {
  const file = join(await mkdtemp(join(dir, 'in-')), options.fileName ?? 'items.txt');
  await writeFile(file, content);
  const source = `id: parent
namespace: company.team
${options.labels ?? ''}
inputs:
  - { id: file, type: FILE }
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{{ inputs.file }}"
    namespace: company.team
    flowId: ${options.flowId ?? 'child'}
    inputs: ${options.inputs ?? '{ items: "{{ taskrun.items }}", n: "{{ taskrun.iteration }}" }'}
${each
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
`;
  return runExecution(parseFlow(source), { env: {}, flows, store, storage: join(dir, 'storage'), inputs: { file } });
}

const read = async (uri: string): Promise<string> =>
  (await new LocalStorage(join(dir, 'storage')).read('main', parseStorageUri(uri))).toString('utf8');

function taskRun(report: RunReport, taskId: string): TaskRunReport {
  const found = report.taskRuns.find((t) => t.taskId === taskId);
  if (found === undefined) throw new Error(`no task run ${taskId}`);
  return found;
}

/** The batches as the subflows saw them, in order: [taskrun.iteration, the batch file's content]. */
async function batches(report: RunReport): Promise<[number, string][]> {
  expect(report.state).toBe('SUCCESS');
  const merged = taskRun(report, 'each_merge').outputs.subflowOutputs;
  expect(typeof merged).toBe('string');
  return (parseIon(await read(merged as string)) as { n: number; value: string }[]).map((o) => [Number(o.n), o.value]);
}

const children = (execution: Execution): Execution[] => [...store.executions.values()].filter((e) => e.parentId === execution.id);

describe('ForEachItem: batches', () => {
  test('rows defaults to 1; taskrun.items is the batch file, taskrun.iteration its number from 1', async () => {
    const { report, execution } = await runEach('a\nb\nc\n', 'wait: true');
    expect(await batches(report)).toEqual([
      [1, 'a\n'],
      [2, 'b\n'],
      [3, 'c\n'],
    ]);
    expect(taskRun(report, 'each_items').outputs).toMatchObject({ numberOfBatches: 3, iterations: { CREATED: 0, RUNNING: 0, SUCCESS: 3 } });
    // The batch files keep the items file's extension, under the split task run.
    for (const child of children(execution)) expect(child.inputs.items).toMatch(/\/tasks\/each-split\/[^/]+\/[^/]+\.txt$/);
  });

  test('rows: n rows a batch; a last line without line end gets the separator too', async () => {
    const { report } = await runEach('a\nb\nc\nd\ne', 'batch: { rows: 2 }');
    expect(await batches(report)).toEqual([
      [1, 'a\nb\n'],
      [2, 'c\nd\n'],
      [3, 'e\n'],
    ]);
  });

  test('rows from an expression', async () => {
    const { report } = await runEach('a\nb\nc\n', 'batch: { rows: "{{ 1 + 2 }}" }');
    expect(await batches(report)).toEqual([[1, 'a\nb\nc\n']]);
  });

  test('bytes: a batch is closed once it holds that many bytes (rows are never cut); it wins over rows', async () => {
    const { report } = await runEach('aaaa\nbbbb\ncc\ndddd\ne\n', 'batch: { bytes: "8B", rows: 1 }');
    expect(await batches(report)).toEqual([
      [1, 'aaaa\nbbbb\n'],
      [2, 'cc\ndddd\n'],
      [3, 'e\n'],
    ]);
  });

  test('partitions: rows dealt round-robin, empty partitions dropped; it wins over rows', async () => {
    let { report } = await runEach('a\nb\nc\nd\ne\n', 'batch: { partitions: 2, rows: 1 }');
    expect(await batches(report)).toEqual([
      [1, 'a\nc\ne\n'],
      [2, 'b\nd\n'],
    ]);
    ({ report } = await runEach('a\nb', 'batch: { partitions: 4 }'));
    expect(await batches(report)).toEqual([
      [1, 'a\n'],
      [2, 'b\n'],
    ]);
  });

  test('separator: written after each row; lines may end with LF, CRLF or CR', async () => {
    const { report } = await runEach('a\r\nb\r\nc\rd', 'batch: { rows: 2, separator: ";" }');
    expect(await batches(report)).toEqual([
      [1, 'a;b;'],
      [2, 'c;d;'],
    ]);
  });

  test('an empty file: no batch, no subflow, no outputs; the flow goes on', async () => {
    const { report, execution } = await runEach('', 'batch: { rows: 3 }');
    expect(report.state).toBe('SUCCESS');
    expect(report.taskRuns.map((t) => [t.taskId, t.state])).toEqual([
      ['each', 'SUCCESS'],
      ['each_split', 'SUCCESS'],
      ['each_items', 'SUCCESS'],
      ['each_merge', 'SUCCESS'],
    ]);
    expect(await read(taskRun(report, 'each_split').outputs.splits as string)).toBe('');
    expect(taskRun(report, 'each_items').outputs).toEqual({});
    expect(taskRun(report, 'each_merge').outputs).toEqual({});
    expect(children(execution)).toHaveLength(0);
  });

  test('a file without extension gives .tmp batches', async () => {
    const { execution } = await runEach('a\n', 'wait: true', { fileName: 'items' });
    expect(children(execution)[0]?.inputs.items).toMatch(/\.tmp$/);
  });
});

describe('ForEachItem: subflows', () => {
  test('labels: system labels always, the execution labels with inheritLabels, then the rendered task labels', async () => {
    let { execution } = await runEach('a\n', 'labels: { batchOf: "{{ flow.id }}" }', { labels: 'labels: { team: data }' });
    expect(children(execution)[0]?.labels).toEqual([
      { key: 'system.correlationId', value: execution.id },
      { key: 'batchOf', value: 'parent' },
    ]);
    ({ execution } = await runEach('a\n', 'inheritLabels: true\nlabels: [{ key: k, value: v }]', { labels: 'labels: { team: data }' }));
    expect(children(execution)[0]?.labels).toEqual(
      expect.arrayContaining([
        { key: 'system.correlationId', value: execution.id },
        { key: 'team', value: 'data' },
        { key: 'k', value: 'v' },
      ]),
    );
  });

  test('wait: false ends the task run without waiting: subflows that pause leave the parent SUCCESS', async () => {
    const { report, execution } = await runEach('a\nb\n', 'wait: false', { flowId: 'paused', inputs: '{ items: "{{ taskrun.items }}" }' });
    expect(report.state).toBe('SUCCESS');
    expect(taskRun(report, 'each_items').outputs).toMatchObject({ numberOfBatches: 2, iterations: { RUNNING: 0, SUCCESS: 2 } });
    expect(taskRun(report, 'each_merge').outputs).toEqual({});
    expect(children(execution).map((c) => c.state.current)).toEqual(['PAUSED', 'PAUSED']);
  });

  test('wait: true with a subflow that ends PAUSED (it cannot be resumed from here): the task run fails', async () => {
    const { report } = await runEach('a\n', 'wait: true', { flowId: 'paused', inputs: '{ items: "{{ taskrun.items }}" }' });
    expect(report.state).toBe('FAILED');
    expect(taskRun(report, 'each_items').outputs).toMatchObject({ iterations: { CREATED: 0, RUNNING: 0, PAUSED: 1 } });
  });

  test('transmitFailed: false: failed subflows are counted, the task run succeeds', async () => {
    const { report } = await runEach('a\nb\n', 'transmitFailed: false', { flowId: 'fails', inputs: '{ items: "{{ taskrun.items }}" }' });
    expect(report.state).toBe('SUCCESS');
    expect(taskRun(report, 'each_items').state).toBe('SUCCESS');
    expect(taskRun(report, 'each_items').outputs).toMatchObject({ iterations: { FAILED: 2 } });
  });

  test('a failed subflow fails the task run; the ForEachItem runs its errors', async () => {
    const { report } = await runEach('a\n', 'errors:\n  - { id: onError, type: io.kestra.plugin.core.log.Log, message: "{{ task.id }}" }', {
      flowId: 'fails',
      inputs: '{ items: "{{ taskrun.items }}" }',
    });
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns.map((t) => [t.taskId, t.state])).toEqual([
      ['each', 'FAILED'],
      ['each_split', 'SUCCESS'],
      ['each_items', 'FAILED'],
      ['onError', 'SUCCESS'],
    ]);
  });

  test('items that are not a kestra:// URI fail the split with Kestra message', async () => {
    const source = `id: notUri
namespace: company.team
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "/tmp/items.txt"
    namespace: company.team
    flowId: child
`;
    const { report } = await runExecution(parseFlow(source), { env: {}, flows, storage: join(dir, 'storage') });
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns.map((t) => [t.taskId, t.state])).toEqual([
      ['each', 'FAILED'],
      ['each_split', 'FAILED'],
    ]);
    expect(report.logs.map((l) => l.message)).toContain(
      'Unable to split the items from /tmp/items.txt, this is not an internal storage URI!',
    );
  });

  test('a missing subflow fails the items task run with no subflow started', async () => {
    const { report, execution } = await runEach('a\nb\n', 'wait: true', { flowId: 'nope' });
    expect(report.state).toBe('FAILED');
    expect(taskRun(report, 'each_items').state).toBe('FAILED');
    expect(report.logs.map((l) => l.message)).toContain("Unable to find flow 'company.team'.'nope' with revision '0'");
    expect(children(execution)).toHaveLength(0);
  });
});

// Kestra's ForEachItem.ForEachItemExecutable.createSubflowExecutions and ExecutorService.handleExecutableTask:
// every batch's execution is created (inputs read and validated) before any is emitted, and an
// exception fails the task run with no subflow execution.
describe('ForEachItem: every subflow is created before any starts', () => {
  const INVALID_SECOND = `{ items: "{{ taskrun.items }}", n: "{{ taskrun.iteration == 2 ? 'x' : taskrun.iteration }}" }`;

  test.each([['wait: true'], ['wait: false']])('an invalid input in one batch fails the task run; no subflow starts (%s)', async (each) => {
    const { report, execution } = await runEach('a\nb\nc\n', each, { inputs: INVALID_SECOND });
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns.map((t) => [t.taskId, t.state])).toEqual([
      ['each', 'FAILED'],
      ['each_split', 'SUCCESS'],
      ['each_items', 'FAILED'],
    ]);
    expect(report.logs.filter((l) => l.level === 'ERROR').map((l) => [l.taskId, l.message])).toEqual([
      ['each_items', expect.stringMatching(/^n: Invalid input for `n`, .*, but received `x`$/)],
    ]);
    expect(children(execution)).toHaveLength(0);
    expect(taskRun(report, 'each_items').outputs).toEqual({});
  });

  test("a Subflow's invalid input gives the same message (both read it with ExecutableUtils.subflowExecution)", async () => {
    const source = `id: sub
namespace: company.team
tasks:
  - { id: sub, type: io.kestra.plugin.core.flow.Subflow, namespace: company.team, flowId: child, inputs: { items: a, n: x } }
`;
    const { report, execution } = await runExecution(parseFlow(source), { env: {}, flows, store, storage: join(dir, 'storage') });
    expect(report.state).toBe('FAILED');
    expect(report.logs.filter((l) => l.level === 'ERROR').map((l) => [l.taskId, l.message])).toEqual([
      ['sub', expect.stringMatching(/^n: Invalid input for `n`, .*, but received `x`$/)],
    ]);
    expect(children(execution)).toHaveLength(0);
  });
});

// Kestra's ForEachItemExecutable.createSubflowExecutionResult: once a waited subflow execution is
// terminated, whatever its state, the subflow's flow `outputs` are rendered (not typed) and written
// for the merge; a render that fails logs a warning and counts the batch FAILED.
describe('ForEachItem: the subflows outputs', () => {
  test('rendered untyped', async () => {
    const { report } = await runEach('a\n', 'wait: true');
    const merged = parseIon(await read(taskRun(report, 'each_merge').outputs.subflowOutputs as string));
    expect(merged).toEqual([{ value: 'a\n', n: '1' }]);
  });

  test('rendered for a failed subflow too', async () => {
    const { report, execution } = await runEach('a\nb\n', 'transmitFailed: false', {
      flowId: 'failsWithOutputs',
      inputs: '{ items: "{{ taskrun.items }}" }',
    });
    expect(children(execution).map((c) => c.state.current)).toEqual(['FAILED', 'FAILED']);
    expect(report.state).toBe('SUCCESS');
    expect(taskRun(report, 'each_items').outputs).toMatchObject({ iterations: { CREATED: 0, RUNNING: 0, FAILED: 2 } });
    const merged = parseIon(await read(taskRun(report, 'each_merge').outputs.subflowOutputs as string));
    expect(merged).toEqual([
      { value: 'a\n', n: 'not a number' },
      { value: 'b\n', n: 'not a number' },
    ]);
  });

  test('outputs that cannot be rendered: a warning, the batch counts FAILED, nothing to merge', async () => {
    const { report } = await runEach('a\n', 'transmitFailed: false', { flowId: 'badOutputs', inputs: '{ items: "{{ taskrun.items }}" }' });
    expect(report.logs.filter((l) => l.level === 'WARN').map((l) => [l.taskId, l.message])).toEqual([
      ['each_items', expect.stringMatching(/^Failed to extract outputs with the error: '.*nope/)],
    ]);
    expect(taskRun(report, 'each_items').outputs).toMatchObject({ iterations: { CREATED: 0, RUNNING: 0, FAILED: 1 } });
    expect(taskRun(report, 'each_merge').outputs).toEqual({});
  });
});

// Kestra's ExecutableUtils.manageIterations: each subflow execution reported gives the `_items` task
// run its iteration (the last one reported stays); without batches its outputs stay null.
describe('ForEachItem: the <id>_items task run', () => {
  const itemsRun = (execution: Execution) => execution.taskRunList.find((t) => t.taskId === 'each_items');

  test('wait: false: the last batch started', async () => {
    const { report, execution } = await runEach('a\nb\nc\n', 'wait: false');
    expect(itemsRun(execution)?.iteration).toBe(3);
    expect(taskRun(report, 'each_items').iteration).toBe(3);
  });

  test('wait: true: the batch whose subflow ended last', async () => {
    const { execution } = await runEach('a\nb\nc\n', 'wait: true', { flowId: 'slowFirst' });
    expect(itemsRun(execution)?.iteration).toBe(1);
  });

  test('no batch: no iteration and no outputs at all', async () => {
    const { execution } = await runEach('', 'wait: true');
    expect(itemsRun(execution)?.iteration).toBeUndefined();
    expect(itemsRun(execution)).not.toHaveProperty('outputs');
  });
});
