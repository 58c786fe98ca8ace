/**
 * The Java value model that Pebble-in-Kestra computes with, mapped onto JavaScript values.
 *
 * | Java type              | JavaScript representation                                        |
 * |------------------------|------------------------------------------------------------------|
 * | null                   | `null` or `undefined`                                            |
 * | String / Boolean       | `string` / `boolean`                                             |
 * | Integer (JSON context) | integral `number` in the 32-bit range                            |
 * | Long                   | `bigint` (literals, arithmetic results) or an integral `number`  |
 * |                        | outside the 32-bit range (context values)                        |
 * | Double                 | non-integral `number`, or `JDouble` when the value is integral   |
 * |                        | (`2.0`, `-0.0`) so it keeps printing as a double                 |
 * | List                   | `Array`                                                          |
 * | Map                    | plain object (prototype `Object.prototype` or `null`); its Java  |
 * |                        | key order, when not JavaScript's, rides along (map-order.ts)     |
 *
 * Integer and Long are told apart because Java's `equals` does (`[1, 2] contains 1` is false
 * for a JSON list, whose elements are Integers, while the literal is a Long).
 */

import { LimitExceededError } from './errors.js';
import { mapKeys, setKeyOrder } from './map-order.js';

export { OrderedMapBuilder, copyKeyOrder, hasKeyOrder, isIndexKey, mapKeys, orderedMap, setKeyOrder } from './map-order.js';

/**
 * Nodes one conversion (to text, to JSON, YAML, Ion), comparison or deep copy of a value may visit.
 * A value a template built can contain itself (`l + [l, l]`) or share a list many times over, so
 * its walk has no natural end; past this ceiling (lists and maps entered) it fails with
 * LIMIT_EXCEEDED. Printed, that many lists and maps take 4 000 000 characters or more.
 */
export const MAX_VALUE_WALK = 2_000_000;

function walkTooLong(): LimitExceededError {
  return new LimitExceededError(
    'valueWalk',
    `A value is too large to convert or compare: more than ${MAX_VALUE_WALK} nested elements (a list or map that contains itself?)`,
  );
}

/** A walk over a value, counting the lists and maps it enters (see MAX_VALUE_WALK). */
export class ValueWalk {
  private visited = 0;
  enter(): void {
    if (++this.visited > MAX_VALUE_WALK) throw walkTooLong();
  }
}

let equalsWalked = 0;

/** A Java Double whose value is integral (or -0.0), so JavaScript would lose its double-ness. */
export class JDouble {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return formatDouble(this.value);
  }
  toJSON(): number {
    return this.value;
  }
}

/** A `java.lang.Character`: what `first`/`last` of a string and `range("a", "c")` give. */
export class JChar {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

/**
 * A `java.time.ZonedDateTime`: an instant (epoch seconds and nanos), the offset in force then and
 * its zone id (a region such as `Europe/Paris`, or an offset id such as `Z`). What Kestra's
 * scheduler hands its conditions as `trigger.date`. Plain immutable data: templates reach it only
 * through the Java members java-members.ts emulates, the date filters read it as a date.
 */
export class JZonedDateTime {
  constructor(
    readonly epochSecond: number,
    readonly nano: number,
    readonly offsetSeconds: number,
    readonly zone: string,
  ) {
    Object.freeze(this);
  }

  /** The local date and time in its offset: [year, month, day, hour, minute, second]. */
  localFields(): [number, number, number, number, number, number] {
    const d = new Date((this.epochSecond + this.offsetSeconds) * 1000);
    return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  }

  /** `ZoneOffset.getId()`: `Z`, `+01:00`, `-04:30:15`. */
  offsetId(): string {
    return formatOffsetId(this.offsetSeconds);
  }

  /** `ZonedDateTime.toString()`: `2024-01-01T09:00+01:00[Europe/Paris]` (seconds and nanos only when not zero). */
  toString(): string {
    const [y, mo, d, h, mi, s] = this.localFields();
    let time = `${pad2(h)}:${pad2(mi)}`;
    if (s > 0 || this.nano > 0) {
      time += `:${pad2(s)}`;
      if (this.nano > 0) {
        if (this.nano % 1_000_000 === 0) time += `.${String(this.nano / 1_000_000).padStart(3, '0')}`;
        else if (this.nano % 1000 === 0) time += `.${String(this.nano / 1000).padStart(6, '0')}`;
        else time += `.${String(this.nano).padStart(9, '0')}`;
      }
    }
    const offset = this.offsetId();
    return `${formatJavaYear(y)}-${pad2(mo)}-${pad2(d)}T${time}${offset}${this.zone === offset ? '' : `[${this.zone}]`}`;
  }

