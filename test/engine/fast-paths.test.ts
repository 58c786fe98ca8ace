/**
 * The fast paths of issue 13 answer exactly what the general paths answer:
 * - a literal path `a.b[3].c` walked by one closure (plain maps and Java lists read in place);
 * - `??`, `default` and `is defined` on a variable or literal path, which see a missing value
 *   as MISSING instead of catching an exception;
 * - Integer and Long arithmetic without the type dispatch.
 * Each property renders the same expression twice, once in the literal shape the fast path takes
 * and once with the names coming from variables (`a[k1][k2]`), which the compiler cannot walk
 * ahead of time and so evaluates through getAttribute and the caught exception.
 */
import fc from 'fast-check';
import { createEngine } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';
import { arithmetic, integerArithmetic } from '../../src/engine/operations.js';
import { readOwnData } from '../../src/engine/sandbox.js';
import { jsonString, toKestraJson } from '../../src/engine/values.js';

const engine = createEngine();

type Outcome = { ok: string } | { error: string; code: string };

function outcome(template: string, context: Record<string, unknown>): Outcome {
  try {
    return { ok: engine.renderSync(template, context) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { error: e.message, code: e.code };
  }
}

async function outcomeAsync(template: string, context: Record<string, unknown>): Promise<Outcome> {
  try {
    return { ok: await engine.render(template, context) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { error: e.message, code: e.code };
  }
}

/** Data shaped like a flow's outputs: nested maps, lists, nulls, strings, numbers. */
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, 'text', 0, 7, true),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', '0', '3'), tie('v'), { maxKeys: 4 }),
  ),
})).v;

const step = fc.oneof(fc.constantFrom('a', 'b', 'c', 'size'), fc.integer({ min: -1, max: 4 }));

/** `root.a[3].b` (literal) and `root[k0][k1][k2]` (names from variables) for the same path. */
function shapes(path: (string | number)[]): { literal: string; dynamic: string; keys: Record<string, unknown> } {
  const literal = 'root' + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  const dynamic = 'root' + path.map((_p, i) => `[k${i}]`).join('');
  const keys = Object.fromEntries(path.map((p, i) => [`k${i}`, p]));
  return { literal, dynamic, keys };
}

/**
 * Reads one key of every map, as an earlier expression of the render would: a map is verified
 * plain on its first read, and only verified maps take the in-place branch of the fast path.
 */
function touch(v: unknown): void {
  if (Array.isArray(v)) v.forEach(touch);
  else if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    if (keys.length > 0) readOwnData(v, keys[0]!);
    for (const k of keys) touch((v as Record<string, unknown>)[k]);
  }
}

