import { createEngine } from '../../src/index.js';
import { TemplateEngine } from '../../src/engine/engine.js';
import { TemplateError } from '../../src/engine/errors.js';

const engine = createEngine();
const failure = async (t: string, ctx: Record<string, unknown> = {}, e: TemplateEngine = engine): Promise<TemplateError> => {
  const result = await e.render(t, ctx).then(
    (out) => new Error(`rendered ${JSON.stringify(out)}`),
    (x: unknown) => x,
  );
  if (!(result instanceof TemplateError)) throw result;
  return result;
};

describe('sandbox: templates are untrusted', () => {
  it.each([
    '{{ m.constructor }}',
    '{{ m["constructor"] }}',
    '{{ m.__proto__ }}',
    '{{ m["__proto__"] }}',
    '{{ l.constructor }}',
    '{{ s.constructor }}',
    '{{ m.toString }}',
    '{{ m.hasOwnProperty("a") }}',
    '{{ l.map }}',
    '{{ s.at(0) }}',
    '{{ s.normalize() }}',
    '{{ l.push(1) }}',
    '{{ constructor }}',
    '{{ globalThis }}',
    '{{ process }}',
    '{{ m.constructor.constructor("return process")() }}',
  ])('refuses %s', async (t) => {
    const e = await failure(t, { m: { a: 1 }, l: [1], s: 'str' });
    expect(['UNDEFINED_VARIABLE', 'UNDEFINED_ATTRIBUTE', 'PARSE_ERROR', 'UNKNOWN_FUNCTION']).toContain(e.code);
  });

  it('never calls functions or getters found in the context', async () => {
    let called = 0;
    const ctx: Record<string, unknown> = { fn: () => 'leak', obj: { method: () => 'leak' } };
    Object.defineProperty(ctx, 'getter', {
      enumerable: true,
      get: () => {
        called++;
        return 'leak';
      },
    });
    const withGetter = { a: 1 };
    Object.defineProperty(withGetter, 'g', {
      enumerable: true,
      get: () => {
        called++;
        return 'leak';
      },
    });
    ctx['withGetter'] = withGetter;
    for (const t of ['{{ fn }}', '{{ obj.method }}', '{{ getter }}', '{{ withGetter.g }}', '{{ obj.method() }}']) {
      await expect(engine.render(t, ctx)).rejects.toBeInstanceOf(TemplateError);
    }
    expect(await engine.render('{{ withGetter.a }}', ctx)).toBe('1');
    expect(called).toBe(0);
  });

  it('does not read class instances as maps', async () => {
    class Secretive {
      token = 'leak';
    }
    await expect(engine.render('{{ o.token }}', { o: new Secretive() })).rejects.toBeInstanceOf(TemplateError);
    await expect(engine.render('{{ d.time }}', { d: new Date() })).rejects.toBeInstanceOf(TemplateError);
  });

  it('keeps prototypes clean when templates build maps with dangerous keys', async () => {
    expect(await engine.render('{{ {"__proto__": {"polluted": 1}} }}', {})).toBe('{"__proto__":{"polluted":1}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(await engine.render('{{ {"a": 1} | merge({"__proto__": {"polluted": 2}}) }}', {})).toBe('{"a":1,"__proto__":{"polluted":2}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const parsed = JSON.parse('{"__proto__": {"polluted": 3}}') as Record<string, unknown>;
    await expect(engine.render('{{ p.__proto__.polluted }}', { p: parsed })).rejects.toBeInstanceOf(TemplateError);
  });
});

describe('limits', () => {
  it('caps the rendered size', async () => {
    const small = new TemplateEngine({ maxRenderedSize: 1000 });
    const e = await failure('{% for i in 1..100 %}{{ "0123456789abcdef" }}{% endfor %}', {}, small);
    expect(e.code).toBe('LIMIT_EXCEEDED');
  });

  it('caps ranges instead of allocating 10^8 elements', async () => {
    const started = Date.now();
    expect((await failure('{% for i in 0..100000000 %}{% endfor %}')).code).toBe('LIMIT_EXCEEDED');
    expect((await failure('{{ range(0, 100000000) | length }}')).code).toBe('LIMIT_EXCEEDED');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops endless macro recursion', async () => {
    const e = await failure('{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}');
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.rawMessage).toMatch(/endless recursion in macro "f"/);
  });

  it('refuses 20 000-deep nesting of every kind with a TemplateError', async () => {
    const n = 20000;
    for (const t of [
      '{{ ' + '['.repeat(n) + ']'.repeat(n) + ' }}',
      '{{ ' + '('.repeat(n) + '1' + ')'.repeat(n) + ' }}',
      '{{ ' + '-'.repeat(n) + '1 }}',
      '{{ ' + 'not '.repeat(n) + 'true }}',
      '{{ x' + ' | upper'.repeat(n) + ' }}',
      '{% if true %}'.repeat(n) + '{% endif %}'.repeat(n),
      '{{ "' + '#{"'.repeat(n) + '"}'.repeat(n) + '" }}',
    ]) {
      expect((await failure(t, { x: 'a' })).code).toMatch(/LIMIT_EXCEEDED|PARSE_ERROR/);
    }
  });

  it('renders deeply nested context data without blowing the stack', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10000; i++) deep = [deep];
    const out = await engine.render('{{ d | length }}', { d: deep });
    expect(out).toBe('1');
    // Deeper than Jackson's 1000 levels: a clean error, never a blown stack.
    const error = await engine.render('{{ d }}', { d: deep }).catch((e: unknown) => e);
    expect((error as TemplateError).code).toBe('LIMIT_EXCEEDED');
  });
});
