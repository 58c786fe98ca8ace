/**
 * Pebble 3.2.2's core filters as Kestra keeps them (ExtensionCustomizer): `escape` and `raw` are
 * gone, `numberformat` is `numberFormat`, and `replace` is Kestra's (maps of pairs, `regexp`,
 * recursive over lists and maps). Lists are sorted and reversed in place, as Pebble does.
 */
import { createHash } from 'node:crypto';
import { LimitExceededError, TemplateError } from '../../errors.js';
import { UNMETERED, type CallBudget } from '../../budget.js';
import type { Args, CallContext, FilterDefinition, MaybePromise } from '../../extension.js';
import { allMatches, type RegexMatch } from '../../regex.js';
import { JavaPattern, javaReplaceAll, type JavaRegexOptions } from '../../java-regex.js';
import {
  JChar,
  JDouble,
  MapEntry,
  isJavaArray,
  isJavaList,
  javaHashMap,
  isList,
  isMap,
  isNumber,
  javaClassName,
  javaType,
  makeDouble,
  mapKeys,
  markJavaArray,
  newMap,
  setKeyOrder,
  toDouble,
  toInt,
  toJavaString,
  ValueWalk,
} from '../../values.js';
import { formatDecimal, formatDefault } from './number-format.js';
import { US_SYMBOLS, decimalSymbols, parseJavaLocale } from '../../locale.js';
import { emptyTest } from './tests.js';

function typeError(message: string): TemplateError {
  return new TemplateError('TYPE_ERROR', message);
}

/** Java's `(String) input` cast. */
export function castString(value: unknown): string {
  if (typeof value === 'string') return value;
  throw typeError(`class ${javaClassName(value)} cannot be cast to class java.lang.String`);
}

/** Java's `(List) input` cast: a Java array (`split`'s result) is not a List. */
function castList(value: unknown): unknown[] {
  if (isJavaList(value)) return value;
  throw typeError(`class ${javaClassName(value)} cannot be cast to class java.util.List`);
}

/** Java's `Character.toTitleCase` for a UTF-16 unit (close enough: upper case of one unit). */
function titleCase(c: string): string {
  const upper = c.toUpperCase();
  return upper.length === 1 ? upper : c;
}

const JAVA_WHITESPACE = /[\t\n\u000b\f\r\u001c-\u001f \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/;

/** `String.trim()`: strips code units <= U+0020 only. */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 32) start++;
  while (end > start && s.charCodeAt(end - 1) <= 32) end--;
  return s.slice(start, end);
}

/** `String.split(regex, limit)` with Java's rules for empty leading and trailing strings. */
export function javaSplit(input: string, delimiter: string, limit: number, budget: CallBudget = UNMETERED): MaybePromise<string[]> {
  // split reads no groups (only where each match starts and ends), so helper groups never show.
  const pattern = compileJava(delimiter, { capturesRead: false });
  const matches = allMatches(pattern.regexFor(input), input, budget);
  return matches instanceof Promise ? matches.then((m) => splitAt(input, m, limit)) : splitAt(input, matches, limit);
}

function splitAt(input: string, matches: readonly RegexMatch[], limit: number): string[] {
  const list: string[] = [];
  let index = 0;
  for (const m of matches) {
    const start = m.index;
    const end = start + (m.groups[0] ?? '').length;
    if (limit > 0 && list.length >= limit - 1) break;
    // No leading empty string for a zero-width match at the beginning (Java 8+).
    if (index === 0 && start === 0 && start === end) continue;
    list.push(input.slice(index, start));
    index = end;
  }
  if (index === 0) return [input];
  list.push(input.slice(index));
  if (limit === 0) while (list.length > 0 && list[list.length - 1] === '') list.pop();
  return list;
}

/** A Java pattern (java-regex.ts) for a core filter; Java's syntax errors and untranslatable patterns are FUNCTION_ERRORs. */
function compileJava(pattern: string, options: JavaRegexOptions = {}): JavaPattern {
  try {
    return JavaPattern.compile(pattern, options, 'g');
  } catch (e) {
    throw new TemplateError('FUNCTION_ERROR', `Invalid regular expression "${pattern}": ${(e as Error).message}`, { cause: e });
  }
}

