/**
 * Runs the conformance cases recorded from the reference engines (Pebble 3.2.2 configured as
 * Kestra configures it, and Kestra's own tests) through `createEngine().render`: one test per case.
 * An error case must fail with the right `TemplateError` code (from the reference exception class,
 * or from the table below for Kestra's cases, which record none) and, where the data records it,
 * with Kestra's own message. `jsonContextLossy` cases run with the context Jackson would read
 * (their JSON.parse run is reported apart, in the summary). Anything skipped is in SKIP, with why.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJson } from '../../src/engine/builtins/kestra/json.js';
import { TemplateError, type TemplateErrorCode } from '../../src/engine/errors.js';
import { createEngine, jqReady } from '../../src/index.js';

interface Case {
  id: string;
  template: string;
  context?: Record<string, unknown>;
  expect?: string;
  error?: boolean;
  errorClass?: string;
  oracleError?: string;
  kestraMessage?: string;
  errorContains?: string;
  jsonContextLossy?: boolean;
  jacksonContext?: Record<string, unknown>;
}

const FILES = ['pebble.public.jsonl', 'kestra.public.jsonl', 'kestra-ext.public.jsonl'] as const;

/** Cases not run, each with the reason. Empty today: every case passes. */
const SKIP: Readonly<Record<string, string>> = {};

/** The code an error case must fail with, by the reference engine's exception class. */
const CODE_BY_CLASS: Readonly<Record<string, TemplateErrorCode>> = {
  'io.pebbletemplates.pebble.error.ParserException': 'PARSE_ERROR',
  'io.pebbletemplates.pebble.error.RootAttributeNotFoundException': 'UNDEFINED_VARIABLE',
  'io.pebbletemplates.pebble.error.AttributeNotFoundException': 'UNDEFINED_ATTRIBUTE',
  'java.lang.ClassCastException': 'TYPE_ERROR',
  'java.lang.NullPointerException': 'TYPE_ERROR',
  'java.lang.StringIndexOutOfBoundsException': 'TYPE_ERROR',
  'java.lang.IllegalArgumentException': 'FUNCTION_ERROR',
};

/** A plain `PebbleException` covers several kinds of failure: its message says which. */
const PEBBLE_EXCEPTION_CODES: readonly [RegExp, TemplateErrorCode][] = [
  [/^PebbleException: Filter \[\w+\] does not exist/, 'UNKNOWN_FILTER'],
  [/^PebbleException: (toIndex must be|'number' filter can only be applied)/, 'FUNCTION_ERROR'],
  [
    /^PebbleException: (Could not perform|Unsupported input type|Slice filter can only|The 'abs' filter|The input for the 'NumberFormat'|null value used in|Not an iterable object|Wrong operand)/,
    'TYPE_ERROR',
  ],
];

/** Kestra's cases record no exception class: the code each must fail with. */
const KESTRA_CODES: Readonly<Record<string, TemplateErrorCode>> = {
  'kestra-coalescing-003': 'UNDEFINED_VARIABLE',
  'kestra-errors-002': 'UNDEFINED_VARIABLE',
  'kestra-errors-004': 'UNDEFINED_VARIABLE',
  'kestra-errors-006': 'PARSE_ERROR',
  'kestra-errors-007': 'UNDEFINED_VARIABLE',
  'kestra-errors-008': 'UNDEFINED_ATTRIBUTE',
  'kestra-render-019': 'LIMIT_EXCEEDED',
  'kestra-render-026': 'FUNCTION_ERROR',
  'kestra-jq-024': 'FUNCTION_ERROR',
  'kestra-datetime-037': 'TYPE_ERROR',
  'kestra-collections-014': 'FUNCTION_ERROR',
  'kestra-strings-026': 'FUNCTION_ERROR',
  'kestra-ion-006': 'PARSE_ERROR',
  'kestra-ion-010': 'FUNCTION_ERROR',
  'kestra-misc-002': 'FUNCTION_ERROR',
  'kestra-misc-003': 'FUNCTION_ERROR',
  'kestra-misc-005': 'FUNCTION_ERROR',
};

