/**
 * ForEachItem's run, imported on first use (the definition is in for-each-item.ts). Kestra's
 * `ForEachItem.getTasks()`: three internal tasks run one after the other under the ForEachItem task
 * run, made here rather than read from the flow (their types are Kestra's inner class names):
 * - `<id>_split` (`ForEachItemSplit`): `StorageService.split` of `items` by `batch`; output `splits`,
 *   a `splits.txt` file with one batch URI per line;
 * - `<id>_items` (`ForEachItemExecutable`): one subflow execution per batch, every one created (its
 *   inputs validated) before they all start at once, counted as Kestra's executor counts them
 *   (`ExecutableUtils.manageIterations`);
 * - `<id>_merge` (`ForEachItemMergeOutputs`): the children's flow outputs, one file.
 */
import type { Label, StateType } from '../../flow/execution.js';
import type { TaskNode } from '../../flow/model.js';
import { toIonLine } from '../../serdes/ion.js';
import { KESTRA_PROTOCOL } from '../../storage/uri.js';
import { coerceProperty } from '../coerce.js';
import { defineTask, type ChildItem, type SubflowResult, type TaskResult, type TaskRunContext } from '../definition.js';
import { splitStorageFile } from '../storage/split-run.js';
import { TaskError } from '../types.js';
import { subflowLabels } from './subflow.js';

const FOR_EACH_ITEM = 'io.kestra.plugin.core.flow.ForEachItem';
export const SPLIT_TYPE = `${FOR_EACH_ITEM}$ForEachItemSplit`;
export const EXECUTABLE_TYPE = `${FOR_EACH_ITEM}$ForEachItemExecutable`;
export const MERGE_TYPE = `${FOR_EACH_ITEM}$ForEachItemMergeOutputs`;

const SPLIT_SUFFIX = '_split';
const EXECUTABLE_SUFFIX = '_items';
const MERGE_SUFFIX = '_merge';

export async function runForEachItem(ctx: TaskRunContext): Promise<TaskResult> {
  return { state: await ctx.runChildren({ tasks: internalTasks(ctx.task), mode: 'sequential' }) };
}

const internal = new WeakMap<TaskNode, ChildItem[]>();

/** The three internal children of a ForEachItem node (made once per node). */
function internalTasks(parent: TaskNode): ChildItem[] {
  let items = internal.get(parent);
  if (items !== undefined) return items;
  const props = parent.properties;
  const pick = (names: readonly string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const name of names) if (props[name] !== undefined) out[name] = props[name];
    return out;
  };
  const node = (suffix: string, type: string, properties: Record<string, unknown>, extra: Partial<TaskNode> = {}): TaskNode => ({
    id: parent.id + suffix,
    type,
    declaredType: type,
    properties,
    children: {},
    disabled: false,
    allowFailure: false,
    allowWarning: false,
    ...(parent.logLevel === undefined ? {} : { logLevel: parent.logLevel }),
    ...(parent.position === undefined ? {} : { position: parent.position }),
    ...extra,
  });
  items = [
    { task: node(SPLIT_SUFFIX, SPLIT_TYPE, pick(['items', 'batch'])), definition: splitDefinition },
    {
      task: node(
        EXECUTABLE_SUFFIX,
        EXECUTABLE_TYPE,
        pick(['namespace', 'flowId', 'revision', 'inputs', 'labels', 'wait', 'transmitFailed', 'inheritLabels', 'scheduleDate']),
        // Kestra never retries an executable task (its subflows would start again): one attempt, whatever retry the flow sets.
        { retry: { type: 'constant', maxAttempts: 1 } },
      ),
      definition: executableDefinition,
    },
    { task: node(MERGE_SUFFIX, MERGE_TYPE, {}), definition: mergeDefinition },
  ];
  internal.set(parent, items);
  return items;
}

/** The outputs of a sibling internal task run (Kestra's `extractOutput`: same ForEachItem task run, same loop value). */
function siblingOutputs(ctx: TaskRunContext, suffix: string): Record<string, unknown> | undefined {
  const id = ctx.task.id;
  const taskId = id.slice(0, id.lastIndexOf('_')) + suffix;
  const parentId = ctx.taskRun.parentTaskRunId;
  let found: Record<string, unknown> | undefined;
  for (const taskRun of ctx.execution.taskRunList)
    if (taskRun.taskId === taskId && taskRun.parentTaskRunId === parentId) found = taskRun.outputs;
  return found === undefined || Object.keys(found).length === 0 ? undefined : found;
}

// ---------------------------------------------------------------------------------------------
// <id>_split
// ---------------------------------------------------------------------------------------------

