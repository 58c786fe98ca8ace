/**
 * Conversions and utilities: `number`, `string`, `className` filters; `uuid`, `id`, `nanoId`,
 * `randomInt`, `printContext` (and its other name `fetchContext`), `env` functions.
 */
import { randomBytes, randomInt as cryptoRandomInt } from 'node:crypto';
import type { FilterDefinition, FunctionDefinition } from '../../extension.js';
import { isIntegral, isMap, javaClassName, mapKeys, newMap, toJavaString } from '../../values.js';
import { castError, functionError, optString, toJavaHashMap } from './common.js';
import {
  JBigDecimal,
  JBigInteger,
  JFloat,
  createNumber,
  javaBigInteger,
  javaDoubleValueOf,
  javaFloatValueOf,
  javaIntegerDecode,
  javaLongDecode,
  parseBigDecimal,
} from './numbers.js';

const number: FilterDefinition = {
  argNames: ['type'],
  call(input, args) {
    if (input === null || input === undefined) return null;
    if (typeof input !== 'string') {
      throw functionError(`'number' filter can only be applied to String. Actual type was: ${kestraClassName(input)}`);
    }
    switch (optString(args, 'type') ?? '') {
      case 'INT':
        return javaIntegerDecode(input);
      case 'FLOAT':
        return javaFloatValueOf(input);
      case 'LONG':
        return javaLongDecode(input);
      case 'DOUBLE':
        return javaDoubleValueOf(input);
      case 'BIGDECIMAL':
        if (input.trim() === '') throw functionError('A blank string is not a valid number');
        return parseBigDecimal(input);
      case 'BIGINTEGER':
        return javaBigInteger(input);
      default:
        return createNumber(input);
    }
  },
};

/** The Java class Kestra would hold the value as (Float and BigDecimal boxes included). */
export function kestraClassName(value: unknown): string {
  if (value instanceof JFloat) return 'java.lang.Float';
  if (value instanceof JBigDecimal) return 'java.math.BigDecimal';
  if (value instanceof JBigInteger) return 'java.math.BigInteger';
  return javaClassName(value);
}

const className: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return null;
    return kestraClassName(input);
  },
};

/**
 * Newer Kestra (PR #7428 as merged): any value to its string form (Java `toString()`); the
 * first draft only took numbers and numeric strings.
 */
const string: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return null;
    return toJavaString(input);
  },
};

// ---------------------------------------------------------------------------------------------
// Identifiers and randomness
// ---------------------------------------------------------------------------------------------

/** A version 7 UUID (time-ordered), as newer Kestra's `uuid()` generates. */
export function uuidV7(): string {
  const bytes = randomBytes(16);
  let ms = BigInt(Date.now());
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(ms & 0xffn);
    ms >>= 8n;
  }
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Kestra's short id: a random UUID in base 62 (22 characters). */
export function kestraId(): string {
  let v = BigInt('0x' + randomBytes(16).toString('hex'));
  let out = '';
  for (let i = 0; i < 22; i++) {
    out = BASE62[Number(v % 62n)] + out;
    v /= 62n;
  }
  return out;
}

const NANO_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';

const nanoId: FunctionDefinition = {
  argNames: ['length', 'alphabet'],
  call(args) {
    let length = 21;
    // Kestra only honours a Long length and a String alphabet; other types fall back silently.
    const lengthArg = args['length'];
    if (isIntegral(lengthArg)) {
      if (Number(lengthArg) > 1000) throw functionError(`The 'nanoId()' function field 'length' must be lower than: 1000`);
      length = Number(lengthArg);
      if (length < 0) throw functionError(`The 'nanoId()' function field 'length' must not be negative`);
    }
    const alphabetArg = args['alphabet'];
    const alphabet = typeof alphabetArg === 'string' ? alphabetArg : NANO_ALPHABET;
    if (alphabet.length === 0) throw functionError(`The 'nanoId()' function field 'alphabet' must not be empty`);
    // Same mapping as Kestra: byte & (size - 1), which is uniform only for power-of-two alphabets.
    const mask = alphabet.length - 1;
    const bytes = randomBytes(length);
    let out = '';
    for (const b of bytes) out += alphabet[((b << 24) >> 24) & mask] ?? alphabet[b & mask] ?? '';
    return out;
  },
};

function longArg(args: Readonly<Record<string, unknown>>, name: string): bigint {
  if (!Object.hasOwn(args, name) || args[name] === undefined) throw functionError(`The 'randomInt()' function expects an argument ${name}`);
  const v = args[name];
  // Kestra 0.21 wanted a Long; newer accepts the Integers that context values are.
  if (!isIntegral(v)) throw functionError(`The 'randomInt()' function expects an argument ${name} of type Long.`);
  return BigInt(v);
}

const randomInt: FunctionDefinition = {
  argNames: ['lower', 'upper'],
  call(args) {
    const lower = longArg(args, 'lower');
    const upper = longArg(args, 'upper');
    if (upper < lower) throw functionError(`In 'randomInt()' upper is less than lower`);
    if (upper === lower) return Number(BigInt.asIntN(32, lower));
    const span = upper - lower;
    const offset = span <= 281474976710655n ? BigInt(cryptoRandomInt(Number(span))) : BigInt(Math.floor(Math.random() * Number(span)));
    return Number(BigInt.asIntN(32, lower + offset));
  },
};

const printContext: FunctionDefinition = {
  call(_args, ctx) {
    const vars = ctx.variables();
    // Kestra collects the variables into a HashMap, so they come out in hash order.
    return toJavaHashMap(
      mapKeys(vars)
        .filter((k) => k !== '_context')
        .map((k) => [k, vars[k]] as const),
    );
  },
};

/** The `envs` map Kestra builds: `ENV_`-prefixed process variables, prefix stripped, lower-cased. */
export function envsFromProcess(prefix = 'ENV_'): Record<string, unknown> {
  const out = newMap();
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith(prefix) && v !== undefined) out[k.slice(prefix.length).toLowerCase()] = v;
  }
  return out;
}

const env: FunctionDefinition = {
  argNames: ['name', 'default'],
  call(args, ctx) {
    if (!Object.hasOwn(args, 'name')) throw functionError(`The 'env' function expects an argument 'name'.`);
    const name = args['name'];
    if (typeof name !== 'string') throw castError(name, 'java.lang.String');
    const fallback = args['default'] ?? null;
    const fromContext = ctx.lookup('envs');
    const envs = isMap(fromContext) ? fromContext : envsFromProcess();
    // Exact key first (Kestra); then the normalised form, so env('ENV_FOO') finds envs.foo.
    const candidates = [name, name.replace(/^ENV_/i, '').toLowerCase()];
    for (const key of candidates) {
      if (!Object.hasOwn(envs, key)) continue;
      const value = envs[key];
      if (value === null || value === undefined || toJavaString(value) === '') continue;
      return value;
    }
    return fallback;
  },
};

export const miscFilters: Record<string, FilterDefinition> = { number, string, className };
export const miscFunctions: Record<string, FunctionDefinition> = {
  uuid: { call: () => uuidV7() },
  id: { call: () => kestraId() },
  nanoId,
  randomInt,
  printContext,
  // Kestra registers the same function under both names (Extension.getFunctions, develop @58c1ca2d).
  fetchContext: printContext,
  env,
};