  /** Jackson's ZonedDateTime (ISO_OFFSET_DATE_TIME): `2024-01-01T09:00:00+01:00`, as Kestra's JSON writes it. */
  toIsoOffset(): string {
    const [y, mo, d, h, mi, s] = this.localFields();
    const fraction = this.nano === 0 ? '' : `.${String(this.nano).padStart(9, '0').replace(/0+$/, '')}`;
    return `${formatJavaYear(y)}-${pad2(mo)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}${fraction}${this.offsetId()}`;
  }

  toJSON(): string {
    return this.toIsoOffset();
  }

  /** `ZonedDateTime.equals`: the same local date-time, offset and zone. */
  equals(other: JZonedDateTime): boolean {
    return (
      this.epochSecond === other.epochSecond &&
      this.nano === other.nano &&
      this.offsetSeconds === other.offsetSeconds &&
      this.zone === other.zone
    );
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `LocalDate.toString`'s year: four digits at least, `+` beyond 9999, `-` before year 0. */
function formatJavaYear(y: number): string {
  if (Math.abs(y) < 1000) return (y < 0 ? '-' : '') + String(Math.abs(y)).padStart(4, '0');
  return (y > 9999 ? '+' : '') + String(y);
}

/** `ZoneOffset.getId()`. */
export function formatOffsetId(offsetSeconds: number): string {
  if (offsetSeconds === 0) return 'Z';
  const abs = Math.abs(offsetSeconds);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  return `${offsetSeconds < 0 ? '-' : '+'}${pad2(h)}:${pad2(m)}${s === 0 ? '' : `:${pad2(s)}`}`;
}

/** A map entry, as iterating a map gives (`{% for e in m %}` → `e.key`, `e.value`); prints `key=value`. */
export class MapEntry {
  constructor(
    readonly key: string,
    readonly value: unknown,
  ) {}
}

/**
 * Lists that are not java.util.Lists in Pebble: Java arrays (`split` returns a `String[]`) and
 * the key set / values views of a map (`m.keySet()`, `m.values()`). They iterate and print like
 * lists, but list-only operations (`reverse`, `slice`, `+`, indexing…) refuse what Java refuses.
 */
export type JavaCollectionKind = 'array' | 'set' | 'collection';
const collectionKinds = new WeakMap<unknown[], { kind: JavaCollectionKind; className: string }>();

export function markJavaCollection<T extends unknown[]>(list: T, kind: JavaCollectionKind, className: string): T {
  collectionKinds.set(list, { kind, className });
  return list;
}

export function markJavaArray<T extends unknown[]>(list: T): T {
  return markJavaCollection(list, 'array', '[Ljava.lang.String;');
}

export function isJavaArray(value: unknown): boolean {
  return Array.isArray(value) && collectionKinds.get(value)?.kind === 'array';
}

/** A java.util.List: a plain JS array that is neither an array, a set nor a map view. */
export function isJavaList(value: unknown): value is unknown[] {
  return Array.isArray(value) && !collectionKinds.has(value);
}

export type JavaType = 'null' | 'String' | 'Boolean' | 'Integer' | 'Long' | 'Double' | 'Character' | 'Entry' | 'List' | 'Map' | 'Other';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_LIMIT = 9223372036854775808; // 2^63 as a double

/** Wraps a JS double so it keeps its Java Double type: integral values are boxed. */
export function makeDouble(value: number): number | JDouble {
  return Number.isInteger(value) || Object.is(value, -0) ? new JDouble(value) : value;
}

/** A Java Long from a bigint, wrapped to 64 bits as Java's long arithmetic does. */
export function makeLong(value: bigint | number): bigint {
  return BigInt.asIntN(64, typeof value === 'bigint' ? value : BigInt(Math.trunc(value)));
}

export function isMap(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof JDouble) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isList(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

export function isNumber(value: unknown): value is number | bigint | JDouble {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof JDouble;
}

/** Integer or Long (not Double). */
export function isIntegral(value: unknown): value is number | bigint {
  if (typeof value === 'bigint') return true;
  return typeof value === 'number' && javaTypeOfNumber(value) !== 'Double';
}

export function isDouble(value: unknown): boolean {
  return value instanceof JDouble || (typeof value === 'number' && javaTypeOfNumber(value) === 'Double');
}

function javaTypeOfNumber(n: number): 'Integer' | 'Long' | 'Double' {
  if (!Number.isInteger(n) || Object.is(n, -0)) return 'Double';
  if (n >= INT_MIN && n <= INT_MAX) return 'Integer';
  return Math.abs(n) < LONG_LIMIT ? 'Long' : 'Double';
}

export function javaType(value: unknown): JavaType {
  switch (typeof value) {
    case 'string':
      return 'String';
    case 'boolean':
      return 'Boolean';
    case 'bigint':
      return 'Long';
    case 'number':
      return javaTypeOfNumber(value);
    case 'undefined':
      return 'null';
    case 'object':
      if (value === null) return 'null';
      if (value instanceof JDouble) return 'Double';
      if (value instanceof JChar) return 'Character';
      if (value instanceof MapEntry) return 'Entry';
      if (Array.isArray(value)) return 'List';
      if (isMap(value)) return 'Map';
      return 'Other';
    default:
      return 'Other';
  }
}

/** The Java class name Pebble/Kestra would report for a value (used in error messages). */
export function javaClassName(value: unknown): string {
  switch (javaType(value)) {
    case 'String':
      return 'java.lang.String';
    case 'Boolean':
      return 'java.lang.Boolean';
    case 'Integer':
      return 'java.lang.Integer';
    case 'Long':
      return 'java.lang.Long';
    case 'Double':
      return 'java.lang.Double';
    case 'Character':
      return 'java.lang.Character';
    case 'Entry':
      return 'java.util.LinkedHashMap$Entry';
    case 'List':
      return (Array.isArray(value) && collectionKinds.get(value)?.className) || 'java.util.ArrayList';
    case 'Map':
      return 'java.util.LinkedHashMap';
    case 'null':
      return 'null';
    default:
      return value instanceof JZonedDateTime ? 'java.time.ZonedDateTime' : 'java.lang.Object';
  }
}

/** The numeric value as a JS double (Java's `doubleValue()`). */
export function toDouble(value: number | bigint | JDouble): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return value.value;
}

/** Java's `longValue()` of any number: doubles truncate toward zero (saturating like Java). */
export function toLong(value: number | bigint | JDouble): bigint {
  if (typeof value === 'bigint') return value;
  const n = typeof value === 'number' ? value : value.value;
  if (Number.isNaN(n)) return 0n;
  if (n >= LONG_LIMIT) return 9223372036854775807n;
  if (n <= -LONG_LIMIT) return -9223372036854775808n;
  return BigInt(Math.trunc(n));
}

/** Java's `intValue()` (32-bit wrap for longs, saturation for doubles). */
export function toInt(value: number | bigint | JDouble): number {
  if (typeof value === 'bigint') return Number(BigInt.asIntN(32, value));
  const n = typeof value === 'number' ? value : value.value;
  if (Number.isNaN(n)) return 0;
  if (Number.isInteger(n) && typeof value === 'number' && javaTypeOfNumber(n) !== 'Double') return Number(BigInt.asIntN(32, BigInt(n)));
  if (n >= INT_MAX) return INT_MAX;
  if (n <= INT_MIN) return INT_MIN;
  return Math.trunc(n);
}

/** A JS number for indexing and counting; bigints beyond the safe range become Infinity-ish. */
export function toIndex(value: number | bigint | JDouble): number {
  return typeof value === 'bigint' ? Number(value) : Math.trunc(toDouble(value));
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

/** Java's `Double.toString(double)`. */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  const sign = d < 0 ? '-' : '';
  let digits: string;
  let exp: number;
  if (Number.isInteger(abs) && abs >= 2 ** 54 && abs < 2 ** 63) {
    [digits, exp] = jdk17LongDigits(abs);
  } else {
    // Shortest round-trip digits, as the JDK prints every other double.
    const [mantissa, expText] = abs.toExponential().split('e') as [string, string];
    digits = mantissa.replace('.', '');
    exp = Number(expText);
  }
  if (abs >= 1e-3 && abs < 1e7) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1);
      return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
    }
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  const frac = digits.slice(1);
  return `${sign}${digits[0]}.${frac === '' ? '0' : frac}E${exp}`;
}

/**
 * JDK 17's FloatingDecimal prints an integral double in the long range from its exact value,
 * dropping only the digits its binary exponent makes insignificant (rounding half up), so
 * 2^62 prints 4.6116860184273879E18 where the shortest form is 4.611686018427388E18.
 */
function jdk17LongDigits(abs: number): [digits: string, exponent: number] {
  let value = BigInt(abs);
  const binExp = value.toString(2).length - 1; // exact, unlike Math.log2 just below a power of two
  const p2 = binExp - 54;
  const insignificant = p2 > 1 ? Math.floor(p2 * Math.log10(2)) : 0;
  if (insignificant > 0) {
    const pow10 = 10n ** BigInt(insignificant);
    const residue = value % pow10;
    value /= pow10;
    if (residue >= pow10 / 2n) value++;
  }
  const text = value.toString();
  return [text.replace(/0+$/, '') || '0', text.length - 1 + insignificant];
}

function formatNumber(value: number): string {
  // An Integer (the common case) without the type dispatch; -0 is a Double.
  if ((value | 0) === value && (value !== 0 || 1 / value > 0)) return String(value);
  return javaTypeOfNumber(value) === 'Double' ? formatDouble(value) : String(value);
}

/**
 * Java's `String.valueOf(value)`: what `~`, `#{}` interpolation and `join` produce
 * (`{a=1}`, `[1, 2]`, `2.0`, `null`).
 */
export function toJavaString(value: unknown, depth = 0): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatNumber(value);
    case 'bigint':
      // Twice as fast as String(value) in V8.
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object': {
      if (value === null) return 'null';
      // Subclasses (Kestra's Float, BigDecimal, BigInteger boxes) print their own way.
      if (value instanceof JDouble || value instanceof JChar || value instanceof JZonedDateTime) return value.toString();
      if (value instanceof Date) return value.toISOString();
      // Containers are written into one growing string (cheaper than joining each level's).
      const text = new TextWriter();
      writeJavaText(value, depth, text);
      return text.text();
    }
    default:
      return '';
  }
}