const splitDefinition = defineTask({
  type: SPLIT_TYPE,
  title: "ForEachItem's split of `items` into batch files.",
  properties: {
    items: { kind: 'string', required: true },
    batch: { kind: 'map' },
  },
  outputs: { splits: { kind: 'string', description: 'A file listing the URIs of the batches, one per line.' } },
  async run(ctx) {
    const items = (await ctx.property<string>('items')) ?? '';
    if (!items.startsWith(KESTRA_PROTOCOL))
      throw new TaskError('INVALID_PROPERTY', `Unable to split the items from ${items}, this is not an internal storage URI!`);
    const batch = (await ctx.property<Record<string, unknown>>('batch')) ?? {};
    const integer = (name: string): number | undefined =>
      batch[name] === undefined || batch[name] === null ? undefined : (coerceProperty(batch[name], 'integer', `batch.${name}`) as number);
    const bytes = batch.bytes === undefined || batch.bytes === null ? undefined : String(batch.bytes);
    const partitions = integer('partitions');
    const separator = batch.separator === undefined || batch.separator === null ? '\n' : String(batch.separator);
    const splits = await splitStorageFile(ctx, items, {
      ...(bytes === undefined ? {} : { bytes }),
      ...(partitions === undefined ? {} : { partitions }),
      rows: integer('rows') ?? 1,
      separator,
    });
    // Kestra joins them with System.lineSeparator() (a Linux server's `\n`), no line end after the last.
    return { outputs: { splits: await ctx.storage.putData(splits.join('\n'), 'splits.txt') } };
  },
});

// ---------------------------------------------------------------------------------------------
// <id>_items
// ---------------------------------------------------------------------------------------------

/** Kestra's `ExecutableUtils.findTerminalState` (the internal task has no allowFailure: the ForEachItem's applies to it). */
function terminalState(iterations: Readonly<Record<string, number>>): StateType {
  const has = (state: string): boolean => (iterations[state] ?? 0) > 0;
  if (has('FAILED') || has('PAUSED')) return 'FAILED';
  if (has('KILLED')) return 'KILLED';
  if (has('WARNING')) return 'WARNING';
  return 'SUCCESS';
}

