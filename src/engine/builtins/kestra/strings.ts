/**
 * Kestra's string filters: Apache `StringUtils` substrings, `startsWith`/`endsWith`, `slugify`,
 * `escapeChar`, `urldecode`, Helm-style `indent`/`nindent`, and Kestra's `replace` (a map of
 * pairs, literal or Java-regex, applied recursively to map values and list items).
 */
import type { Args, FilterDefinition, MaybePromise } from '../../extension.js';
import { JavaPattern, javaReplaceAll } from '../../java-regex.js';
import { ValueWalk, isIntegral, isList, isMap, mapKeys, toJavaString } from '../../values.js';
import { castError, functionError, mapMaybe, optString, then, toJavaHashMap, typeError } from './common.js';

/** `input.toString()` in Kestra: a null input is a NullPointerException there. */
function javaToString(input: unknown, filter: string): string {
  if (input === null || input === undefined) throw typeError(`The '${filter}' filter cannot be applied to null.`);
  return toJavaString(input);
}

function requiredSeparator(args: Args, filter: string): string | undefined {
  if (!Object.hasOwn(args, 'separator')) throw functionError(`The '${filter}' filter expects an argument 'separator'.`);
  return optString(args, 'separator');
}

function substringFilter(name: string, apply: (s: string, sep: string | undefined) => string): FilterDefinition {
  return {
    argNames: ['separator'],
    call(input, args) {
      if (input === null || input === undefined) return null;
      const sep = requiredSeparator(args, name);
      return apply(toJavaString(input), sep);
    },
  };
}

// StringUtils semantics, including its empty/null separator rules.
const substringBefore = substringFilter('substringBefore', (s, sep) => {
  if (s === '' || sep === undefined) return s;
  if (sep === '') return '';
  const pos = s.indexOf(sep);
  return pos === -1 ? s : s.slice(0, pos);
});
const substringAfter = substringFilter('substringAfter', (s, sep) => {
  if (s === '') return s;
  if (sep === undefined) return '';
  const pos = s.indexOf(sep);
  return pos === -1 ? '' : s.slice(pos + sep.length);
});
const substringBeforeLast = substringFilter('substringBeforeLast', (s, sep) => {
  if (s === '' || sep === undefined || sep === '') return s;
  const pos = s.lastIndexOf(sep);
  return pos === -1 ? s : s.slice(0, pos);
});
const substringAfterLast = substringFilter('substringAfterLast', (s, sep) => {
  if (s === '') return s;
  if (sep === undefined || sep === '') return '';
  const pos = s.lastIndexOf(sep);
  return pos === -1 || pos === s.length - sep.length ? '' : s.slice(pos + sep.length);
});

function affixFilter(name: string, test: (s: string, v: string) => boolean): FilterDefinition {
  return {
    argNames: ['value'],
    call(input, args) {
      const value = args['value'];
      if (value === null || value === undefined) throw typeError(`The '${name}' filter expects an argument 'value'.`);
      return test(javaToString(input, name), toJavaString(value));
    },
  };
}

/** Kestra's Slugify: whitespace to dashes, accents dropped, only [A-Za-z0-9_-], lower-case. */
export function slugify(input: string): string {
  let slug = input
    .replace(/[ \t\n\x0B\f\r]/g, '-')
    .normalize('NFD')
    .replace(/[^\w-]/g, '')
    .replace(/_/g, '-');
  while (slug.includes('--')) slug = slug.replace(/--/g, '-');
  if (slug.startsWith('-')) slug = slug.slice(1);
  if (slug.endsWith('-')) slug = slug.slice(0, -1);
  return slug.toLowerCase();
}

const slugifyFilter: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return null;
    return slugify(toJavaString(input));
  },
};

/**
 * Applies `f` to every string leaf, as Kestra's escapeChar and replace do (maps become HashMaps);
 * synchronous as long as `f` is.
 */
function deepMapStrings(value: unknown, f: (s: string) => MaybePromise<string>, depth = 0, walk = new ValueWalk()): MaybePromise<unknown> {
  if (depth > 1000) throw functionError('Value nesting depth exceeds the maximum allowed');
  if (isMap(value)) {
    walk.enter();
    const keys = mapKeys(value);
    return then(
      mapMaybe(keys, (k) => deepMapStrings(nonNull(value[k]), f, depth + 1, walk)),
      (mapped) => toJavaHashMap(keys.map((k, i) => [k, mapped[i]] as const)),
    );
  }
  if (isList(value)) {
    walk.enter();
    return mapMaybe(value, (item) => deepMapStrings(nonNull(item), f, depth + 1, walk));
  }
  return f(toJavaString(value));
}

function nonNull(v: unknown): unknown {
  // Kestra calls toString() on every non-string leaf, which fails on null.
  if (v === null || v === undefined) throw typeError('Cannot process a null value inside a map or list.');
  return v;
}

