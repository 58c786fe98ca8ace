/**
 * Java number types the core value model has no slot for (Float, BigDecimal), and the
 * string-to-number conversions Kestra's `number` and `string` filters use (Apache
 * `NumberUtils.createNumber`, `Integer.decode`, `Float.valueOf`, `new BigDecimal`).
 *
 * Both boxes extend `JDouble` so the engine's arithmetic and comparisons treat them as the
 * doubles Pebble widens them to; their `toString()` is Java's, and `className` knows them.
 */
import { JDouble, formatDouble, makeDouble } from '../../values.js';
import { typeError } from './common.js';

/** A Java `Float`. `value` is the double nearest to the float's shortest decimal form. */
export class JFloat extends JDouble {
  constructor(value: number) {
    super(shortestFloatAsDouble(value));
  }
  override toString(): string {
    return formatDouble(this.value);
  }
}

/** A Java `BigDecimal`: unscaled value and scale, printed as `BigDecimal.toString()`. */
export class JBigDecimal extends JDouble {
  constructor(
    readonly unscaled: bigint,
    readonly scale: number,
  ) {
    super(Number(bigDecimalToString(unscaled, scale)));
  }
  override toString(): string {
    return bigDecimalToString(this.unscaled, this.scale);
  }
}

/**
 * A Java `BigInteger` (what `number('BIGINTEGER')` and over-long whole numbers give). Kept apart
 * from Long so that `className` can tell; Pebble's arithmetic narrows it like a double here.
 */
export class JBigInteger extends JDouble {
  constructor(readonly big: bigint) {
    super(Number(big));
  }
  override toString(): string {
    return this.big.toString();
  }
}

function shortestFloatAsDouble(v: number): number {
  const f = Math.fround(v);
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

function nfe(text: string): Error {
  return typeError(`For input string: "${text}"`);
}

function notANumber(text: string): Error {
  return typeError(`${text} is not a valid number.`);
}

// ---------------------------------------------------------------------------------------------
// BigDecimal
// ---------------------------------------------------------------------------------------------

export function bigDecimalToString(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const coeff = (negative ? -unscaled : unscaled).toString();
  const adjusted = -scale + (coeff.length - 1);
  let body: string;
  if (scale >= 0 && adjusted >= -6) {
    if (scale === 0) body = coeff;
    else if (coeff.length > scale) body = `${coeff.slice(0, coeff.length - scale)}.${coeff.slice(coeff.length - scale)}`;
    else body = `0.${'0'.repeat(scale - coeff.length)}${coeff}`;
  } else {
    body = coeff[0] + (coeff.length > 1 ? `.${coeff.slice(1)}` : '') + 'E' + (adjusted >= 0 ? '+' : '') + adjusted;
  }
  return negative ? `-${body}` : body;
}

/** `new BigDecimal(text)`. */
export function parseBigDecimal(text: string): JBigDecimal {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) {
    throw typeError(`Character array "${text}" is not a valid BigDecimal`);
  }
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  let unscaled = BigInt((intPart + frac).replace(/^0+(?=\d)/, '') || '0');
  if (m[1] === '-') unscaled = -unscaled;
  return new JBigDecimal(unscaled, frac.length - exp);
}

// ---------------------------------------------------------------------------------------------
// Java's parsers
// ---------------------------------------------------------------------------------------------