function replacementError(message: string): TemplateError {
  return new TemplateError('FUNCTION_ERROR', message);
}

/** Java's `Comparable` ordering for `sort`: one type only, as Collections.sort would insist. */
function compareComparable(a: unknown, b: unknown): number {
  const ta = javaType(a);
  const tb = javaType(b);
  if (a === null || a === undefined || b === null || b === undefined) throw typeError('Cannot sort a list that contains null');
  if (ta !== tb) throw typeError(`class ${javaClassName(b)} cannot be cast to class ${javaClassName(a)}`);
  if (ta === 'String' || ta === 'Character') {
    const x = String(a);
    const y = String(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ta === 'Boolean') return Number(a) - Number(b);
  if (isNumber(a) && isNumber(b)) {
    if (typeof a === 'bigint' || typeof b === 'bigint') {
      const x = BigInt(typeof a === 'bigint' ? a : Math.trunc(toDouble(a)));
      const y = BigInt(typeof b === 'bigint' ? b : Math.trunc(toDouble(b)));
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return toDouble(a) - toDouble(b);
  }
  throw typeError(`class ${javaClassName(a)} cannot be cast to class java.lang.Comparable`);
}

function sortInPlace(list: unknown[], reverse: boolean): unknown[] {
  const sorted = list.slice().sort((a, b) => (reverse ? compareComparable(b, a) : compareComparable(a, b)));
  try {
    for (let i = 0; i < sorted.length; i++) list[i] = sorted[i];
    return list;
  } catch {
    return sorted;
  }
}

function longArgument(value: unknown, filter: string): number {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || value === undefined) throw typeError(`The '${filter}' filter needs a length argument`);
  throw typeError(`class ${javaClassName(value)} cannot be cast to class java.lang.Long`);
}

/** Kestra's `replace`: a map of pairs, applied in order; `regexp=true` uses `replaceAll`. Synchronous unless a pattern runs off-thread. */
function replaceValue(
  value: unknown,
  pairs: Record<string, unknown>,
  regexp: boolean,
  depth: number,
  budget: CallBudget,
  walk = new ValueWalk(),
): MaybePromise<unknown> {
  if (depth > 100) throw new LimitExceededError('nesting', 'replace: value nested too deeply');
  if (typeof value === 'string') {
    const keys = mapKeys(pairs);
    const step = (out: string, i: number): MaybePromise<string> => {
      for (; i < keys.length; i++) {
        const key = keys[i]!;
        const replacement = toJavaString(pairs[key]);
        if (regexp) {
          // Java's replacement syntax: $1 and ${name} groups, \ escapes.
          const replaced = javaReplaceAll(compileJava(key), out, replacement, replacementError, budget);
          if (replaced instanceof Promise) {
            const next = i + 1;
            return replaced.then((r) => step(r, next));
          }
          out = replaced;
        } else {
          out = out.split(key).join(replacement);
        }
      }
      return out;
    };
    return step(value, 0);
  }
  if (isList(value)) {
    walk.enter();
    return settleAll(value.map((v) => replaceValue(v, pairs, regexp, depth + 1, budget, walk)));
  }
  if (isMap(value)) {
    walk.enter();
    const keys = mapKeys(value);
    const values = settleAll(keys.map((k) => replaceValue(value[k], pairs, regexp, depth + 1, budget, walk)));
    const build = (vs: unknown[]): Record<string, unknown> => {
      const out = newMap();
      keys.forEach((k, i) => (out[k] = vs[i]));
      return setKeyOrder(out, keys);
    };
    return values instanceof Promise ? values.then(build) : build(values);
  }
  return value;
}

function settleAll(values: MaybePromise<unknown>[]): MaybePromise<unknown[]> {
  return values.some((v) => v instanceof Promise) ? Promise.all(values) : values;
}

function filter(call: (input: unknown, args: Args) => unknown, argNames?: readonly string[]): FilterDefinition {
  // Core filters never read their CallContext.
  return argNames ? { argNames, call, pure: true } : { call, pure: true };
}

/** A filter that reads the render's budget (regular expressions run within `maxRegexTime`). */
function budgeted(call: (input: unknown, args: Args, ctx: CallContext) => unknown, argNames: readonly string[]): FilterDefinition {
  return { argNames, call };
}

export const coreFilters: Readonly<Record<string, FilterDefinition>> = {
  abbreviate: filter(
    (input, args) => {
      if (input === null || input === undefined) return null;
      const value = castString(input);
      const maxWidth = longArgument(args['length'], 'abbreviate');
      if (maxWidth < 0) throw new TemplateError('FUNCTION_ERROR', 'Invalid argument to abbreviate filter; must be greater than zero');
      const length = value.length;
      if (length < maxWidth || length <= 3) return value;
      if (maxWidth <= 3) return value.substring(0, maxWidth);
      return value.substring(0, Math.max(0, maxWidth - 3)) + '...';
    },
    ['length'],
  ),
  abs: filter((input) => {
    if (input === null || input === undefined) throw new TemplateError('FUNCTION_ERROR', 'Can not pass null value to "abs" filter.');
    if (typeof input === 'bigint') return input < 0n ? BigInt.asIntN(64, -input) : input;
    if (typeof input === 'number') {
      const t = javaType(input);
      if (t === 'Integer') return input === -2147483648 ? input : Math.abs(input);
      return t === 'Double' ? makeDouble(Math.abs(input)) : Math.abs(input);
    }
    if (input instanceof JDouble) return makeDouble(Math.abs(input.value));
    throw new TemplateError('TYPE_ERROR', "The 'abs' filter does require as input a number.");
  }),
  base64encode: filter((input) => {
    if (input === null || input === undefined) return null;
    // Base64EncoderFilter encodes input.toString(): any value.
    return Buffer.from(toJavaString(input), 'utf8').toString('base64');
  }),
  base64decode: filter((input) => {
    if (input === null || input === undefined) return null;
    if (typeof input !== 'string') throw new TemplateError('TYPE_ERROR', 'This filter applies to String\n');
    // Java's basic decoder is strict: only the base64 alphabet, correct padding.
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/.test(input)) {
      throw new TemplateError('FUNCTION_ERROR', 'Please provide a correctly Base64 encoded string containing an UTF-8 string\n');
    }
    return Buffer.from(input, 'base64').toString('utf8');
  }),
  capitalize: filter((input) => {
    if (input === null || input === undefined) return null;
    const value = castString(input);
    for (let i = 0; i < value.length; i++) {
      if (!JAVA_WHITESPACE.test(value[i]!)) return value.slice(0, i) + titleCase(value[i]!) + value.slice(i + 1);
    }
    return value;
  }),
  default: filter((input, args) => (emptyTest(input) ? (args['default'] ?? null) : input), ['default']),
  first: filter((input) => {
    if (input === null || input === undefined) return null;
    if (typeof input === 'string') {
      if (input.length === 0) throw typeError('String index out of range: 0');
      return new JChar(input[0]!);
    }
    const list = isList(input) ? input : null;
    if (!list) throw typeError(`class ${javaClassName(input)} cannot be cast to class java.util.Collection`);
    return list.length > 0 ? (list[0] ?? null) : null;
  }),
  last: filter((input) => {
    if (input === null || input === undefined) return null;
    if (typeof input === 'string') {
      if (input.length === 0) throw typeError('String index out of range: -1');
      return new JChar(input[input.length - 1]!);
    }
    if (!isList(input)) throw typeError(`class ${javaClassName(input)} cannot be cast to class java.util.Collection`);
    return input.length > 0 ? (input[input.length - 1] ?? null) : null;
  }),
  join: filter(
    (input, args) => {
      if (input === null || input === undefined) return null;
      if (!isList(input))
        throw new TemplateError('TYPE_ERROR', "The 'join' filter expects that the input is either a collection or an array.");
      const sep = args['separator'];
      const glue = sep === null || sep === undefined ? '' : castString(sep);
      let out = '';
      for (let i = 0; i < input.length; i++) {
        const v = input[i];
        // A hole of a sparse array joins as nothing, as Array.prototype.join has it.
        out += (i === 0 ? '' : glue) + (v === undefined && !(i in input) ? '' : toJavaString(v));
      }
      return out;
    },
    ['separator'],
  ),
  length: filter((input) => {
    if (typeof input === 'string' || isList(input)) return input.length;
    if (isMap(input)) return Object.keys(input).length;
    return 0;
  }),
  lower: filter((input) => (input === null || input === undefined ? null : toJavaString(input).toLowerCase())),
  upper: filter((input) => (input === null || input === undefined ? null : toJavaString(input).toUpperCase())),
  merge: filter(
    (input, args) => {
      const items = args['items'] ?? null;
      if (input === null || input === undefined) {
        if (items === null) throw new TemplateError('FUNCTION_ERROR', 'The two arguments to be merged are null');
        return items;
      }
      if (items === null) return input;
      if (isMap(input)) {
        const entries: [unknown, unknown][] = mapKeys(input).map((k) => [k, input[k]]);
        if (isMap(items)) for (const k of mapKeys(items)) entries.push([k, items[k]]);
        else if (isList(items)) for (const v of items) entries.push([v, v]);
        else
          throw new TemplateError('TYPE_ERROR', `Currently, only Maps and Lists can be merged with a Map. Arg2: ${javaClassName(items)}`);
        return javaHashMap(entries, Object.keys(input).length + (isMap(items) ? Object.keys(items).length : items.length) + 16);
      }
      if (isList(input) && isJavaArray(input)) {
        // mergeAsArray: only another array of the same component type.
        if (!isList(items) || !isJavaArray(items))
          throw typeError(
            `Currently, only Arrays of the same component class can be merged. Arg1: java.lang.String, Arg2: ${javaClassName(items)}`,
          );
        return markJavaArray([...input, ...items]);
      }
      if (isJavaList(input)) {
        if (isList(items)) return [...input, ...items];
        // A map merged into a list adds its entries (printed `k=v`, or `{"k":v}` as JSON).
        if (isMap(items)) return [...input, ...mapKeys(items).map((k) => new MapEntry(k, items[k] ?? null))];
        throw new TemplateError('TYPE_ERROR', `Currently, only Maps and Lists can be merged with a List. Arg2: ${javaClassName(items)}`);
      }
      throw new TemplateError('TYPE_ERROR', 'The object being filtered is not a Map/List/Array');
    },
    ['items'],
  ),
  // Not pure: the symbols come from the render's locale.
  numberFormat: {
    argNames: ['format'],
    call(input, args, ctx) {
      if (input === null || input === undefined) return null;
      if (!isNumber(input)) throw new TemplateError('TYPE_ERROR', "The input for the 'NumberFormat' filter has to be a number.");
      const value = input instanceof JDouble ? input.value : input;
      const tag = ctx.scope.locale;
      const symbols = tag === undefined || tag === 'en_US' ? US_SYMBOLS : decimalSymbols(parseJavaLocale(tag));
      const format = args['format'];
      if (format === null || format === undefined) return formatDefault(value, symbols);
      return formatDecimal(value, castString(format), symbols);
    },
  },
  reverse: filter((input) => {
    if (input === null || input === undefined) return null;
    const list = castList(input);
    try {
      return list.reverse();
    } catch {
      return list.slice().reverse();
    }
  }),
  sort: filter((input) => {
    if (input === null || input === undefined) return null;
    if (!isJavaList(input) && !isJavaArray(input)) throw new TemplateError('TYPE_ERROR', 'Unsupported input type for sort filter');
    // An array is sorted through Arrays.asList: the result is a List.
    const list = input as unknown[];
    return isJavaArray(list) ? sortInPlace(list, false).slice() : sortInPlace(list, false);
  }),
  rsort: filter((input) => {
    if (input === null || input === undefined) return null;
    return sortInPlace(castList(input), true);
  }),
  sha256: filter((input) => {
    if (input === null || input === undefined) return null;
    if (typeof input !== 'string') throw new TemplateError('TYPE_ERROR', 'Need a string to hash\n');
    return createHash('sha256').update(input, 'utf8').digest('hex');
  }),
  slice: filter(
    (input, args) => {
      if (input === null || input === undefined) return null;
      const argFrom = args['fromIndex'] ?? 0n;
      if (!isNumber(argFrom))
        throw new TemplateError('TYPE_ERROR', `Argument fromIndex must be a number. Actual type: ${javaClassName(argFrom)}`);
      const from = toInt(argFrom);
      if (from < 0) throw new TemplateError('FUNCTION_ERROR', 'fromIndex must be greater than 0');
      const argTo = args['toIndex'] ?? null;
      if (argTo !== null && !isNumber(argTo))
        throw new TemplateError('TYPE_ERROR', `Argument toIndex must be a number. Actual type: ${javaClassName(argTo)}`);
      if (!(typeof input === 'string' || isJavaList(input) || isJavaArray(input))) {
        throw new TemplateError(
          'TYPE_ERROR',
          `Slice filter can only be applied to String, List and array inputs. Actual type was: ${javaClassName(input)}`,
        );
      }
      const length = (input as string | unknown[]).length;
      let to = length;
      if (argTo !== null) {
        to = toInt(argTo);
        if (to > length) throw new TemplateError('FUNCTION_ERROR', `toIndex must be smaller than input size: ${length}`);
        if (from >= to) throw new TemplateError('FUNCTION_ERROR', 'toIndex must be greater than fromIndex');
      }
      if (from > to) throw new TemplateError('FUNCTION_ERROR', `fromIndex(${from}) > toIndex(${to})`);
      if (typeof input === 'string') return input.slice(from, to);
      const list = input as unknown[];
      return isJavaArray(list) ? markJavaArray(list.slice(from, to)) : list.slice(from, to);
    },
    ['fromIndex', 'toIndex'],
  ),
  split: budgeted(
    (input, args, ctx) => {
      if (input === null || input === undefined) return null;
      const delimiter = args['delimiter'];
      if (delimiter === null || delimiter === undefined)
        throw new TemplateError('FUNCTION_ERROR', 'missing delimiter parameter in split filter');
      const limit = args['limit'];
      const parts = javaSplit(
        castString(input),
        castString(delimiter),
        limit === null || limit === undefined ? 0 : toInt(limit as number),
        ctx.budget,
      );
      return parts instanceof Promise ? parts.then(markJavaArray) : markJavaArray(parts);
    },
    ['delimiter', 'limit'],
  ),
  title: filter((input) => {
    if (input === null || input === undefined) return null;
    const value = castString(input);
    let out = '';
    let next = true;
    for (const c of value) {
      if (JAVA_WHITESPACE.test(c)) {
        next = true;
        out += c;
      } else if (next) {
        out += titleCase(c);
        next = false;
      } else out += c;
    }
    return out;
  }),
  trim: filter((input) => (input === null || input === undefined ? null : javaTrim(castString(input)))),
  urlencode: filter((input) => {
    if (input === null || input === undefined) return null;
    // java.net.URLEncoder: form encoding, `*-._` kept, space as `+`.
    return encodeURIComponent(castString(input))
      .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
      .replace(/%20/g, '+');
  }),
  nl2br: filter((input) => (input === null || input === undefined ? null : toJavaString(input).replace(/\r\n|\n/g, '<br />'))),
  replace: budgeted(
    (input, args, ctx) => {
      if (input === null || input === undefined) return null;
      const pairs = args['replace_pairs'];
      if (!isMap(pairs))
        throw new TemplateError('FUNCTION_ERROR', 'The argument passed to the replace filter must be a map of replacement pairs');
      return replaceValue(input, pairs, args['regexp'] === true, 0, ctx.budget ?? UNMETERED);
    },
    ['replace_pairs', 'regexp'],
  ),
};
