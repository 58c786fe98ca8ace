import { JDouble } from '../../src/engine/values.js';
import { JBigDecimal, JBigInteger, JFloat, createNumber } from '../../src/engine/builtins/kestra/numbers.js';
import { envsFromProcess } from '../../src/engine/builtins/kestra/misc.js';
import { expectTemplateError, filter, fn, render } from '../support/kestra.js';
import { callContext } from '../support/call-context.js';

describe('number', () => {
  it('infers the narrowest type as NumberUtils.createNumber does', () => {
    expect(createNumber('42')).toBe(42);
    expect(createNumber('2147483648')).toBe(2147483648n);
    expect(String(createNumber('9223372036854775808'))).toBe('9223372036854775808');
    expect(createNumber('9223372036854775808')).toBeInstanceOf(JBigInteger);
    expect(createNumber('0x1F')).toBe(31);
    expect(createNumber('017')).toBe(15);
    expect(createNumber('12.3')).toBeInstanceOf(JFloat);
    expect(createNumber('3.14159265')).not.toBeInstanceOf(JFloat);
    expect(createNumber('0.12345678901234567890')).toBeInstanceOf(JBigDecimal);
    expect(createNumber('12L')).toBe(12n);
    expect(createNumber('1e3')).toBeInstanceOf(JFloat);
  });
  it('converts to the requested type', () => {
    expect(filter('number', '42', ['INT'])).toBe(42);
    expect(filter('number', '42', ['LONG'])).toBe(42n);
    expect(filter('number', '42', ['DOUBLE'])).toBeInstanceOf(JDouble);
    expect(filter('number', '42', ['FLOAT'])).toBeInstanceOf(JFloat);
    expect(String(filter('number', '1.50', ['BIGDECIMAL']))).toBe('1.50');
    expect(String(filter('number', '123456789012345678901', ['BIGINTEGER']))).toBe('123456789012345678901');
  });
  it('returns null for null; rejects non-strings and bad numbers', () => {
    expect(filter('number', null)).toBeNull();
    expectTemplateError(() => filter('number', 12n), "'number' filter can only be applied to String. Actual type was: java.lang.Long");
    expectTemplateError(() => filter('number', 'abc'), 'abc is not a valid number');
    expectTemplateError(() => filter('number', ''), 'A blank string is not a valid number');
    expectTemplateError(() => filter('number', '3000000000', ['INT']));
  });
  it('works through the engine', async () => {
    expect(await render('{{ "12.3" | number }}/{{ "1e3" | number }}/{{ "42" | number("DOUBLE") }}')).toBe('12.3/1000.0/42.0');
    expect(await render('{{ "2147483647" | number | className }}')).toBe('java.lang.Integer');
    expect(await render('{{ "1" | number("BIGDECIMAL") | className }}')).toBe('java.math.BigDecimal');
    expect(await render('{{ "9223372036854775807" | number("BIGINTEGER") | className }}')).toBe('java.math.BigInteger');
    expect(await render('{{ "9223372036854775807" | number | className }}')).toBe('java.lang.Long');
  });
});

describe('string', () => {
  it('coerces any value to its Java string form', () => {
    expect(filter('string', 42)).toBe('42');
    expect(filter('string', new JDouble(2))).toBe('2.0');
    expect(filter('string', true)).toBe('true');
    expect(filter('string', '007')).toBe('007');
    expect(filter('string', { field: 'hello' })).toBe('{field=hello}');
    expect(filter('string', [1, 'a'])).toBe('[1, a]');
  });
  it('returns null for null', () => {
    expect(filter('string', null)).toBeNull();
    expect(filter('string', undefined)).toBeNull();
  });
  it('works through the engine', async () => {
    expect(await render('{{ 42 | string }}')).toBe('42');
    expect(await render('{{ 12.3 | string | className }}/{{ {"field":"hello"} | string | className }}')).toBe(
      'java.lang.String/java.lang.String',
    );
    expect(await render('{{ (1 | string) == "1" }}')).toBe('true');
  });
});

describe('className', () => {
  it('names the Java class of each value kind', () => {
    expect(filter('className', 'x')).toBe('java.lang.String');
    expect(filter('className', 1)).toBe('java.lang.Integer');
    expect(filter('className', 3000000000)).toBe('java.lang.Long');
    expect(filter('className', 1n)).toBe('java.lang.Long');
    expect(filter('className', 1.5)).toBe('java.lang.Double');
    expect(filter('className', new JFloat(1.5))).toBe('java.lang.Float');
    expect(filter('className', true)).toBe('java.lang.Boolean');
    expect(filter('className', [1])).toBe('java.util.ArrayList');
    expect(filter('className', { a: 1 })).toBe('java.util.LinkedHashMap');
  });
  it('returns null for null', () => {
    expect(filter('className', null)).toBeNull();
  });
  it('works through the engine', async () => {
    expect(await render('{{ 1 | className }}')).toBe('java.lang.Long');
  });
});

