/** Kestra's collection filters: keys, values, flatten, chunk, distinct. */
import type { FilterDefinition } from '../../extension.js';
import { ValueWalk, isList, isMap, isNumber, javaClassName, javaKey, mapKeys, toInt } from '../../values.js';
import { functionError } from './common.js';

const keys: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return null;
    if (isMap(input)) return mapKeys(input);
    if (isList(input)) return input.map((_, i) => i);
    throw functionError(`'keys' filter can only be applied to List, Map, Array. Actual type was: ${javaClassName(input)}`);
  },
};

const values: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return null;
    if (isMap(input)) return mapKeys(input).map((k) => input[k] ?? null);
    throw functionError(`'values' filter can only be applied to Map. Actual type was: ${javaClassName(input)}`);
  },
};

const flatten: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return null;
    if (!isList(input)) throw functionError(`The 'flatten' filter can only be applied to lists.`);
    const out: unknown[] = [];
    for (const item of input) {
      if (isList(item)) out.push(...item);
      else out.push(item);
    }
    return out;
  },
};

const chunk: FilterDefinition = {
  argNames: ['size'],
  call(input, args) {
    if (input === null || input === undefined) return null;
    if (!Object.hasOwn(args, 'size')) throw functionError(`'chunk' filter expects an argument 'size'.`);
    if (!isList(input)) throw functionError(`'chunk' filter can only be applied to List. Actual type was: ${javaClassName(input)}`);
    const size = args['size'];
    if (!isNumber(size)) throw functionError(`'chunk' filter argument 'size' must be a number. Actual type was: ${javaClassName(size)}`);
    const n = toInt(size);
    // Guava's Lists.partition rejects a size below 1.
    if (n <= 0) throw functionError(`size (${n}) must be greater than zero`);
    const out: unknown[][] = [];
    for (let i = 0; i < input.length; i += n) out.push(input.slice(i, i + n));
    return out;
  },
};

const distinct: FilterDefinition = {
  call(input) {
    // Kestra returns the *string* "null" here, unlike its other filters.
    if (input === null || input === undefined) return 'null';
    if (!isList(input)) throw functionError(`Input must be a list, but received : ${javaClassName(input)}`);
    // Java's stream().distinct() is hash-based; javaKey gives the same answer in linear time.
    const out: unknown[] = [];
    const seen = new Set<string>();
    const walk = new ValueWalk();
    for (const item of input) {
      const key = javaKey(item, walk);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(item);
      }
    }
    return out;
  },
};

export const collectionFilters: Record<string, FilterDefinition> = { keys, values, flatten, chunk, distinct };
