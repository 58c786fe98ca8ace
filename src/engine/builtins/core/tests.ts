/** Pebble's core tests: defined, empty, null, even, odd, iterable, map. */
import { TemplateError } from '../../errors.js';
import type { TestDefinition } from '../../extension.js';
import { isList, isMap, javaClassName, javaType, toLong } from '../../values.js';

/** EmptyTest: null, a blank string, or an empty list or map. */
export function emptyTest(input: unknown): boolean {
  if (input === null || input === undefined) return true;
  if (typeof input === 'string') return input.trim() === '';
  if (isList(input)) return input.length === 0;
  if (isMap(input)) return Object.keys(input).length === 0;
  return false;
}

function parity(input: unknown, test: 'even' | 'odd'): boolean {
  if (input === null || input === undefined) throw new TemplateError('FUNCTION_ERROR', `Can not pass null value to "${test}" test.`);
  const t = javaType(input);
  if (t !== 'Integer' && t !== 'Long') {
    throw new TemplateError('TYPE_ERROR', `class ${javaClassName(input)} cannot be cast to class java.lang.Long`);
  }
  const even = toLong(input as number | bigint) % 2n === 0n;
  return test === 'even' ? even : !even;
}

export const coreTests: Readonly<Record<string, TestDefinition>> = {
  // The engine evaluates the operand of `defined` so that a missing variable reads as null.
  defined: { call: (input) => input !== null && input !== undefined },
  empty: { call: (input) => emptyTest(input) },
  null: { call: (input) => input === null || input === undefined },
  even: { call: (input) => parity(input, 'even') },
  odd: { call: (input) => parity(input, 'odd') },
  iterable: { call: (input) => isList(input) },
  map: { call: (input) => isMap(input) },
};
