import fc from 'fast-check';
import {
  JChar,
  JDouble,
  MapEntry,
  formatDouble,
  isMap,
  javaEquals,
  javaKey,
  javaType,
  makeDouble,
  pebbleEquals,
  printValue,
  toJavaString,
  toKestraJson,
} from '../../src/engine/values.js';
import { arithmetic, compare, concatenate, contains } from '../../src/engine/operations.js';
import { TemplateError } from '../../src/engine/errors.js';

describe('Java value model', () => {
  it('classifies JS values as Java types', () => {
    expect(javaType(3)).toBe('Integer');
    expect(javaType(3_000_000_000)).toBe('Long');
    expect(javaType(3n)).toBe('Long');
    expect(javaType(2.5)).toBe('Double');
    expect(javaType(new JDouble(2))).toBe('Double');
    expect(javaType(-0)).toBe('Double');
    expect(javaType([])).toBe('List');
    expect(javaType({})).toBe('Map');
    expect(javaType(Object.create(null))).toBe('Map');
    expect(javaType(new Date())).toBe('Other');
  });

  it.each([
    [1, '1.0'],
    [100, '100.0'],
    [2.5, '2.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [9999999, '9999999.0'],
    [1e7, '1.0E7'],
    [123456789, '1.23456789E8'],
    [12345678.9, '1.23456789E7'],
    [0.001, '0.001'],
    [0.0001, '1.0E-4'],
    [1.5e-7, '1.5E-7'],
    [1e21, '1.0E21'],
    [-0, '-0.0'],
    [Infinity, 'Infinity'],
    [NaN, 'NaN'],
  ])('prints the double %p as Java does: %s', (d, expected) => {
    expect(formatDouble(d)).toBe(expected);
  });

  it('prints toString form and Kestra JSON form', () => {
    const m = { a: 1, b: [1, 'x', null], c: null, d: new JDouble(2) };
    expect(toJavaString(m)).toBe('{a=1, b=[1, x, null], c=null, d=2.0}');
    expect(toKestraJson(m)).toBe('{"a":1,"b":[1,"x",null],"d":2.0}');
    expect(printValue(null)).toBe('');
    expect(printValue('s')).toBe('s');
    expect(printValue([1n, 2.5])).toBe('[1,2.5]');
  });

  it('tells Integer from Long in Java equality, not in ==', () => {
    expect(javaEquals(1, 1n)).toBe(false);
    expect(javaEquals(3_000_000_000, 3_000_000_000n)).toBe(true);
    expect(javaEquals([1, 2], [1, 2])).toBe(true);
    expect(javaEquals([1, 2], [1n, 2n])).toBe(false);
    expect(javaEquals({ a: [1] }, { a: [1] })).toBe(true);
    // Double -0.0 is neither Integer 0 nor Double 0.0 (Double.equals compares bits).
    expect(javaEquals(-0, 0)).toBe(false);
    expect(javaEquals(-0, new JDouble(0))).toBe(false);
    expect(javaEquals(-0, new JDouble(-0))).toBe(true);
    expect(pebbleEquals(5, 5n)).toBe(true);
    expect(pebbleEquals(5, new JDouble(5))).toBe(true);
    expect(pebbleEquals('5', 5)).toBe(false);
    expect(makeDouble(2)).toBeInstanceOf(JDouble);
    expect(makeDouble(2.5)).toBe(2.5);
  });
});

describe('operators', () => {
  it('does long arithmetic with 64-bit wrap and integer division', () => {
    expect(arithmetic('+', 9223372036854775807n, 1n)).toBe(-9223372036854775808n);
    expect(arithmetic('/', -5n, 2n)).toBe(-2n);
    expect(arithmetic('%', -5n, 3n)).toBe(-2n);
    expect(arithmetic('*', 2147483647, 2n)).toBe(4294967294n);
  });

  it('computes two Integers in 32 bits, as Java int arithmetic', () => {
    expect(arithmetic('+', 2147483647, 1)).toBe(-2147483648n);
    expect(arithmetic('+', 1, 2)).toBe(3n);
  });

  it('switches to doubles as soon as one side is a double', () => {
    expect(arithmetic('/', new JDouble(4), 2n)).toEqual(new JDouble(2));
    expect(arithmetic('/', 7n, new JDouble(0))).toBe(Infinity);
    expect(arithmetic('%', 7.5, 2n)).toBe(1.5);
  });

  it("fails integer division by zero and non-numbers with Pebble's messages", () => {
    expect(() => arithmetic('/', 1n, 0n)).toThrow('Could not perform division');
    expect(() => arithmetic('%', 1n, 0)).toThrow('Could not perform greater modulus');
    expect(() => arithmetic('*', 's', 2n)).toThrow('Could not perform multiplication');
    expect(() => arithmetic('-', true, 2n)).toThrow(TemplateError);
  });

  it('concatenates strings with + and appends to lists', () => {
    expect(arithmetic('+', 'a', null)).toBe('anull');
    const list = [1, 2];
    expect(arithmetic('+', list, 3n)).toBe(list);
    expect(list).toEqual([1, 2, 3n]);
    expect(arithmetic('-', [1n, 2n, 1n], 1n)).toEqual([2n, 1n]);
    expect(arithmetic('-', [1, 2], 1n)).toEqual([1, 2]);
    const frozen = Object.freeze([1]);
    expect(arithmetic('+', frozen, 2n)).toEqual([1, 2n]);
  });

  it('compares numbers only', () => {
    expect(compare('<', 1n, 2.5)).toBe(true);
    expect(compare('>=', 3_000_000_000, 3_000_000_000n)).toBe(true);
    expect(compare('<', null, 1n)).toBe(false);
    expect(() => compare('<', 'a', 'b')).toThrow('Could not perform greater modulus');
    expect(() => compare('>', 'a', 'b')).toThrow('Could not perform greater than comparison');
  });

  it('skips nulls in ~ and checks containment with Java equality', () => {
    expect(concatenate(null, 'b')).toBe('b');
    expect(concatenate([1, 2], { a: 1 })).toBe('[1, 2]{a=1}');
    expect(contains(['a', 3], 3n)).toBe(false);
    expect(contains([1n, 2n], [1n])).toBe(true);
    expect(contains({ k: 1 }, 'k')).toBe(true);
    expect(contains('hello', 'ell')).toBe(true);
    expect(contains(null, 'x')).toBe(false);
    expect(() => contains(5n, 5n)).toThrow('Contains operator can only be used on Collections');
  });
});

describe('the JSON writer', () => {
  it('escapes as Jackson does and keeps nulls only when asked', () => {
    expect(toKestraJson({ s: 'a"b\\c\n\u0001é', n: null, l: [null] })).toBe('{"s":"a\\"b\\\\c\\n\\u0001é","l":[null]}');
    expect(toKestraJson({ n: null }, true)).toBe('{"n":null}');
    expect(toKestraJson([Infinity, NaN])).toBe('["Infinity","NaN"]');
  });
});

describe('doubles JDK 17 prints from their exact long value', () => {
  it.each([
    [2 ** 62, '4.6116860184273879E18'],
    [922337203685477632, '9.2233720368547763E17'],
    [4192441834933988864, '4.1924418349339889E18'],
    [-9223372036853775360, '-9.2233720368537754E18'],
    [2 ** 63, '9.223372036854776E18'],
    [2 ** 53 + 2, '9.007199254740994E15'],
  ])('%p prints %s (recorded from Pebble 3.2.2 on JDK 17)', (d, expected) => {
    expect(formatDouble(d)).toBe(expected);
  });
});

describe('javaKey', () => {
  // A key equal exactly when javaEquals is: distinct, list - list and contains rely on it.
  const scalar = fc.oneof(
    fc.constantFrom<unknown>(null, undefined, true, false, 0, 1, -1, 2147483648, 1.5, -0, Number.NaN, Infinity, 'a', 'b', '', '1'),
    fc.bigInt({ min: -2n, max: 2n }),
    fc.integer({ min: -2, max: 2 }),
    fc.constantFrom<unknown>(new JDouble(1), new JDouble(-0), new JDouble(1.5), new JChar('a'), new JChar('1')),
  );
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }).map((d) => ({ ...d })),
      fc.tuple(fc.constantFrom('a', 'b'), tie('value')).map(([k, v]) => new MapEntry(k, v)),
    ),
  }));
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v instanceof MapEntry) return new MapEntry(v.key, copy(v.value));
    if (isMap(v))
      return Object.fromEntries(
        Object.keys(v)
          .reverse()
          .map((k) => [k, copy(v[k])]),
      );
    return v;
  };

  it('is equal exactly when javaEquals is (random pairs, copies, reordered maps)', () => {
    fc.assert(
      fc.property(value, value, fc.boolean(), (a, other, same) => {
        const b = same ? copy(a) : other;
        expect(javaKey(a) === javaKey(b)).toBe(javaEquals(a, b));
      }),
      { numRuns: 3000 },
    );
  });
});
