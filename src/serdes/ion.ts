/**
 * Kestra's internal file format: Amazon Ion text, one value per line, as Jackson's `IonObjectMapper`
 * (`FileSerde.write`) writes it — nulls kept in structs, doubles as Ion floats (`1.5e0`), BigDecimals
 * as decimals, strings UTF-8. Reading parses the Ion subset such files hold with a fast hand-written
 * parser and falls back to ion-js for anything else (blobs, clobs…).
 */
import type { dom } from 'ion-js';
import { ionJs } from '../engine/builtins/kestra/ion-js.js';
import { IonParseError } from './errors.js';
import { readIonAll } from '../engine/builtins/kestra/ion.js';
import { integralFromText } from '../engine/builtins/kestra/json.js';
import { JBigDecimal, JBigInteger, JFloat, parseBigDecimal } from '../engine/builtins/kestra/numbers.js';
import { formatDouble, isList, isMap, JDouble, makeDouble, mapKeys, newMap, OrderedMapBuilder, toJavaString } from '../engine/values.js';

const MAX_DEPTH = 1000;

/**
 * An Ion timestamp kept as its text (`2024-01-02`, `2024-01-02T10:00:00.000Z`): Kestra's Ion mapper reads a
 * day-precision one as a `LocalDate`, a UTC one as an `Instant`, one with an offset as a `ZonedDateTime`.
 * Only the typed readers (`parseIon(…, { typed: true })`) make them; the others read timestamps as strings.
 */