/** A long text is built in chunks of about this many characters, joined once at the end. */
const CHUNK = 4096;

/**
 * The text of one conversion, checked against MAX_VALUE_WALK as it grows. It grows by `+=` in
 * chunks that are flattened as they fill (`charCodeAt` makes V8 flatten a concatenated string):
 * millions of `+=` into one string leave a tree of as many string nodes, which the garbage
 * collector walks again and again (printing a list that holds itself spent 85% of its time there;
 * chunked, five times less CPU).
 */
class TextWriter {
  private s = '';
  private chunks: string[] | null = null;
  private entered = 0;
  enter(): void {
    if (++this.entered > MAX_VALUE_WALK) throw walkTooLong();
  }
  add(text: string): void {
    this.s += text;
    if (this.s.length > CHUNK) {
      this.s.charCodeAt(0);
      (this.chunks ??= []).push(this.s);
      this.s = '';
    }
  }
  text(): string {
    return this.chunks === null ? this.s : this.chunks.join('') + this.s;
  }
}

function writeJavaText(value: unknown, depth: number, w: TextWriter): void {
  if (
    typeof value !== 'object' ||
    value === null ||
    value instanceof JDouble ||
    value instanceof JChar ||
    value instanceof JZonedDateTime ||
    value instanceof Date
  ) {
    w.add(toJavaString(value, depth));
    return;
  }
  if (value instanceof MapEntry) {
    w.add(value.key + '=');
    writeJavaText(value.value, depth + 1, w);
    return;
  }
  if (depth > 200) {
    w.enter();
    w.add('...');
    return;
  }
  if (Array.isArray(value)) {
    w.enter();
    w.add('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) w.add(', ');
      writeJavaText(value[i], depth + 1, w);
    }
    w.add(']');
    return;
  }
  if (isMap(value)) {
    w.enter();
    w.add('{');
    let first = true;
    for (const key of mapKeys(value)) {
      w.add((first ? '' : ', ') + key + '=');
      writeJavaText(value[key], depth + 1, w);
      first = false;
    }
    w.add('}');
    return;
  }
  w.add('[object]');
}

