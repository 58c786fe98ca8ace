/**
 * Avro and Parquet ⇄ Ion as kestra-io/plugin-serdes tests them (commit dd3a65f9, src/test/java/io/kestra/plugin/serdes/):
 * avro/IonToAvroTest.java, avro/AvroToIonWriterTest.java, avro/converter/Logical*Test.java and Primitive*Test.java,
 * avro/infer/fullconversion/FullIonConversionAbstractTest.java (+ FullIonAvroConversionTest, FullIonParquetConversionTest),
 * avro/infer/InferAvroSchemaTest.java, avro/infer/MergeAvroTypesTest.java,
 * parquet/IonToParquetTest.java. Fixtures under fixtures/avro and fixtures/csv are copied from that repository's
 * src/test/resources (Apache-2.0): the .avro files were written by Kestra (Java Avro), so reading them checks the
 * reader against the real format. Every other Avro/Parquet file is written by the code under test and read back.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@js-joda/timezone';
import { Decimal, IonTypes, makeBinaryWriter, Timestamp } from 'ion-js';
import { Instant, LocalDateTime, ZoneId } from '@js-joda/core';
import { avroToIon, inferSchema, ionToAvro, resolveSchema } from '../../src/serdes/avro-file.js';
import {
  AVRO_CONVERTER_DEFAULTS,
  AvroConverter,
  type AvroConverterOptions,
  fromAvro,
  type InferField,
  mergeTypes,
  parseAvroSchema,
} from '../../src/serdes/avro-model.js';
import { ionValues } from '../../src/serdes/convert.js';
import { IonTimestamp, IonTyped, parseIon } from '../../src/serdes/ion.js';
import {
  ION_TO_PARQUET_DEFAULTS,
  ionToParquet,
  parquetToIon,
  type HyparquetModule,
  type HyparquetWriterModule,
} from '../../src/serdes/parquet.js';
import { project, type Project } from '../files/helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
let dir: string;
let avsc: unknown;
let hp: HyparquetModule;
let hpw: HyparquetWriterModule;

beforeAll(async () => {
  avsc = await import('avsc');
  hp = (await import('hyparquet')) as unknown as HyparquetModule;
  hpw = (await import('hyparquet-writer')) as unknown as HyparquetWriterModule;
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-avro-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const warnings: string[] = [];
const log = (_l: string, m: string): void => void warnings.push(m);
const stream = (path: string): AsyncIterable<Uint8Array> => createReadStream(path);
const options = (o: Partial<AvroConverterOptions> = {}): AvroConverterOptions => ({
  ...AVRO_CONVERTER_DEFAULTS,
  timeZoneId: 'Europe/Paris',
  ...o,
});

async function rows(path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of ionValues(stream(path))) out.push(v);
  return out;
}

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function toAvro(
  ion: string,
  schema: string | undefined,
  o: Partial<AvroConverterOptions> = {},
  rowsToScan = 100,
): Promise<{ path: string; size: number }> {
  const resolved = await resolveSchema({ schema, rowsToScan, reopen: () => Promise.resolve(stream(ion)) });
  const path = join(dir, `out-${Math.random()}.avro`);
  const size = await ionToAvro(avsc, stream(ion), path, resolved, options(o), log);
  return { path, size };
}

async function avroBack(avro: string, mode: 'ERROR' | 'WARN' | 'SKIP' = 'ERROR'): Promise<{ path: string; size: number }> {
  const path = join(dir, `back-${Math.random()}.ion`);
  return { path, size: await avroToIon(avsc, avro, path, mode, log) };
}

async function toParquet(
  ion: string,
  schema: string | undefined,
  codec: 'GZIP' | 'SNAPPY' | 'UNCOMPRESSED' = 'GZIP',
  rowGroupSize?: number,
) {
  const resolved = await resolveSchema({ schema, rowsToScan: 100, reopen: () => Promise.resolve(stream(ion)) });
  const path = join(dir, `out-${Math.random()}.parquet`);
  const size = await ionToParquet(
    hpw,
    stream(ion),
    path,
    resolved,
    options(),
    { ...ION_TO_PARQUET_DEFAULTS, compressionCodec: codec, ...(rowGroupSize ? { rowGroupSize } : {}) },
    log,
  );
  return { path, size };
}

async function parquetBack(parquet: string): Promise<{ path: string; size: number }> {
  const path = join(dir, `back-${Math.random()}.ion`);
  const buf = await readFile(parquet);
  const file = {
    byteLength: buf.length,
    slice: (s: number, e?: number) => Promise.resolve(buf.buffer.slice(buf.byteOffset + s, buf.byteOffset + (e ?? buf.length))),
  };
  return { path, size: await parquetToIon(hp, file, path) };
}

/** Number of records of an Avro file, read by avsc directly (IonToAvroTest.avroSize). */
async function avroSize(path: string): Promise<number> {
  const mod = avsc as { default?: unknown };
  const lib = (mod.default ?? mod) as { createFileDecoder(p: string): AsyncIterable<unknown> };
  let n = 0;
  for await (const _ of lib.createFileDecoder(path)) n++;
  return n;
}

