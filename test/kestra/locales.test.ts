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
