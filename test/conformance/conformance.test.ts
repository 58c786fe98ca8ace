/**
 * Runs the conformance cases recorded from the reference engines (Pebble 3.2.2 configured as
 * Kestra configures it, and Kestra's own tests) through `createEngine().render`.
 * Prints the pass count per file and every failing id; `jsonContextLossy` cases are reported apart.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, TemplateError } from '../../src/index.js';

interface Case {
  id: string;
  template: string;
  context?: Record<string, unknown>;
  expect?: string;
  error?: boolean;
  errorContains?: string;
  jsonContextLossy?: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));

export function loadCases(file: string): Case[] {
  return readFileSync(join(here, 'data', file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Case);
}

export interface Outcome {
  id: string;
  ok: boolean;
  lossy: boolean;
  detail: string;
}

export async function runCase(c: Case): Promise<Outcome> {
  const engine = createEngine();
  const lossy = c.jsonContextLossy === true;
  try {
    const out = await engine.render(c.template, c.context ?? {});
    if (c.error) return { id: c.id, ok: false, lossy, detail: `expected an error, got ${JSON.stringify(out)}` };
    return { id: c.id, ok: out === c.expect, lossy, detail: out === c.expect ? '' : `expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(out)}` };
  } catch (e) {
    if (!(e instanceof TemplateError)) return { id: c.id, ok: false, lossy, detail: `non-TemplateError thrown: ${String(e)}` };
    if (!c.error) return { id: c.id, ok: false, lossy, detail: `unexpected error: ${e.message}` };
    if (c.errorContains && !e.message.includes(c.errorContains)) {
      return { id: c.id, ok: false, lossy, detail: `error "${e.message}" does not contain "${c.errorContains}"` };
    }
    return { id: c.id, ok: true, lossy, detail: '' };
  }
}

describe.each(['pebble.public.jsonl', 'kestra.public.jsonl', 'kestra-ext.public.jsonl'])('conformance %s', (file) => {
  it('passes every case', async () => {
    const cases = loadCases(file);
    const outcomes: Outcome[] = [];
    for (const c of cases) outcomes.push(await runCase(c));
    const counted = outcomes.filter((o) => !o.lossy);
    const lossy = outcomes.filter((o) => o.lossy);
    const failing = counted.filter((o) => !o.ok);
    const summary = [
      `${file}: ${counted.length - failing.length}/${counted.length} passed` +
        (lossy.length > 0 ? `; jsonContextLossy (reported apart): ${lossy.filter((o) => o.ok).length}/${lossy.length} passed` : ''),
      ...failing.map((o) => `  FAIL ${o.id}: ${o.detail}`),
      ...lossy.filter((o) => !o.ok).map((o) => `  lossy ${o.id}: ${o.detail}`),
    ].join('\n');
    console.log(summary);
    expect(failing.map((o) => `${o.id}: ${o.detail}`)).toEqual([]);
  });
});
