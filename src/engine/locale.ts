/**
 * Java locales for Kestra's `date`/`dateAdd`/`now` (`locale=` argument) and Pebble's `numberFormat`
 * (the render's locale), with the locale data taken from the ICU that Node ships (full ICU since
 * Node 13): month and day names, AM/PM, eras, the localized FULL/LONG/MEDIUM/SHORT patterns and the
 * decimal symbols. Java 9+ formats with CLDR data too (JEP 252), so the texts agree; no data package
 * is needed (js-joda's per-locale packages cover 30 locales, its full CLDR package downloads its data
 * at install time), and nothing is loaded until a locale is first used (then cached).
 */
import { TemplateError } from './errors.js';

/** A `java.util.Locale`: language, country, variant as `LocaleUtils.toLocale` splits them. */
export interface JavaLocale {
  readonly language: string;
  readonly country: string;
  readonly variant: string;
  /** `Locale.toString()`: `fr`, `fr_FR`, `_FR`. */
  readonly javaString: string;
  /** The BCP 47 tag ICU is asked with, or `undefined` when ICU has no data for the language (Java falls back to its root/English data). */
  readonly intlTag: string | undefined;
}

function invalid(text: string): TemplateError {
  return new TemplateError('FUNCTION_ERROR', `Invalid locale format: ${text}`);
}

const isLanguage = (s: string): boolean => /^[a-z]{2,3}$/.test(s);
const isCountry = (s: string): boolean => /^(?:[A-Z]{2}|\d{3})$/.test(s);

const parsed = new Map<string, JavaLocale>();

/**
 * Commons Lang's `LocaleUtils.toLocale` (what Kestra's AbstractDate calls): `fr`, `fr_FR`,
 * `fr_FR_variant`, `_FR`, and since Commons Lang 3.12 the same with `-` (`de-DE`); a lower-case
 * language of 2 or 3 letters, an upper-case 2-letter or 3-digit country. Anything else fails with
 * Commons Lang's message, `Invalid locale format: …`.
 */
export function parseJavaLocale(text: string): JavaLocale {
  const cached = parsed.get(text);
  if (cached !== undefined) return cached;
  let language = '';
  let country = '';
  let variant = '';
  if (text !== '') {
    if (text.includes('#') || text.length < 2) throw invalid(text);
    const c0 = text[0];
    if (c0 === '_' || c0 === '-') {
      const rest = text.slice(1).split(c0);
      if (!isCountry(rest[0] ?? '') || !/^[A-Z]{2}$/.test(rest[0] ?? '') || rest.length > 2 || rest[1] === '') throw invalid(text);
      country = rest[0] as string;
      variant = rest[1] ?? '';
    } else if (isLanguage(text)) {
      language = text;
    } else {
      const segments = text.split(text.includes('_') ? '_' : '-');
      const [lang = '', ctry = '', vrnt] = segments;
      if (segments.length === 2 && isLanguage(lang) && isCountry(ctry)) {
        language = lang;
        country = ctry;
      } else if (segments.length === 3 && isLanguage(lang) && (ctry === '' || isCountry(ctry)) && vrnt !== undefined && vrnt !== '') {
        language = lang;
        country = ctry;
        variant = vrnt;
      } else throw invalid(text);
    }
  }
  const javaString = [language, country, variant].join('_').replace(/_+$/, '');
  const locale: JavaLocale = { language, country, variant, javaString, intlTag: intlTagOf(language, country) };
  if (parsed.size > 200) parsed.clear();
  parsed.set(text, locale);
  return locale;
}

