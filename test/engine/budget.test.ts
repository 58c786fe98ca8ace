/**
 * The render budget (issue 9): steps, time, sizes and the abort signal, enforced by the evaluator
 * in render() and renderSync() alike, each failure a LIMIT_EXCEEDED that names its limit.
 * No assertion here depends on how fast the machine is: budgets are counted, and the time limits
 * used are far below how long the templates would run without them.
 */
import { jest } from '@jest/globals';
import { createEngine } from '../../src/index.js';
import type { TemplateEngine } from '../../src/engine/engine.js';
import { LimitExceededError, TemplateError } from '../../src/engine/errors.js';
import type { RenderScope } from '../../src/engine/extension.js';

jest.setTimeout(120_000);

type Mode = 'sync' | 'async';
const MODES: Mode[] = ['sync', 'async'];

async function failure(engine: TemplateEngine, mode: Mode, template: string, scope?: RenderScope, context = {}): Promise<TemplateError> {
  let result: unknown;
  try {
    const out = mode === 'sync' ? engine.renderSync(template, context, scope) : await engine.render(template, context, scope);
    result = new Error(`rendered ${out.length} characters`);
  } catch (e) {
    result = e;
  }
  if (!(result instanceof TemplateError)) throw result;
  return result;
}

async function expectLimit(
  engine: TemplateEngine,
  mode: Mode,
  template: string,
  limit: string,
  scope?: RenderScope,
): Promise<TemplateError> {
  const e = await failure(engine, mode, template, scope);
  expect(e.code).toBe('LIMIT_EXCEEDED');
  expect(e).toBeInstanceOf(LimitExceededError);
  expect((e as LimitExceededError).limit).toBe(limit);
  expect(e.message).toContain(limit);
  return e;
}

const engine = createEngine();