/** Jackson's string escaping: `"`, `\` and control characters (upper-case hex), nothing else. */
export function jsonString(s: string): string {
  // Most strings (map keys, ids, words) need no escaping: one scan, one concatenation.
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92) break;
  }
  if (i === s.length) return '"' + s + '"';
  let out = '"';
  let start = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c !== 34 && c !== 92) continue;
    out += s.slice(start, i);
    start = i + 1;
    switch (c) {
      case 34:
        out += '\\"';
        break;
      case 92:
        out += '\\\\';
        break;
      case 10:
        out += '\\n';
        break;
      case 13:
        out += '\\r';
        break;
      case 9:
        out += '\\t';
        break;
      case 8:
        out += '\\b';
        break;
      case 12:
        out += '\\f';
        break;
      default:
        out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    }
  }
  return out + s.slice(start) + '"';
}

/** Jackson's default maximum nesting depth. */
const MAX_JSON_DEPTH = 1000;

/**
 * Kestra's JSON writer (its Jackson mapper): compact JSON, map entries whose value is null left out
 * (`NON_NULL`) unless `includeNulls`, nulls inside lists kept, numbers printed as Java prints them.
 * Used for `{{ map }}` printing and by the `toJson` filter.
 */
export function toKestraJson(value: unknown, includeNulls = false, depth = 0): string {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return Number.isFinite(value) ? formatNumber(value) : jsonString(formatDouble(value));
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'null';
    case 'object': {
      if (value === null) return 'null';
      // Subclasses (Kestra's Float, BigDecimal, BigInteger boxes) print their own way.
      if (value instanceof JDouble) return Number.isFinite(value.value) ? value.toString() : jsonString(value.toString());
      if (value instanceof JChar) return jsonString(value.value);
      if (value instanceof JZonedDateTime) return jsonString(value.toIsoOffset());
      if (depth < MAX_JSON_DEPTH && isMap(value)) {
        const flat = flatJsonObject(value, includeNulls);
        if (flat !== null) return flat;
      }
      const text = new TextWriter();
      writeJson(value, includeNulls, depth, text);
      return text.text();
    }
    default:
      return 'null';
  }
}