const escapeChar: FilterDefinition = {
  argNames: ['type'],
  call(input, args) {
    if (input === null || input === undefined) return null;
    if (!Object.hasOwn(args, 'type')) throw functionError(`The 'escapeChar' filter expects an argument 'type'.`);
    const type = optString(args, 'type')?.toUpperCase();
    const [from, to] =
      type === 'SINGLE' ? ["'", "\\'"] : type === 'DOUBLE' ? ['"', '\\"'] : type === 'SHELL' ? ["'", "'\\''"] : [undefined, undefined];
    if (from === undefined || to === undefined) {
      throw functionError(`The 'escapeChar' filter expects the value of 'type' to be either 'single', 'double', or 'shell'.`);
    }
    return deepMapStrings(input, (s) => s.replaceAll(from, () => to));
  },
};

/** Java's `URLDecoder.decode(s, UTF_8)`: `+` is a space, `%XX` runs are UTF-8 bytes. */
export function javaUrlDecode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length;) {
    const c = s[i] as string;
    if (c === '+') {
      out += ' ';
      i++;
    } else if (c === '%') {
      const bytes: number[] = [];
      while (i < s.length && s[i] === '%') {
        if (i + 2 >= s.length) throw functionError('URLDecoder: Incomplete trailing escape (%) pattern');
        const hex = s.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw functionError('URLDecoder: Illegal hex characters in escape (%) pattern');
        bytes.push(parseInt(hex, 16));
        i += 3;
      }
      out += new TextDecoder('utf-8').decode(new Uint8Array(bytes));
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const urldecode: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return null;
    if (typeof input !== 'string') throw castError(input, 'java.lang.String');
    return javaUrlDecode(input);
  },
};

function lineSeparator(s: string): string {
  if (s.includes('\r\n')) return '\r\n';
  if (s.includes('\n\r')) return '\n\r';
  if (s.includes('\n')) return '\n';
  if (s.includes('\r')) return '\r';
  return '\n'; // System.lineSeparator() on Linux
}

function indentFilter(name: 'indent' | 'nindent'): FilterDefinition {
  return {
    argNames: ['amount', 'prefix'],
    call(input, args) {
      if (input === null || input === undefined) return null;
      const text = toJavaString(input);
      if (text === '') return text;
      const amount = args['amount'];
      if (amount === undefined || amount === null) throw functionError(`The '${name}' filter expects an integer as argument 'amount'.`);
      if (!isIntegral(amount)) throw castError(amount, 'java.lang.Long');
      const n = Number(amount);
      if (n < 0) throw functionError(`The '${name}' filter expects a positive integer >=0 as argument 'amount'.`);
      if (n > 10000) throw functionError(`The '${name}' filter expects an 'amount' of at most 10000.`);
      const prefix = Object.hasOwn(args, 'prefix') ? (optString(args, 'prefix') ?? 'null') : ' ';
      const nl = lineSeparator(text);
      const pad = nl + prefix.repeat(n);
      return (name === 'nindent' ? nl + text : text).replaceAll(nl, () => pad);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// replace
// ---------------------------------------------------------------------------------------------

/**
 * A Java regex, translated (java-regex.ts) and compiled through regex.ts, so no pattern can
 * freeze the thread; a pattern Java rejects, or one that cannot be emulated, is a FUNCTION_ERROR.
 */
export function javaRegex(pattern: string): JavaPattern {
  try {
    return JavaPattern.compile(pattern, {}, 'g');
  } catch (e) {
    throw functionError(`Invalid regular expression '${pattern}': ${(e as Error).message}`, e);
  }
}

const replace: FilterDefinition = {
  argNames: ['replace_pairs', 'regexp'],
  call(input, args, ctx) {
    if (input === null || input === undefined) return null;
    const pairs = args['replace_pairs'];
    if (pairs === null || pairs === undefined) throw functionError(`The argument 'replace_pairs' is required.`);
    if (!isMap(pairs)) throw castError(pairs, 'java.util.Map');
    const regexpArg = args['regexp'];
    if (regexpArg !== undefined && regexpArg !== null && typeof regexpArg !== 'boolean') throw castError(regexpArg, 'java.lang.Boolean');
    const regexp = regexpArg === true;
    const steps = mapKeys(pairs).map((from): ((s: string) => MaybePromise<string>) => {
      const to = toJavaString(nonNull(pairs[from]));
      if (regexp) {
        const pattern = javaRegex(from);
        return (s: string) => javaReplaceAll(pattern, s, to, functionError, ctx.budget);
      }
      return (s: string) => s.replaceAll(from, () => to);
    });
    const applySteps = (s: string, i: number): MaybePromise<string> => {
      if (i >= steps.length) return s;
      return then(steps[i]!(s), (next) => applySteps(next, i + 1));
    };
    return deepMapStrings(input, (s) => applySteps(s, 0));
  },
};

export const stringFilters: Record<string, FilterDefinition> = {
  substringBefore,
  substringAfter,
  substringBeforeLast,
  substringAfterLast,
  startsWith: affixFilter('startsWith', (s, v) => s.startsWith(v)),
  endsWith: affixFilter('endsWith', (s, v) => s.endsWith(v)),
  slugify: slugifyFilter,
  escapeChar,
  urldecode,
  indent: indentFilter('indent'),
  nindent: indentFilter('nindent'),
  replace,
};
