/**
 * The engine's `java.time.ZonedDateTime` value (JZonedDateTime): what Kestra's scheduler hands its
 * conditions as `trigger.date` (AbstractScheduler.computeSchedulable: `ImmutableMap.of("date",
 * triggerContext.getNextExecutionDate())`). It prints as `ZonedDateTime.toString()` does, the date
 * filters read it as a date, `==` is `ZonedDateTime.equals`, JSON is Jackson's ISO offset form,
 * and templates reach only its Java getters, never a JavaScript member.
 * Reference: java.time.ZonedDateTime / LocalTime.toString (JDK 17), Kestra's
 * `core/src/main/java/io/kestra/core/schedulers/AbstractScheduler.java`.
 */
import { createEngine } from '../../src/index.js';
import { JZonedDateTime, javaClassName, javaEquals, javaKey, toKestraJson } from '../../src/engine/values.js';

const engine = createEngine();
const render = (template: string, context: Record<string, unknown>): Promise<string> => engine.render(template, context);

// 2024-01-01T08:00:00Z
const EPOCH = Date.UTC(2024, 0, 1, 8) / 1000;
const paris = new JZonedDateTime(EPOCH, 0, 3600, 'Europe/Paris');

describe('JZonedDateTime prints as java.time.ZonedDateTime', () => {
  test('toString: seconds and nanos only when not zero, the region zone in brackets', () => {
    expect(paris.toString()).toBe('2024-01-01T09:00+01:00[Europe/Paris]');
    expect(new JZonedDateTime(EPOCH + 5, 0, 3600, 'Europe/Paris').toString()).toBe('2024-01-01T09:00:05+01:00[Europe/Paris]');
    expect(new JZonedDateTime(EPOCH, 5_000_000, 0, 'UTC').toString()).toBe('2024-01-01T08:00:00.005Z[UTC]');
    expect(new JZonedDateTime(EPOCH, 5_000, 0, 'Etc/UTC').toString()).toBe('2024-01-01T08:00:00.000005Z[Etc/UTC]');
    expect(new JZonedDateTime(EPOCH, 5, -16_200, 'America/Caracas').toString()).toBe(
      '2024-01-01T03:30:00.000000005-04:30[America/Caracas]',
    );
    // An offset zone is not repeated.
    expect(new JZonedDateTime(EPOCH, 0, 0, 'Z').toString()).toBe('2024-01-01T08:00Z');
    expect(new JZonedDateTime(EPOCH, 0, 7200, '+02:00').toString()).toBe('2024-01-01T10:00+02:00');
  });

  test('in a template: printed, inside a map, as JSON, its class', async () => {
    expect(await render('{{ trigger.date }}', { trigger: { date: paris } })).toBe('2024-01-01T09:00+01:00[Europe/Paris]');
    expect(await render('{{ trigger.date ~ "" }}', { trigger: { date: paris } })).toBe('2024-01-01T09:00+01:00[Europe/Paris]');
    // Jackson writes ISO_OFFSET_DATE_TIME.
    expect(await render('{{ trigger }}', { trigger: { date: paris } })).toBe('{"date":"2024-01-01T09:00:00+01:00"}');
    expect(toKestraJson([paris])).toBe('["2024-01-01T09:00:00+01:00"]');
    expect(javaClassName(paris)).toBe('java.time.ZonedDateTime');
  });

  test("Kestra's date filters and functions read it as the date it is", async () => {
    const ctx = { trigger: { date: paris } };
    expect(await render("{{ trigger.date | date('yyyy') }}", ctx)).toBe('2024');
    expect(await render("{{ trigger.date | date('yyyy-MM-dd HH:mm XXX', timeZone='Europe/Paris') }}", ctx)).toBe('2024-01-01 09:00 +01:00');
    expect(await render("{{ trigger.date | date('HH:mm', timeZone='UTC') }}", ctx)).toBe('08:00');
    expect(await render('{{ trigger.date | timestamp }}', ctx)).toBe(String(EPOCH));
    expect(await render("{{ trigger.date | dateAdd(1, 'DAYS') | date('yyyy-MM-dd') }}", ctx)).toBe('2024-01-02');
  });

  test('== is ZonedDateTime.equals (instant, offset and zone); a string is not a date', async () => {
    const same = new JZonedDateTime(EPOCH, 0, 3600, 'Europe/Paris');
    const utc = new JZonedDateTime(EPOCH, 0, 0, 'UTC');
    expect(javaEquals(paris, same)).toBe(true);
    expect(javaEquals(paris, utc)).toBe(false);
    expect(javaKey(paris)).toBe(javaKey(same));
    expect(await render('{{ a == b }}', { a: paris, b: same })).toBe('true');
    expect(await render('{{ a == b }}', { a: paris, b: utc })).toBe('false');
    expect(await render('{{ a == "2024-01-01T09:00+01:00[Europe/Paris]" }}', { a: paris })).toBe('false');
    expect(await render('{{ [a, b] | distinct | length }}', { a: paris, b: same })).toBe('1');
  });

  test('templates reach its Java getters only', async () => {
    const ctx = { d: new JZonedDateTime(EPOCH + 65, 0, 3600, 'Europe/Paris') };
    expect(await render('{{ d.year }}-{{ d.monthValue }}-{{ d.dayOfMonth }} {{ d.hour }}:{{ d.minute }}:{{ d.second }}', ctx)).toBe(
      '2024-1-1 9:1:5',
    );
    expect(await render('{{ d.getYear() }} {{ d.dayOfWeek }} {{ d.month }} {{ d.dayOfYear }} {{ d.zone }} {{ d.offset }}', ctx)).toBe(
      '2024 MONDAY JANUARY 1 Europe/Paris +01:00',
    );
    expect(await render('{{ d.toEpochSecond() }}', ctx)).toBe(String(EPOCH + 65));
    // Its JavaScript side is out of reach.
    for (const member of ['epochSecond', 'offsetSeconds', 'constructor', 'localFields', 'toIsoOffset', '__proto__'])
      await expect(render(`{{ d.${member} }}`, ctx)).rejects.toThrow(/Unable to find|does not exist/);
    await expect(render('{{ d.localFields() }}', ctx)).rejects.toThrow(/Unable to find|does not exist/);
    await expect(render("{{ d['equals'] }}", ctx)).rejects.toThrow(/Unable to find|does not exist/);
  });
});