const JAVA_TIME_ROW =
  '{String:"string",Int:2,Float:3.200000047683716e0,Double:3.2e0,Instant:2024-05-06T07:08:09.123Z,' +
  'ZonedDateTime:ZonedDateTime::"2024-05-06T09:08:09.123+02:00[Europe/Paris]",LocalDateTime:LocalDateTime::"2024-05-06T09:08:09.123",' +
  'OffsetDateTime:OffsetDateTime::"2024-05-06T09:08:09.123+02:00",LocalDate:2024-05-06,LocalTime:LocalTime::"09:08:09.123456",' +
  'OffsetTime:OffsetTime::"09:08:09.123+02:00",Date:2024-05-06T07:08:09.123Z}\n';

describe('AvroToIon / IonToAvro on Kestra-written files (AvroToIonWriterTest, IonToAvroTest)', () => {
  test.each(['csv/insurance_sample', 'avro/null'])('%s.avro → Ion → Avro keeps every record', async (name) => {
    const expected = await avroSize(join(FIXTURES, `${name}.avro`));
    expect(expected).toBeGreaterThan(0);
    const ion = await avroBack(join(FIXTURES, `${name}.avro`));
    expect(ion.size).toBe(expected);
    const schema = await readFile(join(FIXTURES, `${name}.avsc`), 'utf8');
    const back = await toAvro(ion.path, schema, { inferAllFields: false });
    expect(back.size).toBe(expected);
    expect(await avroSize(back.path)).toBe(expected);
  });

  test('the Java-written records read as Kestra writes them (order of the schema, nulls kept)', async () => {
    const ion = await avroBack(join(FIXTURES, 'avro/null.avro'));
    const first = (await rows(ion.path))[0] as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['var1', 'var2', 'var3']);
    const out = await rows(ion.path);
    expect(out.some((r) => (r as Record<string, unknown>)['var2'] === null)).toBe(true);
  });

  test.each(['csv/insurance_sample.ion', 'csv/insurance_sample_array.ion'])(
    '%s with insurance_sample.avsc gives as many records as Kestra',
    async (name) => {
      const expected = await avroSize(join(FIXTURES, 'csv/insurance_sample.avro'));
      const out = await toAvro(join(FIXTURES, name), await readFile(join(FIXTURES, 'csv/insurance_sample.avsc'), 'utf8'));
      expect(out.size).toBe(expected);
      expect(await avroSize(out.path)).toBe(expected);
    },
  );

  test('java.time values with all.avsc (IonToAvroTest.ion) and back', async () => {
    const ion = await file('all.ion', JAVA_TIME_ROW);
    const out = await toAvro(ion, await readFile(join(FIXTURES, 'avro/all.avsc'), 'utf8'));
    expect(out.size).toBe(1);
    const back = (await rows((await avroBack(out.path)).path))[0] as Record<string, unknown>;
    expect(back).toMatchObject({
      String: 'string',
      Int: 2,
      LocalDate: '2024-05-06',
      LocalTime: '09:08:09.123', // time-millis keeps milliseconds
      OffsetTime: '09:08:09.123',
      // local-timestamp-millis in Europe/Paris: every instant is 09:08:09.123 local
      Instant: '2024-05-06T09:08:09.123',
      ZonedDateTime: '2024-05-06T09:08:09.123',
      LocalDateTime: '2024-05-06T09:08:09.123',
      OffsetDateTime: '2024-05-06T09:08:09.123',
      Date: '2024-05-06',
    });
    // the Ion text: a date is an Ion day timestamp, a local date-time a LocalDateTime-annotated string
    const text = await readFile((await avroBack(out.path)).path, 'utf8');
    expect(text).toContain('LocalDate:2024-05-06,');
    expect(text).toContain('LocalDateTime:LocalDateTime::"2024-05-06T09:08:09.123"');
    expect(text).toContain('LocalTime:LocalTime::"09:08:09.123"');
    expect(text).toContain('Float:3.2');
  });

  test('the same row without a schema (IonToAvroTest.ionWithoutSchema): inferred, written, read back', async () => {
    const ion = await file('all.ion', JAVA_TIME_ROW);
    const out = await toAvro(ion, undefined);
    expect(out.size).toBe(1);
    expect(await avroSize(out.path)).toBe(1);
    const schema = await inferSchema(stream(ion), 100);
    const types = Object.fromEntries((schema['fields'] as { name: string; type: unknown }[]).map((f) => [f.name, f.type]));
    expect(types).toMatchObject({
      String: ['null', 'string'],
      Int: ['null', 'int'],
      Double: ['null', 'double'],
      Instant: ['null', { type: 'long', logicalType: 'local-timestamp-millis' }],
      LocalDate: ['null', { type: 'int', logicalType: 'date' }],
      LocalTime: ['null', { type: 'int', logicalType: 'time-millis' }],
    });
  });

  test('inferAllFields scans every row: a date null in the first 100 rows is still a date (inferAllFieldsTrueScansAllRowsForDateField)', async () => {
    let text = '';
    for (let i = 1; i <= 100; i++) text += `{id:${i},event_date:null}\n`;
    for (let i = 101; i <= 110; i++) text += `{id:${i},event_date:2024-01-${String(i - 100).padStart(2, '0')}}\n`;
    const ion = await file('dates.ion', text);
    const out = await toAvro(ion, undefined, { inferAllFields: true }, Number.MAX_SAFE_INTEGER);
    expect(await avroSize(out.path)).toBe(110);
    // with the default 100 rows, event_date is typed null and row 101 cannot be written
    await expect(toAvro(ion, undefined, {}, 100)).rejects.toThrow(/event_date/);
  });

  test('an empty file cannot be inferred (inferenceFailsOnEmptyFile)', async () => {
    const ion = await file('empty.ion', '');
    await expect(toAvro(ion, undefined)).rejects.toThrow(
      'Cannot infer Avro schema from ION input: the file appears to be empty or contains no valid records.',
    );
  });

  test('an invalid schema is an Invalid Avro schema error', async () => {
    const ion = await file('a.ion', '{a:1}\n');
    await expect(toAvro(ion, '{"type":"record"')).rejects.toThrow(/^Invalid Avro schema/);
    await expect(toAvro(ion, '{"type":"record","name":"x","fields":[{"name":"a","type":"nope"}]}')).rejects.toThrow(/Invalid Avro schema/);
  });

  test('onBadLines: a null in a non-nullable field fails (ERROR), is skipped with a warning (WARN) or silently (SKIP)', async () => {
    const schema = '{"type":"record","name":"r","fields":[{"name":"a","type":"string"},{"name":"b","type":"int"}]}';
    const ion = await file('bad.ion', '{a:"x",b:1}\n{a:null,b:2}\n{a:"z",b:"three"}\n{a:"w",b:4}\n');
    await expect(toAvro(ion, schema)).rejects.toThrow(/field 'a'|null value/);
    warnings.length = 0;
    const warn = await toAvro(ion, schema, { onBadLines: 'WARN' });
    expect(warn.size).toBe(4); // Kestra counts the rows read
    expect(await avroSize(warn.path)).toBe(2);
    expect(warnings.join('\n')).toMatch(/Bad record skipped \(onBadLines=WARN\)/);
    warnings.length = 0;
    const skip = await toAvro(ion, schema, { onBadLines: 'SKIP' });
    expect(await avroSize(skip.path)).toBe(2);
    expect(warnings).toEqual([]);
  });

  test('binary Ion input keeps its types (timestamps, decimals, java.time strings, blobs)', async () => {
    const w = makeBinaryWriter();
    w.stepIn(IonTypes.STRUCT);
    w.writeFieldName('day');
    w.writeTimestamp(Timestamp.parse('2024-01-02'));
    w.writeFieldName('amount');
    w.writeDecimal(Decimal.parse('1.50'));
    w.writeFieldName('t');
    w.setAnnotations(['LocalTime']);
    w.writeString('10:11:12');
    w.writeFieldName('b');
    w.writeBlob(new Uint8Array([1, 2, 3]));
    w.stepOut();
    w.close();
    const ion = join(dir, 'bin.ion');
    await writeFile(ion, w.getBytes());
    const schema = JSON.stringify({
      type: 'record',
      name: 'r',
      fields: [
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 } },
        { name: 't', type: { type: 'int', logicalType: 'time-millis' } },
        { name: 'b', type: 'bytes' },
      ],
    });
    const back = await avroBack((await toAvro(ion, schema)).path);
    expect(await readFile(back.path, 'utf8')).toBe('{day:2024-01-02,amount:1.50,t:LocalTime::"10:11:12",b:{{AQID}}}\n');
  });

  test('strictSchema: more fields than the schema fail the row', async () => {
    const schema = '{"type":"record","name":"r","fields":[{"name":"a","type":"string"}]}';
    const ion = await file('strict.ion', '{a:"x",extra:"y"}\n');
    expect((await toAvro(ion, schema)).size).toBe(1);
    await expect(toAvro(ion, schema, { strictSchema: true })).rejects.toThrow(/Data contains more fields than schema/);
  });

  test('positional colN rows (CsvToIon without header) and aliases fill the fields', async () => {
    const schema = '{"type":"record","name":"r","fields":[{"name":"a","type":"string"},{"name":"b","type":"long","aliases":["bee"]}]}';
    const ion = await file('pos.ion', '{col0:"x",col1:"2"}\n{a:"y",bee:3}\n');
    const out = await toAvro(ion, schema);
    expect(await rows((await avroBack(out.path)).path)).toEqual([
      { a: 'x', b: 2 },
      { a: 'y', b: 3 },
    ]);
  });
});