/**
 * writeJson's output for a map whose values are all strings, finite numbers, booleans, Longs or
 * nulls (the common `toJson` of a small map), written in one pass; null for any other map.
 */
function flatJsonObject(map: Record<string, unknown>, includeNulls: boolean): string | null {
  let out = '{';
  let first = true;
  // Whether a key or a string holds a `%` (numbers, booleans and nulls never print one).
  let percent = false;
  for (const key of mapKeys(map)) {
    const v = map[key];
    let text: string;
    switch (typeof v) {
      case 'string':
        if (!percent) percent = v.includes('%');
        text = jsonString(v);
        break;
      case 'number':
        if (!Number.isFinite(v)) return null;
        text = formatNumber(v);
        break;
      case 'bigint':
      case 'boolean':
        text = String(v);
        break;
      case 'undefined':
        if (!includeNulls) continue;
        text = 'null';
        break;
      case 'object':
        if (v !== null) return null;
        if (!includeNulls) continue;
        text = 'null';
        break;
      default:
        return null;
    }
    if (!percent) percent = key.includes('%');
    out += (first ? '' : ',') + jsonString(key) + ':' + text;
    first = false;
  }
  const json = out + '}';
  if (!percent) lastPercentFree = json;
  return json;
}

/**
 * The last JSON text the writer knew to hold no `%`, as it wrote it (a rope). The output looks for
 * `%` in what it prints (Kestra's raw tags, see Output); asking `includes` of a fresh rope makes V8
 * flatten it, which costs more than writing it did. A string equal to this one holds no `%` either,
 * so the check can be skipped for it; in practice it is the same object, compared by pointer.
 */
let lastPercentFree: string | undefined;

/** Whether `text` is known to hold no `%` without reading it (see lastPercentFree). */
export function knownPercentFree(text: string): boolean {
  return text === lastPercentFree;
}

