/**
 * Built-ins that could run forever are bounded (issue 9): catastrophic regular expressions, jq
 * programs that never end or eat memory, billion-laughs YAML, quadratic collection operations.
 * Each attack ends with a result or a LIMIT_EXCEEDED naming its limit; the bounds on elapsed time
 * only separate "ends" from "hangs" (the attacks would run for hours), so load cannot make them flaky.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../src/index.js';
import type { TemplateEngine } from '../../src/engine/engine.js';
import { LimitExceededError, TemplateError } from '../../src/engine/errors.js';
import { compileRegex, runsInLinearTime } from '../../src/engine/regex.js';
import { runTs } from '../support/cli.js';

jest.setTimeout(180_000);

type Mode = 'sync' | 'async';
const MODES: Mode[] = ['sync', 'async'];
const HANG = 60_000;

async function outcome(
  engine: TemplateEngine,
  mode: Mode,
  template: string,
  context: Record<string, unknown> = {},
): Promise<string | TemplateError> {
  const started = Date.now();
  try {
    return mode === 'sync' ? engine.renderSync(template, context) : await engine.render(template, context);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return e;
  } finally {
    expect(Date.now() - started).toBeLessThan(HANG);
  }
}

function expectLimit(result: string | TemplateError, limit: string): LimitExceededError {
  if (!(result instanceof LimitExceededError)) throw new Error(`expected LIMIT_EXCEEDED (${limit}), got ${String(result)}`);
  expect(result.code).toBe('LIMIT_EXCEEDED');
  expect(result.limit).toBe(limit);
  expect(result.message).toContain(`(limit ${limit})`);
  return result;
}

const CATASTROPHIC_INPUT = 'a'.repeat(40) + '!';

describe.each(MODES)('regular expressions (%s)', (mode) => {
  const engine = createEngine({ maxRegexTime: 500 });

  it('answers a catastrophic pattern V8 can run in linear time, with the same result', async () => {
    expect(runsInLinearTime(compileRegex('(a+)+$', 'g'))).toBe(true);
    expect(await outcome(engine, mode, "{{ s | split('(a+)+$') }}", { s: CATASTROPHIC_INPUT })).toBe(`["${CATASTROPHIC_INPUT}"]`);
    expect(await outcome(engine, mode, "{{ s | replace({'(a+)+$': 'x'}, regexp=true) }}", { s: CATASTROPHIC_INPUT })).toBe(
      CATASTROPHIC_INPUT,
    );
    expect(await outcome(engine, mode, "{{ s | replace({'(a|aa)+b': 'x'}, regexp=true) }}", { s: CATASTROPHIC_INPUT })).toBe(
      CATASTROPHIC_INPUT,
    );
    // The same patterns still match where they should.
    expect(await outcome(engine, mode, "{{ 'xaaa' | replace({'(a+)+$': '<$1>'}, regexp=true) }}")).toBe('x<aaa>');
  });

  it('cuts off a catastrophic pattern V8 cannot run in linear time at maxRegexTime', async () => {
    for (const pattern of ['(?=(a+)+$)', '(?i)(a+)+$', '^(a+)+\\1$']) {
      expect(runsInLinearTime(compileRegex(pattern.replace('(?i)', ''), pattern.startsWith('(?i)') ? 'gi' : 'g'))).toBe(false);
    }
    expectLimit(await outcome(engine, mode, "{{ s | split('(?=(a+)+$)') }}", { s: CATASTROPHIC_INPUT }), 'maxRegexTime');
    // Java's MULTILINE `$` needs a lookaround. (`(?i)` no longer does: it becomes case-folded classes.)
    expectLimit(
      await outcome(engine, mode, "{{ s | replace({'(?m)(a+)+$': 'x'}, regexp=true) }}", { s: CATASTROPHIC_INPUT }),
      'maxRegexTime',
    );
    expect(await outcome(engine, mode, "{{ s | replace({'(?i)(a+)+$': 'x'}, regexp=true) }}", { s: CATASTROPHIC_INPUT })).toBe(
      CATASTROPHIC_INPUT,
    );
  });

  it('gives the right answers for patterns that run off-thread (backreferences, lookarounds, case-insensitive)', async () => {
    expect(await outcome(engine, mode, "{{ 'Hello World' | replace({'(?i)O': '0'}, regexp=true) }}")).toBe('Hell0 W0rld');
    // Pebble string literals keep backslashes as they are: `\1` in the template is a backreference.
    expect(await outcome(engine, mode, "{{ 'aabbcd' | replace({'(\\w)\\1': '<$1>'}, regexp=true) }}")).toBe('<a><b>cd');
    expect(await outcome(engine, mode, "{{ 'a1b2c3' | split('(?<=\\d)') }}")).toBe('["a1","b2","c3"]');
    expect(await outcome(engine, mode, "{{ {'k': ['xAx', 'y']} | replace({'(?i)a': '-'}, regexp=true) }}")).toBe('{"k":["x-x","y"]}');
  });
});

describe.each(MODES)('jq (%s)', (mode) => {
  const engine = createEngine({ maxJqTime: 500 });

  it.each(['repeat(.)', '[repeat(.)]', 'def f: f; f', 'last(range(1e12))'])('cuts off %s at maxJqTime', async (program) => {
    const e = expectLimit(await outcome(engine, mode, `{{ m | jq('${program}') }}`, { m: { a: 1 } }), 'maxJqTime');
    expect(e.message).toContain(program);
    // The next call gets a fresh thread.
    expect(await outcome(engine, mode, "{{ m | jq('.a') | first }}", { m: { a: 1 } })).toBe('1');
  });

  it('keeps jq within the render’s own time', async () => {
    const e = await outcome(engine, mode, "{{ m | jq('def f: f; f') }}", { m: {} });
    expect(e).toBeInstanceOf(LimitExceededError);
  });
});

describe('jq worker thread', () => {
  it('keeps a script alive while it awaits jqReady(), and lets it exit once idle', async () => {
    // The threads are unreferenced when idle (they never keep a process alive): a script whose only
    // pending work is `await jqReady()` must still get its answer, then end by itself.
    const dir = mkdtempSync(join(tmpdir(), 'pebbleflow-jq-ready-'));
    const script = join(dir, 'ready.mts');
    const index = new URL('../../src/index.js', import.meta.url).href;
    writeFileSync(
      script,
      `import { jqReady, createEngine } from ${JSON.stringify(index)};\n` +
        `await jqReady();\n` +
        `console.log(await createEngine().render("{{ {'a': 1} | jq('.a') | first }}"));\n`,
    );
    const result = await runTs(script, [], { timeoutMs: 90_000 });
    expect(result).toMatchObject({ code: 0, stdout: '1\n' });
  });
});

describe('jq memory', () => {
  it('stops a program that allocates without end at 256 MB (jqMemory), then works again', async () => {
    const engine = createEngine({ maxJqTime: 120_000, maxRenderTime: Infinity });
    expectLimit(await outcome(engine, 'sync', "{{ 1 | jq('[range(1e9)] | length') }}"), 'jqMemory');
    expect(await outcome(engine, 'async', "{{ 1 | jq('. + 1') | first }}")).toBe('2');
  });
});

describe.each(MODES)('yaml() and fromJson() (%s)', (mode) => {
  const engine = createEngine();
  const laughs = (() => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    return lines.join('\n');
  })();

  it('fails fast on a billion-laughs document', async () => {
    const e = expectLimit(await outcome(engine, mode, '{{ yaml(doc) | length }}', { doc: laughs }), 'maxCollectionSize');
    expect(e.message).toContain('aliases');
  });

  it('reads a document with many aliases in linear time', async () => {
    const doc = 'anchor: &x 1\nitems:\n' + Array.from({ length: 50_000 }, () => '  - *x').join('\n');
    expect(await outcome(engine, mode, '{{ yaml(doc).items | length }}', { doc })).toBe('50000');
  });

  it('refuses an alias that contains itself', async () => {
    const e = await outcome(engine, mode, '{{ yaml(doc) }}', { doc: 'a: &a [1, *a]' });
    expect(e).toBeInstanceOf(TemplateError);
  });

  it('refuses JSON nested deeper than Jackson allows', async () => {
    const e = await outcome(engine, mode, '{{ fromJson(doc) }}', { doc: '['.repeat(5000) + ']'.repeat(5000) });
    expect(e).toBeInstanceOf(TemplateError);
    expect((e as TemplateError).message).toContain('nesting depth');
  });
});

describe.each(MODES)('collections (%s)', (mode) => {
  const engine = createEngine();
  // Pairwise, 60 000 maps make 1.8 billion comparisons (minutes); hashed, a fraction of a second.
  const many = Array.from({ length: 60_000 }, (_, i) => ({ id: i % 45_000, tags: [`t${(i % 45_000) % 7}`] }));

  it('distinct, list - list and contains are linear, as Java’s hash-based collections are', async () => {
    expect(await outcome(engine, mode, '{{ items | distinct | length }}', { items: many })).toBe('45000');
    expect(await outcome(engine, mode, '{{ (items - items) | length }}', { items: many })).toBe('0');
    expect(await outcome(engine, mode, '{{ items contains others }}', { items: many, others: many.slice(0, 30_000) })).toBe('true');
    expect(await outcome(engine, mode, '{{ items contains [{"id": 1}] }}', { items: many })).toBe('false');
  });

  it('keeps Java equality: Integer and Long differ, maps ignore key order', async () => {
    const ints = Array.from({ length: 200 }, (_, i) => i);
    expect(await outcome(engine, mode, '{{ (ints + [1, 2]) | distinct | length }}', { ints })).toBe('202');
    const maps = Array.from({ length: 200 }, (_, i) => ({ a: i, b: 'x' }));
    expect(await outcome(engine, mode, '{{ (maps - [{"b": "x", "a": 1}]) | length }}', { maps })).toBe('200');
    expect(await outcome(engine, mode, '{{ (maps - others) | length }}', { maps, others: [{ b: 'x', a: 1 }] })).toBe('199');
  });
});