// --- AvroConverter cell conversions (converter/*Test.java) ----------------------------------------------

function one(value: unknown, type: unknown, o: Partial<AvroConverterOptions> = {}): unknown {
  const schema = parseAvroSchema({ type: 'record', name: 'r', fields: [{ name: 'f', type }] });
  const converter = new AvroConverter(schema, options({ timeZoneId: 'Europe/Paris', ...o }));
  const datum = converter.convertRow({ f: value });
  return fromAvro(datum['f'], schema.fields[0]!.type);
}
const ts = (t: string): IonTimestamp => new IonTimestamp(t);
const text = (v: unknown): string => String(v);

describe('AvroConverter (converter/*Test.java)', () => {
  const micros = { type: 'long', logicalType: 'timestamp-micros' };
  const millis = { type: 'long', logicalType: 'timestamp-millis' };
  const instant = (s: string): string => new Date(Instant.parse(s).toEpochMilli()).toISOString();

  test.each([
    ['2019-12-26T12:13', instant(LocalDateTime.parse('2019-12-26T12:13').atZone(zoneParis()).toInstant().toString())],
    ['2019-12-26T12:13:11', instant(LocalDateTime.parse('2019-12-26T12:13:11').atZone(zoneParis()).toInstant().toString())],
    ['2019-12-26T12:13:11.123000', instant(LocalDateTime.parse('2019-12-26T12:13:11.123').atZone(zoneParis()).toInstant().toString())],
    ['2019-12-26T12:13:11+01:00', '2019-12-26T11:13:11.000Z'],
    ['2019-12-26T12:13:11.123000+01:00', '2019-12-26T11:13:11.123Z'],
    [ts('2019-12-26T12:13:11.123+01:00'), '2019-12-26T11:13:11.123Z'],
    [new IonTyped('OffsetDateTime', '2019-12-26T12:13:11.123+01:00'), '2019-12-26T11:13:11.123Z'],
    [ts('2019-12-26T11:13:11.123Z'), '2019-12-26T11:13:11.123Z'],
    [1577362391123n, '2019-12-26T12:13:11.123Z'],
    ['1577362391123', '2019-12-26T12:13:11.123Z'],
  ])('timestamp-millis/micros from %p (LogicalDateTimeTest)', (v, expected) => {
    expect(text(one(v, millis))).toBe(expected);
    if (typeof v !== 'bigint' && !(typeof v === 'string' && /^\d+$/.test(v))) expect(text(one(v, micros))).toBe(expected);
  });

  test('timestamp-micros from a micro count, and datetimeFormat patterns (LogicalDateTimeTest.withFormat)', () => {
    expect(text(one(1577362391123456n, micros))).toBe('2019-12-26T12:13:11.123Z');
    expect(text(one('2019-12-26 12:13 +02', micros, { datetimeFormat: "yyyy-MM-dd' 'HH:mm' 'X" }))).toBe('2019-12-26T10:13:00.000Z');
    expect(text(one('2020-04-30 08:00:00 +0200', micros, { datetimeFormat: "yyyy-MM-dd' 'HH:mm:ss' 'XXXX" }))).toBe(
      '2020-04-30T06:00:00.000Z',
    );
    expect(text(one('2021-05-05T12:21:00+02:00', micros, { datetimeFormat: "yyyy-MM-dd'T'HH:mm:ssXXX" }))).toBe('2021-05-05T10:21:00.000Z');
    expect(() => one('12:26:2019', micros)).toThrow();
  });

  test('date (LogicalDateTest), time (LogicalTimeTest), decimal (LogicalDecimalTest), uuid (LogicalUuidTest)', () => {
    const date = { type: 'int', logicalType: 'date' };
    expect(text(one('2019-12-26', date))).toBe('2019-12-26');
    expect(text(one('2019-12-26+01:00', date))).toBe('2019-12-26');
    expect(text(one(ts('2019-12-26'), date))).toBe('2019-12-26');
    expect(text(one(new IonTyped('LocalDateTime', '2019-12-26T23:59:59'), date))).toBe('2019-12-26');
    expect(text(one('26/12/2019', date, { dateFormat: 'dd/MM/yyyy' }))).toBe('2019-12-26');
    expect(() => one('12-26-2019', date)).toThrow();
    const time = { type: 'int', logicalType: 'time-millis' };
    expect(text(one('12:13', time))).toBe('12:13:00');
    expect(text(one('12:13:11', time))).toBe('12:13:11');
    expect(text(one('12:13:11.123000', time))).toBe('12:13:11.123');
    expect(text(one('12:13:11.123000+01:00', time))).toBe('12:13:11.123');
    expect(text(one('12:13:11.123456', { type: 'long', logicalType: 'time-micros' }))).toBe('12:13:11.123456');
    const decimal = { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 };
    expect(text(one('12.82', decimal))).toBe('12.82');
    expect(text(one('12,82', decimal, { decimalSeparator: ',' }))).toBe('12.82');
    expect(text(one('12.825', decimal))).toBe('12.82'); // HALF_EVEN
    expect(text(one('12.835', decimal))).toBe('12.84');
    expect(text(one(12.82, decimal))).toBe('12.82');
    expect(text(one(-12.82, { type: 'fixed', name: 'd', size: 4, logicalType: 'decimal', precision: 5, scale: 2 }))).toBe('-12.82');
    const uuid = { type: 'string', logicalType: 'uuid' };
    expect(one('123e4567-e89b-12d3-a456-556642440000', uuid)).toBe('123e4567-e89b-12d3-a456-556642440000');
    expect(() => one('not-a-uuid', uuid)).toThrow();
  });

  test('primitives (Primitive*Test): strings parsed, Java casts refused, true/false/null value lists', () => {
    expect(one('-42', 'int')).toBe(-42);
    expect(one(42, 'int')).toBe(42);
    expect(() => one('42.5', 'int')).toThrow();
    expect(() => one('2147483648', 'int')).toThrow();
    expect(one('9223372036854775807', 'long')).toBe(9223372036854775807n);
    expect(one(42, 'long')).toBe(42);
    expect(text(one('42.5', 'float'))).toBe('42.5');
    expect(text(one('1,5', 'double', { decimalSeparator: ',' }))).toBe('1.5');
    expect(() => one('a', 'double')).toThrow();
    for (const t of ['t', 'true', 'enabled', '1', 'on', 'yes', 'TRUE', 1]) expect(one(t, 'boolean')).toBe(true);
    for (const f of ['f', 'false', 'disabled', '0', 'off', 'no', '', 0]) expect(one(f, 'boolean')).toBe(false);
    expect(() => one('maybe', 'boolean')).toThrow();
    expect(one('yes', 'boolean', { trueValues: ['yes'] })).toBe(true);
    // a union tries its branches in order: the null branch takes every null value first (PrimitiveNullTest)
    for (const n of ['', '#N/A', 'NA', 'n/a', 'nan', 'null', 'NULL', null]) expect(one(n, ['null', 'string'])).toBeNull();
    for (const n of ['', '#N/A', 'NA', 'n/a', 'nan', 'null', 'NULL']) expect(one(n, ['string', 'null'])).toBe(n);
    expect(one('n/a', 'null')).toBeNull();
    expect(() => one('x', 'null')).toThrow();
    expect(one('null', ['null', 'int'], { inferAllFields: true })).toBeNull();
    expect(one('true', ['null', 'boolean', 'string'], { inferAllFields: true })).toBe(true);
    expect(one('12', ['null', 'int', 'string'])).toBe(12); // first branch that takes it (ComplexUnionTest)
    expect(one('ab', ['null', 'int', 'string'])).toBe('ab');
    expect(one(['1', '2'], { type: 'array', items: 'int' })).toEqual([1, 2]); // ComplexArrayTest
    expect(one({ a: '1' }, { type: 'map', values: 'int' })).toEqual({ a: 1 }); // ComplexMapTest
    expect(one('B', { type: 'enum', name: 'e', symbols: ['A', 'B'] })).toBe('B'); // ComplexEnumTest
    expect(() => one('C', { type: 'enum', name: 'e', symbols: ['A', 'B'] })).toThrow();
    expect(Buffer.from(one('ab', { type: 'fixed', name: 'fx', size: 2 }) as Uint8Array).toString()).toBe('ab'); // ComplexFixedTest
    expect(() => one('abc', { type: 'fixed', name: 'fx', size: 2 })).toThrow();
  });
});