describe.each(MODES)('render budget (%s)', (mode) => {
  it('stops two nested loops over 1..1000000 at maxSteps', async () => {
    // Without a time limit, so that a slow machine still reaches the step limit first; the default
    // limit (10 000 000) in one mode, a tenth of it in the other to keep the suite short.
    const maxSteps = mode === 'sync' ? undefined : 1_000_000;
    const e = await expectLimit(engine, mode, '{% for i in 1..1000000 %}{% for j in 1..1000000 %}{% endfor %}{% endfor %}', 'maxSteps', {
      limits: { maxRenderTime: Infinity, ...(maxSteps === undefined ? {} : { maxSteps }) },
    });
    expect(e.message).toContain(`${maxSteps ?? 10_000_000} evaluation steps`);
    expect(e.line).toBe(1);
  });

  it('counts calls as steps too (an exponential macro)', async () => {
    const small = createEngine({ maxSteps: 10_000 });
    await expectLimit(
      small,
      mode,
      '{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}',
      'maxSteps',
    );
  });

  it('takes limits from the engine and, per render, from RenderScope.limits', async () => {
    const t = '{% for i in 1..1000 %}{{ i | abs }}{% endfor %}';
    const tight = createEngine({ maxSteps: 500 });
    await expectLimit(tight, mode, t, 'maxSteps');
    const out =
      mode === 'sync' ? tight.renderSync(t, {}, { limits: { maxSteps: 5000 } }) : await tight.render(t, {}, { limits: { maxSteps: 5000 } });
    expect(out.length).toBeGreaterThan(1000);
    await expectLimit(engine, mode, t, 'maxSteps', { limits: { maxSteps: 100 } });
  });

  it('counts nested render() calls against the root render', async () => {
    const t = "{% for i in 1..100 %}{{ render('{% for j in 1..100 %}{{ j }}{% endfor %}') }}{% endfor %}";
    await expectLimit(engine, mode, t, 'maxSteps', { limits: { maxSteps: 5000 } });
  });

  it('stops at maxRenderTime when steps are unlimited', async () => {
    const started = Date.now();
    await expectLimit(engine, mode, '{% for i in 1..1000000 %}{% for j in 1..1000000 %}{% endfor %}{% endfor %}', 'maxRenderTime', {
      limits: { maxSteps: Infinity, maxRenderTime: 300 },
    });
    // 10^12 iterations would take hours; the bound only has to be far from that.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it.each([
    ['a list doubled with +', '{% set l = [1] %}{% for i in 1..30 %}{% set l = l + l %}{% endfor %}{{ l | length }}'],
    ['a list nested in itself twice', '{% set l = [1] %}{% for i in 1..40 %}{% set l = [l, l] %}{% endfor %}{{ l | length }}'],
    ['a map nested twice', '{% set m = {"a": 1} %}{% for i in 1..40 %}{% set m = {"x": m, "y": m} %}{% endfor %}{{ m | length }}'],
    ['a map merged with itself', '{% set m = {"a": 1} %}{% for i in 1..40 %}{% set m = m | merge({"x" ~ i: m, "y" ~ i: m}) %}{% endfor %}'],
    ['a list merged with itself', '{% set l = [1] %}{% for i in 1..30 %}{% set l = l | merge(l) %}{% endfor %}'],
    ['a range per iteration kept', '{% set l = [] %}{% for i in 1..100 %}{% set l = l + range(1, 100000) %}{% endfor %}'],
  ])('refuses %s at maxCollectionSize', async (_name, t) => {
    await expectLimit(engine, mode, t, 'maxCollectionSize', { limits: { maxRenderTime: Infinity } });
  });

  it.each([
    ['~', "{% set s = 'ab' %}{% for i in 1..40 %}{% set s = s ~ s %}{% endfor %}{{ s | length }}"],
    ['+', "{% set s = 'ab' %}{% for i in 1..40 %}{% set s = s + s %}{% endfor %}{{ s | length }}"],
    ['interpolation', '{% set s = "ab" %}{% for i in 1..40 %}{% set s = "#{s}#{s}" %}{% endfor %}{{ s | length }}'],
    ['concat()', "{% set s = 'ab' %}{% for i in 1..40 %}{% set s = s.concat(s) %}{% endfor %}{{ s | length }}"],
    ['join', "{% set l = ['ab'] %}{% for i in 1..40 %}{% set l = [l | join(''), l | join('')] %}{% endfor %}"],
    ['replace', "{% set s = 'aa' %}{% for i in 1..40 %}{% set s = s | replace({'a': 'aa'}) %}{% endfor %}"],
  ])('refuses a string doubled 40 times through %s at maxStringLength (not V8’s “Invalid string length”)', async (op, t) => {
    // The default limit (16 Mi characters) through ~; a smaller one elsewhere keeps the suite short.
    const limits = op === '~' ? { maxRenderTime: Infinity } : { maxRenderTime: Infinity, maxStringLength: 1_000_000 };
    const e = await expectLimit(engine, mode, t, 'maxStringLength', { limits });
    expect(e.message).not.toContain('Invalid string length');
  });

  it('refuses a macro that recurses forever at maxMacroDepth, and render() cycles at maxNestedRenderDepth', async () => {
    await expectLimit(engine, mode, '{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}', 'maxMacroDepth');
    const e = await failure(engine, mode, '{{ render(t) }}', undefined, { t: '{{ render(t) }}' });
    expect((e as LimitExceededError).limit).toBe('maxNestedRenderDepth');
  });

  it('refuses range abuse: too long a range, and a long one built again and again', async () => {
    await expectLimit(engine, mode, '{{ range(0, 100000000) | length }}', 'maxRangeSize');
    await expectLimit(engine, mode, '{% for i in 1..100000 %}{% set r = range(0, 999999) %}{% endfor %}', 'maxRenderTime', {
      limits: { maxRenderTime: 300 },
    });
  });

  it('stops printing a list that holds itself twice (valueWalk) instead of walking 2^200 paths', async () => {
    await expectLimit(engine, mode, '{% set l = [1] %}{% set l = l + [l, l] %}{{ l ~ "" }}', 'valueWalk');
    // As JSON, Jackson's depth limit comes first.
    await expectLimit(engine, mode, '{% set l = [1] %}{% set l = l + [l, l] %}{{ l }}', 'nesting');
  });

  it('stops comparing two lists that share a list 2^18 times, grown after they were built', async () => {
    const t =
      '{% set x = [] %}{% set y = [] %}{% set a = x %}{% set b = y %}' +
      '{% for i in 1..18 %}{% set a = [a, a] %}{% set b = [b, b] %}{% endfor %}' +
      '{% set x = x + range(1, 1000) %}{% set y = y + range(1, 1000) %}{{ a == b }}';
    await expectLimit(engine, mode, t, 'valueWalk');
  });

  it('leaves ordinary templates alone', async () => {
    const t = '{% for i in 1..1000 %}{{ [i, i * 2] | join("-") }},{% endfor %}{{ range(1, 100000) | length }}';
    const out = mode === 'sync' ? engine.renderSync(t) : await engine.render(t);
    expect(out.endsWith('100000')).toBe(true);
  });
});

