/**
 * The Kestra conformance files run through `createEngine()` with Kestra's extension
 * registered explicitly (harmless once createEngine registers it by default), contexts read
 * losslessly.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, TemplateError } from '../../src/index.js';
import { jqReady, kestraExtension } from '../../src/engine/builtins/kestra/index.js';
import { parseJson } from '../../src/engine/builtins/kestra/json.js';

interface Case {
  id: string;
  template: string;
  context?: Record<string, unknown>;
  expect?: string;
  error?: boolean;
  errorContains?: string;
}

const here = dirname(fileURLToPath(import.meta.url));

function load(file: string): Case[] {
  return readFileSync(join(here, '..', 'conformance', 'data', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    // Contexts are read as Jackson reads them (10.0 stays a Double), as the data README asks.
    .map((l) => parseJson(l) as Case);
}

beforeAll(() => jqReady());

describe.each(['kestra.public.jsonl', 'kestra-ext.public.jsonl'])('%s', (file) => {
  it('passes every case', async () => {
    const engine = createEngine({ extensions: [kestraExtension()] });
    const failures: string[] = [];
    const cases = load(file);
    for (const c of cases) {
      try {
        const out = await engine.render(c.template, c.context ?? {});
        if (c.error) failures.push(`${c.id}: expected an error, got ${JSON.stringify(out)}`);
        else if (out !== c.expect) failures.push(`${c.id}: expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(out)}`);
      } catch (e) {
        if (!(e instanceof TemplateError)) failures.push(`${c.id}: non-TemplateError ${String(e)}`);
        else if (!c.error) failures.push(`${c.id}: unexpected error ${e.message}`);
        else if (c.errorContains !== undefined && !e.message.includes(c.errorContains)) failures.push(`${c.id}: "${e.message}" lacks "${c.errorContains}"`);
      }
    }
    console.log(`${file}: ${cases.length - failures.length}/${cases.length} passed\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
  });
});
