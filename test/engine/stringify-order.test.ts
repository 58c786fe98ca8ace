/**
 * stringifyKeepingOrder: JSON.stringify's text, except that maps carrying a Java key order
 * (integer-like keys out of JavaScript's place) are written in it.
 */
import fc from 'fast-check';
import { parseJsonKeepingOrder } from '../../src/engine/builtins/kestra/json.js';
import { orderedMap, stringifyKeepingOrder } from '../../src/engine/map-order.js';

test('writes what JSON.stringify writes for any value without a recorded order', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      expect(stringifyKeepingOrder(value)).toBe(JSON.stringify(value));
    }),
    { numRuns: 500 },
  );
  const odd = { u: undefined, f: () => 1, n: Number.NaN, i: -Infinity, d: new Date(0), z: -0, l: [undefined, () => 1], s: new String('x') };
  expect(stringifyKeepingOrder(odd)).toBe(JSON.stringify(odd));
  expect(stringifyKeepingOrder(undefined)).toBeUndefined();
});

test('writes a reordered map in its Java order, wherever it is, and round-trips through parseJsonKeepingOrder', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.oneof(fc.constantFrom('b', 'a', 'key'), fc.nat({ max: 3000 }).map(String)), { maxLength: 6 }), (keys) => {
      const map = orderedMap(keys.map((k, i) => [k, i]));
      const expected = '{' + keys.map((k, i) => `${JSON.stringify(k)}:${i}`).join(',') + '}';
      const nested = { list: [map, { inner: map }], undef: undefined };
      expect(stringifyKeepingOrder(map)).toBe(expected);
      expect(stringifyKeepingOrder(nested)).toBe(`{"list":[${expected},{"inner":${expected}}]}`);
      expect(stringifyKeepingOrder(parseJsonKeepingOrder(stringifyKeepingOrder(nested)!))).toBe(stringifyKeepingOrder(nested));
    }),
    { numRuns: 500 },
  );
});

test('refuses cycles and bigints as JSON.stringify does', () => {
  const map = orderedMap([
    ['b', 1],
    ['2024', 2],
  ]);
  map['self'] = map;
  expect(() => stringifyKeepingOrder(map)).toThrow(TypeError);
  expect(() => stringifyKeepingOrder({ n: 1n })).toThrow(TypeError);
});