export class IonTimestamp {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/**
 * A java.time value as Kestra's `IonModule` writes it: a string annotated with the class's simple name
 * (`LocalDateTime::"2024-01-02T10:00"`, `LocalTime::"10:00:00"`, `OffsetDateTime`, `ZonedDateTime`, `OffsetTime`).
 */
export class IonTyped {
  constructor(
    readonly annotation: string,
    readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
}

const TYPED_ANNOTATIONS = new Set(['Instant', 'OffsetDateTime', 'ZonedDateTime', 'LocalDateTime', 'LocalDate', 'OffsetTime', 'LocalTime']);

// --- writing ------------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const KEYWORDS = new Set(['null', 'true', 'false', 'nan']);

function symbol(name: string): string {
  if (IDENTIFIER.test(name) && !KEYWORDS.has(name) && !/^\$\d+$/.test(name)) return name;
  return `'${escapeText(name, "'")}'`;
}

function escapeText(text: string, quote: '"' | "'"): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20 || c === 0x7f) {
      rep = c === 0x0a ? '\\n' : c === 0x09 ? '\\t' : c === 0x0d ? '\\r' : c === 0 ? '\\0' : `\\x${c.toString(16).padStart(2, '0')}`;
    } else if (c === 0x5c) rep = '\\\\';
    else if (c === quote.charCodeAt(0)) rep = `\\${quote}`;
    if (rep !== undefined) {
      out += text.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

/** A double as ion-java prints it: Java's `Double.toString` with `e` exponent (`1.5e0`, `2.0e0`, `1.0e20`). */
export function ionFloat(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return '+inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0e0' : '0e0';
  const java = formatDouble(d);
  return java.includes('E') ? java.replace('E', 'e') : `${java}e0`;
}

function bigDecimalToIon(v: JBigDecimal): string {
  const text = v.toString();
  if (/[eE]/.test(text)) return text.replace(/[eE]\+?/, 'd');
  return text.includes('.') ? text : `${text}.`;
}

function writeValue(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new Error('Value nesting depth exceeds the maximum allowed (1000)');
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return `"${escapeText(value, '"')}"`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      // An integral number is a Java Integer or Long; beyond the long range it can only be a Double.
      if (Number.isInteger(value) && !Object.is(value, -0) && Math.abs(value) < 2 ** 63)
        return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
      return ionFloat(value);
    default:
      break;
  }
  if (value instanceof JBigDecimal) return bigDecimalToIon(value);
  if (value instanceof JBigInteger) return value.big.toString();
  if (value instanceof JFloat) return ionFloat(Math.fround(value.value));
  if (value instanceof JDouble) return ionFloat(value.value);
  if (value instanceof IonTimestamp) return value.text;
  if (value instanceof IonTyped) return `${value.annotation}::"${escapeText(value.text, '"')}"`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'null.timestamp' : value.toISOString();
  if (value instanceof Uint8Array) return `{{${Buffer.from(value).toString('base64')}}}`;
  if (isList(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + writeValue(value[i], depth + 1);
    return `${out}]`;
  }
  if (isMap(value)) {
    let out = '{';
    let first = true;
    for (const key of mapKeys(value)) {
      out += `${first ? '' : ','}${symbol(key)}:${writeValue(value[key], depth + 1)}`;
      first = false;
    }
    return `${out}}`;
  }
  if (value instanceof Map) return writeValue(Object.fromEntries(value), depth);
  return `"${escapeText(toJavaString(value), '"')}"`;
}

/** One value as Ion text (no trailing newline). */
export function toIonLine(value: unknown): string {
  return writeValue(value, 0);
}

// --- reading ------------------------------------------------------------------------------------

class Fallback extends Error {}

const TIMESTAMP = /^\d{4}(?:T|-\d{2}(?:T|-\d{2}(?:T(?:\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?)$/;

/** A small recursive-descent parser for the Ion text Kestra files hold; throws Fallback on the rest. */
class Parser {
  private i = 0;
  constructor(
    private readonly s: string,
    /** Keep annotations of text values as `{ion_annotations: [...], value}` (IonToJson's shouldKeepAnnotations). */
    private readonly keepAnnotations = false,
    /** Timestamps as IonTimestamp, java.time-annotated strings as IonTyped, blobs as bytes (the Avro/Parquet/Excel writers). */
    private readonly typed = false,
  ) {}

  all(): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.i >= this.s.length) return out;
      out.push(this.value(0));
    }
  }

  private ws(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12) this.i++;
      else if (c === 47 && s[this.i + 1] === '/') {
        const end = s.indexOf('\n', this.i);
        this.i = end < 0 ? s.length : end + 1;
      } else if (c === 47 && s[this.i + 1] === '*') {
        const end = s.indexOf('*/', this.i + 2);
        if (end < 0) throw new IonParseError('Unterminated comment');
        this.i = end + 2;
      } else return;
    }
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new IonParseError('Ion nesting too deep');
    this.ws();
    const s = this.s;
    const c = s[this.i];
    if (c === undefined) throw new IonParseError('Unexpected end of Ion data');
    if (c === '{') {
      if (s[this.i + 1] === '{') return this.blob();
      return this.struct(depth);
    }
    if (c === '[') return this.sequence(']', depth);
    if (c === '(') return this.sequence(')', depth);
    if (c === '"') return this.shortString();
    if (c === "'") {
      if (s.startsWith("'''", this.i)) return this.longStrings();
      const text = this.quotedSymbol();
      return this.afterSymbol(text, depth);
    }
    const token = this.token();
    if (token === '') throw new IonParseError(`Unexpected character '${c}' in Ion data`);
    if (token.startsWith('null.')) return null;
    if (IDENTIFIER.test(token)) {
      if (token === 'null') return null;
      if (token === 'true') return true;
      if (token === 'false') return false;
      if (token === 'nan') return makeDouble(NaN);
      return this.afterSymbol(token, depth);
    }
    return this.number(token);
  }

  /** A symbol may be an annotation (`a::value`), which Jackson ignores; otherwise it reads as a string. */
  private afterSymbol(text: string, depth: number): unknown {
    this.ws();
    if (this.s.startsWith('::', this.i)) {
      this.i += 2;
      const value = this.value(depth);
      if (this.typed && typeof value === 'string' && TYPED_ANNOTATIONS.has(text)) return new IonTyped(text, value);
      if (!this.keepAnnotations || typeof value !== 'string') return value;
      const out = newMap();
      out['ion_annotations'] = [text];
      out['value'] = value;
      return out;
    }
    return text;
  }

  private token(): string {
    const start = this.i;
    const s = this.s;
    while (this.i < s.length && /[A-Za-z0-9_$.+\-:]/.test(s[this.i] as string)) {
      // '::' ends a symbol (annotation); a single ':' belongs to timestamps.
      if (s[this.i] === ':' && (s[this.i + 1] === ':' || !/\d/.test(s[start] ?? ''))) break;
      this.i++;
    }
    return s.slice(start, this.i);
  }