function writeJson(value: unknown, includeNulls: boolean, depth: number, w: TextWriter): void {
  if (typeof value !== 'object' || value === null || value instanceof JDouble || value instanceof JChar) {
    w.add(toKestraJson(value, includeNulls, depth));
    return;
  }
  // Jackson writes a Map.Entry as a one-field object.
  if (value instanceof MapEntry) {
    if (value.value === null || value.value === undefined) {
      w.add(includeNulls ? `{${jsonString(value.key)}:null}` : '{}');
      return;
    }
    w.add(`{${jsonString(value.key)}:`);
    writeJson(value.value, includeNulls, depth + 1, w);
    w.add('}');
    return;
  }
  if (depth >= MAX_JSON_DEPTH) {
    throw new LimitExceededError('nesting', `Document nesting depth exceeds the maximum allowed (${MAX_JSON_DEPTH})`);
  }
  if (Array.isArray(value)) {
    w.enter();
    w.add('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) w.add(',');
      writeJson(value[i], includeNulls, depth + 1, w);
    }
    w.add(']');
    return;
  }
  if (isMap(value)) {
    w.enter();
    w.add('{');
    let first = true;
    for (const key of mapKeys(value)) {
      const v = value[key];
      if (!includeNulls && (v === null || v === undefined)) continue;
      w.add((first ? '' : ',') + jsonString(key) + ':');
      writeJson(v, includeNulls, depth + 1, w);
      first = false;
    }
    w.add('}');
    return;
  }
  if (value instanceof JZonedDateTime) w.add(jsonString(value.toIsoOffset()));
  else w.add(value instanceof Date ? jsonString(value.toISOString()) : jsonString(String(value)));
}

/** What `{{ value }}` prints in Kestra: maps and lists as JSON, null as nothing, the rest as Java prints it. */
export function printValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    if (value === null) return '';
    // Kestra's writer turns only maps, collections and arrays into JSON.
    if (Array.isArray(value) || isMap(value)) return toKestraJson(value);
  } else if (value === undefined) return '';
  return toJavaString(value);
}

/** What `{{ value }}` prints inside a macro, a `{% filter %}` block or `block()`: Pebble's plain writer, no JSON. */
export function printPlain(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return toJavaString(value);
}

// ---------------------------------------------------------------------------------------------
// Equality
// ---------------------------------------------------------------------------------------------

