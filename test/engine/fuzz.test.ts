/**
 * Fuzzing the lexer, parser and evaluator: mutated corpus templates and random token soups must
 * render to a string or fail with a TemplateError, quickly. Never a TypeError, a RangeError or a hang.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpus = ['pebble.public.jsonl', 'kestra-ext.public.jsonl']
  .flatMap((f) => readFileSync(join(here, '..', 'conformance', 'data', f), 'utf8').split('\n'))
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { template: string; context: Record<string, unknown> });

const PIECES = [
  '{{',
  '}}',
  '{%',
  '%}',
  '{#',
  '#}',
  '-',
  '"',
  "'",
  '#{',
  '}',
  '{',
  '(',
  ')',
  '[',
  ']',
  '|',
  '.',
  '..',
  '??',
  '???',
  '~',
  ' ',
  '\n',
  'if',
  'endif',
  'for',
  'in',
  'endfor',
  'set',
  '=',
  'macro',
  'endmacro',
  'not',
  'is',
  'x',
  '0',
  '9999999999999999999',
  ',',
  ':',
  '?',
  '\\',
  'raw',
  'endraw',
  'verbatim',
];

const engine = createEngine({ maxRenderedSize: 100_000, maxRangeSize: 10_000 });

async function renderSafely(template: string, context: Record<string, unknown>): Promise<void> {
  const started = Date.now();
  try {
    const out = await engine.render(template, context);
    expect(typeof out).toBe('string');
  } catch (e) {
    if (!(e instanceof TemplateError)) throw new Error(`${String(e)} for template ${JSON.stringify(template)}`);
    expect(typeof e.code).toBe('string');
  }
  expect(Date.now() - started).toBeLessThan(2000);
}

describe('fuzz', () => {
  it('survives mutated corpus templates', async () => {
    const mutation = fc.record({
      at: fc.nat(),
      cut: fc.nat({ max: 4 }),
      insert: fc.array(fc.constantFrom(...PIECES), { maxLength: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: corpus.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (index, mutations) => {
        const { template, context } = corpus[index]!;
        let t = template;
        for (const m of mutations) {
          const at = t.length === 0 ? 0 : m.at % (t.length + 1);
          t = t.slice(0, at) + m.insert.join('') + t.slice(at + m.cut);
        }
        await renderSafely(t, context);
      }),
      { numRuns: 1500, seed: 20261129 },
    );
  });

  it('survives random token soups', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), async (pieces) => {
        await renderSafely(pieces.join(''), { x: [1, 2], y: { z: 'w' } });
      }),
      { numRuns: 1500, seed: 7 },
    );
  });

  it('survives arbitrary unicode text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 60 }), async (s) => {
        await renderSafely(`{{ ${s} }}`, {});
        await renderSafely(s, {});
      }),
      { numRuns: 800, seed: 11 },
    );
  });
});
