/**
 * Java's map key order on plain JavaScript objects.
 *
 * Kestra's maps iterate in a defined order: JSON read by Jackson and YAML are `LinkedHashMap`s
 * (insertion order), map literals and `merge` are `HashMap`s (hash order). A JavaScript object
 * lists integer-like keys ("1", "2024") first, in ascending order, whatever the insertion order.
 *
 * Representation: a map the engine builds stays a plain, prototype-less object (attribute access,
 * the hot path, stays one own-property read, and the sandbox's reading rule is unchanged). Only
 * when JavaScript's own order would differ from Java's (some key is integer-like and out of
 * place) does the map carry its Java order in a non-enumerable own symbol: invisible to
 * templates (they reach string keys only), to `Object.keys`, `JSON.stringify` and spreads. Every
 * enumeration in the engine goes through `mapKeys(map)`. A `Map`-backed value was rejected: each
 * attribute read would need a type test and a `get`, and every embedder-facing object would
 * change shape. A `WeakMap` side table was rejected: a symbol read on the object is cheaper and
 * follows the object wherever it goes.
 *
 * Objects handed in by an embedder carry no symbol and keep their JavaScript order. A map that is
 * changed after it was built still enumerates every key it has: the recorded order first, then the
 * new keys (JavaScript order).
 */

const KEY_ORDER: unique symbol = Symbol('pebbleflow.javaKeyOrder');

type Ordered = { [KEY_ORDER]?: readonly string[] };

/** A key JavaScript enumerates before the others (an array index: "0" … "4294967294"). */
export function isIndexKey(key: string): boolean {
  const n = key.length;
  if (n === 0 || n > 10) return false;
  const c0 = key.charCodeAt(0);
  if (c0 < 48 || c0 > 57 || (c0 === 48 && n > 1)) return false;
  for (let i = 1; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return n < 10 || Number(key) < 4294967295;
}

/** The map's keys in its Java iteration order (a fresh array the caller may keep or change). */
export function mapKeys(map: object): string[] {
  const order = (map as Ordered)[KEY_ORDER];
  const keys = Object.keys(map);
  if (order === undefined) return keys;
  if (order.length === keys.length) {
    let intact = true;
    for (const k of order) {
      if (!Object.hasOwn(map, k)) {
        intact = false;
        break;
      }
    }
    if (intact) return order.slice();
  }
  // Changed since it was built: the recorded keys still there, then the new ones.
  const out = order.filter((k) => Object.hasOwn(map, k));
  const known = new Set(out);
  for (const k of keys) if (!known.has(k)) out.push(k);
  return out;
}

/**
 * Records `keys` (every own key of `map`, in Java's order) as the map's order, when JavaScript's
 * would differ. Returns the map.
 */
export function setKeyOrder<T extends object>(map: T, keys: readonly string[]): T {
  const js = Object.keys(map);
  let same = js.length === keys.length;
  for (let i = 0; same && i < js.length; i++) same = js[i] === keys[i];
  if (same) {
    if ((map as Ordered)[KEY_ORDER] !== undefined) Object.defineProperty(map, KEY_ORDER, { value: undefined });
    return map;
  }
  Object.defineProperty(map, KEY_ORDER, { value: Object.freeze(keys.slice()), configurable: true, writable: false, enumerable: false });
  return map;
}

/** Gives `to` (a copy of `from` with the same keys) the key order of `from`. */
export function copyKeyOrder<T extends object>(from: object, to: T): T {
  const order = (from as Ordered)[KEY_ORDER];
  return order === undefined ? to : setKeyOrder(to, mapKeys(from));
}

/** Whether the map carries a Java order that differs from JavaScript's. */
export function hasKeyOrder(map: object): boolean {
  return (map as Ordered)[KEY_ORDER] !== undefined;
}

/**
 * Fills a new prototype-less map in insertion order (a `LinkedHashMap`): a repeated key keeps its
 * first place and takes the last value, as `put` does. Costs nothing extra until an integer-like
 * key arrives.
 */
export class OrderedMapBuilder {
  readonly map: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  private order: string[] | null = null;

  set(key: string, value: unknown): void {
    const map = this.map;
    if (this.order !== null) {
      if (!Object.hasOwn(map, key)) this.order.push(key);
    } else if (isIndexKey(key) && !Object.hasOwn(map, key)) {
      // Every key so far is a plain one, so Object.keys is still the insertion order.
      this.order = Object.keys(map);
      this.order.push(key);
    }
    map[key] = value;
  }

  /** `putIfAbsent`. */
  setIfAbsent(key: string, value: unknown): void {
    if (!Object.hasOwn(this.map, key)) this.set(key, value);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.map, key);
  }

  build(): Record<string, unknown> {
    if (this.order !== null) setKeyOrder(this.map, this.order);
    return this.map;
  }
}

/** A new prototype-less map holding `entries` in insertion order. */
export function orderedMap(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const b = new OrderedMapBuilder();
  for (const [k, v] of entries) b.set(k, v);
  return b.build();
}

/**
 * `JSON.stringify(value)` that writes each map in its Java order (`mapKeys`): what the execution
 * stores and the REST API write, so that a saved or served execution keeps `{"b":1,"2024":2}` as
 * Kestra does. Otherwise the same text as JSON.stringify (`toJSON`, left-out `undefined` and
 * functions, `null` for non-finite numbers, a TypeError on a cycle or a bigint); a value holding no
 * reordered map is written by JSON.stringify itself.
 */
export function stringifyKeepingOrder(value: unknown): string | undefined {
  let reordered = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!reordered && typeof v === 'object' && v !== null && (v as Ordered)[KEY_ORDER] !== undefined) reordered = true;
    return v;
  });
  return reordered ? writeOrdered(value, '', []) : text;
}

function writeOrdered(input: unknown, key: string, ancestors: object[]): string | undefined {
  let v = input;
  if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    v = (v as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (v === null) return 'null';
      if (ancestors.includes(v)) throw new TypeError('Converting circular structure to JSON');
      ancestors.push(v);
      let out: string;
      if (Array.isArray(v)) {
        out = '[' + v.map((item: unknown, i) => writeOrdered(item, String(i), ancestors) ?? 'null').join(',') + ']';
      } else {
        const parts: string[] = [];
        for (const k of mapKeys(v)) {
          const written = writeOrdered((v as Record<string, unknown>)[k], k, ancestors);
          if (written !== undefined) parts.push(JSON.stringify(k) + ':' + written);
        }
        out = '{' + parts.join(',') + '}';
      }
      ancestors.pop();
      return out;
    }
    default:
      return undefined;
  }
}