function zoneParis(): ZoneId {
  return ZoneId.of('Europe/Paris');
}

// --- full conversions (FullIonConversionAbstractTest) --------------------------------------------------------

const FULL: [string, string, string][] = [
  ['JSONArray', '["one", "two"]', '["one", "two"]'],
  ['JSONObject', '{"hello": "world"}', '{"hello": "world"}'],
  ['real', '{"hello": 3.14}', '{"hello": "3.14"}'],
  [
    'primitiveTypes',
    '{Int:1, String:"my string1", Float:-0.12e4, Decimal:7.47}',
    '{Int:1, String:"my string1", Float:-0.12e4, Decimal:"7.47"}',
  ],
  [
    'allData_matching',
    '{order_id:1,str1:"my string1",customer_name:null,customer_email:"jenniferschneider@example.com",product_id:11,price:166.88999938964844e0,quantity:1,total:166.88999938964844e0}\n{order_id:2,str1:"my string2",customer_name:null,customer_email:"22222222222222222@example.com",product_id:22,price:122.88999938964844e0,quantity:2,total:222.88999938964844e0}',
    '{order_id:1,str1:"my string1",customer_name:null,customer_email:"jenniferschneider@example.com",product_id:11,price:166.88999938964844e0,quantity:1,total:166.88999938964844e0}\n{order_id:2,str1:"my string2",customer_name:null,customer_email:"22222222222222222@example.com",product_id:22,price:122.88999938964844e0,quantity:2,total:222.88999938964844e0}',
  ],
  [
    'someData_missingFields',
    '{id:1, str1:"my string1", labels:["lab1"], data1: {field1: "hey"}}\n{}\n{id:2, str1:"my string2", labels:["lab2"], data1: {field1: "heya"}}',
    '{id:1, str1:"my string1", labels:["lab1"], data1: {field1: "hey"}}\n{id:null, str1:null, labels:null, data1: null}\n{id:2, str1:"my string2", labels:["lab2"], data1: {field1: "heya"}}',
  ],
  [
    'someData_missingFields_forFirstRow_requiringFullSearch',
    '{}\n{id:1, str1:"my string1", labels:["lab1"], data1: {field1: "hey"}}\n{id:2, str1:"my string2", labels:["lab2"], data1: {field1: "heya"}}',
    '{id:null, str1:null, labels:null, data1: null}\n{id:1, str1:"my string1", labels:["lab1"], data1: {field1: "hey"}}\n{id:2, str1:"my string2", labels:["lab2"], data1: {field1: "heya"}}',
  ],
];