/** `Float.valueOf` / `Double.valueOf` (decimal forms, NaN, Infinity, an f/d suffix, trimmed). */
function parseJavaFloating(text: string): number {
  const t = text.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
  const m = /^([+-]?)(NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?$/.exec(t);
  if (!m) throw nfe(text);
  const body = m[2] as string;
  if (body === 'NaN') return NaN;
  const n = body === 'Infinity' ? Infinity : Number(body);
  return m[1] === '-' ? -n : n;
}

export function javaFloatValueOf(text: string): JFloat {
  return new JFloat(parseJavaFloating(text));
}

export function javaDoubleValueOf(text: string): number | JDouble {
  return makeDouble(parseJavaFloating(text));
}

/** `Integer.decode` / `Long.decode` / NumberUtils' BigInteger: sign, then 0x/#/0 radix prefixes. */
function decodeInteger(text: string): bigint {
  const m = /^([+-]?)(0[xX]|#|0(?=\d))?([0-9a-fA-F]+)$/.exec(text);
  if (!m) throw nfe(text);
  const prefix = m[2] ?? '';
  const digits = m[3] as string;
  const radix = prefix === '' ? 10 : prefix === '0' ? 8 : 16;
  const valid = radix === 10 ? /^\d+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9a-fA-F]+$/;
  if (!valid.test(digits)) throw nfe(text);
  let v = 0n;
  const r = BigInt(radix);
  for (const ch of digits) v = v * r + BigInt(parseInt(ch, 16));
  return m[1] === '-' ? -v : v;
}

export function javaIntegerDecode(text: string): number {
  const v = decodeInteger(text);
  if (v < -2147483648n || v > 2147483647n) throw nfe(text);
  return Number(v);
}

export function javaLongDecode(text: string): bigint {
  const v = decodeInteger(text);
  if (v < -9223372036854775808n || v > 9223372036854775807n) throw nfe(text);
  return v;
}

/** `new BigInteger(text)` as NumberUtils.createBigInteger calls it (radix prefixes allowed). */
export function javaBigInteger(text: string): JBigInteger {
  return new JBigInteger(decodeInteger(text));
}

function isAllZeros(s: string | undefined): boolean {
  if (s === undefined) return true;
  for (const ch of s) if (ch !== '0') return false;
  return s.length > 0;
}

function isDigits(s: string): boolean {
  return /^\d+$/.test(s);
}

/**
 * Apache commons-lang3 `NumberUtils.createNumber`: the narrowest of Integer, Long,
 * BigInteger for whole numbers (hex and octal too); Float when it prints the same as the
 * Double, else Double when exact, else BigDecimal; a type suffix (L, F, D) forces the type.
 */
export function createNumber(text: string): unknown {
  if (text.trim() === '') throw typeError('A blank string is not a valid number');
  const hexPrefix = /^[+-]?(0[xX]|#)/.exec(text);
  if (hexPrefix) {
    const hexDigits = text.length - hexPrefix[0].length;
    const first = text.charAt(hexPrefix[0].length);
    if (hexDigits > 16 || (hexDigits === 16 && first > '7')) return javaBigInteger(text);
    if (hexDigits > 8 || (hexDigits === 8 && first > '7')) return javaLongDecode(text);
    return javaIntegerDecode(text);
  }
  const len = text.length;
  const lastChar = text.charAt(len - 1);
  const decPos = text.indexOf('.');
  const expPos = text.indexOf('e') + text.indexOf('E') + 1;
  let mant: string;
  let dec: string | undefined;
  const mantissa = (stop?: number): string => {
    const hasSign = text[0] === '-' || text[0] === '+';
    return text.slice(hasSign ? 1 : 0, stop);
  };
  if (decPos > -1) {
    if (expPos > -1) {
      if (expPos < decPos || expPos > len) throw notANumber(text);
      dec = text.slice(decPos + 1, expPos);
    } else {
      dec = text.slice(decPos + 1);
    }
    mant = mantissa(decPos);
  } else {
    if (expPos > len) throw notANumber(text);
    mant = expPos > -1 ? mantissa(expPos) : mantissa();
  }
  if (!/\d/.test(lastChar) && lastChar !== '.') {
    const exp = expPos > -1 && expPos < len - 1 ? text.slice(expPos + 1, len - 1) : undefined;
    const numeric = text.slice(0, len - 1);
    const allZeros = isAllZeros(mant) && isAllZeros(exp);
    switch (lastChar) {
      case 'l':
      case 'L':
        if (dec === undefined && exp === undefined && ((numeric[0] === '-' && isDigits(numeric.slice(1))) || isDigits(numeric))) {
          try {
            return javaLongDecode(numeric);
          } catch {
            return javaBigInteger(numeric);
          }
        }
        throw notANumber(text);
      case 'f':
      case 'F': {
        const f = javaFloatValueOf(text);
        if (!(!Number.isFinite(f.value) || (f.value === 0 && !allZeros))) return f;
        return doubleOrBigDecimal(text, numeric, allZeros);
      }
      case 'd':
      case 'D':
        return doubleOrBigDecimal(text, numeric, allZeros);
      default:
        throw notANumber(text);
    }
  }
  const exp = expPos > -1 && expPos < len - 1 ? text.slice(expPos + 1) : undefined;
  if (dec === undefined && exp === undefined) {
    try {
      return javaIntegerDecode(text);
    } catch {
      /* too big for an int */
    }
    try {
      return javaLongDecode(text);
    } catch {
      /* too big for a long */
    }
    return javaBigInteger(text);
  }
  const allZeros = isAllZeros(mant) && isAllZeros(exp);
  const d = parseJavaFloating(text);
  const f = new JFloat(d);
  if (Number.isFinite(Math.fround(d)) && !(Math.fround(d) === 0 && !allZeros) && formatDouble(f.value) === formatDouble(d)) return f;
  if (Number.isFinite(d) && !(d === 0 && !allZeros)) {
    const exact = parseBigDecimal(text);
    const viaDouble = parseBigDecimal(formatDouble(d));
    if (bigDecimalEquals(exact, viaDouble)) return makeDouble(d);
    return exact;
  }
  return parseBigDecimal(text);
}

function doubleOrBigDecimal(text: string, numeric: string, allZeros: boolean): unknown {
  const d = parseJavaFloating(text);
  if (!(!Number.isFinite(d) || (d === 0 && !allZeros))) return makeDouble(d);
  return parseBigDecimal(numeric);
}

function bigDecimalEquals(a: JBigDecimal, b: JBigDecimal): boolean {
  const scale = Math.max(a.scale, b.scale);
  return a.unscaled * 10n ** BigInt(scale - a.scale) === b.unscaled * 10n ** BigInt(scale - b.scale);
}
