/**
 * Runs the conformance cases recorded from the reference engines (Pebble 3.2.2 configured as
 * Kestra configures it, and Kestra's own tests) through `createEngine().render`.
 * Prints the pass count per file and every failing id; `jsonContextLossy` cases are reported apart.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, jqReady } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';
import { parseJson } from '../../src/engine/builtins/kestra/json.js';

interface Case {
  id: string;
  template: string;
  context?: Record<string, unknown>;
  expect?: string;
  error?: boolean;
  errorContains?: string;
  jsonContextLossy?: boolean;
  jacksonContext?: Record<string, unknown>;
}

const here = dirname(fileURLToPath(import.meta.url));

export function loadCases(file: string): Case[] {
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
export function contextIsLossy(line: string): boolean {
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

export interface Outcome {
  id: string;
  ok: boolean;
  lossy: boolean;
  detail: string;
}

export async function runCase(c: Case, context = c.context): Promise<Outcome> {
  const engine = createEngine();
  const lossy = c.jsonContextLossy === true;
  try {
    const out = await engine.render(c.template, context ?? {});
    if (c.error) return { id: c.id, ok: false, lossy, detail: `expected an error, got ${JSON.stringify(out)}` };
    return {
      id: c.id,
      ok: out === c.expect,
      lossy,
      detail: out === c.expect ? '' : `expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(out)}`,
    };
  } catch (e) {
    if (!(e instanceof TemplateError)) return { id: c.id, ok: false, lossy, detail: `non-TemplateError thrown: ${String(e)}` };
    if (!c.error) return { id: c.id, ok: false, lossy, detail: `unexpected error: ${e.message}` };
    if (c.errorContains && !e.message.includes(c.errorContains)) {
      return { id: c.id, ok: false, lossy, detail: `error "${e.message}" does not contain "${c.errorContains}"` };
    }
    return { id: c.id, ok: true, lossy, detail: '' };
  }
}

beforeAll(() => jqReady());

describe.each(['pebble.public.jsonl', 'kestra.public.jsonl', 'kestra-ext.public.jsonl'])('conformance %s', (file) => {
  it('passes every case', async () => {
    const cases = loadCases(file);
    const outcomes: Outcome[] = [];
    const jackson: Outcome[] = [];
    for (const c of cases) {
      outcomes.push(await runCase(c));
      // A lossy case also runs with the context Kestra would have had: that run must pass.
      if (c.jsonContextLossy) jackson.push(await runCase(c, c.jacksonContext));
    }
    const counted = outcomes.filter((o) => !o.lossy);
    const lossy = outcomes.filter((o) => o.lossy);
    const failing = [...counted, ...jackson].filter((o) => !o.ok);
    const summary = [
      `${file}: ${counted.length - counted.filter((o) => !o.ok).length}/${counted.length} passed` +
        (lossy.length > 0
          ? `; jsonContextLossy: ${lossy.filter((o) => o.ok).length}/${lossy.length} with JSON.parse contexts (reported apart), ` +
            `${jackson.filter((o) => o.ok).length}/${jackson.length} with Jackson-read contexts`
          : ''),
      ...failing.map((o) => `  FAIL ${o.id}: ${o.detail}`),
      ...lossy.filter((o) => !o.ok).map((o) => `  lossy (JSON.parse context) ${o.id}: ${o.detail}`),
    ].join('\n');
    console.log(summary);
    expect(failing.map((o) => `${o.id}: ${o.detail}`)).toEqual([]);
  });
});
