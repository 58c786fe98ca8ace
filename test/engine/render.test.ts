import { createEngine, TemplateEngine, TemplateError, UndefinedVariableError } from '../../src/index.js';

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
    expect(await render('{{ "" ~ m }}|{{ "#{l}" }}', ctx)).toBe('{a=1, z=null}|[1, x]');
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

  it('does not change the caller\'s context when a template assigns a context variable', async () => {
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
    expect(await render('{% for x in l %}{{ loop.index }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}', { l: ['a', 'b'] })).toBe(
      '01truefalse2;10falsetrue2;',
    );
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
  it('reports undefined variables in Kestra\'s words, with code and position', async () => {
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
    await expect(render('{{ "a,b" | split(",", 1, 2) }}')).rejects.toThrow('The argument at position 3 is not allowed. Only 2 argument(s) are allowed.');
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
    ['{{ s.length }}{{ s.length() }}{{ s.empty }}{{ e.empty }}{{ s.toUpperCase() }}{{ s.charAt(1) }}{{ s.substring(1, 2) }}', '33falsetrueABCbb'],
    // indexOf uses Java equals: the literal 3 is a Long, the list holds Integers.
    ['{{ l.size }}{{ l.size() }}{{ l.empty }}{{ l.get(0) }}{{ l.indexOf(3) }}{{ l.subList(0, 2) }}', '33false1-1[1,2]'],
    ['{{ m.keySet() }}{{ m.values() }}{{ m.get("a") }}{{ m.containsKey("b") }}{{ m.getOrDefault("b", 9) }}{{ m.size() }}', '["a"][1]1false91'],
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