  private number(token: string): unknown {
    const t = token.replace(/_/g, '');
    if (t === '+inf') return makeDouble(Infinity);
    if (t === '-inf') return makeDouble(-Infinity);
    if (/^-?\d+$/.test(t)) return integralFromText(t);
    if (/^-?0[xX][0-9a-fA-F]+$/.test(t))
      return integralFromText(BigInt(t.startsWith('-') ? t.slice(1) : t) * (t.startsWith('-') ? -1n : 1n) + '');
    if (/^-?0[bB][01]+$/.test(t)) return integralFromText(BigInt(t.startsWith('-') ? t.slice(1) : t) * (t.startsWith('-') ? -1n : 1n) + '');
    if (/^-?\d+(?:\.\d*)?[eE][+-]?\d+$/.test(t)) return makeDouble(Number(t));
    if (/^-?\d+\.\d*(?:[dD][+-]?\d+)?$/.test(t) || /^-?\d+[dD][+-]?\d+$/.test(t)) return parseBigDecimal(t.replace(/[dD]/, 'e'));
    if (TIMESTAMP.test(t)) return this.typed ? new IonTimestamp(t) : t;
    throw new IonParseError(`Invalid Ion value '${token}'`);
  }

  /** `{{ base64 }}`: bytes when typed, else base64 text (as ion-js values read); a clob goes to ion-js. */
  private blob(): unknown {
    const end = this.s.indexOf('}}', this.i + 2);
    if (end < 0) throw new IonParseError('Unterminated Ion blob');
    const body = this.s.slice(this.i + 2, end).replace(/\s+/g, '');
    if (body.startsWith('"') || body.startsWith("'")) throw new Fallback();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new IonParseError('Invalid base64 in an Ion blob');
    this.i = end + 2;
    const bytes = Buffer.from(body, 'base64');
    return this.typed ? new Uint8Array(bytes) : bytes.toString('base64');
  }

  private struct(depth: number): Record<string, unknown> {
    // Field order kept, integer-like names included (Jackson reads a LinkedHashMap).
    const out = new OrderedMapBuilder();
    this.i++; // {
    for (;;) {
      this.ws();
      const s = this.s;
      if (s[this.i] === '}') {
        this.i++;
        return out.build();
      }
      let name: string;
      if (s[this.i] === '"') name = this.shortString();
      else if (s.startsWith("'''", this.i)) name = this.longStrings();
      else if (s[this.i] === "'") name = this.quotedSymbol();
      else {
        name = this.token();
        if (name === '') throw new IonParseError(`Expected a field name in an Ion struct, got '${s[this.i] ?? 'end of data'}'`);
      }
      this.ws();
      if (s[this.i] !== ':') throw new IonParseError(`Expected ':' after field '${name}' in an Ion struct`);
      this.i++;
      out.set(name, this.value(depth + 1));
      this.ws();
      if (s[this.i] === ',') this.i++;
      else if (s[this.i] !== '}') throw new IonParseError(`Expected ',' or '}' in an Ion struct`);
    }
  }

  private sequence(close: ']' | ')', depth: number): unknown[] {
    const out: unknown[] = [];
    this.i++;
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      if (this.i >= this.s.length) throw new IonParseError(`Expected '${close}' in Ion data`);
      out.push(this.value(depth + 1));
      this.ws();
      if (close === ']') {
        if (this.s[this.i] === ',') this.i++;
        else if (this.s[this.i] !== ']') throw new IonParseError(`Expected ',' or ']' in an Ion list`);
      }
    }
  }

  private shortString(): string {
    return this.quoted('"');
  }

  private quotedSymbol(): string {
    return this.quoted("'");
  }

  private quoted(q: '"' | "'"): string {
    const s = this.s;
    let i = this.i + 1;
    let out = '';
    let start = i;
    for (;;) {
      const c = s[i];
      if (c === undefined || c === '\n') throw new IonParseError('Unterminated Ion string');
      if (c === q) {
        out += s.slice(start, i);
        this.i = i + 1;
        return out;
      }
      if (c === '\\') {
        out += s.slice(start, i);
        const [text, next] = unescape(s, i);
        out += text;
        i = next;
        start = i;
        continue;
      }
      i++;
    }
  }

  private longStrings(): string {
    let out = '';
    do {
      const s = this.s;
      let i = this.i + 3;
      let start = i;
      for (;;) {
        if (i >= s.length) throw new IonParseError('Unterminated Ion long string');
        if (s.startsWith("'''", i)) {
          out += s.slice(start, i);
          this.i = i + 3;
          break;
        }
        if (s[i] === '\\') {
          out += s.slice(start, i);
          if (s[i + 1] === '\n') {
            i += 2;
          } else {
            const [text, next] = unescape(s, i);
            out += text;
            i = next;
          }
          start = i;
          continue;
        }
        i++;
      }
      this.ws();
    } while (this.s.startsWith("'''", this.i));
    return out;
  }
}

