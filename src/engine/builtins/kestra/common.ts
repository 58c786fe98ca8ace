/**
 * Small helpers shared by Kestra's built-ins: Java-style casts with Kestra's error texts,
 * MaybePromise chaining, and Java `HashMap` iteration order (several Kestra filters build a
 * `HashMap`, so their key order is the hash order, not the insertion order).
 */
import { TemplateError } from '../../errors.js';
import type { Args, MaybePromise } from '../../extension.js';
import { javaClassName, newMap, setKeyOrder } from '../../values.js';

export function typeError(message: string): TemplateError {
  return new TemplateError('TYPE_ERROR', message);
}

export function functionError(message: string, cause?: unknown): TemplateError {
  return new TemplateError('FUNCTION_ERROR', message, cause === undefined ? undefined : { cause });
}

/** Java's ClassCastException text, which is what a failed `(String) x` cast shows in Kestra. */
export function castError(value: unknown, target: string): TemplateError {
  return typeError(`class ${javaClassName(value)} cannot be cast to class ${target}`);
}

/** `(String) args.get(name)`: null stays null, anything but a string is a cast error. */
export function optString(args: Args, name: string): string | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw castError(v, 'java.lang.String');
  return v;
}

/** Applies `f` now when `v` is a value, later when it is a Promise (keeps sync renders sync). */
export function then<T, R>(v: MaybePromise<T>, f: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** Maps `f` over items, staying synchronous until the first item that returns a Promise. */
export function mapMaybe<T, R>(items: readonly T[], f: (item: T) => MaybePromise<R>): MaybePromise<R[]> {
  const out: R[] = [];
  const step = (i: number): MaybePromise<R[]> => {
    for (; i < items.length; i++) {
      const r = f(items[i] as T);
      if (r instanceof Promise) {
        const next = i + 1;
        return r.then((v) => {
          out.push(v);
          return step(next);
        });
      }
      out.push(r);
    }
    return out;
  };
  return step(0);
}

/** Java's `String.hashCode()`. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The order in which a `java.util.HashMap<String, ?>` filled with `keys` (in that order)
 * iterates: bucket index of the spread hash in the final table, ties by insertion order
 * (a resize splits buckets without reordering them). Treeified buckets (8+ collisions in one
 * bucket) are not modelled; they need pathological keys.
 */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  let capacity = 16;
  while (keys.length > capacity * 0.75) capacity *= 2;
  const mask = capacity - 1;
  const indexed = keys.map((k, i) => {
    const h = javaStringHash(k);
    return { k, i, bucket: (h ^ (h >>> 16)) & mask };
  });
  indexed.sort((a, b) => a.bucket - b.bucket || a.i - b.i);
  return indexed.map((e) => e.k);
}

/** A new engine map whose keys follow Java `HashMap` order. */
export function toJavaHashMap(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const byKey = new Map<string, unknown>();
  for (const [k, v] of entries) byKey.set(k, v);
  const out = newMap();
  const order = javaHashMapOrder([...byKey.keys()]);
  for (const k of order) out[k] = byKey.get(k);
  return setKeyOrder(out, order);
}