const executableDefinition = defineTask({
  type: EXECUTABLE_TYPE,
  title: "ForEachItem's subflow executions, one per batch.",
  properties: {
    namespace: { kind: 'string', required: true },
    flowId: { kind: 'string', required: true },
    revision: { kind: 'integer', dynamic: false },
    inputs: { kind: 'map', dynamic: false },
    labels: { dynamic: false },
    wait: { kind: 'boolean', dynamic: false, default: true },
    transmitFailed: { kind: 'boolean', dynamic: false, default: true },
    inheritLabels: { kind: 'boolean', dynamic: false, default: false },
    scheduleDate: { kind: 'string' },
  },
  outputs: {
    numberOfBatches: { kind: 'integer' },
    iterations: { kind: 'map', description: 'How many subflow executions are in each state.' },
    subflowOutputsBaseUri: { kind: 'string' },
  },
  async run(ctx) {
    const splitsUri = siblingOutputs(ctx, SPLIT_SUFFIX)?.splits;
    if (typeof splitsUri !== 'string')
      throw new TaskError(
        'INVALID_PROPERTY',
        `No batches: the task run \`${ctx.task.id.replace(/_items$/, SPLIT_SUFFIX)}\` has no \`splits\` output`,
      );
    // Java's String.lines(): any line end, no empty line after the last one.
    const splits = (await ctx.storage.readFile(splitsUri))
      .toString('utf8')
      .split(/\r\n|\r|\n/)
      .filter((line) => line !== '');
    // No batch: no subflow execution, and the task run ends SUCCESS with no outputs at all (Kestra's
    // executor never gives it any: null, not an empty map) and no iteration.
    if (splits.length === 0) return { outputs: null };

    const namespace = (await ctx.property<string>('namespace')) ?? '';
    const flowId = (await ctx.property<string>('flowId')) ?? '';
    const revision = await ctx.property<number>('revision');
    const wait = (await ctx.property<boolean>('wait')) ?? true;
    const transmitFailed = (await ctx.property<boolean>('transmitFailed')) ?? true;
    const scheduleDate = await ctx.property<string>('scheduleDate');
    const labels: Label[] = await subflowLabels(ctx);
    const rawInputs = ctx.task.properties.inputs;
    const taskrun = ctx.variables.taskrun as Record<string, unknown>;
    // Every batch's inputs are rendered before any subflow starts (Kestra's createSubflowExecutions):
    // a template that fails fails the task run with no subflow execution.
    const inputsOf: Record<string, unknown>[] = [];
    for (let i = 0; i < splits.length; i++) {
      if (rawInputs === undefined || rawInputs === null) inputsOf.push({});
      else {
        const rendered = await ctx.renderValue(rawInputs, { taskrun: { ...taskrun, items: splits[i], iteration: i + 1 } });
        inputsOf.push(coerceProperty(rendered, 'map', 'inputs') as Record<string, unknown>);
      }
    }

    const numberOfBatches = splits.length;
    // Kestra's manageIterations: one more in the new state, one less in the previous (which starts at
    // numberOfBatches); the task run takes the iteration of the batch reported last.
    const iterations: Record<string, number> = {};
    const count = (iteration: number, current: StateType, previous: StateType): void => {
      iterations[current] = (iterations[current] ?? 0) + 1;
      if (previous !== current) iterations[previous] = (iterations[previous] ?? numberOfBatches) - 1;
      ctx.setIteration(iteration);
      ctx.setOutputs({ numberOfBatches, iterations: { ...iterations } });
    };
    const request = (i: number): Parameters<TaskRunContext['prepareSubflow']>[0] => ({
      namespace,
      flowId,
      ...(revision === undefined ? {} : { revision }),
      inputs: inputsOf[i]!,
      labels,
      wait,
      ...(scheduleDate === undefined ? {} : { scheduleDate }),
      triggerType: EXECUTABLE_TYPE,
      // ForEachItem renders the child flow's outputs whatever its end state, untyped.
      ...(wait ? { renderFlowOutputs: true } : {}),
    });

    // Every batch's execution is created (flow found, inputs validated) before any starts, as Kestra's
    // createSubflowExecutions: the first batch that cannot be created fails the task run, none starts.
    const prepared = await Promise.allSettled(splits.map((_, i) => ctx.prepareSubflow(request(i))));
    const unprepared = prepared.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    const children = prepared.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
    if (unprepared !== undefined) {
      await Promise.all(children.map((child) => child.discard()));
      throw unprepared.reason;
    }

    if (!wait) {
      // Not waited for: each batch counts SUCCESS as soon as its execution is started.
      for (const [i, child] of children.entries()) {
        await child.start();
        count(i + 1, 'SUCCESS', 'RUNNING');
      }
    } else {
      // A waited subflow execution is counted RUNNING once they are all created, as Kestra's executor reports it.
      for (let i = 0; i < numberOfBatches; i++) count(i + 1, 'RUNNING', 'CREATED');
      const settled = await Promise.allSettled(
        children.map(async (child, i) => {
          const result: SubflowResult = await child.start();
          if (result.outputsError !== undefined) {
            // Kestra's createSubflowExecutionResult: the outputs that cannot be rendered fail this
            // batch (counted FAILED instead of the child's state, which it leaves behind).
            ctx.log('WARN', `Failed to extract outputs with the error: '${result.outputsError}'`);
            count(i + 1, 'FAILED', result.state === 'FAILED' ? 'RUNNING' : result.state);
            return;
          }
          // The subflow's flow outputs go to <task run>/<iteration>/outputs.ion, for <id>_merge.
          if (result.outputs !== undefined) await ctx.storage.putData(`${toIonLine(result.outputs)}\n`, `${i + 1}/outputs.ion`);
          count(i + 1, result.state, 'RUNNING');
        }),
      );
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
    }
    const outputs = { iterations: { ...iterations }, numberOfBatches, subflowOutputsBaseUri: ctx.storage.contextPrefix.toString() };
    return { state: transmitFailed ? terminalState(iterations) : 'SUCCESS', outputs };
  },
});

// ---------------------------------------------------------------------------------------------
// <id>_merge
// ---------------------------------------------------------------------------------------------

const mergeDefinition = defineTask({
  type: MERGE_TYPE,
  title: "ForEachItem's merge of the subflows' outputs.",
  properties: {},
  outputs: { subflowOutputs: { kind: 'string', description: "The subflows' flow outputs, one Ion line per batch, in batch order." } },
  async run(ctx) {
    const base = siblingOutputs(ctx, EXECUTABLE_SUFFIX)?.subflowOutputsBaseUri;
    // No subflow execution (an empty file): no outputs.
    if (typeof base !== 'string') return {};
    const prefix = `${KESTRA_PROTOCOL}${base}`;
    const files: { iteration: number; uri: string }[] = [];
    for (const uri of await ctx.storage.list(prefix)) {
      const m = /^\/(\d+)\/outputs\.ion$/.exec(uri.slice(prefix.length));
      if (m !== null) files.push({ iteration: Number(m[1]), uri });
    }
    // The subflows declare no outputs (or were not waited for): no outputs.
    if (files.length === 0) return {};
    // Kestra concatenates them in its storage's listing order, for its local storage Files.list's
    // (the filesystem's directory order: none a flow can rely on); here batch order.
    files.sort((a, b) => a.iteration - b.iteration);
    const storage = ctx.storage;
    async function* concatenated(): AsyncGenerator<Uint8Array> {
      for (const file of files) for await (const chunk of await storage.getFile(file.uri)) yield chunk as Uint8Array;
    }
    return { outputs: { subflowOutputs: await storage.putData(concatenated(), 'outputs.ion') } };
  },
});
