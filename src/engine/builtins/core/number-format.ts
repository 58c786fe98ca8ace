/**
 * A java.text.DecimalFormat subset for Pebble's `numberFormat` filter: literal prefix/suffix,
 * `%` and `‰`, grouping, minimum/maximum integer and fraction digits, HALF_EVEN rounding,
 * the render locale's grouping and decimal separators and minus sign (`RenderScope.locale`, en_US by
 * default: Pebble takes them from the evaluation context's locale, Kestra's JVM default).
 */
import { TemplateError } from '../../errors.js';
import { US_SYMBOLS, type DecimalSymbols } from '../../locale.js';

interface Pattern {
  prefix: string;
  suffix: string;
  minInt: number;
  minFrac: number;
  maxFrac: number;
  grouping: number;
  multiplier: number;
}

const cache = new Map<string, Pattern>();

function parsePattern(pattern: string): Pattern {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const positive = pattern.split(';')[0]!;
  const m = /^([^#0,.]*)([#0,]*)(?:\.([0#]*))?(.*)$/.exec(positive);
  if (!m || (m[2]!.length === 0 && m[3] === undefined)) throw new TemplateError('FUNCTION_ERROR', `Malformed pattern "${pattern}"`);
  const [, rawPrefix, intPart, fracPart = '', rawSuffix] = m;
  const unquote = (s: string): string => s.replace(/'([^']*)'/g, (_x, inner: string) => (inner === '' ? "'" : inner));
  const prefix = unquote(rawPrefix!);
  const suffix = unquote(rawSuffix!);
  const lastComma = intPart!.lastIndexOf(',');
  const digits = intPart!.replace(/,/g, '');
  const parsed: Pattern = {
    prefix,
    suffix,
    minInt: (digits.match(/0/g) ?? []).length,
    minFrac: (fracPart.match(/0/g) ?? []).length,
    maxFrac: fracPart.length,
    grouping: lastComma === -1 ? 0 : intPart!.length - lastComma - 1,
    multiplier: /%/.test(prefix + suffix) ? 100 : /‰/.test(prefix + suffix) ? 1000 : 1,
  };
  if (cache.size > 500) cache.clear();
  cache.set(pattern, parsed);
  return parsed;
}

/** Rounds a decimal digit string HALF_EVEN to `frac` fraction digits; exact on the number's shortest representation. */
function roundHalfEven(intDigits: string, fracDigits: string, frac: number): [string, string] {
  if (fracDigits.length <= frac) return [intDigits, fracDigits];
  const keep = fracDigits.slice(0, frac);
  const rest = fracDigits.slice(frac);
  const first = rest.charCodeAt(0) - 48;
  const beyond = /[1-9]/.test(rest.slice(1));
  const lastKept = (frac > 0 ? keep : intDigits).slice(-1);
  const roundUp = first > 5 || (first === 5 && (beyond || Number(lastKept) % 2 === 1));
  if (!roundUp) return [intDigits, keep];
  const all = (intDigits + keep).split('').map(Number);
  let i = all.length - 1;
  for (; i >= 0; i--) {
    if (all[i]! < 9) {
      all[i]!++;
      break;
    }
    all[i] = 0;
  }
  let joined = all.join('');
  if (i < 0) joined = '1' + joined;
  const intLen = joined.length - frac;
  return [joined.slice(0, intLen), joined.slice(intLen)];
}

/** Splits |value| into exact integer and fraction digit strings. */
function decimalDigits(value: number | bigint): [string, string] {
  if (typeof value === 'bigint') return [(value < 0n ? -value : value).toString(), ''];
  const abs = Math.abs(value);
  const [mantissa, expText] = abs.toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    return [intPart, digits.slice(exp + 1)];
  }
  return ['0', '0'.repeat(-exp - 1) + digits];
}

function group(intDigits: string, size: number, separator: string): string {
  if (size <= 0 || intDigits.length <= size) return intDigits;
  const parts: string[] = [];
  for (let end = intDigits.length; end > 0; end -= size) parts.unshift(intDigits.slice(Math.max(0, end - size), end));
  return parts.join(separator);
}

export function formatDecimal(value: number | bigint, pattern: string, symbols: DecimalSymbols = US_SYMBOLS): string {
  const p = parsePattern(pattern);
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'NaN' : `${value < 0 ? symbols.minus : ''}${p.prefix}∞${p.suffix}`;
  const negative = typeof value === 'bigint' ? value < 0n : value < 0 || Object.is(value, -0);
  const scaled = p.multiplier === 1 ? value : typeof value === 'bigint' ? value * BigInt(p.multiplier) : value * p.multiplier;
  let [intDigits, fracDigits] = decimalDigits(scaled);
  [intDigits, fracDigits] = roundHalfEven(intDigits, fracDigits, p.maxFrac);
  fracDigits = fracDigits.replace(/0+$/, '');
  if (fracDigits.length < p.minFrac) fracDigits = fracDigits.padEnd(p.minFrac, '0');
  intDigits = intDigits.replace(/^0+/, '');
  if (intDigits.length < p.minInt) intDigits = intDigits.padStart(p.minInt, '0');
  const body = group(intDigits, p.grouping, symbols.group) + (fracDigits.length > 0 ? symbols.decimal + fracDigits : '');
  // DecimalFormat keeps the sign of a negative value that rounds to zero (and of -0.0).
  return (negative ? symbols.minus : '') + p.prefix + (body === '' ? '0' : body) + p.suffix;
}

/** NumberFormat.getInstance(locale): `#,##0.###` with the locale's symbols. */
export function formatDefault(value: number | bigint, symbols: DecimalSymbols = US_SYMBOLS): string {
  return formatDecimal(value, '#,##0.###', symbols);
}