const ACTORS = `{"Actors": [
  {"name": "Tom Cruise", "age": 56, "BornAt": "Syracuse, NY", "Birthdate": "July 3, 1962", "photo": "https://jsonformatter.org/img/tom-cruise.jpg", "wife": null, "hasChildren": true, "hasGreyHair": false, "children": ["Suri", "Isabella Jane", "Connor"]},
  {"name": "Robert Downey Jr.", "age": 53, "BornAt": "New York City, NY", "Birthdate": "April 4, 1965", "photo": "https://jsonformatter.org/img/Robert-Downey-Jr.jpg", "wife": "Susan Downey", "hasChildren": true, "hasGreyHair": false, "children": ["Indio Falconer", "Avri Roel", "Exton Elias"]}
]}`;
FULL.push(['allJSONTypes', ACTORS, ACTORS]);

describe('full Ion → Avro/Parquet → Ion conversions with an inferred schema (FullIonConversionAbstractTest)', () => {
  test.each(FULL)('Avro: %s', async (_name, input, expected) => {
    const ion = await file('in.ion', `${input}\n`);
    const back = await avroBack((await toAvro(ion, JSON.stringify(await inferSchema(stream(ion), 100)))).path);
    expect(await rows(back.path)).toEqual(parseIon(expected));
  });

  test.each(FULL.filter(([name]) => name !== 'JSONArray'))('Parquet: %s', async (_name, input, expected) => {
    const ion = await file('in.ion', `${input}\n`);
    const back = await parquetBack((await toParquet(ion, JSON.stringify(await inferSchema(stream(ion), 100)))).path);
    expect(await rows(back.path)).toEqual(parseIon(expected));
  });
});