/** Java's `Object.equals`, as `List.equals`, `contains` and `list - x` use it (Integer ≠ Long). */
export function javaEquals(a: unknown, b: unknown, depth = 0): boolean {
  // Every comparison counts: a list shared 2^18 times holds cheap equal elements as well.
  if (depth === 0) equalsWalked = 0;
  else if (++equalsWalked > MAX_VALUE_WALK) throw walkTooLong();
  // -0 is a Double and 0 an Integer: === would call them equal, Java does not.
  if (a === b && (a !== 0 || Object.is(a, b))) return true;
  if (a === null || a === undefined) return b === null || b === undefined;
  if (b === null || b === undefined) return false;
  const ta = javaType(a);
  const tb = javaType(b);
  if (ta !== tb) return false;
  switch (ta) {
    case 'Integer':
    case 'Long':
      return toLong(a as number | bigint) === toLong(b as number | bigint);
    case 'Double':
      return Object.is(toDouble(a as number | JDouble), toDouble(b as number | JDouble));
    case 'Character':
      return (a as JChar).value === (b as JChar).value;
    case 'Entry':
      return (a as MapEntry).key === (b as MapEntry).key && javaEquals((a as MapEntry).value, (b as MapEntry).value, depth + 1);
    case 'List': {
      const la = a as unknown[];
      const lb = b as unknown[];
      if (la.length !== lb.length || depth > 200) return false;
      for (let i = 0; i < la.length; i++) if (!javaEquals(la[i], lb[i], depth + 1)) return false;
      return true;
    }
    case 'Map': {
      const ma = a as Record<string, unknown>;
      const mb = b as Record<string, unknown>;
      const ka = Object.keys(ma);
      if (ka.length !== Object.keys(mb).length || depth > 200) return false;
      for (const k of ka) if (!Object.hasOwn(mb, k) || !javaEquals(ma[k], mb[k], depth + 1)) return false;
      return true;
    }
    default:
      return a instanceof JZonedDateTime && b instanceof JZonedDateTime && a.equals(b);
  }
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

function identityKey(value: object): string {
  let id = identities.get(value);
  if (id === undefined) identities.set(value, (id = ++nextIdentity));
  return `O${id}`;
}

/**
 * A text equal for two values exactly when `javaEquals` says they are (type tags keep Integer and
 * Long apart, maps compare without order, what javaEquals compares by identity gets a key of its
 * own), so that `distinct`, `list - list` and `contains` can use a Set instead of comparing every
 * pair: Java's hash-based collections are linear there, and so are these.
 */
export function javaKey(value: unknown, walk: ValueWalk = new ValueWalk(), depth = 0): string {
  if (value === null || value === undefined) return 'n';
  const type = javaType(value);
  switch (type) {
    case 'String':
      return `S${value as string}`;
    case 'Boolean':
      return value === true ? 'T' : 'F';
    case 'Integer':
    case 'Long':
      return `${type === 'Integer' ? 'I' : 'J'}${toLong(value as number | bigint)}`;
    case 'Double': {
      const d = toDouble(value as number | JDouble);
      return Object.is(d, -0) ? 'D-0' : `D${d}`;
    }
    case 'Character':
      return `C${(value as JChar).value}`;
    case 'Entry': {
      const e = value as MapEntry;
      return `E${e.key.length}:${e.key}${javaKey(e.value, walk, depth + 1)}`;
    }
    case 'List': {
      if (depth > 200) return identityKey(value);
      walk.enter();
      let out = 'L';
      for (const item of value as unknown[]) {
        const k = javaKey(item, walk, depth + 1);
        out += `${k.length}:${k}`;
      }
      return out;
    }
    case 'Map': {
      if (depth > 200) return identityKey(value);
      walk.enter();
      const m = value as Record<string, unknown>;
      const entries = Object.keys(m).map((k) => {
        const v = javaKey(m[k], walk, depth + 1);
        return `${k.length}:${k}${v.length}:${v}`;
      });
      entries.sort();
      return `M${entries.join('')}`;
    }
    default:
      return value instanceof JZonedDateTime ? `Z${value.toString()}` : identityKey(value);
  }
}

/** Pebble's `==`: numbers compare by value across types, everything else by Java equals. */
export function pebbleEquals(a: unknown, b: unknown): boolean {
  if (isNumber(a) && isNumber(b)) {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
    return toDouble(a) === toDouble(b);
  }
  return javaEquals(a, b);
}

/** Java's `hashCode()` of a map key (String, Integer, Long, Boolean, Double). */
function javaHashCode(key: unknown): number {
  if (typeof key === 'string') {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + key.charCodeAt(i)) | 0;
    return h;
  }
  if (typeof key === 'boolean') return key ? 1231 : 1237;
  if (typeof key === 'bigint' || (typeof key === 'number' && javaType(key) === 'Long')) {
    const v = BigInt.asUintN(64, BigInt(key));
    return Number(BigInt.asIntN(32, v ^ (v >> 32n)));
  }
  if (typeof key === 'number' && javaType(key) === 'Integer') return key | 0;
  if (isNumber(key)) {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, toDouble(key));
    return (buf.getInt32(0) ^ buf.getInt32(4)) | 0;
  }
  return 0;
}

/**
 * A `java.util.HashMap` built with `initialCapacity` and filled in order, as Pebble's `merge`
 * does: its iteration order is the bucket order, which callers see in the output.
 */
export function javaHashMap(entries: readonly [unknown, unknown][], initialCapacity: number): Record<string, unknown> {
  let capacity = 1;
  while (capacity < initialCapacity) capacity *= 2;
  const keys: { key: unknown; text: string; hash: number; order: number }[] = [];
  const values = new Map<string, unknown>();
  for (const [key, value] of entries) {
    const text = typeof key === 'string' ? key : toJavaString(key);
    if (!values.has(text)) {
      const h = javaHashCode(key);
      keys.push({ key, text, hash: h ^ (h >>> 16), order: keys.length });
      if (keys.length > capacity * 0.75) capacity *= 2;
    }
    values.set(text, value);
  }
  keys.sort((a, b) => (a.hash & (capacity - 1)) - (b.hash & (capacity - 1)) || a.order - b.order);
  const out = newMap();
  for (const k of keys) out[k.text] = values.get(k.text);
  return setKeyOrder(
    out,
    keys.map((k) => k.text),
  );
}

/** Creates an engine-owned map: no prototype, so no inherited keys can ever be reached. */
export function newMap(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}