describe('uuid / id / nanoId', () => {
  it('uuid is a version 7 UUID, unique per call', () => {
    const a = fn('uuid') as string;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(fn('uuid')).not.toBe(a);
  });
  it('id is 22 base-62 characters', () => {
    expect(fn('id')).toMatch(/^[0-9A-Za-z]{22}$/);
  });
  it('nanoId takes a length and an alphabet', () => {
    expect(fn('nanoId')).toMatch(/^[0-9A-Za-z_-]{21}$/);
    expect(fn('nanoId', [5n, 'ab'])).toMatch(/^[ab]{5}$/);
    expect(fn('nanoId', ['x'])).toHaveLength(21); // a non-Long length is ignored, as in Kestra
  });
  it('nanoId rejects a length over 1000 and an empty alphabet', () => {
    expectTemplateError(() => fn('nanoId', [1001n]), 'must be lower than: 1000');
    expectTemplateError(() => fn('nanoId', [3n, '']), 'must not be empty');
  });
  it('work through the engine', async () => {
    expect(await render('{{ uuid() is empty }}/{{ id() | length }}/{{ nanoId(length=8) | length }}')).toBe('false/22/8');
  });
});

describe('randomInt', () => {
  it('draws from [lower, upper) and gives the bound when both are equal', () => {
    for (let i = 0; i < 200; i++) {
      const v = fn('randomInt', [1, 10]) as number;
      expect(v).toBeGreaterThanOrEqual(1);
      expect(v).toBeLessThan(10);
    }
    expect(fn('randomInt', [10n, 10n])).toBe(10);
  });
  it('rejects missing, non-integral or reversed bounds', () => {
    expectTemplateError(() => fn('randomInt', [1]), 'expects an argument upper');
    expectTemplateError(() => fn('randomInt', ['1', '10']), 'of type Long');
    expectTemplateError(() => fn('randomInt', [null, 10]), 'expects an argument lower');
    expectTemplateError(() => fn('randomInt', [10, 1]), 'upper is less than lower');
  });
  it('works through the engine', async () => {
    expect(await render('{% set n = randomInt(lower, upper) %}{{ n >= 1 and n <= 10 }}', { lower: 1, upper: 10 })).toBe('true');
  });
});

describe('printContext', () => {
  it('returns every variable, in Java HashMap order', () => {
    const out = fn('printContext', [], {}, callContext({}, { variables: { zz: 1, a: 2, b: 3 } })) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['zz', 'a', 'b']);
    expect(out['a']).toBe(2);
  });
  it('works through the engine', async () => {
    expect(await render('{{ fromJson(printContext() | toJson).array }}', { test: 'value', array: ['a', 'b', 'c'] })).toBe('["a","b","c"]');
  });
  it('is also fetchContext (Extension.getFunctions registers FetchContextFunction under both names)', async () => {
    expect(await render('{{ fetchContext().array }}', { test: 'value', array: ['a', 'b', 'c'] })).toBe('["a","b","c"]');
    // HashMap order, integer-like keys included ("a" is in bucket 1, "b" in 2, "10" in 15).
    expect(await render('{{ fetchContext() | keys }}', { 10: 1, b: 2, a: 3 })).toBe('["a","b","10"]');
  });
});

describe('env', () => {
  const ctx = callContext({}, { variables: { envs: { foo: 'bar', empty: '' } } });
  it('reads the envs map by exact or normalised name', () => {
    expect(fn('env', ['foo'], {}, ctx)).toBe('bar');
    expect(fn('env', ['ENV_FOO'], {}, ctx)).toBe('bar');
  });
  it('falls back to the default (null without one) for missing and empty values', () => {
    expect(fn('env', ['nope', 'dflt'], {}, ctx)).toBe('dflt');
    expect(fn('env', ['empty', 'dflt'], {}, ctx)).toBe('dflt');
    expect(fn('env', ['nope'], {}, ctx)).toBeNull();
  });
  it('reads ENV_-prefixed process variables when the context has no envs', () => {
    process.env['ENV_PEBBLEFLOW_TEST'] = 'from-process';
    try {
      expect(envsFromProcess()['pebbleflow_test']).toBe('from-process');
      expect(fn('env', ['pebbleflow_test'], {}, callContext())).toBe('from-process');
    } finally {
      delete process.env['ENV_PEBBLEFLOW_TEST'];
    }
  });
  it('rejects a missing or non-string name', () => {
    expectTemplateError(() => fn('env', [], {}, ctx), "expects an argument 'name'");
    expectTemplateError(() => fn('env', [12], {}, ctx), 'cannot be cast');
  });
  it('works through the engine', async () => {
    expect(await render("{{ env('foo', 'x') }}/{{ env('bar', 'x') }}", { envs: { foo: 'F' } })).toBe('F/x');
  });
});

describe('number boxes print as Java prints them', () => {
  it('prints BigDecimal, BigInteger and Float values of the number filter', async () => {
    const { createEngine } = await import('../../src/index.js');
    const out = await createEngine().render(
      '{{ "10" | number("BIGDECIMAL") }}|{{ "123456789012345678901" | number("BIGINTEGER") }}|{{ "12.3" | number }}|{{ ["10" | number("BIGDECIMAL")] }}|{{ "" ~ ("1.50" | number("BIGDECIMAL")) }}',
      {},
    );
    expect(out).toBe('10|123456789012345678901|12.3|[10]|1.50');
  });
});