/** The tag ICU has data for, or undefined (an unknown language: Java uses its root data, which is English). */
function intlTagOf(language: string, country: string): string | undefined {
  if (language === '') return undefined;
  const tag = country === '' ? language : `${language}-${country}`;
  try {
    const supported = Intl.DateTimeFormat.supportedLocalesOf([tag]);
    if (supported.length > 0) return tag;
    return Intl.DateTimeFormat.supportedLocalesOf([language]).length > 0 ? language : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Date texts, as CLDR JSON (the shape js-joda's locale plugin reads)
// ---------------------------------------------------------------------------------------------

type Width = 'wide' | 'abbreviated' | 'narrow';
const INTL_WIDTH: Readonly<Record<Width, 'long' | 'short' | 'narrow'>> = { wide: 'long', abbreviated: 'short', narrow: 'narrow' };
const DAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * Java formats the ISO calendar with ASCII digits whatever the locale (a formatter's chronology and
 * DecimalStyle do not follow it): ICU is asked for the Gregorian calendar and Latin digits (Thai
 * would otherwise give Buddhist years, Arabic its own digits).
 */
const ISO: Intl.DateTimeFormatOptions = { timeZone: 'UTC', calendar: 'gregory', numberingSystem: 'latn' };

function part(tag: string, options: Intl.DateTimeFormatOptions, date: number, type: Intl.DateTimeFormatPartTypes): string {
  const parts = new Intl.DateTimeFormat(tag, { ...ISO, ...options }).formatToParts(date);
  return parts.find((p) => p.type === type)?.value ?? '';
}

/**
 * `main/<locale>/ca-gregorian.json` for js-joda, built from ICU: month and weekday names in their
 * format-context forms (asked for next to a day, so Russian gives `марта`, not the stand-alone
 * `март`, as Java's `MMMM` does), AM/PM, eras. Quarters have no ICU API: English-style `Q1` and
 * `1st quarter` stay (a remaining difference, documented).
 */
export function gregorianCldr(tag: string, bundle: string): Record<string, unknown> {
  const months: Record<string, Record<string, string>> = {};
  const days: Record<string, Record<string, string>> = {};
  for (const width of ['wide', 'abbreviated', 'narrow'] as const) {
    const style = INTL_WIDTH[width];
    const m: Record<string, string> = {};
    for (let i = 0; i < 12; i++) {
      const date = Date.UTC(2024, i, 15);
      const inContext = part(tag, { month: style, day: 'numeric' }, date, 'month');
      // CJK names are "3月": ICU splits them into a number and a literal next to a day.
      m[String(i + 1)] =
        /^\d+$/.test(inContext) && style !== 'narrow' ? new Intl.DateTimeFormat(tag, { ...ISO, month: style }).format(date) : inContext;
    }
    months[width] = m;
    const d: Record<string, string> = {};
    // 2024-03-03 is a Sunday.
    DAY_KEYS.forEach(
      (key, i) => (d[key] = part(tag, { weekday: style, day: 'numeric', month: 'long' }, Date.UTC(2024, 2, 3 + i), 'weekday')),
    );
    days[width] = d;
  }
  const dayPeriods: Record<string, Record<string, string>> = {};
  for (const width of ['wide', 'abbreviated', 'narrow'] as const) {
    const options: Intl.DateTimeFormatOptions = { hour: 'numeric', hourCycle: 'h12' };
    dayPeriods[width] = {
      am: part(tag, options, Date.UTC(2024, 0, 1, 9), 'dayPeriod') || 'AM',
      pm: part(tag, options, Date.UTC(2024, 0, 1, 15), 'dayPeriod') || 'PM',
    };
  }
  const bc = Date.UTC(-99, 0, 1);
  const ad = Date.UTC(2024, 0, 1);
  const era = (style: 'long' | 'short' | 'narrow'): Record<string, string> => ({
    '0': part(tag, { era: style, year: 'numeric' }, bc, 'era'),
    '1': part(tag, { era: style, year: 'numeric' }, ad, 'era'),
  });
  const quarters = {
    wide: { '1': '1st quarter', '2': '2nd quarter', '3': '3rd quarter', '4': '4th quarter' },
    abbreviated: { '1': 'Q1', '2': 'Q2', '3': 'Q3', '4': 'Q4' },
    narrow: { '1': '1', '2': '2', '3': '3', '4': '4' },
  };
  return {
    main: {
      [bundle]: {
        identity: { language: bundle.split('-')[0] },
        dates: {
          calendars: {
            gregorian: {
              months: { format: months, 'stand-alone': months },
              days: { format: days, 'stand-alone': days },
              quarters: { format: quarters, 'stand-alone': quarters },
              dayPeriods: { format: dayPeriods, 'stand-alone': dayPeriods },
              eras: { eraNames: era('long'), eraAbbr: era('short'), eraNarrow: era('narrow') },
            },
          },
        },
      },
    },
  };
}

type IntlWidth = 'long' | 'short' | 'narrow';
const standAlone = new Map<string, string>();

function cachedText(key: string, make: () => string): string {
  let v = standAlone.get(key);
  if (v === undefined) {
    v = make();
    if (standAlone.size > 2000) standAlone.clear();
    standAlone.set(key, v);
  }
  return v;
}

/** The stand-alone month name (`LLLL`): ICU formats a month alone in its stand-alone form. */
export function standAloneMonth(tag: string, month: number, width: IntlWidth): string {
  return cachedText(`${tag}|M${month}|${width}`, () =>
    new Intl.DateTimeFormat(tag, { ...ISO, month: width }).format(Date.UTC(2024, month - 1, 15)),
  );
}

/** The stand-alone weekday name (`cccc`); `dayOfWeek` is ISO (1 = Monday). 2024-03-04 is a Monday. */
export function standAloneWeekday(tag: string, dayOfWeek: number, width: IntlWidth): string {
  return cachedText(`${tag}|E${dayOfWeek}|${width}`, () =>
    new Intl.DateTimeFormat(tag, { ...ISO, weekday: width }).format(Date.UTC(2024, 2, 3 + dayOfWeek)),
  );
}

// ---------------------------------------------------------------------------------------------
// Localized date-time patterns (FormatStyle FULL/LONG/MEDIUM/SHORT)
// ---------------------------------------------------------------------------------------------

export type DateStyle = 'full' | 'long' | 'medium' | 'short';
const patterns = new Map<string, string>();

function quote(text: string): string {
  if (text === '') return '';
  if (!/[A-Za-z']/.test(text)) return text;
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The `DateTimeFormatter.ofLocalizedDateTime(style)` pattern for a locale, read back from ICU's
 * formatting of a sample instant (2024-03-05 09:07:08 UTC: every field tells its width apart).
 */
export function localizedPattern(tag: string, style: DateStyle): string {
  const key = `${tag}|${style}`;
  const cached = patterns.get(key);
  if (cached !== undefined) return cached;
  const sample = Date.UTC(2024, 2, 5, 9, 7, 8);
  const f = new Intl.DateTimeFormat(tag, { ...ISO, dateStyle: style, timeStyle: style });
  const hourCycle = f.resolvedOptions().hourCycle ?? 'h23';
  const monthText = (width: 'long' | 'short' | 'narrow'): string => part(tag, { month: width, day: 'numeric' }, sample, 'month');
  const weekdayText = (width: 'long' | 'short' | 'narrow'): string =>
    part(tag, { weekday: width, day: 'numeric', month: 'long' }, sample, 'weekday');
  let out = '';
  for (const p of f.formatToParts(sample)) {
    const v = p.value;
    switch (p.type) {
      case 'weekday':
        out += v === weekdayText('long') ? 'EEEE' : v === weekdayText('short') ? 'EEE' : 'EEEEE';
        break;
      case 'era':
        out += 'G';
        break;
      case 'year':
        out += v.length === 2 ? 'yy' : 'y';
        break;
      case 'month':
        out += /^\d+$/.test(v)
          ? v.length === 2
            ? 'MM'
            : 'M'
          : v === monthText('long')
            ? 'MMMM'
            : v === monthText('short')
              ? 'MMM'
              : 'MMMMM';
        break;
      case 'day':
        out += v.length === 2 ? 'dd' : 'd';
        break;
      case 'hour': {
        const letter = hourCycle === 'h12' ? 'h' : hourCycle === 'h11' ? 'K' : hourCycle === 'h24' ? 'k' : 'H';
        out += v.length === 2 ? letter + letter : letter;
        break;
      }
      case 'minute':
        out += 'mm';
        break;
      case 'second':
        out += 'ss';
        break;
      case 'dayPeriod':
        out += 'a';
        break;
      case 'timeZoneName':
        out += style === 'full' ? 'zzzz' : 'z';
        break;
      default:
        out += quote(v);
    }
  }
  if (patterns.size > 200) patterns.clear();
  patterns.set(key, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decimal symbols (java.text.DecimalFormatSymbols)
// ---------------------------------------------------------------------------------------------

export interface DecimalSymbols {
  readonly group: string;
  readonly decimal: string;
  readonly minus: string;
}

export const US_SYMBOLS: DecimalSymbols = Object.freeze({ group: ',', decimal: '.', minus: '-' });
const symbolsCache = new Map<string, DecimalSymbols>();

/** `new DecimalFormatSymbols(locale)`: grouping separator, decimal separator, minus sign (CLDR, Latin digits). */
export function decimalSymbols(locale: JavaLocale): DecimalSymbols {
  const tag = locale.intlTag;
  if (tag === undefined || tag === 'en' || tag === 'en-US') return US_SYMBOLS;
  let s = symbolsCache.get(tag);
  if (s === undefined) {
    const parts = new Intl.NumberFormat(tag, { numberingSystem: 'latn', useGrouping: true, minimumFractionDigits: 1 }).formatToParts(
      -1234567.5,
    );
    const of = (type: Intl.NumberFormatPartTypes, fallback: string): string => parts.find((p) => p.type === type)?.value ?? fallback;
    s = Object.freeze({ group: of('group', ','), decimal: of('decimal', '.'), minus: of('minusSign', '-') });
    symbolsCache.set(tag, s);
  }
  return s;
}