// --- Parquet (IonToParquetTest, ParquetToIonTest) ------------------------------------------------------------

describe('IonToParquet / ParquetToIon', () => {
  const SCHEMA = JSON.stringify({
    type: 'record',
    name: 'r',
    fields: [
      { name: 'id', type: 'int' },
      { name: 'name', type: ['null', 'string'], default: null },
      { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'local', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
      { name: 'time', type: { type: 'int', logicalType: 'time-millis' } },
      { name: 'big', type: 'long' },
      { name: 'ratio', type: 'double' },
      { name: 'f', type: 'float' },
      { name: 'ok', type: 'boolean' },
      { name: 'tags', type: { type: 'array', items: 'string' } },
      { name: 'attrs', type: { type: 'map', values: 'int' } },
      { name: 'nested', type: ['null', { type: 'record', name: 'n', fields: [{ name: 'x', type: 'string' }] }], default: null },
      { name: 'color', type: { type: 'enum', name: 'c', symbols: ['RED', 'GREEN'] } },
    ],
  });
  const ROWS =
    '{id:1,name:"a",amount:"1234.56",day:"2024-02-29",at:"2024-02-29T10:11:12.345000+01:00",local:"2024-02-29T10:11:12.123456",time:"10:11:12",big:9007199254740993,ratio:0.5e0,f:"1.5",ok:"yes",tags:["x","y"],attrs:{a:1,b:2},nested:{x:"in"},color:"RED"}\n' +
    '{id:2,name:null,amount:-0.5,day:2024-03-01,at:2024-03-01T00:00:01.000Z,local:LocalDateTime::"2024-03-01T00:00",time:LocalTime::"23:59:59.999",big:-1,ratio:1e300,f:2,ok:false,tags:[],attrs:{},nested:null,color:"GREEN"}\n';
  const EXPECTED = [
    {
      id: 1,
      name: 'a',
      amount: '1234.56',
      day: '2024-02-29',
      at: '2024-02-29T09:11:12.345Z',
      local: '2024-02-29T10:11:12.123456',
      time: '10:11:12',
      big: 9007199254740993n,
      ratio: 0.5,
      f: 1.5,
      ok: true,
      tags: ['x', 'y'],
      attrs: { a: 1, b: 2 },
      nested: { x: 'in' },
      color: 'RED',
    },
    {
      id: 2,
      name: null,
      amount: '-0.50',
      day: '2024-03-01',
      at: '2024-03-01T00:00:01.000Z',
      local: '2024-03-01T00:00:00',
      time: '23:59:59.999',
      big: -1,
      ratio: 1e300,
      f: 2,
      ok: false,
      tags: [],
      attrs: {},
      nested: null,
      color: 'GREEN',
    },
  ];

  function plain(v: unknown): unknown {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(plain);
    if ('value' in v && typeof v.value === 'number' && Object.keys(v).length <= 1) return (v as { value: number }).value;
    if (Object.getPrototypeOf(v) !== null && Object.getPrototypeOf(v) !== Object.prototype) return String(v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }

  test.each(['GZIP', 'SNAPPY', 'UNCOMPRESSED'] as const)('every Avro type and logical type round-trips (%s)', async (codec) => {
    const ion = await file('in.ion', ROWS);
    const out = await toParquet(ion, SCHEMA, codec);
    expect(out.size).toBe(2);
    const back = await parquetBack(out.path);
    expect(back.size).toBe(2);
    const got = (await rows(back.path)).map(plain);
    expect(got).toEqual(EXPECTED.map((r) => ({ ...r, big: typeof r.big === 'bigint' ? r.big : r.big })));
    // Avro gives the same values
    const avro = await avroBack((await toAvro(ion, SCHEMA)).path);
    expect((await rows(avro.path)).map(plain)).toEqual(got);
  });

  test('a small rowGroupSize writes several row groups, all read back in order', async () => {
    let text = '';
    for (let i = 0; i < 5000; i++) text += `{id:${i},name:"n${i}"}\n`;
    const ion = await file('many.ion', text);
    const schema = JSON.stringify({
      type: 'record',
      name: 'r',
      fields: [
        { name: 'id', type: 'int' },
        { name: 'name', type: 'string' },
      ],
    });
    const out = await toParquet(ion, schema, 'SNAPPY', 10_000);
    const meta = await hp.parquetMetadataAsync(await asBuffer(out.path));
    expect(meta.row_groups.length).toBeGreaterThan(2);
    const back = await rows((await parquetBack(out.path)).path);
    expect(back.length).toBe(5000);
    expect(back[4999]).toEqual({ id: 4999, name: 'n4999' });
  });

  test('java.time row with all.avsc, and with an inferred schema (convertWithExplicitSchema, convertWithInferredSchema)', async () => {
    const ion = await file('all.ion', JAVA_TIME_ROW);
    for (const schema of [await readFile(join(FIXTURES, 'avro/all.avsc'), 'utf8'), undefined]) {
      const out = await toParquet(ion, schema);
      expect(out.size).toBe(1);
      const back = await parquetBack(out.path);
      expect(back.size).toBe(1);
      expect(((await rows(back.path))[0] as Record<string, unknown>)['String']).toBe('string');
    }
    await expect(toParquet(await file('empty.ion', ''), undefined)).rejects.toThrow(
      'Cannot infer Avro schema from ION input: the file appears to be empty or contains no valid records.',
    );
  });

  test('a required field given null fails the task', async () => {
    const ion = await file('n.ion', '{id:null}\n');
    await expect(toParquet(ion, JSON.stringify({ type: 'record', name: 'r', fields: [{ name: 'id', type: 'int' }] }))).rejects.toThrow(
      /id/,
    );
  });
});

async function asBuffer(path: string) {
  const buf = await readFile(path);
  return {
    byteLength: buf.length,
    slice: (s: number, e?: number) => Promise.resolve(buf.buffer.slice(buf.byteOffset + s, buf.byteOffset + (e ?? buf.length))),
  };
}

// --- through the runner --------------------------------------------------------------------------------------

describe('flows', () => {
  let p: Project;
  beforeAll(async () => {
    p = await project();
  });
  afterAll(async () => {
    await p.cleanup();
  });

  test('CSV → Ion → Avro → Ion → JSON, and Ion → Parquet → Ion, with the current and legacy type names', async () => {
    const r = await p.run(`
id: serdes_avro_parquet
namespace: company.team
tasks:
  - id: csv
    type: io.kestra.plugin.core.storage.Write
    extension: .csv
    content: |
      id,name,price,day
      1,Apple,1.50,2024-01-02
      2,Pear,,2024-01-03
  - id: to_ion
    type: io.kestra.plugin.serdes.csv.CsvToIon
    from: "{{ outputs.csv.uri }}"
  - id: to_avro
    type: io.kestra.plugin.serdes.avro.IonToAvro
    from: "{{ outputs.to_ion.uri }}"
    schema: |
      {"type": "record", "name": "Fruit", "fields": [
        {"name": "id", "type": "int"},
        {"name": "name", "type": "string"},
        {"name": "price", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}]},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}}
      ]}
  - id: back
    type: io.kestra.plugin.serdes.avro.AvroReader
    from: "{{ outputs.to_avro.uri }}"
  - id: to_json
    type: io.kestra.plugin.serdes.json.IonToJson
    from: "{{ outputs.back.uri }}"
  - id: to_parquet
    type: io.kestra.plugin.serdes.parquet.ParquetWriter
    from: "{{ outputs.back.uri }}"
    compressionCodec: SNAPPY
  - id: from_parquet
    type: io.kestra.plugin.serdes.parquet.ParquetToIon
    from: "{{ outputs.to_parquet.uri }}"
  - id: infer
    type: io.kestra.plugin.serdes.avro.InferAvroSchemaFromIon
    from: "{{ outputs.to_ion.uri }}"
`);
    expect(r.state).toBe('SUCCESS');
    expect(r.outputs['to_avro']).toMatchObject({ size: 2 });
    expect(r.outputs['back']).toMatchObject({ size: 2 });
    const uri = (id: string): string => (r.outputs[id] as { uri: string }).uri;
    expect(uri('to_avro')).toMatch(/\.avro$/);
    expect(await p.read(uri('to_json'))).toBe(
      '{"id":1,"name":"Apple","price":1.50,"day":"2024-01-02"}\n{"id":2,"name":"Pear","day":"2024-01-03"}\n',
    );
    expect(await p.read(uri('back'))).toBe('{id:1,name:"Apple",price:1.50,day:2024-01-02}\n{id:2,name:"Pear",price:null,day:2024-01-03}\n');
    // no schema on the Parquet writer: inferred as Kestra does, a decimal is a string column
    expect(await p.read(uri('from_parquet'))).toBe(
      '{id:1,name:"Apple",price:"1.50",day:2024-01-02}\n{id:2,name:"Pear",price:null,day:2024-01-03}\n',
    );
    expect(JSON.parse(await p.read(uri('infer')))).toMatchObject({
      type: 'record',
      name: 'root',
      namespace: 'io.kestra.plugin.serdes.avro',
    });
  });

  test("IonToAvro's @Example (divvy_tripdata): CSV rides with datetimeFormat \"yyyy-MM-dd' 'HH:mm:ss\"", async () => {
    const r = await p.run(`
id: divvy_tripdata
namespace: company.team
tasks:
  - id: csv
    type: io.kestra.plugin.core.storage.Write
    extension: .csv
    content: |
      ride_id,rideable_type,started_at,ended_at,start_lat,end_lat,member_casual
      A1,electric_bike,2024-06-01 08:00:05,2024-06-01 08:20:00,41.88,41.9,member
      B2,classic_bike,2024-06-01 09:10:00,2024-06-01 09:15:30,41.8,,casual
  - id: convert
    type: io.kestra.plugin.serdes.csv.CsvToIon
    from: "{{ outputs.csv.uri }}"
  - id: to_avro
    type: io.kestra.plugin.serdes.avro.IonToAvro
    from: "{{ outputs.convert.uri }}"
    datetimeFormat: "yyyy-MM-dd' 'HH:mm:ss"
    timeZoneId: UTC
    schema: |
      {
        "type": "record",
        "name": "Ride",
        "namespace": "com.example.bikeshare",
        "fields": [
          {"name": "ride_id", "type": "string"},
          {"name": "rideable_type", "type": "string"},
          {"name": "started_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
          {"name": "ended_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
          {"name": "start_lat", "type": "double"},
          {"name": "end_lat", "type": ["null", "double"], "default": null},
          {"name": "member_casual", "type": "string"}
        ]
      }
  - id: back
    type: io.kestra.plugin.serdes.avro.AvroToIon
    from: "{{ outputs.to_avro.uri }}"
`);
    expect(r.state).toBe('SUCCESS');
    expect(await p.read((r.outputs['back'] as { uri: string }).uri)).toBe(
      '{ride_id:"A1",rideable_type:"electric_bike",started_at:2024-06-01T08:00:05.000Z,ended_at:2024-06-01T08:20:00.000Z,start_lat:41.88e0,end_lat:41.9e0,member_casual:"member"}\n' +
        '{ride_id:"B2",rideable_type:"classic_bike",started_at:2024-06-01T09:10:00.000Z,ended_at:2024-06-01T09:15:30.000Z,start_lat:41.8e0,end_lat:null,member_casual:"casual"}\n',
    );
  });

  test('a bad row fails the task with the field named', async () => {
    const r = await p.run(`
id: serdes_avro_bad
namespace: company.team
tasks:
  - id: ion
    type: io.kestra.plugin.core.storage.Write
    extension: .ion
    content: '{a:"x"}'
  - id: to_avro
    type: io.kestra.plugin.serdes.avro.IonToAvro
    from: "{{ outputs.ion.uri }}"
    schema: '{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}'
`);
    expect(r.state).toBe('FAILED');
    expect(r.logs.map((l) => l.message).join('\n')).toMatch(/field 'a'/);
  });
});

// --- schema inference (infer/InferAvroSchemaTest.java, infer/MergeAvroTypesTest.java) -------------------------

describe('InferAvroSchema', () => {
  test('java.time and number types of one row (InferAvroSchemaTest.ion)', async () => {
    const ion = await file(
      'infer.ion',
      '{myString:"string",myInt:2,myFloat:3.200000047683716e0,myDouble:3.2e0,myInstant:2024-05-06T07:08:09.123Z,' +
        'myZonedDateTime:ZonedDateTime::"2024-05-06T09:08:09.123+02:00[Europe/Paris]",myLocalDateTime:LocalDateTime::"2024-05-06T09:08:09.123",' +
        'myOffsetDateTime:OffsetDateTime::"2024-05-06T09:08:09.123+02:00",myLocalDate:2024-05-06,myLocalTime:LocalTime::"09:08:09.123",' +
        'myOffsetTime:OffsetTime::"09:08:09.123+02:00",myDate:2024-05-06T07:08:09.123Z}\n',
    );
    const schema = await inferSchema(stream(ion), 100);
    expect(schema).toMatchObject({ type: 'record', name: 'root', namespace: 'io.kestra.plugin.serdes.avro' });
    const ts = ['null', { type: 'long', logicalType: 'local-timestamp-millis' }];
    expect(Object.fromEntries((schema['fields'] as { name: string; type: unknown }[]).map((f) => [f.name, f.type]))).toEqual({
      myString: ['null', 'string'],
      myInt: ['null', 'int'],
      myFloat: ['null', 'double'], // an Ion float reads as a Double
      myDouble: ['null', 'double'],
      myInstant: ts,
      myZonedDateTime: ts,
      myLocalDateTime: ts,
      myOffsetDateTime: ts,
      myLocalDate: ['null', { type: 'int', logicalType: 'date' }],
      myLocalTime: ['null', { type: 'int', logicalType: 'time-millis' }],
      myOffsetTime: ['null', { type: 'int', logicalType: 'time-millis' }],
      myDate: ts,
    });
  });

  const f = (type: unknown): InferField => ({ name: `f${Math.random()}`, type });
  const kinds = (t: unknown): string[] =>
    (t as unknown[]).map((x) => (typeof x === 'string' ? x : String((x as { type: string }).type))).sort();
  test.each([
    ['equals', ['null', 'string'], ['null', 'string'], ['null', 'string']],
    ['mergeTwoSingleSchema', 'null', 'string', ['null', 'string']],
    ['mergeAIsUnion_doesNotContainsB', ['null', 'string'], 'int', ['int', 'null', 'string']],
    ['mergeBIsUnion_doesNotContainsA', 'int', ['null', 'string'], ['int', 'null', 'string']],
    ['mergeAIsUnion_alreadyContainsA', ['null', 'int'], 'int', ['int', 'null']],
    ['mergeBIsUnion_alreadyContainsA', 'int', ['null', 'int'], ['int', 'null']],
  ])('MergeAvroTypesTest.%s', (_name, a, b, expected) => {
    expect(kinds(mergeTypes(f(a), f(b)).type)).toEqual(expected);
  });

  test('two records merge field by field; a record and another type cannot merge', () => {
    const r1 = { type: 'record', name: 'x', fields: [{ name: 'a', type: ['null', 'int'] }] };
    const r2 = { type: 'record', name: 'x', fields: [{ name: 'b', type: ['null', 'string'] }] };
    const merged = mergeTypes(f([r1, 'null']), f([r2, 'null'])).type as unknown[];
    const record = merged.find((t) => typeof t === 'object') as { fields: { name: string }[] };
    expect(record.fields.map((x) => x.name)).toEqual(['a', 'b']);
    expect(() => mergeTypes(f(r1), f('int'))).toThrow(/Unhandled merging a Record/);
  });

  test('a Long cannot be inferred, as in Kestra (Unhandled node)', async () => {
    const ion = await file('long.ion', '{big:12345678901}\n');
    await expect(inferSchema(stream(ion), 100)).rejects.toThrow(/Unhandled node/);
  });
});
