/**
 * Kestra's `jq` filter on the real jq (1.7, compiled to WebAssembly by the `jq-web` package).
 * Kestra runs jackson-jq with JQ 1.6 semantics; the differences that can show are listed in
 * README ("jq"). Results are always a list; a null input gives null.
 *
 * `jq-web` is used rather than `jq-wasm`: jq-wasm's Emscripten wrapper leaks the C stack on
 * every call and aborts after ~310 calls in one process, and copies input and output a byte
 * at a time (quadratic). jq-web calls the same `main` synchronously, restores the stack, and
 * passes the input through its in-memory file system.
 *
 * jq runs on the engine's worker thread (worker/pool.ts), within `maxJqTime` and a WebAssembly
 * memory of 256 MB: `repeat(.)` or `def f: f; f` end with LIMIT_EXCEEDED instead of freezing the
 * render. `renderSync` blocks on the thread; `render` awaits it.
 */
import { UNMETERED } from '../../budget.js';
import { LimitExceededError } from '../../errors.js';
import type { FilterDefinition, MaybePromise } from '../../extension.js';
import { isList, isMap, toJavaString } from '../../values.js';
import { JQ_MEMORY_BYTES, runBlocking, runQueued, warmWorkers, WorkerJobError, type JqReply } from '../../worker/pool.js';
import { functionError } from './common.js';
import { parseJson, writeJson } from './json.js';
import { kestraClassName } from './misc.js';

/**
 * Starts jq's worker threads and resolves once jq is loaded (about 100 ms). Optional: the first
 * `jq` call starts them otherwise (a `renderSync` then waits for it).
 */
export function jqReady(): Promise<void> {
  return warmWorkers();
}

function unableToParse(input: unknown, detail: string, cause?: unknown): Error {
  return functionError(`Unable to parse jq value '${toJavaString(input)}' with type '${kestraClassName(input)}': ${detail}`, cause);
}

/** jq's reply as Kestra's result (a list of Java values) or Kestra's error. */
function jqResult(reply: JqReply, expression: string, original: unknown): unknown[] {
  if (!reply.ok) {
    if (reply.tooLong !== undefined) {
      throw new LimitExceededError(
        'maxStringLength',
        `The jq expression '${expression}' produced ${reply.tooLong} characters of output (limit maxStringLength)`,
      );
    }
    if (reply.fatal === true && /memory/i.test(`${reply.message ?? ''}${reply.stderr ?? ''}`)) {
      throw new LimitExceededError(
        'jqMemory',
        `The jq expression '${expression}' needed more than ${JQ_MEMORY_BYTES / 1024 / 1024} MB of memory`,
      );
    }
    const detail = (reply.stderr ?? reply.message ?? '').replace(/^Non-zero exit code: \d+\n?/, '').trim();
    throw unableToParse(original, `Failed to resolve JQ expression '${expression}': ${detail}`);
  }
  if (reply.output === undefined) return [];
  const results: unknown[] = [];
  for (const line of reply.output.split('\n')) {
    if (line.trim() === '') continue;
    results.push(parseJson(line));
  }
  return results;
}

function jqFailure(e: unknown, expression: string, timeout: number): never {
  if (e instanceof WorkerJobError && e.reason === 'timeout') {
    throw new LimitExceededError('maxJqTime', `The jq expression '${expression}' ran for more than ${timeout} ms (limit maxJqTime)`);
  }
  if (e instanceof WorkerJobError && e.reason === 'crashed') {
    throw new LimitExceededError('jqMemory', `The jq expression '${expression}' stopped its worker thread (out of memory?)`);
  }
  throw e;
}

const jq: FilterDefinition = {
  argNames: ['expression'],
  call(input, args, ctx): MaybePromise<unknown> {
    if (input === null || input === undefined) return null;
    if (!Object.hasOwn(args, 'expression')) throw functionError(`The 'jq' filter expects an argument 'expression'.`);
    const expression = args['expression'];
    if (typeof expression !== 'string') throw unableToParse(input, `the expression must be a string, not ${kestraClassName(expression)}`);
    let json: string;
    if (typeof input === 'string') {
      // Kestra reads a string input as JSON first (Jackson readTree keeps nulls).
      let parsed: unknown;
      try {
        parsed = parseJson(input);
      } catch (e) {
        throw unableToParse(input, (e as Error).message, e);
      }
      json = writeJson(parsed, true);
    } else {
      // valueToTree goes through Kestra's mapper, which drops null map entries.
      json = isMap(input) || isList(input) ? writeJson(input) : writeJson(input, true);
    }
    // jq runs on a worker thread: a program that does not end is cut off after maxJqTime.
    const budget = ctx.budget ?? UNMETERED;
    const timeout = Math.max(0, Math.floor(Math.min(budget.limits.maxJqTime, budget.timeLeft())));
    const job = { kind: 'jq', json, expression, maxOutput: budget.limits.maxStringLength } as const;
    if (budget.sync) {
      let reply: unknown;
      try {
        reply = runBlocking(job, timeout);
      } catch (e) {
        return jqFailure(e, expression, timeout);
      }
      return jqResult(reply as JqReply, expression, input);
    }
    return runQueued(job, timeout).then(
      (reply) => jqResult(reply as JqReply, expression, input),
      (e: unknown) => jqFailure(e, expression, timeout),
    );
  },
};

export const jqFilters: Record<string, FilterDefinition> = { jq };
