import { JDouble } from '../../src/engine/values.js';
import { javaHashMapOrder } from '../../src/engine/builtins/kestra/common.js';
import { expectTemplateError, filter, render } from '../support/kestra.js';

describe('keys', () => {
  it('gives map keys in order and list indexes', () => {
    expect(filter('keys', { b: 1, a: 2 })).toEqual(['b', 'a']);
    expect(filter('keys', ['x', 'y', 'z'])).toEqual([0, 1, 2]);
    expect(filter('keys', [])).toEqual([]);
  });
  it('returns null for null and rejects scalars', () => {
    expect(filter('keys', null)).toBeNull();
    expectTemplateError(
      () => filter('keys', 'abc'),
      "'keys' filter can only be applied to List, Map, Array. Actual type was: java.lang.String",
    );
  });
});

describe('values', () => {
  it('gives map values, nulls included', () => {
    expect(filter('values', { k: 'v', n: null })).toEqual(['v', null]);
  });
  it('returns null for null and rejects lists and scalars', () => {
    expect(filter('values', null)).toBeNull();
    expectTemplateError(() => filter('values', [1]), "'values' filter can only be applied to Map. Actual type was: java.util.ArrayList");
    expectTemplateError(() => filter('values', 1), 'java.lang.Integer');
  });
});

describe('flatten', () => {
  it('removes one level of nesting', () => {
    expect(filter('flatten', [[1, [2]], [3], 4])).toEqual([1, [2], 3, 4]);
  });
  it('returns null for null and rejects non-lists', () => {
    expect(filter('flatten', null)).toBeNull();
    expectTemplateError(() => filter('flatten', 'abc'), "The 'flatten' filter can only be applied to lists.");
    expectTemplateError(() => filter('flatten', { a: [1] }), 'only be applied to lists');
  });
});

describe('chunk', () => {
  it('partitions a list', () => {
    expect(filter('chunk', [1, 2, 3, 4, 5], [2])).toEqual([[1, 2], [3, 4], [5]]);
    expect(filter('chunk', [1, 2], [5n])).toEqual([[1, 2]]);
    expect(filter('chunk', [], [2])).toEqual([]);
  });
  it('returns null for null; rejects a missing, non-numeric or non-positive size and non-lists', () => {
    expect(filter('chunk', null, [2])).toBeNull();
    expectTemplateError(() => filter('chunk', [1]), "'chunk' filter expects an argument 'size'.");
    expectTemplateError(() => filter('chunk', [1], ['2']), "argument 'size' must be a number");
    expectTemplateError(() => filter('chunk', [1], [0]), 'must be greater than zero');
    expectTemplateError(() => filter('chunk', 'abc', [2]), "'chunk' filter can only be applied to List");
  });
});

describe('distinct', () => {
  it('keeps first occurrences, with Java equality (1, 1L and 1.0 differ)', () => {
    expect(filter('distinct', [1, 2, 2, 3, 1])).toEqual([1, 2, 3]);
    const out = filter('distinct', [1, 1n, new JDouble(1), new JDouble(1), '1']) as unknown[];
    expect(out).toHaveLength(4);
    expect(filter('distinct', [{ a: 1 }, { a: 1 }])).toEqual([{ a: 1 }]);
  });
  it('returns the string "null" for null (as Kestra does) and rejects non-lists', () => {
    expect(filter('distinct', null)).toBe('null');
    expectTemplateError(() => filter('distinct', 'abc'), 'Input must be a list, but received : java.lang.String');
  });
});

describe('Java HashMap order', () => {
  it('matches what java.util.HashMap iterates', () => {
    // Worked out by hand from String.hashCode: "zz" = 3904 (bucket 0), "a" = 97 (1), "b" = 98 (2);
    // "Aa" and "BB" share hash 2112 (bucket 0), so they keep insertion order.
    expect(javaHashMapOrder(['b', 'a', 'zz'])).toEqual(['zz', 'a', 'b']);
    expect(javaHashMapOrder(['a', 'BB', 'Aa'])).toEqual(['BB', 'Aa', 'a']);
    // 13 keys grow the table to 32 buckets: "q" (113) then lands in bucket 17, after "a" (1).
    const keys = ['q', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'];
    expect(javaHashMapOrder(keys).slice(0, 2)).toEqual(['a', 'b']);
    expect(javaHashMapOrder(keys).indexOf('q')).toBe(12);
  });
});

describe('collections through the engine', () => {
  it('print as JSON', async () => {
    const ctx = { m: { k: 'v', n: null }, l: [1, 2, 3, 4, 5], nested: [[1, [2]], [3]] };
    expect(await render('{{ m | values }}', ctx)).toBe('["v",null]');
    expect(await render('{{ l | chunk(2) }}', ctx)).toBe('[[1,2],[3,4],[5]]');
    expect(await render('{{ nested | flatten }}', ctx)).toBe('[1,[2],3]');
    expect(await render('{{ l | keys | length }}', ctx)).toBe('5');
    expect(await render('{{ null | distinct }}')).toBe('null');
  });
});
