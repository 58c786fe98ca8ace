/**
 * Kestra's date filters and `now()` (AbstractDate and its subclasses), on js-joda, the
 * java.time port: Java `DateTimeFormatter` patterns and named formats, IANA zones, the
 * process zone by default (Kestra uses the JVM's), epoch numbers read by magnitude.
 */
import type * as JodaCore from '@js-joda/core';
import type { ChronoUnit, DateTimeFormatter, Instant, ZoneId, ZonedDateTime } from '@js-joda/core';
import { createRequire } from 'node:module';
import type { Locale as JodaLocale, registerLocaleData as RegisterLocaleData } from '@js-joda/locale';
import type { Args, CallContext, FilterDefinition, FunctionDefinition } from '../../extension.js';
import {
  gregorianCldr,
  localizedPattern,
  parseJavaLocale,
  quartersCldr,
  quartersDiffer,
  standAloneMonth,
  standAloneQuarter,
  standAloneWeekday,
  type DateStyle,
} from '../../locale.js';
import { JZonedDateTime, isIntegral, makeLong } from '../../values.js';
import { castError, functionError, optString } from './common.js';

// ---------------------------------------------------------------------------------------------
// Time-zone and locale data, loaded on first use: they are a third of the library's start-up
// time, and most flows format no date.
// ---------------------------------------------------------------------------------------------

let core: typeof JodaCore | undefined;
let localeClass: typeof JodaLocale | undefined;

/**
 * js-joda itself, required on first use: a 450 kB CommonJS file that an ESM `import` would also
 * make Node scan for export names (80 ms of start-up together, for flows that format no date).
 */
function joda(): typeof JodaCore {
  return (core ??= createRequire(import.meta.url)('@js-joda/core') as typeof JodaCore);
}
let registerData: typeof RegisterLocaleData | undefined;

/** Loads js-joda's IANA database and en_US data once (synchronously, as the filters are). */
function dateData(): typeof JodaLocale {
  if (localeClass === undefined) {
    const require = createRequire(import.meta.url);
    require('@js-joda/timezone');
    require('@js-joda/locale_en-us');
    const plugin = require('@js-joda/locale') as { Locale: typeof JodaLocale; registerLocaleData: typeof RegisterLocaleData };
    registerData = plugin.registerLocaleData;
    localeClass = plugin.Locale;
  }
  return localeClass;
}

/** `usLocale()`, with the date data loaded. */
function usLocale(): JodaLocale {
  return dateData().US;
}

// ---------------------------------------------------------------------------------------------
// Zones
// ---------------------------------------------------------------------------------------------

let cachedDefaultZone: { tz: string | undefined; zone: ZoneId } | undefined;

/** `ZoneId.systemDefault()`: the process zone (`TZ` honoured), as a region id when known. */
export function systemZone(): ZoneId {
  dateData();
  const tz = process.env['TZ'];
  if (cachedDefaultZone !== undefined && cachedDefaultZone.tz === tz) return cachedDefaultZone.zone;
  let zone: ZoneId;
  try {
    // TZ first: it is what the process was told, even where Intl's cached zone lags behind.
    const fromEnv = tz?.replace(/^:/, '');
    const id =
      fromEnv !== undefined && fromEnv !== '' && isZoneId(fromEnv) ? fromEnv : new Intl.DateTimeFormat().resolvedOptions().timeZone;
    zone = joda().ZoneId.of(id === 'Etc/UTC' || id === 'Etc/Unknown' ? 'UTC' : id);
  } catch {
    zone = joda().ZoneId.of('UTC');
  }
  cachedDefaultZone = { tz, zone };
  return zone;
}

function isZoneId(id: string): boolean {
  dateData();
  try {
    joda().ZoneId.of(id);
    return true;
  } catch {
    return false;
  }
}