/** The same error up to the echoed template text (Kestra's `…` or Pebble's (… :line)), which differs between the two shapes. */
function comparable(o: Outcome): Outcome {
  return 'ok' in o ? o : { code: o.code, error: o.error.replace(/`\{\{.*\}\}`/s, '`…`').replace(/\(\{\{.*:(\d+)\)$/s, '(…:$1)') };
}

describe('literal paths', () => {
  it('read what getAttribute reads, and fail as it fails', () => {
    fc.assert(
      fc.property(value, fc.array(step, { minLength: 1, maxLength: 4 }), fc.boolean(), (root, path, verified) => {
        if (verified) touch(root);
        const { literal, dynamic, keys } = shapes(path);
        const context = { root, ...keys };
        expect(comparable(outcome(`{{ ${literal} }}`, context))).toEqual(comparable(outcome(`{{ ${dynamic} }}`, context)));
      }),
      { numRuns: 400 },
    );
  });

  it('fall back the same way under ??, ???, default and is defined', async () => {
    const wraps = [
      (x: string) => `{{ ${x} ?? 'fallback' }}`,
      (x: string) => `{{ ${x} ??? 'fallback' }}`,
      (x: string) => `{{ ${x} | default('fallback') }}`,
      (x: string) => `{{ ${x} is defined }}`,
      (x: string) => `{{ ${x} is not defined ? 'no' : 'yes' }}`,
    ];
    await fc.assert(
      fc.asyncProperty(
        value,
        fc.array(step, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...wraps),
        fc.boolean(),
        async (root, path, wrap, verified) => {
          if (verified) touch(root);
          const { literal, dynamic, keys } = shapes(path);
          const context = { root, ...keys };
          const expected = comparable(outcome(wrap(dynamic), context));
          expect(comparable(outcome(wrap(literal), context))).toEqual(expected);
          expect(comparable(await outcomeAsync(wrap(literal), context))).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('index Java lists in place, with getAttribute’s messages out of bounds', () => {
    const context = { items: [{ name: 'a' }, { name: 'b' }, null], m: { '3': 'three' } };
    expect(engine.renderSync('{{ items[1].name }} {{ m[3] }} {{ items[2] ?? "none" }}', context)).toBe('b three none');
    expect(() => engine.renderSync('{{ items[3].name }}', context)).toThrow('Unable to find `3` used in the expression');
    expect(() => engine.renderSync('{{ items[-1] }}', context)).toThrow(TemplateError);
    expect(engine.renderSync('{{ items[5].name ?? "out" }} {{ items[-1] | default("neg") }}', context)).toBe('out neg');
  });

  it('see variables that shadow the context: set, loop variables, macro arguments', () => {
    const context = { outputs: { fetch: { body: 'context' } }, inputs: { name: 'context' } };
    expect(engine.renderSync("{% set outputs = {'fetch': {'body': 'set'}} %}{{ outputs.fetch.body }}", context)).toBe('set');
    expect(engine.renderSync("{% for inputs in [{'name': 'loop'}] %}{{ inputs.name }}{% endfor %} {{ inputs.name }}", context)).toBe(
      'loop context',
    );
    expect(
      engine.renderSync(
        "{% macro m(inputs) %}{{ inputs.name ?? 'none' }}{% endmacro %}{{ m({'x': 1}) }}|{{ m({'name': 'arg'}) }}",
        context,
      ),
    ).toBe('none|arg');
    // A map mutated during the render (`+` appends to a list in place, as Pebble 3.2.2 does) is read as it is now.
    expect(
      engine.renderSync("{% set l = inputs.list %}{% set l2 = l + 4 %}{{ inputs.list[3] ?? 'absent' }}", { inputs: { list: [1, 2, 3] } }),
    ).toBe('4');
  });

  it('never run a getter, a function or an inherited property', () => {
    let calls = 0;
    const withGetter = {
      get secret(): string {
        calls++;
        return 'leaked';
      },
      plain: { x: 1 },
    };
    const inherited = Object.create({ hidden: 'proto' }) as Record<string, unknown>;
    inherited['own'] = 'own';
    const context = { g: withGetter, i: inherited, f: { fn: () => 'called' }, l: Object.assign([1, 2], { extra: 'x' }) };
    for (const t of [
      '{{ g.secret ?? "masked" }}',
      '{{ g.secret | default("masked") }}',
      '{{ g.secret is defined ? "leaked" : "masked" }}',
    ]) {
      expect(engine.renderSync(t, context)).toBe('masked');
    }
    expect(() => engine.renderSync('{{ g.secret }}', context)).toThrow(TemplateError);
    // An object with another prototype is not a map: neither its own nor its inherited keys are read.
    expect(engine.renderSync('{{ i.hidden ?? "none" }} {{ i.own ?? "none" }}', context)).toBe('none none');
    expect(engine.renderSync('{{ f.fn ?? "none" }}', context)).toBe('none');
    expect(engine.renderSync('{{ l.extra ?? "none" }}', context)).toBe('none');
    expect(calls).toBe(0);
    expect(engine.renderSync('{{ g.plain.x }}', context)).toBe('1');
    expect(calls).toBe(0);
  });

  it('keep __proto__ and constructor unreachable', () => {
    for (const t of ['{{ a.__proto__ ?? "none" }}', '{{ a.constructor ?? "none" }}', '{{ a.b.__proto__ | default("none") }}']) {
      expect(engine.renderSync(t, { a: { b: {} } })).toBe('none');
    }
  });

  it('still count against the render budget', () => {
    const strict = createEngine({ maxSteps: 1000 });
    expect(() => strict.renderSync("{% for i in range(1, 100000) %}{{ a.b ?? 'x' }}{{ i * 2 }}{% endfor %}", { a: {} })).toThrow(
      /maxSteps/,
    );
  });
});

describe('root variables (read straight from a verified context)', () => {
  it('read own data of the context only: no getter, function, inherited or forbidden name', () => {
    let calls = 0;
    const context = Object.defineProperty({ name: 'World', fn: () => 'called', nil: null, undef: undefined }, 'secret', {
      get() {
        calls++;
        return 'leaked';
      },
      enumerable: true,
    });
    expect(engine.renderSync('{{ secret ?? "masked" }}|{{ fn ?? "none" }}|{{ name }}', context)).toBe('masked|none|World');
    expect(() => engine.renderSync('{{ secret }}', context)).toThrow(TemplateError);
    expect(calls).toBe(0);
    // A context with another prototype: its own keys are variables, its inherited ones are not.
    const inherited = Object.assign(Object.create({ hidden: 'proto' }) as Record<string, unknown>, { own: 'own' });
    expect(engine.renderSync('{{ own }} {{ hidden ?? "none" }} {{ toString ?? "none" }}', inherited)).toBe('own none none');
    for (const t of ['{{ constructor ?? "none" }}', '{{ __proto__ ?? "none" }}', '{{ hasOwnProperty ?? "none" }}'])
      expect(engine.renderSync(t, { name: 'x' })).toBe('none');
    expect(engine.renderSync('[{{ nil }}][{{ undef }}][{{ undef ?? "d" }}]', { nil: null, undef: undefined })).toBe('[][][d]');
  });

  it('see what shadows them (set, loop variables, macro arguments) and Pebble’s own variables', () => {
    const context = { name: 'context', items: { name: 'context' } };
    expect(engine.renderSync("{{ name }} {% set name = 'set' %}{{ name }}", context)).toBe('context set');
    expect(engine.renderSync("{% for name in ['loop'] %}{{ name }}{% endfor %} {{ name }}", context)).toBe('loop context');
    expect(engine.renderSync("{% for items in [{'name': 'loop'}] %}{{ items.name }}{% endfor %} {{ items.name }}", context)).toBe(
      'loop context',
    );
    expect(engine.renderSync("{% macro m(name) %}{{ name }}{% endmacro %}{{ m('arg') }} {{ name }}", context)).toBe('arg context');
    // A macro sees its arguments only, not the context.
    expect(engine.renderSync("{% macro m() %}{{ name ?? 'none' }}{{ items.name ?? 'none' }}{% endmacro %}{{ m() }}", context)).toBe(
      'nonenone',
    );
    expect(engine.renderSync('{{ locale }}', {})).toBe('en_US');
    expect(engine.renderSync('{{ locale }}', { locale: 'mine' })).toBe('mine');
  });

  it('print numbers as Java does: Integer, Long, -0 as a Double', () => {
    expect(
      engine.renderSync('{{ i }} {{ l }} {{ z }} {{ d }} {{ t }} {{ 3 * 4 }} {{ 2000 * 3 }}', {
        i: 7,
        l: 10n ** 12n,
        z: -0,
        d: 1.5,
        t: true,
      }),
    ).toBe('7 1000000000000 -0.0 1.5 true 12 6000');
    expect(engine.renderSync("{{ 'n=' ~ z ~ ',' ~ i ~ ',' ~ (i * 2) ~ ',' ~ t }}", { i: 7, z: -0, t: false })).toBe('n=-0.0,7,14,false');
  });
});

describe('paths several expressions share (walked once per render)', () => {
  const key = fc.constantFrom('a', 'b', 'c');
  it('read what the general path reads, whatever shadows the root between two uses', () => {
    const between = [
      '',
      '{% set root = other %}',
      "{% set root = {'a': {'b': 'set'}} %}",
      "{% for root in [other, {'a': 1}] %}{{ root.a.b ?? '-' }}{% endfor %}",
      "{% macro m(root) %}{{ root.a.b ?? '-' }}{% endmacro %}{{ m(other) }}",
      "{{ root.a.b.c | default('-') }}{% set l = root.a.list + 9 %}",
    ];
    fc.assert(
      fc.property(
        value,
        value,
        // Prefixes of no name (`root.a`, `root.b`: the root itself is remembered) to three.
        fc.array(key, { minLength: 0, maxLength: 3 }),
        key,
        key,
        fc.constantFrom(...between),
        fc.boolean(),
        (root, other, prefix, last1, last2, middle, verified) => {
          if (verified) {
            touch(root);
            touch(other);
          }
          const first = shapes([...prefix, last1]);
          const second = shapes([...prefix, last2]);
          const template = (a: string, b: string): string => `{{ ${a} ?? 'missing' }}|${middle}|{{ ${b} ?? 'missing' }}|{{ ${a} }}`;
          const context = { root, other, ...first.keys };
          const dynamicKeys = { ...first.keys, kl: last2 };
          const dynamicSecond = second.dynamic.replace(/\[k(\d+)\]$/, '[kl]');
          expect(comparable(outcome(template(first.literal, second.literal), context))).toEqual(
            comparable(outcome(template(first.dynamic, dynamicSecond), { root, other, ...dynamicKeys })),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('see a list reordered in place between two uses (sort and reverse work in place, as in Pebble)', () => {
    const context = { outputs: { fetch: { body: { items: ['b', 'a', 'c'] } } } };
    const template =
      '{{ outputs.fetch.body.items[0] }}{% set s = outputs.fetch.body.items | sort %}{{ outputs.fetch.body.items[0] }}' +
      '{% set r = outputs.fetch.body.items | reverse %}{{ outputs.fetch.body.items[0] }}';
    expect(engine.renderSync(template, context)).toBe('bac');
  });

  it('are not served to a root that set, a loop or a macro argument shadows', () => {
    const context = { root: { a: { b: { c: 1, d: 2 } } }, other: { a: { b: { c: 3, d: 4 } } } };
    expect(engine.renderSync('{{ root.a.b.c }}{% set root = other %}{{ root.a.b.d }}', context)).toBe('14');
    expect(engine.renderSync('{{ root.a.b.c }}{% for root in [other] %}{{ root.a.b.d }}{% endfor %}{{ root.a.b.d }}', context)).toBe('142');
    expect(
      engine.renderSync('{% macro m(root) %}{{ root.a.b.d }}{% endmacro %}{{ root.a.b.c }}{{ m(other) }}{{ root.a.b.d }}', context),
    ).toBe('142');
    // The root of several `root.name` paths is remembered the same way.
    const flat = { root: { c: 1, d: 2 }, other: { c: 3, d: 4 } };
    expect(engine.renderSync('{{ root.c }}{% set root = other %}{{ root.d }}', flat)).toBe('14');
    expect(engine.renderSync('{{ root.c }}{% for root in [other] %}{{ root.d }}{% endfor %}{{ root.d }}', flat)).toBe('142');
    expect(engine.renderSync('{% macro m(root) %}{{ root.d }}{% endmacro %}{{ root.c }}{{ m(other) }}{{ root.d }}', flat)).toBe('142');
  });

  it('are walked again in every loop iteration and every render', () => {
    const t = engine.compile('{% for x in list %}{{ x.a.b.c }}-{{ x.a.b.d }};{% endfor %}');
    const list = [{ a: { b: { c: 1, d: 2 } } }, { a: { b: { c: 3, d: 4 } } }];
    expect(t.renderSync({ list })).toBe('1-2;3-4;');
    list[0]!.a.b = { c: 5, d: 6 };
    expect(t.renderSync({ list })).toBe('5-6;3-4;');
  });

  it('never serve a Java member’s result, which can change: list.size after +', () => {
    expect(engine.renderSync('{{ m.l.size }}{% set x = m.l + 4 %}{{ m.l.size }}', { m: { l: [1, 2, 3] } })).toBe('34');
  });
});

describe('integer arithmetic', () => {
  const ops = ['+', '-', '*', '/', '%'] as const;
  const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
  const edge = fc.constantFrom(0, -0, 1, -1, 2147483647, -2147483648, 2147483648, 2 ** 53, 0.5, -7);
  const long = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

  it('answers what arithmetic answers, or leaves the case to it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ops), fc.oneof(int32, edge, long), fc.oneof(int32, edge, long), (op, a, b) => {
        const fast = integerArithmetic(op, a, b);
        if (fast === undefined) return;
        expect(typeof fast).toBe('bigint');
        expect(fast).toBe(arithmetic(op, a, b));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes the common cases', () => {
    expect(integerArithmetic('*', 3, 25)).toBe(75n);
    expect(integerArithmetic('+', 2n, 3n)).toBe(5n);
    expect(integerArithmetic('%', -7, 2)).toBe(-1n);
    expect(integerArithmetic('/', -7, 2)).toBe(-3n);
  });

  it('leaves overflow, division by zero, -0 and doubles to the general path', () => {
    expect(integerArithmetic('+', 2147483647, 1)).toBeUndefined();
    expect(integerArithmetic('/', -2147483648, -1)).toBeUndefined();
    expect(integerArithmetic('/', 1, 0)).toBeUndefined();
    expect(integerArithmetic('%', 1n, 0n)).toBeUndefined();
    expect(integerArithmetic('+', -0, 1)).toBeUndefined();
    expect(integerArithmetic('+', 0.5, 1)).toBeUndefined();
    // The general path wraps two Integers' overflow as Pebble does (a literal is a Long), and fails division by zero.
    expect(engine.renderSync('{{ a + c }} {{ b * b }} {{ 2147483647 + 1 }}', { a: 2147483647, b: 65536, c: 1 })).toBe(
      '-2147483648 0 2147483648',
    );
    expect(() => engine.renderSync('{{ 1 / 0 }}', {})).toThrow(TemplateError);
  });

  it('gives the same text in templates as before: Long results, Double operands kept', () => {
    expect(
      engine.renderSync('{{ page * size }} {{ (page + 1) * size }} {{ page / 2 }} {{ 1.5 * 2 }} {{ n + 1 }}', {
        page: 3,
        size: 25,
        n: 2 ** 40,
      }),
    ).toBe('75 100 1 3.0 1099511627777');
  });
});

describe("Kestra's JSON writer", () => {
  const flatValue = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant({ nested: 1 }),
  );
  it('writes a map of plain values in one pass exactly as the general writer does', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), flatValue, { maxKeys: 6 }), fc.boolean(), (map, includeNulls) => {
        // Inside a list the map goes through the general writer.
        expect(toKestraJson(map, includeNulls)).toBe(toKestraJson([map], includeNulls).slice(1, -1));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('string escaping and concatenation', () => {
  it('escapes as Jackson does: what JSON.stringify escapes, control characters in upper-case hex', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.constantFrom('"', '\\', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '✓'),
            fc.string({ minLength: 1, maxLength: 1 }),
          ),
        }),
        (s) => {
          const expected = JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, (_m, hex: string) => `\\u00${hex.toUpperCase()}`);
          expect(jsonString(s)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('joins literal operands ahead of time exactly as it joins the same values read from variables', () => {
    const literals: readonly [string, unknown][] = [
      ["'a'", 'a'],
      ["'x%y'", 'x%y'],
      ["''", ''],
      ['"q\\"uote"', 'q"uote'],
      ['3', 3],
      ['2.5', 2.5],
      ['true', true],
      ['false', false],
      ['null', null],
    ];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...literals), fc.boolean()), { minLength: 2, maxLength: 7 }), (operands) => {
        const context: Record<string, unknown> = {};
        const asLiterals = operands.map(([[text]]) => text).join(' ~ ');
        // The same values, some of them (or all) read from variables instead.
        const mixed = operands
          .map(([[text, value], fromVariable], i) => {
            if (!fromVariable) return text;
            context[`v${i}`] = value;
            return `v${i}`;
          })
          .join(' ~ ');
        const viaVariables = operands.map((_o, i) => `w${i}`).join(' ~ ');
        operands.forEach(([[, value]], i) => (context[`w${i}`] = value));
        const expected = engine.renderSync(`{{ ${viaVariables} }}`, context);
        expect(engine.renderSync(`{{ ${asLiterals} }}`, context)).toBe(expected);
        expect(engine.renderSync(`{{ ${mixed} }}`, context)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
