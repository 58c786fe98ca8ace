import { createEngine } from '../../src/index.js';
import { TemplateEngine } from '../../src/engine/engine.js';
import { TemplateError, UndefinedVariableError } from '../../src/engine/errors.js';

const engine = createEngine();
const render = (t: string, ctx: Record<string, unknown> = {}): Promise<string> => engine.render(t, ctx);

describe('render API', () => {
  it('renders asynchronously and synchronously to the same text', async () => {
    const ctx = { name: 'World', items: [1, 2, 3] };
    const t = 'Hello {{ name }}{% for i in items %} {{ i * 2 }}{% endfor %}';
    expect(await engine.render(t, ctx)).toBe('Hello World 2 4 6');
    expect(engine.renderSync(t, ctx)).toBe('Hello World 2 4 6');
  });

  it('returns a template without "{" unchanged, without parsing it', async () => {
    expect(await render('50% off }} %} no #} tags')).toBe('50% off }} %} no #} tags');
    expect(engine.renderSync('plain')).toBe('plain');
  });

  it('caches compiled templates by source, as an LRU', () => {
    const small = new TemplateEngine({ cacheSize: 2 });
    const a = small.compile('{{ a }}');
    expect(small.compile('{{ a }}')).toBe(a);
    small.compile('{{ b }}');
    small.compile('{{ a }}'); // refreshes a
    small.compile('{{ c }}'); // evicts b
    expect(small.compile('{{ a }}')).toBe(a);
    const named = small.compile('{{ a }}', 'greeting.peb');
    expect(named).not.toBe(a);
    expect(named.name).toBe('greeting.peb');
  });

  it('renders compiled templates any number of times with different contexts', async () => {
    const t = engine.compile('{{ x | upper }}');
    expect(await t.render({ x: 'a' })).toBe('A');
    expect(t.renderSync({ x: 'b' })).toBe('B');
  });

  it('renders every string of a value, keys too, first key winning', async () => {
    const value = {
      '{{ k }}': 'v={{ v }}',
      b: 'plain',
      x: ['{{ v }}', 3, true, null, { deep: '{{ v ~ v }}' }],
      a: 'also',
    };
    const out = await engine.renderValue({ ...value, 'a{{ "" }}': 'loses', n: 1.5 }, { k: 'a', v: 'V' });
    expect(out).toEqual({ a: 'v=V', b: 'plain', x: ['V', 3, true, null, { deep: 'VV' }], n: 1.5 });
  });

  it('prints maps and lists as JSON directly, Java-style when joined', async () => {
    const ctx = { m: { a: 1, z: null }, l: [1, 'x'] };
    expect(await render('{{ m }}|{{ l }}', ctx)).toBe('{"a":1}|[1,"x"]');
    expect(await render('{{ "" ~ m }}|{{ "v=#{l}" }}', ctx)).toBe('{a=1, z=null}|v=[1, x]');
    // "#{l}" alone is the list itself, so it prints as JSON (checked against Pebble 3.2.2).
    expect(await render('{{ "#{l}" }}', ctx)).toBe('[1,"x"]');
  });

  it('shields single-line raw blocks as Kestra does and keeps verbatim', async () => {
    expect(await render('a {% raw %}{{ x }}{% endraw %} b')).toBe('a {{ x }} b');
    expect(await render('{% verbatim %}{% if %}{% endverbatim %}')).toBe('{% if %}');
    await expect(render('{% raw %}\n{{ x }}\n{% endraw %}')).rejects.toThrow('Unexpected tag name "raw"');
  });

  it('keeps the newline after a tag (newLineTrimming off)', async () => {
    expect(await render('{% if true %}\nline\n{% endif %}\n')).toBe('\nline\n\n');
  });

  it('scopes set: loops keep their new variables, if does not', async () => {
    expect(await render('{% set x = 0 %}{% for i in [1,2,3] %}{% set x = x + i %}{% endfor %}{{ x }}')).toBe('6');
    expect(await render('{% if true %}{% set y = 1 %}{% endif %}{{ y }}')).toBe('1');
    await expect(render('{% for i in [1] %}{% set z = i %}{% endfor %}{{ z }}')).rejects.toThrow(UndefinedVariableError);
  });

  it("does not change the caller's context when a template assigns a context variable", async () => {
    const ctx = { name: 'a' };
    expect(await render('{% set name = "b" %}{{ name }}', ctx)).toBe('b');
    expect(ctx.name).toBe('a');
  });

  it('isolates macros, allows defaults, named arguments and recursion', async () => {
    await expect(render('{% macro m() %}{{ outer }}{% endmacro %}{{ m() }}', { outer: 1 })).rejects.toThrow('Unable to find `outer`');
    expect(await render('{% macro g(a, b="B") %}{{ a }}{{ b }}{% endmacro %}{{ g(b="x", a="y") }}|{{ g(1) }}')).toBe('yx|1B');
    expect(await render('{% macro r(n) %}{{ n }}{% if n > 0 %}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(3) }}')).toBe('3210');
    await expect(render('{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}')).rejects.toThrow('The argument at position 2 is not allowed');
  });

  it('applies filter blocks and renders blocks by name', async () => {
    expect(await render('{% filter upper | trim %}  hi {{ n }}  {% endfilter %}', { n: 'x' })).toBe('HI X');
    expect(await render('{% block b %}B{% endblock %}{{ block("b") }}')).toBe('BB');
  });

  it('gives loop variables with a 0-based index', async () => {
    expect(
      await render('{% for x in l %}{{ loop.index }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}', {
        l: ['a', 'b'],
      }),
    ).toBe('01truefalse2;10falsetrue2;');
    expect(await render('{% for e in m %}{{ e.key }}={{ e.value }},{% endfor %}', { m: { a: 1, b: 2 } })).toBe('a=1,b=2,');
    expect(await render('{% for x in nul %}x{% else %}empty{% endfor %}', { nul: null })).toBe('');
    expect(await render('{% for x in [] %}x{% else %}empty{% endfor %}')).toBe('empty');
  });

  it('coalesces with ?? (null or undefined) and ??? (undefined only)', async () => {
    expect(await render('{{ missing ?? nul ?? "d" }}', { nul: null })).toBe('d');
    expect(await render('[{{ nul ??? "d" }}]', { nul: null })).toBe('[]');
    expect(await render('{{ missing ??? "d" }}')).toBe('d');
    expect(await render('{{ a.b.c ?? "deep" }}', { a: {} })).toBe('deep');
    await expect(render('{{ foo ?? bar ?? raise }}')).rejects.toThrow('Unable to find `raise`');
  });
});