function zoneOf(timeZone: string | undefined): ZoneId {
  if (timeZone === undefined) return systemZone();
  dateData();
  try {
    return joda().ZoneId.of(timeZone);
  } catch (e) {
    throw functionError((e as Error).message.split('\n')[0] ?? `Unknown time-zone ID: ${timeZone}`, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a date
// ---------------------------------------------------------------------------------------------

const formatterCache = new Map<string, DateTimeFormatter>();

function cachedPattern(pattern: string, locale: JodaLocale): DateTimeFormatter {
  const key = `${locale.toString()}\u0000${pattern}`;
  let f = formatterCache.get(key);
  if (f === undefined) {
    try {
      f = joda().DateTimeFormatter.ofPattern(pattern).withLocale(locale).withResolverStyle(joda().ResolverStyle.SMART);
    } catch (e) {
      throw functionError(`Invalid date format '${pattern}': ${(e as Error).message.split('\n')[0] ?? ''}`, e);
    }
    if (formatterCache.size > 500) formatterCache.clear();
    formatterCache.set(key, f);
  }
  return f;
}

/** Java accepts an hour-only offset (`+02`) in ISO strings; js-joda wants `+02:00`. */
function normalizeIsoOffset(text: string): string {
  return text.replace(/([T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?[+-]\d{2})(?=$|\[)/, '$1:00');
}

function parseFailure(text: string, e: unknown): Error {
  const detail = (e as Error).message?.split('\n')[0] ?? '';
  return functionError(`Text '${text}' could not be parsed: ${detail}`, e);
}

/** Epoch numbers by magnitude: seconds, then milli-, micro- and nanoseconds (newer Kestra). */
function fromEpoch(value: bigint, zone: ZoneId): ZonedDateTime {
  const digits = (value < 0n ? -value : value).toString().length;
  let instant: Instant;
  try {
    if (digits <= 12) instant = joda().Instant.ofEpochSecond(Number(value));
    else if (digits <= 15) instant = joda().Instant.ofEpochMilli(Number(value));
    else if (digits <= 18) instant = joda().Instant.ofEpochSecond(Number(value / 1000000n), Number(value % 1000000n) * 1000);
    else {
      const seconds = value / 1000000000n;
      const rest = value % 1000000000n;
      // Old Kestra's timestampMicro printed seconds * 10^9 + micros: a sub-millisecond
      // remainder is read as microseconds so those values still decode.
      const abs = rest < 0n ? -rest : rest;
      const nanos = abs < 1000000n ? rest * 1000n : rest;
      instant = joda().Instant.ofEpochSecond(Number(seconds), Number(nanos));
    }
    return instant.atZone(zone);
  } catch (e) {
    throw functionError(`Invalid epoch value ${value}: ${(e as Error).message.split('\n')[0] ?? ''}`, e);
  }
}

/** The js-joda twin of an engine ZonedDateTime (same instant, same zone). */
export function fromJZonedDateTime(value: JZonedDateTime): ZonedDateTime {
  const instant = joda().Instant.ofEpochSecond(value.epochSecond, value.nano);
  return joda().ZonedDateTime.ofInstant(instant, zoneOf(value.zone));
}

/** AbstractDate.convert: what the date filters accept as input. */
export function toZonedDateTime(value: unknown, zone: ZoneId, existingFormat: string | undefined, locale: JodaLocale): ZonedDateTime {
  if (value instanceof joda().ZonedDateTime) return value;
  if (value instanceof JZonedDateTime) return fromJZonedDateTime(value);
  if (value instanceof joda().Instant) return value.atZone(zone);
  if (value instanceof joda().LocalDateTime) return value.atZone(zone);
  if (value instanceof joda().LocalDate) return value.atStartOfDay(zone);
  if (value instanceof Date) return joda().Instant.ofEpochMilli(value.getTime()).atZone(zone);
  // Only a Java Long is an epoch: JSON small ints are Integers, which Kestra casts to String and fails.
  if (typeof value === 'bigint') return fromEpoch(value, zone);
  if (typeof value === 'number' && isIntegral(value) && !(value >= -2147483648 && value <= 2147483647))
    return fromEpoch(makeLong(value), zone);
  if (typeof value !== 'string') throw castError(value, 'java.lang.String');
  if (existingFormat !== undefined) {
    if (existingFormat === 'rfc_1123_date_time') return parseRfc1123(value);
    const f = namedOrPattern(existingFormat, locale);
    if (typeof f === 'function') throw functionError(`The format '${existingFormat}' cannot be used to parse a date`);
    try {
      return joda().ZonedDateTime.parse(value, f);
    } catch {
      try {
        return joda().LocalDateTime.parse(value, f).atZone(zone);
      } catch {
        try {
          return joda().LocalDate.parse(value, f).atStartOfDay(zone);
        } catch (e) {
          throw parseFailure(value, e);
        }
      }
    }
  }
  const text = normalizeIsoOffset(value);
  try {
    return joda().ZonedDateTime.parse(text);
  } catch {
    try {
      return joda().LocalDateTime.parse(text).atZone(zone);
    } catch {
      try {
        return joda().LocalDate.parse(text).atStartOfDay(zone);
      } catch (e) {
        throw parseFailure(value, e);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

type Formatter = DateTimeFormatter | ((date: ZonedDateTime, locale: JodaLocale) => string);

const NAMED_PATTERNS: Readonly<Record<string, string>> = {
  iso: "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
  iso_sec: "yyyy-MM-dd'T'HH:mm:ssXXX",
  iso_milli: "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
  sql: 'yyyy-MM-dd HH:mm:ss.SSSSSS',
  sql_sec: 'yyyy-MM-dd HH:mm:ss',
  // Kestra 0.21's spelling of sql_sec, kept as an alias.
  sql_seq: 'yyyy-MM-dd HH:mm:ss',
  sql_milli: 'yyyy-MM-dd HH:mm:ss.SSS',
  // FormatStyle FULL/LONG/MEDIUM/SHORT as JDK 17 prints them for en_US (CLDR 39).
  full: "EEEE, MMMM d, y 'at' h:mm:ss a zzzz",
  long: "MMMM d, y 'at' h:mm:ss a z",
  medium: 'MMM d, y, h:mm:ss a',
  short: 'M/d/yy, h:mm a',
};

const STYLE_NAMES: ReadonlySet<string> = new Set(['full', 'long', 'medium', 'short']);

/** Whether the locale prints with the bundled en_US data (en, en_US, or a language ICU does not know). */
function isEnglish(locale: JodaLocale): boolean {
  return !registeredBundles.has(locale.localeString());
}

let namedFormatters: Readonly<Record<string, DateTimeFormatter>> | undefined;

/** Java's ISO formatters by their Kestra names (built on first use, with js-joda). */
const isoFormatters = (): Readonly<Record<string, DateTimeFormatter>> =>
  (namedFormatters ??= {
    iso_date_time: joda().DateTimeFormatter.ISO_DATE_TIME,
    iso_date: joda().DateTimeFormatter.ISO_DATE,
    iso_time: joda().DateTimeFormatter.ISO_TIME,
    iso_local_date: joda().DateTimeFormatter.ISO_LOCAL_DATE,
    iso_instant: joda().DateTimeFormatter.ISO_INSTANT,
    iso_local_date_time: joda().DateTimeFormatter.ISO_LOCAL_DATE_TIME,
    iso_local_time: joda().DateTimeFormatter.ISO_LOCAL_TIME,
    iso_offset_time: joda().DateTimeFormatter.ISO_OFFSET_TIME,
    iso_ordinal_date: joda().DateTimeFormatter.ISO_ORDINAL_DATE,
    iso_week_date: joda().DateTimeFormatter.ISO_WEEK_DATE,
    iso_zoned_date_time: joda().DateTimeFormatter.ISO_ZONED_DATE_TIME,
  });

/** RFC_1123_DATE_TIME: `Tue, 3 Jun 2008 11:05:30 GMT`, offset as `+0200` when not zero. */
function rfc1123(date: ZonedDateTime): string {
  const body = joda().DateTimeFormatter.ofPattern('EEE, d MMM yyyy HH:mm:ss').withLocale(usLocale()).format(date);
  const seconds = date.offset().totalSeconds();
  if (seconds === 0) return `${body} GMT`;
  const abs = Math.abs(seconds);
  return `${body} ${seconds < 0 ? '-' : '+'}${String(Math.floor(abs / 3600)).padStart(2, '0')}${String(Math.floor((abs % 3600) / 60)).padStart(2, '0')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses RFC_1123_DATE_TIME (`Tue, 3 Jun 2008 11:05:30 GMT`, or a `+0200` offset). */
function parseRfc1123(text: string): ZonedDateTime {
  const m = /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? (GMT|[+-]\d{4})$/.exec(
    text,
  );
  const month = m ? MONTHS.indexOf(m[2] as string) + 1 : 0;
  if (!m || month === 0) throw functionError(`Text '${text}' could not be parsed as rfc_1123_date_time`);
  const offsetText = m[7] as string;
  const offset =
    offsetText === 'GMT'
      ? joda().ZoneOffset.UTC
      : joda().ZoneOffset.ofHoursMinutes(Number(offsetText.slice(0, 3)), Number(offsetText[0] + offsetText.slice(3)));
  try {
    return joda().ZonedDateTime.of(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0, offset);
  } catch (e) {
    throw parseFailure(text, e);
  }
}

function namedOrPattern(format: string, locale: JodaLocale): Formatter {
  const iso = isoFormatters();
  if (Object.hasOwn(iso, format)) return iso[format]!.withLocale(locale);
  if (format === 'rfc_1123_date_time') return rfc1123;
  const style = STYLE_NAMES.has(format) ? (format as DateStyle) : undefined;
  const pattern =
    style !== undefined && !isEnglish(locale)
      ? localizedPattern(locale.localeString(), style)
      : Object.hasOwn(NAMED_PATTERNS, format)
        ? NAMED_PATTERNS[format]!
        : format;
  const unquoted = stripQuoted(pattern);
  const quarterNames = !isEnglish(locale) && /QQQ|qqq/.test(unquoted);
  if (quarterNames) registerQuarters(locale);
  if (
    /z/.test(unquoted) ||
    (!isEnglish(locale) && /LLL|ccc/.test(unquoted)) ||
    (quarterNames && /qqq/.test(unquoted) && quartersDiffer(locale.localeString()))
  )
    return (date, loc) => cachedPattern(withLocaleTexts(pattern, date, loc), loc).format(date);
  return cachedPattern(pattern, locale);
}

const quarterBundles = new Set<string>();

/**
 * Gives js-joda the locale's CLDR quarter names before a pattern with `QQQ`/`qqq` first uses them
 * (not when the locale is registered: most templates print none, and the table is parsed then).
 */
function registerQuarters(locale: JodaLocale): void {
  const bundle = locale.localeString();
  if (quarterBundles.has(bundle)) return;
  registerData?.(`main/${bundle}/ca-gregorian-quarters.json`, quartersCldr(bundle, bundle));
  quarterBundles.add(bundle);
}

function stripQuoted(pattern: string): string {
  return pattern.replace(/'[^']*'/g, '');
}

const SHORT_NAME_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN', 'en-NZ', 'en-CA', 'en-ZA', 'en-IE'];
/** Abbreviations Java prints that no English CLDR locale has. */
const JAVA_SHORT_NAMES: Readonly<Record<string, string>> = {
  'Asia/Tokyo': 'JST',
  'Asia/Seoul': 'KST',
  'Asia/Shanghai': 'CST',
  'Asia/Taipei': 'CST',
  'Asia/Hong_Kong': 'HKT',
  'Asia/Singapore': 'SGT',
  'Asia/Dubai': 'GST',
  'Asia/Jakarta': 'WIB',
  'Asia/Manila': 'PHT',
  'Asia/Bangkok': 'ICT',
  'Europe/Moscow': 'MSK',
  'America/Sao_Paulo': 'BRT',
  'America/Argentina/Buenos_Aires': 'ART',
};
const intlCache = new Map<string, Intl.DateTimeFormat>();

function intlZoneName(locale: string, zone: string, style: 'short' | 'long', epochMilli: number): string | undefined {
  const key = `${locale}|${zone}|${style}`;
  let f = intlCache.get(key);
  try {
    if (f === undefined) {
      f = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: style });
      intlCache.set(key, f);
    }
    return f.formatToParts(epochMilli).find((p) => p.type === 'timeZoneName')?.value;
  } catch {
    return undefined;
  }
}

function offsetText(seconds: number): string {
  if (seconds === 0) return 'Z';
  const abs = Math.abs(seconds);
  return `${seconds < 0 ? '-' : '+'}${String(Math.floor(abs / 3600)).padStart(2, '0')}:${String(Math.floor((abs % 3600) / 60)).padStart(2, '0')}`;
}

/**
 * The text Java prints for `z` (short) or `zzzz` (long). Long names are the locale's (CLDR metazone
 * names, as Java's); short ones are the English abbreviations Java prints for most locales.
 */
function zoneName(date: ZonedDateTime, long: boolean, locale: JodaLocale): string {
  const zone = date.zone();
  if (zone instanceof joda().ZoneOffset) return offsetText(zone.totalSeconds());
  const id = zone.id();
  const epochMilli = date.toInstant().toEpochMilli();
  if (long) return intlZoneName(isEnglish(locale) ? 'en-US' : locale.localeString(), id, 'long', epochMilli) ?? id;
  if (id === 'UTC' || id === 'Etc/UTC' || id === 'Z') return 'UTC';
  if (id === 'GMT' || id === 'Etc/GMT') return 'GMT';
  if (!isEnglish(locale)) {
    // The locale's own abbreviation when CLDR has one (de: MEZ), else Java's English one.
    const own = intlZoneName(locale.localeString(), id, 'short', epochMilli);
    if (own !== undefined && !/^(?:GMT|UTC)(?:[+-]|$)/.test(own)) return own;
  }
  const fixed = JAVA_SHORT_NAMES[id];
  if (fixed !== undefined) return fixed;
  for (const locale of SHORT_NAME_LOCALES) {
    const name = intlZoneName(locale, id, 'short', epochMilli);
    if (name !== undefined && !/^(?:GMT|UTC)(?:[+-]|$)/.test(name)) return name;
  }
  const seconds = date.offset().totalSeconds();
  return seconds === 0 ? 'GMT' : `GMT${offsetText(seconds)}`;
}

/** Replaces `z` runs outside quotes by the quoted zone name (js-joda prints ids for them). */
/**
 * Replaces the runs js-joda cannot print as Java does by their quoted text: `z` (zone names) and,
 * outside English, `LLL…`/`ccc…`/`qqq…` (stand-alone month, weekday and quarter names: Russian
 * `LLLL` is `март` where `MMMM` is `марта`; js-joda prints the format-context form for all three).
 */
function withLocaleTexts(pattern: string, date: ZonedDateTime, locale: JodaLocale): string {
  let out = '';
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i] as string;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      const stop = end === -1 ? pattern.length : end + 1;
      out += pattern.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === 'z') {
      let j = i;
      while (pattern[j] === 'z') j++;
      out += `'${zoneName(date, j - i >= 4, locale).replace(/'/g, "''")}'`;
      i = j;
      continue;
    }
    if (c === 'q' && !isEnglish(locale)) {
      let j = i;
      while (pattern[j] === c) j++;
      if (j - i >= 3 && j - i <= 5) {
        const width = j - i === 3 ? 'short' : j - i === 4 ? 'long' : 'narrow';
        const text = standAloneQuarter(locale.localeString(), Math.ceil(date.monthValue() / 3), width);
        out += `'${text.replace(/'/g, "''")}'`;
        i = j;
        continue;
      }
    }
    if ((c === 'L' || c === 'c') && !isEnglish(locale)) {
      let j = i;
      while (pattern[j] === c) j++;
      if (j - i >= 3) {
        const width = j - i === 3 ? 'short' : j - i === 4 ? 'long' : 'narrow';
        const text =
          c === 'L'
            ? standAloneMonth(locale.localeString(), date.monthValue(), width)
            : standAloneWeekday(locale.localeString(), date.dayOfWeek().value(), width);
        out += `'${text.replace(/'/g, "''")}'`;
        i = j;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

const registeredBundles = new Set<string>();
const jodaLocales = new Map<string, JodaLocale>();

/**
 * `LocaleUtils.toLocale(tag)` as a js-joda locale. en and en_US use the bundled en data; any other
 * locale ICU knows (en_GB included) gets its texts from ICU on first use (see locale.ts), registered with js-joda
 * under the locale's own bundle name; a language ICU does not know prints English, as Java's root
 * data does. A malformed tag fails as Commons Lang does (`Invalid locale format: …`).
 */
function localeOf(tag: string | undefined): JodaLocale {
  if (tag === undefined || tag === 'en_US') return usLocale();
  const cached = jodaLocales.get(tag);
  if (cached !== undefined) return cached;
  const java = parseJavaLocale(tag);
  const Locale = dateData();
  let locale: JodaLocale;
  if (java.intlTag === undefined || java.intlTag === 'en' || java.intlTag === 'en-US') locale = usLocale();
  else {
    const bundle = java.intlTag;
    if (!registeredBundles.has(bundle)) {
      registerData?.(`main/${bundle}/ca-gregorian.json`, gregorianCldr(bundle, bundle));
      registeredBundles.add(bundle);
    }
    locale = new Locale(java.language, java.country, bundle);
  }
  if (jodaLocales.size > 200) jodaLocales.clear();
  jodaLocales.set(tag, locale);
  return locale;
}

function formatDate(date: ZonedDateTime, format: string, zone: ZoneId, locale: JodaLocale): string {
  const f = namedOrPattern(format, locale);
  // DateTimeFormatter.withZone(zone): the instant is shown in the requested zone.
  const shown = date.withZoneSameInstant(zone);
  try {
    return typeof f === 'function' ? f(shown, locale) : f.format(shown);
  } catch (e) {
    if (e instanceof Error && e.name === 'TemplateError') throw e;
    throw functionError(`Unable to format date with '${format}': ${(e as Error).message.split('\n')[0] ?? ''}`, e);
  }
}

interface DateArgs {
  format: string;
  zone: ZoneId;
  existingFormat: string | undefined;
  locale: JodaLocale;
  parseLocale: JodaLocale;
}

/**
 * The render's own locale (Pebble's `EvaluationContext.getLocale()`, Kestra's JVM default):
 * `RenderScope.locale`, en_US unless the embedder sets it.
 */
function renderLocale(ctx: CallContext | undefined): JodaLocale {
  return localeOf(ctx?.scope.locale);
}

function dateArgs(args: Args, ctx: CallContext | undefined): DateArgs {
  // args.containsKey("locale") ? LocaleUtils.toLocale(...) : context.getLocale()
  const tag = optString(args, 'locale');
  const locale = tag === undefined ? renderLocale(ctx) : localeOf(tag);
  return {
    format: optString(args, 'format') ?? 'iso',
    zone: zoneOf(optString(args, 'timeZone')),
    existingFormat: optString(args, 'existingFormat'),
    locale,
    // A formatter without withLocale parses an existingFormat with the default locale.
    parseLocale: tag === undefined ? locale : renderLocale(ctx),
  };
}

// ---------------------------------------------------------------------------------------------
// Built-ins
// ---------------------------------------------------------------------------------------------

const DATE_ARGS = ['format', 'timeZone', 'existingFormat', 'locale'];

const date: FilterDefinition = {
  argNames: DATE_ARGS,
  call(input, args, ctx) {
    if (input === null || input === undefined) return null;
    const a = dateArgs(args, ctx);
    return formatDate(toZonedDateTime(input, a.zone, a.existingFormat, a.parseLocale), a.format, a.zone, a.locale);
  },
};

let chronoUnits: Readonly<Record<string, ChronoUnit>> | undefined;

/** ChronoUnit's constants by name (built on first use, with js-joda). */
const chronoUnit = (): Readonly<Record<string, ChronoUnit>> =>
  (chronoUnits ??= {
    NANOS: joda().ChronoUnit.NANOS,
    MICROS: joda().ChronoUnit.MICROS,
    MILLIS: joda().ChronoUnit.MILLIS,
    SECONDS: joda().ChronoUnit.SECONDS,
    MINUTES: joda().ChronoUnit.MINUTES,
    HOURS: joda().ChronoUnit.HOURS,
    HALF_DAYS: joda().ChronoUnit.HALF_DAYS,
    DAYS: joda().ChronoUnit.DAYS,
    WEEKS: joda().ChronoUnit.WEEKS,
    MONTHS: joda().ChronoUnit.MONTHS,
    YEARS: joda().ChronoUnit.YEARS,
    DECADES: joda().ChronoUnit.DECADES,
    CENTURIES: joda().ChronoUnit.CENTURIES,
    MILLENNIA: joda().ChronoUnit.MILLENNIA,
    ERAS: joda().ChronoUnit.ERAS,
    FOREVER: joda().ChronoUnit.FOREVER,
  });

const dateAdd: FilterDefinition = {
  argNames: ['amount', 'unit', ...DATE_ARGS],
  call(input, args, ctx) {
    if (input === null || input === undefined) return null;
    const amount = args['amount'];
    if (amount === null || amount === undefined) throw functionError(`The 'dateAdd' filter expects an argument 'amount'.`);
    // Newer Kestra takes any whole number (an Integer from the context too); 0.21 wanted a Long.
    if (!isIntegral(amount)) throw castError(amount, 'java.lang.Long');
    const unitName = optString(args, 'unit');
    if (unitName === undefined) throw functionError(`The 'dateAdd' filter expects an argument 'unit'.`);
    const units = chronoUnit();
    const unit = Object.hasOwn(units, unitName) ? units[unitName] : undefined;
    if (unit === undefined) throw functionError(`No enum constant java.time.temporal.ChronoUnit.${unitName}`);
    const a = dateArgs(args, ctx);
    const start = toZonedDateTime(input, a.zone, a.existingFormat, a.parseLocale);
    let moved: ZonedDateTime;
    try {
      moved = start.plus(Number(amount), unit);
    } catch (e) {
      throw functionError((e as Error).message.split('\n')[0] ?? 'Unable to add to the date', e);
    }
    return formatDate(moved, a.format, a.zone, a.locale);
  },
};

function timestampFilter(convert: (date: ZonedDateTime) => unknown): FilterDefinition {
  return {
    argNames: ['timeZone', 'existingFormat'],
    call(input, args, ctx) {
      if (input === null || input === undefined) return null;
      const zone = zoneOf(optString(args, 'timeZone'));
      return convert(toZonedDateTime(input, zone, optString(args, 'existingFormat'), renderLocale(ctx)));
    },
  };
}

const nanosOf = (d: ZonedDateTime): bigint => BigInt(d.toEpochSecond()) * 1000000000n + BigInt(d.nano());

const now: FunctionDefinition = {
  argNames: DATE_ARGS,
  call(args, ctx) {
    const a = dateArgs(args, ctx);
    // Java's clock has microsecond resolution on Linux; Date.now() only has milliseconds.
    const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    const current = joda()
      .Instant.ofEpochSecond(Number(micros / 1000000n), Number(micros % 1000000n) * 1000)
      .atZone(systemZone());
    return formatDate(current, a.format, a.zone, a.locale);
  },
};

export const dateFilters: Record<string, FilterDefinition> = {
  date,
  dateAdd,
  timestamp: timestampFilter((d) => BigInt(d.toEpochSecond())),
  timestampMilli: timestampFilter((d) => BigInt(d.toInstant().toEpochMilli())),
  // Newer Kestra: real microseconds (0.21 printed seconds * 10^9 + micros).
  timestampMicro: timestampFilter((d) => (nanosOf(d) / 1000n).toString()),
  timestampNano: timestampFilter((d) => nanosOf(d).toString()),
};

export const dateFunctions: Record<string, FunctionDefinition> = { now };
