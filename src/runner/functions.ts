/**
 * Template functions that need the execution being run, defined outside the engine: the runner
 * puts an `ExecutionRuntime` in each render's `RenderScope.runtime`, and these functions read it.
 *
 * - `errorLogs()`: the execution's ERROR log lines (Kestra's `ErrorLogsFunction`), for `errors` tasks.
 * - `currentEachOutput(outputs.x)`: the output of task `x` for the current loop value, however deeply
 *   the loops nest (Kestra's `CurrentEachOutputFunction`).
 */
import { TemplateError } from '../engine/errors.js';
import type { CallContext, Extension } from '../engine/extension.js';
import { isList, isMap } from '../engine/values.js';
import type { LogEntry } from './types.js';
import type { RunStorage } from '../storage/run-storage.js';
import type { FlowKV } from '../kv/kv-store.js';

/** The runner's view of one execution, as functions may see it. */
export class ExecutionRuntime {
  readonly #logs: readonly LogEntry[];
  readonly #meta: { readonly namespace: string; readonly flowId: string; readonly executionId: string };
  /** The execution's storage and KV store, for `read()`, `fileSize()`… and `kv()` (see storage/functions, kv/functions). */
  readonly storage: RunStorage | undefined;
  readonly kv: FlowKV | undefined;

  constructor(
    logs: readonly LogEntry[],
    meta: { namespace: string; flowId: string; executionId: string },
    files?: { readonly storage: RunStorage; readonly kv: FlowKV },
  ) {
    this.storage = files?.storage;
    this.kv = files?.kv;
    this.#logs = logs;
    this.#meta = meta;
  }

  /** ERROR lines of the execution, oldest first, in Kestra's `LogEntry` shape. */
  errorLogs(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const log of this.#logs) {
      if (log.level !== 'ERROR') continue;
      out.push({
        namespace: this.#meta.namespace,
        flowId: this.#meta.flowId,
        executionId: this.#meta.executionId,
        ...(log.taskId === undefined ? {} : { taskId: log.taskId }),
        ...(log.taskRunId === undefined ? {} : { taskRunId: log.taskRunId }),
        ...(log.attemptNumber === undefined ? {} : { attemptNumber: log.attemptNumber }),
        timestamp: log.timestamp,
        level: log.level,
        message: log.message,
      });
    }
    return out;
  }
}

function currentEachOutput(args: Readonly<Record<string, unknown>>, ctx: CallContext): unknown {
  if (!('outputs' in args)) throw new TemplateError('FUNCTION_ERROR', "The 'currentEachOutput' function expects an argument 'outputs'.");
  let outputs = args.outputs;
  if (!isMap(outputs))
    throw new TemplateError('FUNCTION_ERROR', "The 'currentEachOutput' function expects an argument 'outputs' with type map.");
  const parents = ctx.lookup('parents');
  if (isList(parents)) {
    // `parents` is nearest first; outputs nest from the outermost loop inwards.
    for (let i = parents.length - 1; i >= 0; i--) {
      const taskrun = (parents[i] as Record<string, unknown> | undefined)?.taskrun;
      if (!isMap(taskrun)) continue;
      const next: unknown = isMap(outputs) ? outputs[String(taskrun.value)] : undefined;
      outputs = next;
    }
  }
  const taskrun = ctx.lookup('taskrun');
  if (!isMap(outputs) || !isMap(taskrun)) return null;
  return outputs[String(taskrun.value)] ?? null;
}

/** `errorLogs()` and `currentEachOutput()`. */
export function runnerExtension(): Extension {
  return {
    functions: {
      errorLogs: {
        call: (_args, ctx) => {
          const runtime = ctx.scope.runtime;
          if (!(runtime instanceof ExecutionRuntime))
            throw new TemplateError(
              'FUNCTION_ERROR',
              "The 'errorLogs' function can only be used in a flow run, as it reads the execution's logs.",
            );
          return runtime.errorLogs();
        },
      },
      currentEachOutput: { argNames: ['outputs'], call: currentEachOutput },
    },
  };
}
