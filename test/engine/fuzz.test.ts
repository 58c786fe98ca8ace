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

/**
 * Resource exhaustion, generated: a seed grown by a random chain of operations in (nested) loops,
 * then consumed by a random sink. Every template must end within its budget with a result or a
 * TemplateError (LIMIT_EXCEEDED or another code), in renderSync and render alike, never with a
 * RangeError, an out-of-memory or a hang. The engine's budgets are small so that each run is short.
 */
describe('fuzz: resource exhaustion', () => {
  const bounded = createEngine({
    maxSteps: 200_000,
    maxRenderTime: 3_000,
    maxStringLength: 1_000_000,
    maxCollectionSize: 100_000,
    maxRenderedSize: 1_000_000,
    maxRangeSize: 100_000,
    maxRegexTime: 300,
    maxJqTime: 300,
  });
  const SEEDS = ['[1]', "'ab'", '{"a": 1}', '[x, x]', 'range(1, 50)', '"#{x}"'];
  const GROW = [
    'x + x',
    '[x, x]',
    'x ~ x',
    '{"a": x, "b": x}',
    'x | merge(x)',
    'x + [x]',
    '"#{x}#{x}"',
    "x | join(',')",
    'x | toJson',
    "x | replace({'a': 'aa'})",
    "x | split('')",
    'x | flatten',
    'x | distinct',
    'x | sort',
    'range(1, i * 1000)',
    'x | keys',
    "x | jq('[., .]')",
    'x | yaml',
  ];
  const SINKS = [
    'x | length',
    'x',
    "x ~ ''",
    'x | toJson',
    'x == x',
    '[x] contains x',
    'x | distinct | length',
    "x | jq('length')",
    'x | yaml',
  ];
  const LOOPS = ['1..5', '1..40', '1..100000', 'range(1, 100000)'];

  const template = fc
    .record({
      seed: fc.constantFrom(...SEEDS),
      outer: fc.constantFrom(...LOOPS),
      inner: fc.option(fc.constantFrom(...LOOPS), { nil: undefined }),
      grow: fc.array(fc.constantFrom(...GROW), { minLength: 1, maxLength: 3 }),
      sink: fc.constantFrom(...SINKS),
    })
    .map(({ seed, outer, inner, grow, sink }) => {
      const body = grow.map((g) => `{% set x = ${g} %}`).join('');
      const loop = inner === undefined ? body : `{% for j in ${inner} %}${body}{% endfor %}`;
      return `{% set x = ${seed} %}{% for i in ${outer} %}${loop}{% endfor %}{{ ${sink} }}`;
    });

  async function endsWithinBudget(t: string, mode: 'sync' | 'async'): Promise<void> {
    const started = Date.now();
    try {
      const out = mode === 'sync' ? bounded.renderSync(t, { x: 'seed' }) : await bounded.render(t, { x: 'seed' });
      expect(typeof out).toBe('string');
    } catch (e) {
      if (!(e instanceof TemplateError)) throw new Error(`${String(e)} for template ${JSON.stringify(t)}`);
    }
    // The time budget is 3 s; the rest is slack for a loaded machine (a hang would be hours).
    expect(Date.now() - started).toBeLessThan(45_000);
  }

  it('ends every generated template within its budget', async () => {
    await fc.assert(
      fc.asyncProperty(template, fc.constantFrom<'sync' | 'async'>('sync', 'async'), async (t, mode) => endsWithinBudget(t, mode)),
      { numRuns: 80, seed: 9 },
    );
  }, 600_000);
});
