import { systemZone } from '../../src/engine/builtins/kestra/dates.js';
import { expectTemplateError, filter, fn, render, renderError } from '../support/kestra.js';

const TS = '2024-03-15T14:30:45.123456Z';

describe('date filter', () => {
  it('formats with Java patterns in the requested zone', () => {
    expect(filter('date', TS, ['yyyy-MM-dd HH:mm:ss'], { timeZone: 'Europe/Paris' })).toBe('2024-03-15 15:30:45');
    expect(filter('date', TS, ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX"], { timeZone: 'America/New_York' })).toBe('2024-03-15T10:30:45.123-04:00');
    expect(filter('date', TS, ['D w Q EEEE MMMM a'], { timeZone: 'UTC' })).toBe('75 11 1 Friday March PM');
  });
  it("uses iso (yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX) by default and the named formats", () => {
    expect(filter('date', TS, [], { timeZone: 'UTC' })).toBe('2024-03-15T14:30:45.123456Z');
    expect(filter('date', TS, ['iso_sec'], { timeZone: 'Europe/Paris' })).toBe('2024-03-15T15:30:45+01:00');
    expect(filter('date', TS, ['sql'], { timeZone: 'UTC' })).toBe('2024-03-15 14:30:45.123456');
    expect(filter('date', TS, ['iso_instant'], { timeZone: 'Europe/Paris' })).toBe('2024-03-15T14:30:45.123456Z');
    expect(filter('date', TS, ['iso_zoned_date_time'], { timeZone: 'Europe/Paris' })).toBe(
      '2024-03-15T15:30:45.123456+01:00[Europe/Paris]',
    );
    expect(filter('date', TS, ['iso_local_date'], { timeZone: 'UTC' })).toBe('2024-03-15');
    expect(filter('date', TS, ['rfc_1123_date_time'], { timeZone: 'UTC' })).toBe('Fri, 15 Mar 2024 14:30:45 GMT');
  });
  it('prints the localized styles as JDK 17 does for en_US', () => {
    expect(filter('date', TS, ['short'], { timeZone: 'UTC' })).toBe('3/15/24, 2:30 PM');
    expect(filter('date', TS, ['medium'], { timeZone: 'UTC' })).toBe('Mar 15, 2024, 2:30:45 PM');
    expect(filter('date', TS, ['long'], { timeZone: 'America/New_York' })).toBe('March 15, 2024 at 10:30:45 AM EDT');
    expect(filter('date', TS, ['full'], { timeZone: 'Europe/Paris' })).toBe(
      'Friday, March 15, 2024 at 3:30:45 PM Central European Standard Time',
    );
  });
  it("prints Java's short zone names for z", () => {
    expect(filter('date', '2013-09-09T14:19:00Z', ['yyyy-MM-dd HH:mm:ss z'], { timeZone: 'Australia/Perth' })).toBe(
      '2013-09-09 22:19:00 AWST',
    );
    expect(filter('date', TS, ['z'], { timeZone: 'Europe/Paris' })).toBe('CET');
    expect(filter('date', TS, ['z'], { timeZone: 'UTC' })).toBe('UTC');
    expect(filter('date', TS, ["'z' z"], { timeZone: 'Asia/Tokyo' })).toBe('z JST');
  });
  it('reads local date-times in the zone and offsets as instants', () => {
    expect(filter('date', '2013-09-08T16:19:12.123456', ['yyyy-MM-dd HH:mm:ss.SSSSSSXXX'], { timeZone: 'Europe/Paris' })).toBe(
      '2013-09-08 16:19:12.123456+02:00',
    );
    expect(filter('date', '2024-03-15', ['dd/MM/yyyy HH:mm'], { timeZone: 'UTC' })).toBe('15/03/2024 00:00');
    expect(filter('date', '2013-09-08', [], { timeZone: 'Europe/Paris' })).toBe('2013-09-08T00:00:00.000000+02:00');
    expect(filter('date', new Date(Date.UTC(2013, 8, 8, 15, 19, 12)), ['iso'], { timeZone: 'Europe/Paris' })).toBe(
      '2013-09-08T17:19:12.000000+02:00',
    );
    expect(filter('date', '2013-09-08T16:19:00+02', ['HH:mm'], { timeZone: 'UTC' })).toBe('14:19');
  });
  it('parses with existingFormat', () => {
    expect(filter('date', '08.09.2023', ['yyyy-MM-dd'], { existingFormat: 'dd.MM.yyyy', timeZone: 'UTC' })).toBe('2023-09-08');
    expect(filter('date', 'July 24, 2001', ['yyyy-MM-dd'], { existingFormat: 'MMMM dd, yyyy' })).toBe('2001-07-24');
    expect(filter('date', 'Tue, 08 Feb 2022 19:38:26 GMT', [], { existingFormat: 'rfc_1123_date_time', timeZone: 'Europe/Paris' })).toBe(
      '2022-02-08T20:38:26.000000+01:00',
    );
    expect(filter('date', '8 Feb 2022 19:38 +0200', ['HH:mm'], { existingFormat: 'rfc_1123_date_time', timeZone: 'UTC' })).toBe('17:38');
    expectTemplateError(() => filter('date', 'Feb 8', [], { existingFormat: 'rfc_1123_date_time' }), 'could not be parsed');
  });
  it('reads a Long as epoch seconds, milliseconds or nanoseconds by its size', () => {
    expect(filter('date', 1378653552n, ['iso'], { timeZone: 'Europe/Paris' })).toBe('2013-09-08T17:19:12.000000+02:00');
    expect(filter('date', 1378653552123n, ['iso_milli'], { timeZone: 'Europe/Paris' })).toBe('2013-09-08T17:19:12.123+02:00');
    expect(filter('date', 1378653552123456000n, ['iso'], { timeZone: 'Europe/Paris' })).toBe('2013-09-08T17:19:12.123456+02:00');
    expect(filter('date', 1378653552000123456n, ['iso'], { timeZone: 'Europe/Paris' })).toBe('2013-09-08T17:19:12.123456+02:00');
    expect(filter('date', -1234567890123n, ['yyyy-MM-dd'], { timeZone: 'UTC' })).toBe('1930-11-18');
  });
  it('returns null for null', () => {
    expect(filter('date', null, ['yyyy'])).toBeNull();
  });
  it('rejects Integers, doubles, booleans and maps (Kestra casts them to String)', () => {
    expectTemplateError(() => filter('date', 5), 'java.lang.Integer cannot be cast');
    expectTemplateError(() => filter('date', 1.5), 'java.lang.Double cannot be cast');
    expectTemplateError(() => filter('date', true), 'java.lang.Boolean cannot be cast');
    expectTemplateError(() => filter('date', { a: 1 }), 'cannot be cast');
  });
  it('rejects unparsable text, unknown zones and non-string formats', () => {
    expectTemplateError(() => filter('date', 'not a date'), 'could not be parsed');
    expectTemplateError(() => filter('date', TS, [], { timeZone: 'Nope/Zone' }), 'Unknown time-zone ID: Nope/Zone');
    expectTemplateError(() => filter('date', TS, [12]), 'cannot be cast');
  });
  it('uses the process zone by default (TZ honoured)', () => {
    const saved = process.env['TZ'];
    try {
      process.env['TZ'] = 'Asia/Tokyo';
      expect(systemZone().id()).toBe('Asia/Tokyo');
      expect(filter('date', TS, ['HH:mm XXX'])).toBe('23:30 +09:00');
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
  });
  it('works through the engine, with a Long literal as epoch seconds', async () => {
    expect(await render("{{ 1378653552 | date(format='iso', timeZone='Europe/Paris') }}")).toBe('2013-09-08T17:19:12.000000+02:00');
    expect(await render('{{ d | date("yyyy") }}', { d: null })).toBe('');
    expect((await renderError('{{ epoch | date }}', { epoch: 1710513045 })).message).toContain('cannot be cast');
  });
});

describe('dateAdd filter', () => {
  it('adds ChronoUnit amounts and formats the result', () => {
    expect(filter('dateAdd', TS, [-2, 'HOURS'], { format: 'HH:mm', timeZone: 'UTC' })).toBe('12:30');
    expect(filter('dateAdd', '2024-01-31', [1n, 'MONTHS'], { format: 'yyyy-MM-dd', timeZone: 'UTC' })).toBe('2024-02-29');
    expect(filter('dateAdd', '2013-09-08T16:19:12.123456+01:00', [-1, 'DAYS'], { timeZone: 'Europe/Paris' })).toBe(
      '2013-09-07T17:19:12.123456+02:00',
    );
  });
  it('returns null for null', () => {
    expect(filter('dateAdd', null, [1, 'DAYS'])).toBeNull();
  });
  it('rejects a non-integral amount, a missing or unknown unit and bad input', () => {
    expectTemplateError(() => filter('dateAdd', TS, ['invalid', 'DAYS']), 'cannot be cast');
    expectTemplateError(() => filter('dateAdd', TS, [1.5, 'DAYS']), 'cannot be cast');
    expectTemplateError(() => filter('dateAdd', TS, [1]), "expects an argument 'unit'");
    expectTemplateError(() => filter('dateAdd', TS, [1, 'days']), 'No enum constant java.time.temporal.ChronoUnit.days');
    expectTemplateError(() => filter('dateAdd', 7, [1, 'DAYS']), 'cannot be cast');
  });
  it('lets timestamps of shifted dates be compared', async () => {
    expect(
      await render("{{ (zoned | timestamp) > (zoned | dateAdd(-1, 'DAYS') | timestamp) }}", { zoned: '2013-09-08T16:19:12.123456+01:00' }),
    ).toBe('true');
  });
  it('works through the engine with an Integer amount from the context', async () => {
    expect(
      await render('{{ "2013-09-08T16:19:00+02" | dateAdd(day, "DAYS") | date("yyyy-MM-dd HH:mm:ss z", timeZone="Australia/Perth") }}', {
        day: 1,
      }),
    ).toBe('2013-09-09 22:19:00 AWST');
  });
});

describe('timestamp filters', () => {
  const zoned = '2013-09-08T16:19:12.123456+01:00';
  it('give epoch seconds and milliseconds as Longs, micro- and nanoseconds as strings', () => {
    expect(filter('timestamp', zoned, [], { timeZone: 'Europe/Paris' })).toBe(1378653552n);
    expect(filter('timestampMilli', zoned)).toBe(1378653552123n);
    expect(filter('timestampMicro', zoned)).toBe('1378653552123456');
    expect(filter('timestampNano', zoned)).toBe('1378653552123456000');
  });
  it('read local values in timeZone and parse with existingFormat', () => {
    expect(filter('timestamp', '2024-03-15', [], { timeZone: 'UTC' })).toBe(1710460800n);
    expect(filter('timestamp', '15/03/2024', ['Asia/Tokyo', 'dd/MM/yyyy'])).toBe(1710428400n);
  });
  it('return null for null and reject what date rejects', () => {
    for (const name of ['timestamp', 'timestampMilli', 'timestampMicro', 'timestampNano']) {
      expect(filter(name, null)).toBeNull();
      expectTemplateError(() => filter(name, 12), 'cannot be cast');
      expectTemplateError(() => filter(name, 'nope'), 'could not be parsed');
    }
  });
  it('works through the engine', async () => {
    expect(await render('{{ ts | timestampNano(timeZone="UTC") }}', { ts: TS })).toBe('1710513045123456000');
    expect(await render('{{ ts | timestamp | className }}', { ts: TS })).toBe('java.lang.Long');
  });
});

describe('now function', () => {
  it('formats the current time (iso by default, microseconds)', () => {
    const out = fn('now', [], { timeZone: 'UTC' }) as string;
    expect(out).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(Math.abs(Date.parse(out) - Date.now())).toBeLessThan(5000);
  });
  it('takes a format, zone and locale', () => {
    expect(fn('now', ['yyyy'], { timeZone: 'Pacific/Kiritimati', locale: 'en_US' })).toMatch(/^\d{4}$/);
  });
  it('rejects an unknown zone and a non-string format', () => {
    expectTemplateError(() => fn('now', [], { timeZone: 'Mars/Olympus' }), 'Unknown time-zone ID');
    expectTemplateError(() => fn('now', [42]), 'cannot be cast');
  });
  it('works through the engine', async () => {
    expect(await render("{{ now('yyyy') | number > 2000 }}")).toBe('true');
  });
});

describe('named formats of current Kestra', () => {
  // core/src/test/java/io/kestra/core/runners/pebble/filters/DateFilterTest.java#timestampDateFormat (newer Kestra):
  // AbstractDate spells it sql_sec now; Kestra 0.21 spelled it sql_seq, kept as an alias.
  it.each([
    ['sql_sec', '2013-09-08 17:19:12'],
    ['sql_seq', '2013-09-08 17:19:12'],
    ['sql_milli', '2013-09-08 17:19:12.123'],
    ['iso_milli', '2013-09-08T17:19:12.123+02:00'],
    ['iso_sec', '2013-09-08T17:19:12+02:00'],
  ])('%s', async (format, expected) => {
    expect(await render(`{{ 1378653552123 | date(format="${format}", timeZone="Europe/Paris") }}`)).toBe(expected);
  });
  it('sql_sec as existingFormat', async () => {
    expect(await render(`{{ "2013-09-08 17:19:12" | date("iso_sec", existingFormat="sql_sec", timeZone="UTC") }}`)).toBe(
      '2013-09-08T17:19:12Z',
    );
  });
});