describe('limits are validated', () => {
  it('refuses a negative or non-numeric limit', async () => {
    await expect(engine.render('{{ 1 }}', {}, { limits: { maxSteps: -1 } })).rejects.toMatchObject({ code: 'TYPE_ERROR' });
    expect(() => createEngine({ maxStringLength: Number.NaN })).toThrow(TemplateError);
  });
});

describe('abort signal and timeouts stop CPU-bound renders', () => {
  it('a timer aborts an async render that never awaits anything (the evaluator yields to the event loop)', async () => {
    // A plain timer rather than AbortSignal.timeout(), whose internal timer keeps jest's worker from exiting promptly.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 200);
    const e = await failure(engine, 'async', '{% for i in 1..1000000 %}{% for j in 1..1000000 %}{% endfor %}{% endfor %}', {
      signal: controller.signal,
      limits: { maxSteps: Infinity, maxRenderTime: Infinity },
    }).finally(() => clearTimeout(timer));
    expect(e.code).toBe('ABORTED');
  });

  it('an async render yields after building a large value, not only every 64 steps', async () => {
    // slow() holds the thread for 15 ms, more than the 10 ms slice; range(0, 99999) is a large value.
    const busy = createEngine({
      extensions: [
        {
          functions: {
            slow: {
              call: () => {
                const end = performance.now() + 15;
                while (performance.now() < end);
                return '';
              },
            },
          },
        },
      ],
    });
    const turnsDuring = async (template: string): Promise<number> => {
      let turns = 0;
      let done = false;
      const spin = (): void => {
        turns++;
        if (!done) setImmediate(spin);
      };
      setImmediate(spin);
      const start = turns;
      await busy.render(template).finally(() => (done = true));
      return turns - start;
    };
    // Ten steps, no large value: the render never reaches a checkpoint, so it never yields.
    expect(await turnsDuring('{% for i in 1..5 %}{{ slow() }}{% endfor %}')).toBeLessThanOrEqual(1);
    // The same with a large value per iteration: the step after it is a checkpoint, and it yields.
    // (Five yields, but a loaded machine can run two of them in one check phase: at least two turns
    // is what no yield at all could not give.)
    expect(await turnsDuring('{% for i in 1..5 %}{{ slow() }}{% set r = range(0, 99999) %}{% endfor %}')).toBeGreaterThanOrEqual(2);
  });

  it('an aborted signal stops a render at its next checkpoint', async () => {
    const controller = new AbortController();
    controller.abort();
    const e = await failure(engine, 'async', '{% for i in 1..1000 %}{{ i }}{% endfor %}', { signal: controller.signal });
    expect(e.code).toBe('ABORTED');
  });
});