describe('errors', () => {
  it("reports undefined variables in Kestra's words, with code and position", async () => {
    const t = 'first line\n{{ user.name }} and {{ missing }}';
    const error = await engine.render(t, { user: { name: 'a' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UndefinedVariableError);
    const e = error as UndefinedVariableError;
    expect(e.code).toBe('UNDEFINED_VARIABLE');
    expect(e.variableName).toBe('missing');
    expect(e.message).toBe(`Unable to find \`missing\` used in the expression \`${t}\` at line 2`);
    expect(e.rawMessage).toBe('Root attribute [missing] does not exist or can not be accessed and strict variables is set to true.');
    expect([e.line, e.column]).toEqual([2, 24]);
    expect(e.formatFrame()).toContain('>> 2| {{ user.name }} and {{ missing }}');
  });

  it('distinguishes missing attributes, null parents and bad indexes', async () => {
    const ctx = { m: { a: 1 }, l: [1, 2], s: 'str', nul: null };
    const codeOf = async (t: string): Promise<string> => ((await render(t, ctx).catch((e: unknown) => e)) as TemplateError).code;
    expect(await codeOf('{{ m.b }}')).toBe('UNDEFINED_ATTRIBUTE');
    expect(await codeOf('{{ l[9] }}')).toBe('UNDEFINED_ATTRIBUTE');
    expect(await codeOf('{{ nul.x }}')).toBe('UNDEFINED_VARIABLE');
    expect(await codeOf('{{ m.a.b }}')).toBe('UNDEFINED_ATTRIBUTE');
    expect(await codeOf('{{ l | nosuch }}')).toBe('UNKNOWN_FILTER');
    expect(await codeOf('{{ nosuch() }}')).toBe('UNKNOWN_FUNCTION');
    expect(await codeOf('{{ 1 is nosuch }}')).toBe('UNKNOWN_TEST');
    expect(await codeOf('{{ s * 2 }}')).toBe('TYPE_ERROR');
    expect(await codeOf('{% if l %}x{% endif %}')).toBe('TYPE_ERROR');
    expect(await codeOf('{{ 1 + }}')).toBe('PARSE_ERROR');
  });

  it('wraps exceptions of extensions as FUNCTION_ERROR keeping the cause', async () => {
    const e = createEngine();
    const boom = new Error('boom');
    e.registerFunction('explode', () => {
      throw boom;
    });
    const error = (await e.render('{{ explode() }}').catch((x: unknown) => x)) as TemplateError;
    expect(error.code).toBe('FUNCTION_ERROR');
    expect(error.message).toBe('boom ({{ explode() }}:1)');
    expect(error.cause).toBe(boom);
  });

  it('validates argument names as Pebble does', async () => {
    await expect(render('{{ "a" | abbreviate(length=1, nope=2) }}')).rejects.toThrow('The following named argument does not exist: nope');
    await expect(render('{{ "a,b" | split(",", 1, 2) }}')).rejects.toThrow(
      'The argument at position 3 is not allowed. Only 2 argument(s) are allowed.',
    );
  });

  it('serialises without the template source', () => {
    try {
      engine.renderSync('{{ secretTemplate', {});
    } catch (e) {
      const json = JSON.stringify(e);
      expect(JSON.parse(json)).toMatchObject({ code: 'PARSE_ERROR', line: 1 });
    }
  });
});

describe('Pebble globals', () => {
  it('knows locale and _context below the context variables', async () => {
    expect(await render('{{ locale }}')).toBe('en_US');
    expect(await render('{{ locale }}', { locale: 'fr' })).toBe('fr');
    expect(await render('{% set y = 2 %}{{ _context.x }}{{ _context.y }}', { x: 1 })).toBe('12');
    await expect(render('{% macro m() %}{{ locale }}{% endmacro %}{{ m() }}')).rejects.toThrow('Unable to find `locale`');
  });
});

describe('Java members Pebble reaches by reflection', () => {
  const ctx = { s: 'abc', l: [1, 2, 3], m: { a: 1 }, e: '' };
  it.each([
    [
      '{{ s.length }}{{ s.length() }}{{ s.empty }}{{ e.empty }}{{ s.toUpperCase() }}{{ s.charAt(1) }}{{ s.substring(1, 2) }}',
      '33falsetrueABCbb',
    ],
    // indexOf uses Java equals: the literal 3 is a Long, the list holds Integers.
    ['{{ l.size }}{{ l.size() }}{{ l.empty }}{{ l.get(0) }}{{ l.indexOf(3) }}{{ l.subList(0, 2) }}', '33false1-1[1,2]'],
    [
      '{{ m.keySet() }}{{ m.values() }}{{ m.get("a") }}{{ m.containsKey("b") }}{{ m.getOrDefault("b", 9) }}{{ m.size() }}',
      '["a"][1]1false91',
    ],
  ])('%s', async (t, expected) => {
    expect(await render(t, ctx)).toBe(expected);
  });

  it('reads map keys only, without parentheses (Pebble never reflects on maps there)', async () => {
    await expect(render('{{ m.empty }}', ctx)).rejects.toThrow('Unable to find `empty`');
    await expect(render('{{ m.size }}', ctx)).rejects.toThrow('Unable to find `size`');
  });
});

describe('error positions', () => {
  it('points at the missing root variable of a dotted path, and at the missing attribute', async () => {
    const missingRoot = (await render('ab {{ inputs.x.y }}').catch((e: unknown) => e)) as TemplateError;
    expect(missingRoot.column).toBe(7);
    const missingAttribute = (await render('ab {{ inputs.x.y }}', { inputs: { x: {} } }).catch((e: unknown) => e)) as TemplateError;
    expect(missingAttribute.column).toBe(16);
  });
});

describe('failures inside arithmetic and comparisons (checked against Pebble 3.2.2)', () => {
  it('are reported as the operation failing, so ?? and default do not swallow them', async () => {
    const e = (await render('{{ missing + 1 }}').catch((x: unknown) => x)) as TemplateError;
    expect(e.rawMessage).toBe('Could not perform addition');
    expect(e.code).toBe('TYPE_ERROR');
    expect((e.cause as TemplateError).code).toBe('UNDEFINED_VARIABLE');
    await expect(render('{{ (missing == 1) ?? "x" }}')).rejects.toThrow('Could not perform equals comparison');
    await expect(render('{{ (m.zz * 2) is defined }}', { m: {} })).rejects.toThrow('Could not perform multiplication');
  });

  it('leaves and, or, ~ and contains unwrapped', async () => {
    expect(await render('{{ (missing and true) is defined }}')).toBe('false');
    expect(await render('{{ nul contains missing }}', { nul: null })).toBe('false');
  });
});

describe('Java types Pebble produces', () => {
  it('iterates maps as entries that print key=value', async () => {
    expect(await render('{% for e in m %}{{ e }};{% endfor %}', { m: { a: 1, b: null } })).toBe('a=1;b=null;');
    expect(await render('{{ [1] | merge({"k": 2}) }}|{{ "" ~ ([1] | merge({"k": 2})) }}')).toBe('[1,{"k":2}]|[1, k=2]');
  });

  it('gives characters for first/last of a string and for character ranges', async () => {
    expect(await render('{{ "abc" | first }}{{ "abc" | last | upper }}')).toBe('aC');
    expect(await render('{{ ("abc" | first) == "a" }}|{{ range("a", "c") contains "a" }}|{{ range("a", "c") }}')).toBe(
      'false|false|["a","b","c"]',
    );
    await expect(render('{{ "abc" | last | abbreviate(2) }}')).rejects.toThrow(
      'java.lang.Character cannot be cast to class java.lang.String',
    );
  });

  it('treats split results as arrays, not lists', async () => {
    expect(await render('{{ "b,a" | split(",") | sort }}|{{ "b,a" | split(",") | first }}|{{ "a,b" | split(",") is iterable }}')).toBe(
      '["a","b"]|b|true',
    );
    await expect(render('{{ "a,b" | split(",") | reverse }}')).rejects.toBeInstanceOf(TemplateError);
    await expect(render('{{ "a,b" | split(",") + 1 }}')).rejects.toThrow('Could not perform addition');
  });

  it('builds map literals as java.util.HashMap (keys in hash order)', async () => {
    expect(await render('{{ {"zeta": 1, "alpha": 2, "b": 3} }}')).toBe('{"zeta":1,"b":3,"alpha":2}');
  });

  it('prints maps and lists Java-style inside macros and filter blocks', async () => {
    expect(await render('{% macro m(x) %}{{ x }}{% endmacro %}{{ m([1, 2]) }}|{{ [1, 2] }}')).toBe('[1, 2]|[1,2]');
    expect(await render('{% filter upper %}{{ ["a"] }}{% endfilter %}')).toBe('[A]');
  });

  it('does not index a list with a double', async () => {
    await expect(render('{{ l[1.0] }}', { l: [1, 2] })).rejects.toThrow('Unable to find `1.0`');
  });
});

describe('map views (checked against Pebble 3.2.2)', () => {
  it('keySet() and values() are collections, not lists', async () => {
    const ctx = { m: { a: 1, b: 2 } };
    expect(
      await render(
        "{{ m.keySet() | first }}|{{ m.keySet() | join(',') }}|{{ m.keySet() | length }}|{{ m.keySet() contains 'a' }}|{{ m.keySet() }}",
        ctx,
      ),
    ).toBe('a|a,b|2|true|["a","b"]');
    await expect(render('{{ m.keySet() | slice(0, 1) }}', ctx)).rejects.toThrow('Actual type was: java.util.LinkedHashMap$LinkedKeySet');
    await expect(render('{{ m.values() + 1 }}', ctx)).rejects.toThrow('Could not perform addition');
    await expect(render('{{ m.keySet()[0] }}', ctx)).rejects.toThrow('Unable to find `0`');
    await expect(render('{{ m.values() | sort }}', ctx)).rejects.toThrow('Unsupported input type for sort filter');
  });
});

describe('blocks and macros registration (checked against Pebble 3.2.2)', () => {
  it('renders blocks by name wherever they are defined, the last one to start winning', async () => {
    expect(await render("{% macro mc() %}[{% block b %}B{% endblock %}|{{ block('b') }}]{% endmacro %}{{ mc() }}")).toBe('[B|B]');
    expect(await render("{% block b %}1{% endblock %}{% block b %}2{% endblock %}{{ block('b') }}")).toBe('222');
    expect(await render("{{ block('nope') }}")).toBe('');
  });

  it('does not register macros and blocks inside filter tags', async () => {
    expect(await render('{% filter upper %}a{% block b %}B{% endblock %}c{% endfilter %}')).toBe('AC');
    await expect(render('{% filter upper %}{% macro m() %}x{% endmacro %}{% endfilter %}{{ m() }}')).rejects.toThrow(
      'Function or Macro [m] does not exist.',
    );
  });

  it('refuses two macros with one name, and an unclosed comment unless it ends the template', async () => {
    await expect(render('{% macro m() %}{% endmacro %}{% macro m() %}{% endmacro %}')).rejects.toThrow(
      'More than one macro can not share the same name: m',
    );
    expect(await render('text {#')).toBe('text ');
    await expect(render('text {# x')).rejects.toThrow('Unclosed comment.');
  });
});

describe('list literals and Java arrays (checked against Pebble 3.2.2)', () => {
  it('allows no attribute access right after a list or map literal', async () => {
    await expect(render('{{ [1, 2][0] }}')).rejects.toThrow(
      'Unexpected token of value "[" and type PUNCTUATION, expected token of type PRINT_END',
    );
    expect(await render('{{ ([1, 2])[0] }}')).toBe('1');
  });

  it('adds a Java array to a list as one element', async () => {
    expect(await render('{{ l + ("a,b" | split(",")) }}|{{ l contains ("a" | split(",")) }}', { l: ['a'] })).toBe('["a",["a","b"]]|false');
  });
});
