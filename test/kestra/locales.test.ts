/**
 * Locales for `date`/`dateAdd`/`now` (Kestra's AbstractDate: `LocaleUtils.toLocale(locale)`, else the
 * context locale) and Pebble's `numberFormat` (`new DecimalFormatSymbols(context.getLocale())`).
 * Expected texts are what Java 9+ prints with its default CLDR locale data (JEP 252), e.g.
 * `DateTimeFormatter.ofPattern("EEEE d MMMM yyyy", Locale.FRENCH)` → `vendredi 1 mars 2024`,
 * `new DecimalFormat("#,##0.0", DecimalFormatSymbols.getInstance(Locale.GERMAN))` → `1.234,5`.
 * Locale strings: Commons Lang's LocaleUtils.toLocale (`fr`, `fr_FR`, `de-DE`, `_FR`; `FR` is invalid).
 */
import { decimalSymbols, localizedPattern, parseJavaLocale } from '../../src/engine/locale.js';
import { TemplateError } from '../../src/engine/errors.js';
import { createEngine } from '../../src/index.js';

const engine = createEngine();
const render = (template: string, locale?: string): string =>
  engine.renderSync(template, { d: '2024-03-01T12:00:00Z' }, locale === undefined ? {} : { locale });

describe('LocaleUtils.toLocale', () => {
  it.each([
    ['fr', 'fr', '', ''],
    ['fr_FR', 'fr', 'FR', ''],
    ['de-DE', 'de', 'DE', ''],
    ['ja_JP', 'ja', 'JP', ''],
    ['es_419', 'es', '419', ''],
    ['_FR', '', 'FR', ''],
    ['en_US_POSIX', 'en', 'US', 'POSIX'],
    ['fr__X', 'fr', '', 'X'],
    ['', '', '', ''],
  ])('%p → language %p, country %p, variant %p', (text, language, country, variant) => {
    const l = parseJavaLocale(text);
    expect([l.language, l.country, l.variant]).toEqual([language, country, variant]);
  });

  it.each(['FR', 'fr_fr', 'f', 'fr_FR_', 'french', 'fr#x', '_fr', 'fr-FR_x'])('%p is an invalid locale format', (text) => {
    expect(() => parseJavaLocale(text)).toThrow(`Invalid locale format: ${text}`);
    expect(() => render(`{{ d | date('EEEE', locale='${text}') }}`)).toThrow(TemplateError);
  });
});

