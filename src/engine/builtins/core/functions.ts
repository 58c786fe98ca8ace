/** Pebble's core functions: max, min, range (`block` is handled by the compiler). */
import { LimitExceededError, TemplateError } from '../../errors.js';
import type { Args, FunctionDefinition } from '../../extension.js';
import { compare } from '../../operations.js';
import { JChar, isNumber, toLong } from '../../values.js';

/** Ranges longer than this fail instead of exhausting memory (`range(0, 100000000)`). */
export const DEFAULT_MAX_RANGE_SIZE = 1_000_000;

function extreme(args: Args, pick: '>' | '<'): unknown {
  let best: unknown = null;
  for (let i = 0; Object.hasOwn(args, String(i)); i++) {
    const candidate = args[String(i)];
    if (best === null || best === undefined) {
      best = candidate;
      continue;
    }
    // MaxFunction/MinFunction call OperatorUtils.gt/lt directly, with its own failure text.
    if (candidate !== null && candidate !== undefined && (!isNumber(candidate) || !isNumber(best))) {
      throw new TemplateError(
        'TYPE_ERROR',
        `invalid operands for mathematical comparison [${pick === '>' ? 'GREATER_THAN' : 'LESS_THAN'}]`,
      );
    }
    if (compare(pick, candidate, best)) best = candidate;
  }
  return best ?? null;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const isSafe = (v: bigint): boolean => v <= SAFE && v >= -SAFE;

export function rangeList(start: unknown, end: unknown, increment: unknown, maxSize: number): unknown[] {
  const inc = increment === null || increment === undefined ? 1n : isNumber(increment) ? toLong(increment) : null;
  if (inc === null) throw new TemplateError('FUNCTION_ERROR', `The increment of the range function must be a number ${String(increment)}`);
  if (inc === 0n) throw new TemplateError('FUNCTION_ERROR', 'The increment of the range function must be different than 0');
  const tooLong = (): TemplateError => new LimitExceededError('maxRangeSize', `range() would produce more than ${maxSize} elements`);
  if (isNumber(start) && isNumber(end)) {
    const from = toLong(start);
    const to = toLong(end);
    const count = inc > 0n ? (to >= from ? (to - from) / inc + 1n : 0n) : from >= to ? (from - to) / -inc + 1n : 0n;
    if (count > BigInt(maxSize)) throw tooLong();
    const n = Number(count);
    const last = from + inc * (count - 1n);
    if (n > 0 && isSafe(from) && isSafe(last)) {
      // One BigInt per element instead of three (counter, value, sum): half the time a range takes
      // (a million elements hold the thread for a fraction of a second; no budget point is inside).
      const out = new Array<bigint>(n);
      // Every value lies between two safe integers: the running sum stays exact.
      const step = Number(inc);
      for (let i = 0, v = Number(from); i < n; i++, v += step) out[i] = BigInt(v);
      return out;
    }
    const out: bigint[] = [];
    for (let i = 0n, v = from; i < count; i++, v += inc) out.push(v);
    return out;
  }
  if (typeof start === 'string' && typeof end === 'string') {
    if (start.length !== 1 || end.length !== 1) {
      throw new TemplateError('FUNCTION_ERROR', 'Arguments of range function must be of type Number or String with a length of 1');
    }
    const step = Number(inc);
    const from = start.charCodeAt(0);
    const to = end.charCodeAt(0);
    const out: JChar[] = [];
    for (let c = from; step > 0 ? c <= to : c >= to; c += step) {
      if (out.length >= maxSize) throw tooLong();
      out.push(new JChar(String.fromCharCode(c)));
    }
    return out;
  }
  throw new TemplateError('FUNCTION_ERROR', 'Arguments of range function must be of type Number or String with a length of 1');
}

export function coreFunctions(maxRangeSize: number): Readonly<Record<string, FunctionDefinition>> {
  return {
    max: { call: (args) => extreme(args, '>') },
    min: { call: (args) => extreme(args, '<') },
    range: {
      argNames: ['start', 'end', 'increment'],
      call: (args) => rangeList(args['start'], args['end'], args['increment'], maxRangeSize),
    },
  };
}