function expectedCode(c: Case): TemplateErrorCode {
  const byId = KESTRA_CODES[c.id];
  if (byId !== undefined) return byId;
  if (c.errorClass === 'io.pebbletemplates.pebble.error.PebbleException') {
    const found = PEBBLE_EXCEPTION_CODES.find(([pattern]) => pattern.test(c.oracleError ?? ''));
    if (found !== undefined) return found[1];
  }
  const code = c.errorClass === undefined ? undefined : CODE_BY_CLASS[c.errorClass];
  if (code === undefined)
    throw new Error(`${c.id}: no expected code for ${c.errorClass ?? 'a case without errorClass'}; classify it above`);
  return code;
}

const here = dirname(fileURLToPath(import.meta.url));

function loadCases(file: string): Case[] {
  return readFileSync(join(here, 'data', file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const c = JSON.parse(line) as Case;
      // The same context as Jackson reads it (10.0 stays a Double, big integers stay exact).
      c.jacksonContext = (parseJson(line) as Case).context;
      // The Pebble file flags these cases; the Kestra files do not, so find them ourselves.
      if (!file.startsWith('pebble') && contextIsLossy(line)) c.jsonContextLossy = true;
      return c;
    });
}

/**
 * True when the raw `"context"` JSON holds a number that JSON.parse cannot carry with its Java
 * type: a double with a zero fraction (`10.0`, which Jackson keeps as a double) or an integer
 * beyond 2^53.
 */
function contextIsLossy(line: string): boolean {
  const at = line.indexOf('"context":');
  if (at === -1) return false;
  let i = line.indexOf('{', at);
  if (i === -1) return false;
  let depth = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) if (line[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (--depth === 0) return false;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(line.slice(i))!;
      const text = m[0];
      if (/\.0+$/.test(text) || (!m[1] && !m[2] && !Number.isSafeInteger(Number(text)))) return true;
      i += text.length - 1;
    }
  }
  return false;
}

/** The render's outcome: the output, or the error it threw. */
async function outcome(c: Case, context: Record<string, unknown> | undefined): Promise<{ out?: string; error?: unknown }> {
  try {
    return { out: await createEngine().render(c.template, context ?? {}) };
  } catch (error) {
    return { error };
  }
}

const lossyWithJsonParse: string[] = [];

beforeAll(() => jqReady());
afterAll(() => {
  if (lossyWithJsonParse.length > 0)
    console.log(`jsonContextLossy cases that differ with a JSON.parse context (reported apart): ${lossyWithJsonParse.join(', ')}`);
});

describe.each(FILES)('conformance %s', (file) => {
  const cases = loadCases(file);
  const run = cases.filter((c) => SKIP[c.id] === undefined);
  const skipped = cases.filter((c) => SKIP[c.id] !== undefined);

  test.each(run.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    // A lossy case is checked with the context Kestra would have had; the JSON.parse run is only reported.
    const { out, error } = await outcome(c, c.jsonContextLossy === true ? c.jacksonContext : c.context);
    if (c.jsonContextLossy === true) {
      const plain = await outcome(c, c.context);
      if (plain.out !== c.expect || plain.error !== undefined) lossyWithJsonParse.push(c.id);
    }
    if (c.error !== true) {
      expect(error === undefined ? undefined : String(error)).toBeUndefined();
      expect(out).toBe(c.expect);
      return;
    }
    expect(out).toBeUndefined();
    expect(error).toBeInstanceOf(TemplateError);
    const e = error as TemplateError;
    expect(e.code).toBe(expectedCode(c));
    if (c.kestraMessage !== undefined) expect(e.message).toBe(c.kestraMessage);
    if (c.errorContains !== undefined) expect(e.message).toContain(c.errorContains);
  });

  if (skipped.length > 0) test.skip.each(skipped.map((c) => [c.id, SKIP[c.id]!] as const))('%s (skipped: %s)', () => undefined);
});

test('every SKIP entry names an existing case', () => {
  const ids = new Set(FILES.flatMap((file) => loadCases(file).map((c) => c.id)));
  expect(Object.keys(SKIP).filter((id) => !ids.has(id))).toEqual([]);
});

test('Kestra’s messages are asserted for every case that records one', () => {
  const recorded = FILES.flatMap((file) => loadCases(file)).filter((c) => c.kestraMessage !== undefined);
  expect(recorded).toHaveLength(18);
});