describe('date texts in every locale Java knows', () => {
  it.each([
    ['fr', 'EEEE d MMMM yyyy', 'vendredi 1 mars 2024'],
    ['fr_FR', 'EEE d MMM', 'ven. 1 mars'],
    ['de', 'EEEE, d. MMMM yyyy', 'Freitag, 1. März 2024'],
    ['de-DE', 'EEE d MMM', 'Fr. 1 März'],
    ['es', 'EEEE d MMMM', 'viernes 1 marzo'],
    ['it_IT', 'EEEE d MMMM', 'venerdì 1 marzo'],
    ['pt_BR', 'EEEE, d MMMM', 'sexta-feira, 1 março'],
    ['nl', 'EEEE d MMMM', 'vrijdag 1 maart'],
    ['pl', 'd MMMM', '1 marca'],
    ['ru', 'd MMMM', '1 марта'],
    ['ja_JP', 'MMMM d EEEE', '3月 1 金曜日'],
    ['ja', 'G a', '西暦 午後'],
    ['zh_CN', 'EEEE', '星期五'],
    ['ko', 'MMMM', '3월'],
    ['sv', 'EEEE d MMMM', 'fredag 1 mars'],
    ['tr', 'd MMMM EEEE', '1 Mart Cuma'],
    // The ISO calendar and ASCII digits in every locale (Java's formatter keeps its chronology and DecimalStyle).
    ['th_TH', 'd MMMM yyyy', '1 มีนาคม 2024'],
    ['ar', 'd MMMM yyyy', '1 مارس 2024'],
    // Stand-alone forms (L, c) differ from format forms (M, E) in some languages.
    ['ru', 'LLLL', 'март'],
    ['pl', 'LLLL / MMMM', 'marzec / marca'],
    ['fi', 'cccc', 'perjantai'],
    ['cs', 'LLL', 'bře'],
  ])('%s: %s → %s', (locale, pattern, expected) => {
    expect(render(`{{ d | date('${pattern}', timeZone='UTC', locale='${locale}') }}`)).toBe(expected);
  });

  it('dateAdd and now take the locale too', () => {
    expect(render(`{{ d | dateAdd(1, 'DAYS', 'EEEE', timeZone='UTC', locale='de') }}`)).toBe('Samstag');
    expect(render(`{{ now('EEEE', locale='fr') }}`)).toMatch(/^(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)$/);
  });

  it('English locales and unknown languages print English (Java falls back to its root data)', () => {
    expect(render(`{{ d | date('EEEE d MMMM', timeZone='UTC', locale='en_GB') }}`)).toBe('Friday 1 March');
    expect(render(`{{ d | date('EEEE d MMMM', timeZone='UTC', locale='xx') }}`)).toBe('Friday 1 March');
    expect(render(`{{ d | date('EEEE d MMMM', timeZone='UTC', locale='') }}`)).toBe('Friday 1 March');
  });

  it('prints the localized styles of the locale (ofLocalizedDateTime, CLDR patterns)', () => {
    expect(render(`{{ d | date('full', timeZone='Europe/Paris', locale='fr') }}`)).toBe(
      'vendredi 1 mars 2024 à 13:00:00 heure normale d’Europe centrale',
    );
    expect(render(`{{ d | date('long', timeZone='Europe/Berlin', locale='de') }}`)).toBe('1. März 2024 um 13:00:00 MEZ');
    expect(render(`{{ d | date('medium', timeZone='Europe/Berlin', locale='de') }}`)).toBe('01.03.2024, 13:00:00');
    expect(render(`{{ d | date('short', timeZone='Europe/Paris', locale='fr_FR') }}`)).toBe('01/03/2024 13:00');
    expect(localizedPattern('de', 'medium')).toBe('dd.MM.y, HH:mm:ss');
    // en_US keeps JDK 17's patterns.
    expect(render(`{{ d | date('medium', timeZone='UTC') }}`)).toBe('Mar 1, 2024, 12:00:00 PM');
  });

  it("the render's locale (RenderScope.locale) is the default, and the `locale` variable shows it", () => {
    expect(render(`{{ d | date('EEEE', timeZone='UTC') }}`, 'de_DE')).toBe('Freitag');
    expect(render(`{{ d | date('EEEE', timeZone='UTC', locale='it') }}`, 'de_DE')).toBe('venerdì');
    expect(render('{{ locale }}', 'de_DE')).toBe('de_DE');
    expect(render('{{ locale }}', 'de-DE')).toBe('de_DE');
    expect(render('{{ locale }}')).toBe('en_US');
    // An existingFormat is parsed with the render's locale (Kestra's parser has no withLocale).
    expect(
      engine.renderSync(`{{ '1 März 2024' | date('yyyy-MM-dd', existingFormat='d MMMM yyyy', locale='fr') }}`, {}, { locale: 'de' }),
    ).toBe('2024-03-01');
  });

  it('loads a locale on first use, quickly', () => {
    const start = performance.now();
    render(`{{ d | date('EEEE MMMM', locale='fi') }}`);
    const ms = performance.now() - start;
    console.log(`first use of the fi locale: ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(2000);
  });
});

/**
 * Quarter names (Q: format context, q: stand-alone; 3 letters abbreviated, 4 wide, 5 narrow) come
 * from src/engine/data/cldr-quarters.ts, not ICU. The expected texts are CLDR 42's (cldr-dates-full
 * 42.0.0, main/<locale>/ca-gregorian.json, `quarters`): Java 21's locale data, so what Kestra prints.
 * Without the table every locale would print the English `1st quarter` / `Q1`.
 */
describe('quarter names in every locale (CLDR 42)', () => {
  const q1 = '2024-03-01T12:00:00Z';
  const q4 = '2024-11-05T12:00:00Z';
  const quarter = (pattern: string, locale: string, d = q1): string =>
    engine.renderSync(`{{ d | date('${pattern}', timeZone='UTC', locale='${locale}') }}`, { d });

  it.each([
    ['fr', 'QQQQ', q1, '1er trimestre'],
    ['fr', 'QQQQ', q4, '4e trimestre'],
    ['fr', 'QQQ', q4, 'T4'],
    ['de', 'QQQQ', q1, '1. Quartal'],
    ['de', 'QQQ', q1, 'Q1'],
    ['ja', 'QQQQ', q1, '第1四半期'],
    ['ru', 'QQQQ', q4, '4-й квартал'],
    ['ru', 'QQQ', q4, '4-й кв.'],
    ['pl', 'QQQQ', q4, 'IV kwartał'],
    ['nb', 'QQQ QQQQQ', q1, 'K1 1.'],
    ['zh', 'QQQQ', q1, '第一季度'],
    // Regional locales inherit their language's names (fr_CA: fr; en_GB: en_001, en).
    ['fr_CA', 'QQQQ', q1, '1er trimestre'],
    ['de-CH', 'QQQQ', q1, '1. Quartal'],
    ['en_GB', 'QQQQ', q1, '1st quarter'],
    ['pt_BR', 'QQQQ', q1, '1º trimestre'],
    // …or a parent of CLDR's parentLocales: es_CO → es_419, pt_AO → pt_PT.
    ['es', 'QQQQ', q1, '1.er trimestre'],
    ['es_CO', 'QQQQ', q1, '1.º trimestre'],
    ['pt_AO', 'QQQQ', q1, '1.º trimestre'],
    // A regional locale with its own names: zh_TW is zh_Hant (Java infers the script), zh_HK overrides it.
    ['zh_TW', 'QQQ', q1, '第1季'],
    ['zh_HK', 'QQQ', q1, 'Q1'],
    ['zh_HK', 'QQQQ', q1, '第1季'],
    ['es_MX', 'QQQQ', q1, '1.er trimestre'],
  ])('%s: %s on %s → %s', (locale, pattern, d, expected) => {
    expect(quarter(pattern, locale, d)).toBe(expected);
  });

  it('prints the stand-alone names for q where CLDR has them (hu, hr, es_MX), the format ones for Q', () => {
    expect(quarter('QQQ / qqq', 'hu', q4)).toBe('IV. n.év / 4. n.év');
    expect(quarter('QQQQ / qqqq', 'hu', q4)).toBe('IV. negyedév / 4. negyedév');
    expect(quarter('QQQQQ / qqqqq', 'hu', q4)).toBe('IV. / 4.');
    expect(quarter('QQQ / qqq', 'hr', q1)).toBe('1kv / 1. kv.');
    expect(quarter('QQQQQ / qqqqq', 'es_MX', q1)).toBe('1 / 1T');
    // Russian has the same names in both contexts.
    expect(quarter('qqqq', 'ru', q4)).toBe('4-й квартал');
    // Beside a zone name (the other rewritten run) and a quoted `QQQ`.
    expect(engine.renderSync(`{{ d | date("qqq 'QQQ' z", timeZone='UTC', locale='hr') }}`, { d: q1 })).toBe('1. kv. QQQ UTC');
  });

  it('keeps en_US, numbers and unknown languages as before', () => {
    expect(quarter('Q QQ QQQ QQQQ QQQQQ', 'en_US', q4)).toBe('4 04 Q4 4th quarter 4');
    expect(quarter('q qq qqq qqqq qqqqq', 'en_US', q4)).toBe('4 04 Q4 4th quarter 4');
    expect(render(`{{ d | date('QQQQ', timeZone='UTC') }}`)).toBe('1st quarter');
    expect(quarter('QQQQ', 'xx')).toBe('1st quarter');
    expect(quarter('Q QQ', 'fr', q4)).toBe('4 04');
    expect(() => quarter('QQQQQQ', 'fr')).toThrow('Too many pattern letters');
  });

  it("uses the render's locale too", () => {
    expect(engine.renderSync(`{{ d | date('QQQQ', timeZone='UTC') }}`, { d: q4 }, { locale: 'it' })).toBe('4º trimestre');
  });
});

describe('numberFormat with the render locale', () => {
  it.each([
    ['de', "{{ 1234.5 | numberFormat('#,##0.0') }}", '1.234,5'],
    ['de_DE', '{{ 1234567.891 | numberFormat }}', '1.234.567,891'],
    ['de', "{{ -1234.5 | numberFormat('#,##0.00') }}", '-1.234,50'],
    ['fr', "{{ 1234.5 | numberFormat('#,##0.0') }}", '1\u202f234,5'],
    ['it', "{{ 1234.5 | numberFormat('#,##0.0') }}", '1.234,5'],
    ['en_US', "{{ 1234.5 | numberFormat('#,##0.0') }}", '1,234.5'],
    ['ja_JP', '{{ 1234567.891 | numberFormat }}', '1,234,567.891'],
    ['xx', '{{ 1234567.891 | numberFormat }}', '1,234,567.891'],
  ])('%s: %s → %s', (locale, template, expected) => {
    expect(render(template, locale)).toBe(expected);
  });

  it('defaults to en_US symbols', () => {
    expect(render("{{ 1234.5 | numberFormat('#,##0.0') }}")).toBe('1,234.5');
    expect(decimalSymbols(parseJavaLocale('en_US'))).toEqual({ group: ',', decimal: '.', minus: '-' });
  });
});