function unescape(s: string, at: number): [string, number] {
  const e = s[at + 1];
  switch (e) {
    case 'n':
      return ['\n', at + 2];
    case 't':
      return ['\t', at + 2];
    case 'r':
      return ['\r', at + 2];
    case '0':
      return ['\0', at + 2];
    case 'a':
      return ['\x07', at + 2];
    case 'b':
      return ['\b', at + 2];
    case 'f':
      return ['\f', at + 2];
    case 'v':
      return ['\v', at + 2];
    case '"':
    case "'":
    case '\\':
    case '/':
    case '?':
      return [e, at + 2];
    case 'x':
      return [String.fromCharCode(parseInt(s.slice(at + 2, at + 4), 16)), at + 4];
    case 'u':
      return [String.fromCharCode(parseInt(s.slice(at + 2, at + 6), 16)), at + 6];
    case 'U':
      return [String.fromCodePoint(parseInt(s.slice(at + 2, at + 10), 16)), at + 10];
    default:
      throw new IonParseError(`Invalid escape '\\${e ?? ''}' in an Ion string`);
  }
}

/** Every top-level value of an Ion text, as engine values (ints as Integer/Long, floats as Double…). */
export function parseIon(text: string | Uint8Array, options: { keepAnnotations?: boolean; typed?: boolean } = {}): unknown[] {
  if (typeof text === 'string') {
    try {
      return new Parser(text, options.keepAnnotations === true, options.typed === true).all();
    } catch (e) {
      if (!(e instanceof Fallback)) throw e;
    }
  }
  try {
    return options.typed === true
      ? ionJs()
          .loadAll(text)
          .map((v) => typedIonToJava(v, 0))
      : readIonAll(text);
  } catch (e) {
    throw new IonParseError(`Invalid Ion data: ${(e as Error).message}`);
  }
}

/** An ion-js value (binary Ion) as the typed readers take it: timestamps, java.time strings, decimals and blobs kept. */
function typedIonToJava(v: dom.Value | null, depth: number): unknown {
  const { IonTypes } = ionJs();
  if (depth > MAX_DEPTH) throw new IonParseError('Ion nesting too deep');
  if (v === null || v.isNull()) return null;
  switch (v.getType()) {
    case IonTypes.TIMESTAMP:
      return new IonTimestamp(v.timestampValue()?.toString() ?? '');
    case IonTypes.DECIMAL:
      return parseBigDecimal((v.decimalValue()?.toString() ?? '0').replace(/d/i, 'e'));
    case IonTypes.BLOB:
      return new Uint8Array(v.uInt8ArrayValue() ?? new Uint8Array());
    case IonTypes.STRING: {
      const annotation = v.getAnnotations()[0];
      const text = v.stringValue() ?? '';
      return annotation !== undefined && TYPED_ANNOTATIONS.has(annotation) ? new IonTyped(annotation, text) : text;
    }
    case IonTypes.LIST:
    case IonTypes.SEXP:
      return v.elements().map((item) => typedIonToJava(item, depth + 1));
    case IonTypes.STRUCT: {
      const out = new OrderedMapBuilder();
      for (const [k, item] of v.fields()) out.set(k, typedIonToJava(item, depth + 1));
      return out.build();
    }
    case IonTypes.BOOL:
      return v.booleanValue();
    case IonTypes.INT:
      return integralFromText(String(v.bigIntValue()));
    case IonTypes.FLOAT:
      return makeDouble(v.numberValue() as number);
    case IonTypes.SYMBOL:
      return v.stringValue();
    case IonTypes.CLOB:
      return Buffer.from(v.uInt8ArrayValue() ?? new Uint8Array()).toString('base64');
    default:
      return null;
  }
}
