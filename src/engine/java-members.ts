/**
 * Java-method emulation: the members of strings, lists and maps that Pebble reaches through
 * reflection (`s.length`, `list.size()`, `map.keySet()`…), with Java's failure texts.
 */
import { TemplateError } from './errors.js';
import * as ops from './operations.js';
import type { Value } from './runtime.js';
import { FORBIDDEN_KEYS, MISSING, readOwnData } from './sandbox.js';
import {
  JZonedDateTime,
  isJavaArray,
  isJavaList,
  isList,
  isMap,
  javaEquals,
  mapKeys,
  makeLong,
  markJavaCollection,
  toIndex,
  toJavaString,
} from './values.js';

/** Java-ish members of lists, maps and strings that Pebble reaches through reflection. */
export function callMember(object: unknown, name: string, args: readonly unknown[] | null): Value | typeof MISSING {
  if (object instanceof JZonedDateTime) return zonedMember(object, name, args);
  if (typeof object === 'string') {
    if (args === null || args.length === 0) {
      // Bean-style access without parentheses finds length(), isEmpty(), isBlank().
      if (name === 'length') return object.length;
      if (name === 'empty') return object.length === 0;
      if (name === 'blank') return object.trim() === '';
    }
    if (args === null) return MISSING;
    const s0 = args[0];
    switch (name) {
      case 'isEmpty':
        return object.length === 0;
      case 'isBlank':
        return object.trim() === '';
      case 'strip':
        return object.trim();
      case 'concat':
        return object + toJavaString(s0);
      case 'lastIndexOf':
        return object.lastIndexOf(toJavaString(s0));
      case 'charAt': {
        const i = toIndex(s0 as number);
        if (i < 0 || i >= object.length) throw new TemplateError('TYPE_ERROR', `Index ${i} out of bounds for length ${object.length}`);
        return object[i];
      }
      case 'toString':
        return object;
      case 'toUpperCase':
        return object.toUpperCase();
      case 'toLowerCase':
        return object.toLowerCase();
      case 'trim':
        return object.trim();
      case 'contains':
        return object.includes(toJavaString(s0));
      case 'startsWith':
        return object.startsWith(toJavaString(s0));
      case 'endsWith':
        return object.endsWith(toJavaString(s0));
      case 'equals':
        return object === s0;
      case 'indexOf':
        return object.indexOf(toJavaString(s0));
      case 'substring': {
        const from = toIndex(s0 as number);
        const to = args.length > 1 ? toIndex(args[1] as number) : object.length;
        if (from < 0 || to > object.length || from > to)
          throw new TemplateError('TYPE_ERROR', `begin ${from}, end ${to}, length ${object.length}`);
        return object.substring(from, to);
      }
      case 'replace':
        return object.split(toJavaString(s0)).join(toJavaString(args[1]));
      default:
        return MISSING;
    }
  }
  // Collections (lists, and the key set / values views) answer size and isEmpty; arrays none.
  if (isList(object) && !isJavaArray(object)) {
    if (args === null || args.length === 0) {
      if (name === 'size') return object.length;
      if (name === 'empty') return object.length === 0;
    }
    if (args === null) return MISSING;
    switch (name) {
      case 'isEmpty':
        return object.length === 0;
      case 'indexOf':
        return isJavaList(object) ? object.findIndex((x) => javaEquals(x, args[0])) : MISSING;
      case 'subList': {
        if (!isJavaList(object)) return MISSING;
        const from = toIndex(args[0] as number);
        const to = toIndex(args[1] as number);
        if (from < 0 || to > object.length || from > to)
          throw new TemplateError('TYPE_ERROR', `fromIndex: ${from}, toIndex: ${to}, size: ${object.length}`);
        return object.slice(from, to);
      }
      case 'get': {
        if (!isJavaList(object)) return MISSING;
        const i = toIndex(args[0] as number);
        if (i < 0 || i >= object.length) throw new TemplateError('TYPE_ERROR', `Index ${i} out of bounds for length ${object.length}`);
        return object[i];
      }
      case 'contains':
        return ops.contains(object, args[0]);
      default:
        return MISSING;
    }
  }
  if (isMap(object) && args !== null) {
    const keys = mapKeys(object).filter((k) => !FORBIDDEN_KEYS.has(k));
    switch (name) {
      case 'keySet':
        return markJavaCollection(keys, 'set', 'java.util.LinkedHashMap$LinkedKeySet');
      case 'values':
        return markJavaCollection(
          keys.map((k) => object[k] ?? null),
          'collection',
          'java.util.LinkedHashMap$LinkedValues',
        );
      case 'size':
        return keys.length;
      case 'isEmpty':
        return keys.length === 0;
      case 'get':
      case 'getOrDefault':
      case 'containsKey': {
        const key = toJavaString(args[0]);
        const v = readOwnData(object, key);
        if (name === 'containsKey') return v !== MISSING;
        return v !== MISSING ? v : name === 'getOrDefault' ? (args[1] ?? null) : null;
      }
      case 'containsValue':
        return keys.some((k) => javaEquals(object[k], args[0]));
      case 'entrySet':
        return keys.map((key) => ({ key, value: object[key] ?? null }));
      default:
        return MISSING;
    }
  }
  return MISSING;
}

const DAY_NAMES = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const MONTH_NAMES = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];

/**
 * The getters of a `java.time.ZonedDateTime` Pebble reaches (`d.year`, `d.getYear()`,
 * `d.toEpochSecond()`): numbers as Java's ints and longs; enums (`dayOfWeek`, `month`), the zone
 * and the offset as the text they print.
 */
function zonedMember(d: JZonedDateTime, name: string, args: readonly unknown[] | null): Value | typeof MISSING {
  if (args !== null && args.length > 0) return MISSING;
  const bean = args === null ? name : name.startsWith('get') && name.length > 3 ? name[3]!.toLowerCase() + name.slice(4) : undefined;
  if (args !== null) {
    if (name === 'toString') return d.toString();
    if (name === 'toEpochSecond') return makeLong(d.epochSecond);
  }
  const [y, mo, day, h, mi, s] = d.localFields();
  // setUTCFullYear, not Date.UTC: the latter reads years 0-99 as 1900-1999.
  const utcDay = (m: number, dd: number): number => new Date(0).setUTCFullYear(y, m - 1, dd);
  switch (bean) {
    case 'year':
      return y;
    case 'monthValue':
      return mo;
    case 'month':
      return MONTH_NAMES[mo - 1]!;
    case 'dayOfMonth':
      return day;
    case 'dayOfYear':
      return Math.round((utcDay(mo, day) - utcDay(1, 1)) / 86_400_000) + 1;
    case 'dayOfWeek':
      return DAY_NAMES[(new Date(utcDay(mo, day)).getUTCDay() + 6) % 7]!;
    case 'hour':
      return h;
    case 'minute':
      return mi;
    case 'second':
      return s;
    case 'nano':
      return d.nano;
    case 'zone':
      return d.zone;
    case 'offset':
      return d.offsetId();
    default:
      return MISSING;
  }
}
