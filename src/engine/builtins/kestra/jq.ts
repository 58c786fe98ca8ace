/**
 * Kestra's `jq` filter on the real jq (1.7, compiled to WebAssembly by the `jq-web` package).
 * Kestra runs jackson-jq with JQ 1.6 semantics; the differences that can show are listed in
 * README ("jq"). Results are always a list; a null input gives null.
 *
 * `jq-web` is used rather than `jq-wasm`: jq-wasm's Emscripten wrapper leaks the C stack on
 * every call and aborts after ~310 calls in one process, and copies input and output a byte
 * at a time (quadratic). jq-web calls the same `main` synchronously, restores the stack, and
 * passes the input through its in-memory file system.
 */
import { createRequire } from 'node:module';
import type { FilterDefinition, MaybePromise } from '../../extension.js';
import { isList, isMap, toJavaString } from '../../values.js';
import { functionError } from './common.js';
import { parseJson, writeJson } from './json.js';
import { kestraClassName } from './misc.js';

interface JqWeb {
  raw(json: string, filter: string, flags?: string[]): string | undefined;
}

let loading: Promise<JqWeb> | undefined;
let runtime: JqWeb | undefined;

/** Loads the jq WebAssembly module once (about 10 ms); later `jq` calls are synchronous. */
export function jqReady(): Promise<void> {
  if (loading === undefined) {
    const require = createRequire(import.meta.url);
    loading = (require('jq-web') as Promise<JqWeb>).then((m) => {
      runtime = m;
      return m;
    });
  }
  return loading.then(() => undefined);
}

function unableToParse(input: unknown, detail: string, cause?: unknown): Error {
  return functionError(`Unable to parse jq value '${toJavaString(input)}' with type '${kestraClassName(input)}': ${detail}`, cause);
}

/** Runs `expression` on a JSON text; each output line is read back as a Java value. */
export function runJq(jq: JqWeb, json: string, expression: string, original: unknown): unknown[] {
  let output: string | undefined;
  // Emscripten's exit handler sets process.exitCode to jq's status, and jq-web only restores it
  // when it was set before, so a failed query would make the whole process exit with 5.
  const exitCode = process.exitCode;
  try {
    output = jq.raw(json, expression, ['-c']);
  } catch (e) {
    const err = e as Error & { stderr?: string };
    const detail = (err.stderr ?? err.message ?? String(e)).replace(/^Non-zero exit code: \d+\n?/, '').trim();
    throw unableToParse(original, `Failed to resolve JQ expression '${expression}': ${detail}`, e);
  } finally {
    process.exitCode = exitCode;
  }
  if (output === undefined) return [];
  const results: unknown[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    results.push(parseJson(line));
  }
  return results;
}

const jq: FilterDefinition = {
  argNames: ['expression'],
  call(input, args): MaybePromise<unknown> {
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
    if (runtime !== undefined) return runJq(runtime, json, expression, input);
    return jqReady().then(() => runJq(runtime as JqWeb, json, expression, input));
  },
};

export const jqFilters: Record<string, FilterDefinition> = { jq };
