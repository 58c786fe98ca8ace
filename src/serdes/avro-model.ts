/**
 * Kestra's Avro layer (`kestra-io/plugin-serdes` `avro/AvroConverter`, `AvroDeserializer`,
 * `infer/InferAvroSchema`), shared by IonToAvro/AvroToIon and IonToParquet/ParquetToIon (Kestra writes
 * Parquet through parquet-avro, so both formats take the same Avro schema and the same conversions):
 *
 * - `parseAvroSchema`: the schema JSON as a resolved tree (named types, logical types);
 * - `AvroConverter`: one Ion row (maps, lists, strings, numbers, timestamps…) to an Avro datum, as
 *   Kestra's converter does it: strings parsed with `dateFormat`/`timeFormat`/`datetimeFormat`, the
 *   true/false/null value lists, `decimalSeparator`, `strictSchema`, `inferAllFields`, `onBadLines`;
 * - `fromAvro`: an Avro datum back to the Ion values Kestra writes (a `date` as an Ion day timestamp, a
 *   `timestamp-*` as a UTC timestamp in milliseconds, `local-timestamp-*` as `LocalDateTime::"…"`,
 *   `time-*` as `LocalTime::"…"`, `decimal` as an Ion decimal, `float` as a Float);
 * - `inferAvroSchema`: the schema Kestra infers from the first rows when none is given.
 *
 * A datum here is library-neutral: records are maps, unions are `{ branch, value }` (`AvroBranch`),
 * longs are bigint, logical values are their underlying numbers, bytes are Uint8Array.
 */
import {
  DateTimeFormatter,
  Instant,
  LocalDate,
  LocalDateTime,
  LocalTime,
  ResolverStyle,
  ZoneId,
  ZoneOffset,
  ZonedDateTime,
  OffsetDateTime,
} from '@js-joda/core';
import { createRequire } from 'node:module';
import { JBigDecimal, JBigInteger, JFloat } from '../engine/builtins/kestra/numbers.js';
import { isList, isMap, JDouble, javaClassName, makeDouble, newMap, toJavaString } from '../engine/values.js';
import { SerdesError } from './errors.js';
import { IonTimestamp, IonTyped } from './ion.js';
import type { AvroConverterOptions } from './avro-options.js';

// --- schema ---------------------------------------------------------------------------------------

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

export interface AvroField {
  readonly name: string;
  readonly type: AvroType;
  readonly aliases: readonly string[];
}

export type AvroType =
  | { readonly kind: AvroPrimitive; readonly logicalType?: string; readonly precision?: number; readonly scale?: number }
  | { readonly kind: 'record'; readonly name: string; readonly fullName: string; fields: AvroField[] }
  | { readonly kind: 'enum'; readonly name: string; readonly fullName: string; readonly symbols: readonly string[] }
  | {
      readonly kind: 'fixed';
      readonly name: string;
      readonly fullName: string;
      readonly size: number;
      readonly logicalType?: string;
      readonly precision?: number;
      readonly scale?: number;
    }
  | { readonly kind: 'array'; readonly items: AvroType }
  | { readonly kind: 'map'; readonly values: AvroType }
  | { readonly kind: 'union'; readonly types: readonly AvroType[] };

export type AvroRecordType = Extract<AvroType, { kind: 'record' }>;

const PRIMITIVES = new Set<string>(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function invalidSchema(message: string): SerdesError {
  return new SerdesError('SERDES_BAD_OPTION', `Invalid Avro schema: ${message}`);
}

/** Parses an Avro schema (JSON text or value) into a resolved tree; the top level must be a record. */
export function parseAvroSchema(schema: string | unknown): AvroRecordType {
  let json: unknown = schema;
  if (typeof schema === 'string') {
    try {
      json = JSON.parse(schema);
    } catch (e) {
      throw invalidSchema((e as Error).message);
    }
  }
  const named = new Map<string, AvroType>();
  const top = parseType(json, undefined, named);
  if (top.kind !== 'record') throw invalidSchema(`the top-level type must be a record, got ${top.kind}`);
  return top;
}

function fullNameOf(name: string, namespace: string | undefined): string {
  return name.includes('.') || namespace === undefined || namespace === '' ? name : `${namespace}.${name}`;
}

function logicalAttrs(o: Record<string, unknown>): { logicalType?: string; precision?: number; scale?: number } {
  const out: { logicalType?: string; precision?: number; scale?: number } = {};
  if (typeof o['logicalType'] === 'string') out.logicalType = o['logicalType'];
  if (typeof o['precision'] === 'number') out.precision = o['precision'];
  if (typeof o['scale'] === 'number') out.scale = o['scale'];
  return out;
}

function parseType(json: unknown, namespace: string | undefined, named: Map<string, AvroType>): AvroType {
  if (typeof json === 'string') {
    if (PRIMITIVES.has(json)) return { kind: json as AvroPrimitive };
    const t = named.get(fullNameOf(json, namespace)) ?? named.get(json);
    if (t === undefined) throw invalidSchema(`"${json}" is not a defined name`);
    return t;
  }
  if (Array.isArray(json)) return { kind: 'union', types: json.map((t) => parseType(t, namespace, named)) };
  if (json === null || typeof json !== 'object') throw invalidSchema(`not a schema: ${JSON.stringify(json)}`);
  const o = json as Record<string, unknown>;
  const type = o['type'];
  if (typeof type === 'string' && PRIMITIVES.has(type)) {
    const attrs = logicalAttrs(o);
    if (attrs.logicalType === 'decimal' && (attrs.precision === undefined || attrs.precision < 1))
      throw invalidSchema('a decimal needs a precision of 1 or more');
    return { kind: type as AvroPrimitive, ...attrs };
  }
  if (type === 'array') return { kind: 'array', items: parseType(o['items'], namespace, named) };
  if (type === 'map') return { kind: 'map', values: parseType(o['values'], namespace, named) };
  if (type === 'record' || type === 'error' || type === 'enum' || type === 'fixed') {
    const name = o['name'];
    if (typeof name !== 'string' || name === '') throw invalidSchema(`a ${type} needs a name`);
    const ns = typeof o['namespace'] === 'string' ? o['namespace'] : name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : namespace;
    const fullName = fullNameOf(name, ns);
    if (named.has(fullName)) throw invalidSchema(`Can't redefine: ${fullName}`);
    const short = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
    if (type === 'enum') {
      const symbols = o['symbols'];
      if (!Array.isArray(symbols) || !symbols.every((s) => typeof s === 'string')) throw invalidSchema(`enum ${name} needs symbols`);
      const t: AvroType = { kind: 'enum', name: short, fullName, symbols: symbols };
      named.set(fullName, t);
      return t;
    }
    if (type === 'fixed') {
      const size = o['size'];
      if (typeof size !== 'number') throw invalidSchema(`fixed ${name} needs a size`);
      const t: AvroType = { kind: 'fixed', name: short, fullName, size, ...logicalAttrs(o) };
      named.set(fullName, t);
      return t;
    }
    const record: AvroRecordType = { kind: 'record', name: short, fullName, fields: [] };
    named.set(fullName, record);
    const fields = o['fields'];
    if (!Array.isArray(fields)) throw invalidSchema(`record ${name} needs fields`);
    const seen = new Set<string>();
    for (const f of fields as unknown[]) {
      const field = f as Record<string, unknown>;
      if (typeof field['name'] !== 'string') throw invalidSchema(`a field of ${name} has no name`);
      if (seen.has(field['name'])) throw invalidSchema(`Duplicate field ${field['name']} in record ${name}`);
      seen.add(field['name']);
      const aliases = Array.isArray(field['aliases'])
        ? (field['aliases'] as unknown[]).filter((a): a is string => typeof a === 'string')
        : [];
      record.fields.push({ name: field['name'], type: parseType(field['type'], ns, named), aliases });
    }
    return record;
  }
  if (typeof type === 'object' && type !== null) return parseType(type, namespace, named);
  if (typeof type === 'string') return parseType(type, namespace, named);
  throw invalidSchema(`unknown type ${JSON.stringify(type)}`);
}

/** The name a union branch goes by in Avro's JSON encoding (a primitive's name, or a named type's full name). */
export function branchName(t: AvroType): string {
  switch (t.kind) {
    case 'record':
    case 'enum':
    case 'fixed':
      return t.fullName;
    case 'union':
      return 'union';
    default:
      return t.kind;
  }
}

export function isNullable(t: AvroType): boolean {
  return t.kind === 'null' || (t.kind === 'union' && t.types.some((b) => b.kind === 'null'));
}

/** A union value: which branch, and the datum in it. */
export class AvroBranch {
  constructor(
    readonly index: number,
    readonly value: unknown,
  ) {}
}

// --- java.time helpers ------------------------------------------------------------------------------

let zonesLoaded = false;
/** A java.time zone id (IANA data loaded on first use). */
export function javaZone(id: string): ZoneId {
  if (!zonesLoaded) {
    createRequire(import.meta.url)('@js-joda/timezone');
    zonesLoaded = true;
  }
  try {
    return ZoneId.of(id);
  } catch {
    throw new SerdesError('SERDES_BAD_OPTION', `Unknown time zone '${id}'`);
  }
}

function pattern(p: string, name: string): DateTimeFormatter {
  try {
    return DateTimeFormatter.ofPattern(p).withResolverStyle(ResolverStyle.SMART);
  } catch (e) {
    throw new SerdesError('SERDES_BAD_OPTION', `Invalid ${name} '${p}': ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
}

/** What Kestra's Ion reader makes of a value: a java.time class name, or undefined for other values. */
type Temporal =
  | { cls: 'LocalDate'; v: LocalDate }
  | { cls: 'Instant'; v: Instant }
  | { cls: 'ZonedDateTime' | 'OffsetDateTime'; v: ZonedDateTime }
  | { cls: 'LocalDateTime'; v: LocalDateTime }
  | { cls: 'LocalTime' | 'OffsetTime'; v: LocalTime };

export function temporalOf(value: unknown): Temporal | undefined {
  if (value instanceof IonTimestamp) {
    const t = value.text;
    if (/^\d{4}(-\d{2}(-\d{2})?)?T?$/.test(t)) {
      const [y, m, d] = t.replace(/T$/, '').split('-');
      return { cls: 'LocalDate', v: LocalDate.of(Number(y), Number(m ?? 1), Number(d ?? 1)) };
    }
    const full = t.replace(/T(\d{2}:\d{2})(Z|[+-])/, 'T$1:00$2');
    if (/(Z|[+-]00:00|-00:00)$/.test(full)) {
      const instant = Instant.parse(full.replace(/[+-]00:00$/, 'Z'));
      // Kestra's IonParser: a UTC (or unknown-offset) timestamp at midnight reads as a LocalDate.
      if (instant.epochSecond() % 86400 === 0 && instant.nano() === 0)
        return { cls: 'LocalDate', v: LocalDate.ofEpochDay(Math.floor(instant.epochSecond() / 86400)) };
      return { cls: 'Instant', v: instant };
    }
    return { cls: 'ZonedDateTime', v: ZonedDateTime.parse(full) };
  }
  if (value instanceof IonTyped) {
    try {
      switch (value.annotation) {
        case 'Instant':
          return { cls: 'Instant', v: Instant.parse(value.text) };
        case 'LocalDate':
          return { cls: 'LocalDate', v: LocalDate.parse(value.text) };
        case 'LocalDateTime':
          return { cls: 'LocalDateTime', v: LocalDateTime.parse(value.text) };
        case 'OffsetDateTime':
          return { cls: 'OffsetDateTime', v: OffsetDateTime.parse(value.text).toZonedDateTime() };
        case 'ZonedDateTime':
          return { cls: 'ZonedDateTime', v: ZonedDateTime.parse(value.text.replace(/\[.*\]$/, '')) };
        case 'LocalTime':
          return { cls: 'LocalTime', v: LocalTime.parse(value.text) };
        case 'OffsetTime':
          return { cls: 'OffsetTime', v: LocalTime.parse(value.text.replace(/(Z|[+-]\d{2}:\d{2})$/, '')) };
        default:
          return undefined;
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Java's simple class name of an Ion value, for messages and inference. */
export function javaClassOf(value: unknown): string {
  if (value instanceof Uint8Array) return 'byte[]';
  if (value instanceof JFloat) return 'Float';
  if (value instanceof JBigDecimal) return 'BigDecimal';
  if (value instanceof JBigInteger) return 'BigInteger';
  const t = temporalOf(value);
  if (t !== undefined) return t.cls;
  if (isList(value)) return 'List';
  if (isMap(value)) return 'Map';
  return javaClassName(value)
    .replace(/^java\.lang\./, '')
    .replace(/^java\.util\./, '');
}

// --- decimals ---------------------------------------------------------------------------------------

interface Dec {
  unscaled: bigint;
  scale: number;
}

function parseDecimalText(text: string): Dec {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) throw new Error(`Character array is missing "exponent" mark 'e' or 'E'.`);
  const frac = m[3] ?? '';
  let unscaled = BigInt(`${m[2] ?? ''}${frac}` || '0');
  if (m[1] === '-') unscaled = -unscaled;
  return { unscaled, scale: frac.length - Number(m[4] ?? '0') };
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** BigDecimal.setScale with HALF_EVEN (or HALF_UP) rounding. */
function setScale(d: Dec, scale: number, mode: 'HALF_EVEN' | 'HALF_UP' = 'HALF_EVEN'): Dec {
  if (scale >= d.scale) return { unscaled: d.unscaled * pow10(scale - d.scale), scale };
  const div = pow10(d.scale - scale);
  const neg = d.unscaled < 0n;
  const abs = neg ? -d.unscaled : d.unscaled;
  let q = abs / div;
  const r = abs % div;
  const twice = r * 2n;
  if (twice > div || (twice === div && (mode === 'HALF_UP' || q % 2n === 1n))) q += 1n;
  return { unscaled: neg ? -q : q, scale };
}

function digits(v: bigint): number {
  return (v < 0n ? -v : v).toString().length;
}

/** `new BigDecimal(double, new MathContext(precision))`: the double's exact value rounded HALF_UP. */
function decimalOfDouble(d: number, precision: number): Dec {
  if (!Number.isFinite(d)) throw new Error('Infinite or NaN');
  if (d === 0) return { unscaled: 0n, scale: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, d);
  const bits = buf.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  if (exp !== 0) mant |= 1n << 52n;
  const e = (exp === 0 ? 1 : exp) - 1075;
  let exact: Dec = e >= 0 ? { unscaled: mant << BigInt(e), scale: 0 } : { unscaled: mant * 5n ** BigInt(-e), scale: -e };
  if (d < 0) exact = { unscaled: -exact.unscaled, scale: exact.scale };
  const extra = digits(exact.unscaled) - precision;
  return extra > 0 ? setScale(exact, exact.scale - extra, 'HALF_UP') : exact;
}

/** Two's complement big-endian bytes of `v` (Java's BigInteger.toByteArray), padded to `size` when given. */
export function bigIntBytes(v: bigint, size?: number): Uint8Array {
  const width = Math.ceil((v < 0n ? -v : v).toString(2).length / 8) + 1;
  const hex = BigInt.asUintN(width * 8, v)
    .toString(16)
    .padStart(width * 2, '0');
  let bytes = Buffer.from(hex, 'hex');
  // the shortest two's complement form: drop leading sign bytes while the next byte keeps the sign
  const fill = v < 0n ? 0xff : 0x00;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === fill && ((bytes[start + 1] ?? 0) & 0x80) === (fill & 0x80)) start++;
  bytes = bytes.subarray(start);
  if (size !== undefined) {
    if (bytes.length > size) throw new Error(`Cannot encode decimal with precision ${digits(v)} as max precision of ${size} bytes`);
    const out = Buffer.alloc(size, fill);
    bytes.copy(out, size - bytes.length);
    return new Uint8Array(out);
  }
  return new Uint8Array(bytes);
}

export function bigIntFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  const v = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  return BigInt.asIntN(bytes.length * 8, v);
}

// --- Ion → Avro (AvroConverter) --------------------------------------------------------------------

export { AVRO_CONVERTER_DEFAULTS, type AvroConverterOptions, type OnBadLines, systemZoneId } from './avro-options.js';

/** A cell that cannot take its schema type (Kestra's IllegalCellConversion). */
class CellError extends Error {}

/** Jackson-like short JSON of a row for messages, cut at 250 characters as Kestra's trimExceptionMessage does. */
export function trimmed(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint'
        ? Number(v)
        : v instanceof Uint8Array
          ? Buffer.from(v).toString('base64')
          : v instanceof JDouble
            ? v.value
            : v instanceof IonTimestamp || v instanceof IonTyped
              ? v.text
              : v,
    );
  } catch {
    s = toJavaString(value);
  }
  return s.length > 250 ? `${s.slice(0, 250)} ...` : s;
}

function typeText(t: AvroType): string {
  if (t.kind === 'union') return `[${t.types.map(typeText).join(',')}]`;
  if ('logicalType' in t && t.logicalType !== undefined) return `${t.kind}(${t.logicalType})`;
  return 'fullName' in t ? t.fullName : t.kind;
}

function javaInteger(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : undefined;
}

function javaLong(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v) && (v < -2147483648 || v > 2147483647)) return BigInt(v);
  return undefined;
}

function javaDouble(v: unknown): number | undefined {
  if (v instanceof JFloat || v instanceof JBigDecimal || v instanceof JBigInteger) return undefined;
  if (v instanceof JDouble) return v.value;
  if (typeof v === 'number' && !Number.isInteger(v)) return v;
  return undefined;
}

function cce(value: unknown, target: string): CellError {
  return new CellError(`class ${javaClassOf(value)} cannot be cast to class ${target}`);
}

const JAVA_INT = /^[+-]?\d+$/;

function parseJavaInt(s: string, bits: 32 | 64): bigint {
  if (!JAVA_INT.test(s)) throw new CellError(`For input string: "${s}"`);
  const v = BigInt(s);
  const lim = bits === 32 ? 2n ** 31n : 2n ** 63n;
  if (v < -lim || v >= lim) throw new CellError(`For input string: "${s}"${bits === 32 ? '' : ''}`);
  return v;
}

/** Java's Double.valueOf / Float.valueOf text rules (trimmed, optional f/d suffix, NaN, Infinity). */
function parseJavaFloating(s: string): number {
  const t = s.trim();
  if (/^[+-]?(NaN|Infinity)$/.test(t)) return Number(t.replace('+', ''));
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/.test(t)) throw new CellError(`For input string: "${s}"`);
  return Number(t.replace(/[fFdD]$/, ''));
}

export class AvroConverter {
  private readonly dateFormatter: DateTimeFormatter;
  private readonly timeFormatter: DateTimeFormatter;
  private readonly datetimeFormatter: DateTimeFormatter;
  private readonly zoneId: ZoneId;
  private readonly trueSet: Set<string>;
  private readonly falseSet: Set<string>;
  private readonly nullSet: Set<string>;
  /** WARN messages of the fields set to null (Kestra prints them to stderr); the task logs them. */
  readonly warnings: string[] = [];

  constructor(
    readonly schema: AvroRecordType,
    readonly options: AvroConverterOptions,
  ) {
    this.dateFormatter = pattern(options.dateFormat, 'dateFormat');
    this.timeFormatter = pattern(options.timeFormat, 'timeFormat');
    this.datetimeFormatter = pattern(options.datetimeFormat, 'datetimeFormat');
    this.zoneId = javaZone(options.timeZoneId);
    const lower = (l: readonly string[]): Set<string> => new Set(l.map((s) => s.toLowerCase()));
    this.trueSet = lower(options.trueValues);
    this.falseSet = lower(options.falseValues);
    this.nullSet = lower(options.nullValues);
  }

  /** One Ion row to an Avro record datum (AbstractAvroConverter.convertToAvro); throws a SerdesError for a bad row. */
  convertRow(row: unknown): Record<string, unknown> {
    const schema = this.schema;
    try {
      if (isList(row)) {
        const only = schema.fields.length === 1 ? schema.fields[0] : undefined;
        if (only !== undefined && only.type.kind === 'array') {
          const m = newMap();
          m[only.name] = row;
          return this.fromMap(schema, m, undefined);
        }
        return this.fromArray(schema, row);
      }
      if (isMap(row)) {
        const keys = Object.keys(row);
        if (keys.length > 0 && keys.every((k) => /^col\d+$/.test(k))) {
          if (this.options.strictSchema && keys.length > schema.fields.length) throw this.strictError(keys, Object.values(row));
          const positional = schema.fields.map((_f, i) => (Object.hasOwn(row, `col${i}`) ? row[`col${i}`] : null));
          return this.fromArray(schema, positional);
        }
        return this.fromMap(schema, row, undefined);
      }
      throw new Error(`Unable to convert row of type: ${javaClassOf(row)}`);
    } catch (e) {
      if (e instanceof SerdesError) throw e;
      throw new SerdesError('SERDES_BAD_INPUT', `Invalid row: ${(e as Error).message} with data [${trimmed(row)}]`, { cause: e });
    }
  }

  private strictError(fields: readonly string[], values: readonly unknown[]): SerdesError {
    return new SerdesError(
      'SERDES_BAD_INPUT',
      `Data contains more fields than schema : on row with ${fields.length} Fields [${trimmed(fields)}], ${values.length} Values [${trimmed(values)}] and Schema [${this.schema.fullName}].`,
    );
  }

  private fromArray(schema: AvroRecordType, data: readonly unknown[]): Record<string, unknown> {
    const map = newMap();
    schema.fields.forEach((f, i) => (map[f.name] = i < data.length ? data[i] : null));
    if (this.options.strictSchema && schema.fields.length < data.length) {
      if (this.options.onBadLines === 'ERROR') throw this.strictError(Object.keys(map), data);
      if (this.options.onBadLines === 'WARN')
        this.warnings.push(`Data contains more fields than schema: expected ${schema.fields.length}, got ${data.length}`);
    }
    return this.fromMap(schema, map, undefined);
  }

  private fromMap(schema: AvroRecordType, data: Record<string, unknown>, parent: string | undefined): Record<string, unknown> {
    const record = newMap();
    for (const field of schema.fields) {
      const path = parent === undefined ? field.name : `${parent}.${field.name}`;
      let value = data[field.name];
      if ((value === null || value === undefined) && field.aliases.length > 0) {
        for (const a of field.aliases) {
          if (data[a] !== null && data[a] !== undefined) {
            value = data[a];
            break;
          }
        }
      }
      try {
        record[field.name] = this.convert(field.type, value ?? null, path);
      } catch (e) {
        if (this.options.onBadLines === 'ERROR')
          throw new SerdesError(
            'SERDES_BAD_INPUT',
            `Invalid row on field '${field.name}': ${(e as Error).message} on cols with data [${trimmed(value ?? null)}] and schema [${typeText(field.type)}] with data [${trimmed(data)}]`,
            { cause: e },
          );
        if (this.options.onBadLines === 'WARN') this.warnings.push(`Conversion error for field '${field.name}': ${(e as Error).message}`);
        record[field.name] = null;
      }
    }
    if (this.options.strictSchema && schema.fields.length < Object.keys(data).length) {
      if (this.options.onBadLines === 'ERROR')
        throw this.strictError(
          schema.fields.map((f) => f.name),
          Object.values(data),
        );
      if (this.options.onBadLines === 'WARN')
        this.warnings.push(`Data contains more fields than schema: expected ${schema.fields.length}, got ${Object.keys(data).length}`);
    }
    return record;
  }

  /** AvroConverter.convert: one value to one schema type. */
  convert(schema: AvroType, data: unknown, path: string): unknown {
    if (this.options.inferAllFields && typeof data === 'string') {
      const l = data.toLowerCase();
      if (this.nullSet.has(l)) return null;
      if (this.trueSet.has(l)) return true;
      if (this.falseSet.has(l)) return false;
    }
    const logical = 'logicalType' in schema ? schema.logicalType : undefined;
    if (logical !== undefined && schema.kind !== 'union') {
      switch (logical) {
        case 'decimal':
          return this.logicalDecimal(schema, data);
        case 'uuid':
          return this.logicalUuid(data);
        case 'date':
          return this.logicalDate(data).toEpochDay();
        case 'time-millis':
          return Math.floor(this.logicalTime(data).toNanoOfDay() / 1e6);
        case 'time-micros':
          return BigInt(Math.floor(this.logicalTime(data).toNanoOfDay() / 1e3));
        case 'timestamp-millis':
          return BigInt(this.logicalTimestamp(data, 'millis').toEpochMilli());
        case 'timestamp-micros':
          return microsOf(this.logicalTimestamp(data, 'micros'));
        case 'local-timestamp-millis':
          return BigInt(localAsUtc(this.logicalTimestamp(data, 'millis'), this.zoneId).toEpochMilli());
        case 'local-timestamp-micros':
          return microsOf(localAsUtc(this.logicalTimestamp(data, 'micros'), this.zoneId));
        default:
          break; // an unknown logical type is the underlying type, as in Avro
      }
    }
    switch (schema.kind) {
      case 'record':
        if (!isMap(data)) throw cce(data, 'java.util.Map');
        return this.fromMap(schema, data, path);
      case 'array': {
        if (!isList(data)) throw cce(data, 'java.util.Collection');
        return data.map((item, i) => this.convert(schema.items, item, `${path}[${i}]`));
      }
      case 'map': {
        if (!isMap(data)) throw cce(data, 'java.util.Map');
        const out = newMap();
        for (const k of Object.keys(data)) out[k] = this.convert(schema.values, data[k], `${path}[${k}]`);
        return out;
      }
      case 'union':
        for (let i = 0; i < schema.types.length; i++) {
          const branch = schema.types[i] as AvroType;
          // the null branch takes only null values: checked here rather than by a thrown error (costly per row)
          if (branch.kind === 'null') {
            if (data === null || data === undefined || (typeof data === 'string' && this.nullSet.has(data.toLowerCase()))) return null;
            continue;
          }
          try {
            const v = this.convert(branch, data, path);
            return new AvroBranch(i, v);
          } catch {
            // next branch
          }
        }
        throw new CellError(`Invalid data for schema "UNION"`);
      case 'fixed': {
        const bytes = this.primitiveBytes(data);
        if (bytes.length !== schema.size)
          throw new CellError(`Invalid length for fixed size, found ${bytes.length}, expexted ${schema.size}`);
        return bytes;
      }
      case 'enum': {
        const v = toJavaString(data);
        if (!schema.symbols.includes(v)) throw new CellError(`Invalid enum value, found ${v}, expected [${schema.symbols.join(', ')}]`);
        return v;
      }
      case 'null':
        if (data === null || data === undefined || (typeof data === 'string' && this.nullSet.has(data.toLowerCase()))) return null;
        throw new CellError(`Unknown type for null values, found ${javaClassOf(data)}`);
      case 'int': {
        if (typeof data === 'string') return Number(parseJavaInt(data, 32));
        const i = javaInteger(data);
        if (i === undefined) throw cce(data, 'java.lang.Integer');
        return i;
      }
      case 'long': {
        if (typeof data === 'string') return parseJavaInt(data, 64);
        const i = javaInteger(data);
        if (i !== undefined) return BigInt(i);
        if (data instanceof JBigInteger) return BigInt.asIntN(64, data.big);
        const l = javaLong(data);
        if (l === undefined) throw cce(data, 'java.lang.Long');
        return l;
      }
      case 'float': {
        if (typeof data === 'string') return Math.fround(parseJavaFloating(this.separator(data)));
        const i = javaInteger(data);
        if (i !== undefined) return Math.fround(i);
        if (data instanceof JFloat) return Math.fround(data.value);
        const d = javaDouble(data);
        if (d === undefined) throw cce(data, 'java.lang.Float');
        return Math.fround(d);
      }
      case 'double': {
        if (typeof data === 'string') return parseJavaFloating(this.separator(data));
        const i = javaInteger(data);
        if (i !== undefined) return i;
        if (data instanceof JFloat) return Math.fround(data.value);
        const d = javaDouble(data);
        if (d === undefined) throw cce(data, 'java.lang.Double');
        return d;
      }
      case 'boolean': {
        if (typeof data === 'string' && this.trueSet.has(data.toLowerCase())) return true;
        if (typeof data === 'string' && this.falseSet.has(data.toLowerCase())) return false;
        if (data === 1) return true;
        if (data === 0) return false;
        if (typeof data !== 'boolean') throw cce(data, 'java.lang.Boolean');
        return data;
      }
      case 'string':
        return this.primitiveString(data);
      case 'bytes':
        return this.primitiveBytes(data);
      default:
        throw new CellError(`Invalid schema "${(schema as { kind: string }).kind}"`);
    }
  }

  private separator(s: string): string {
    return this.options.decimalSeparator === '.' ? s : s.replace(this.options.decimalSeparator, '.');
  }

  private primitiveString(data: unknown): string {
    if (data === null || data === undefined) throw new CellError('null value for a string');
    const t = temporalOf(data);
    if (t !== undefined) return t.v.toString();
    return toJavaString(data);
  }

  private primitiveBytes(data: unknown): Uint8Array {
    if (data instanceof Uint8Array) return data;
    return new Uint8Array(Buffer.from(this.primitiveString(data), 'utf8'));
  }

  private logicalDecimal(schema: AvroType, data: unknown): Uint8Array {
    const scale = ('scale' in schema ? schema.scale : undefined) ?? 0;
    const precision = ('precision' in schema ? schema.precision : undefined) ?? 1;
    let value: Dec;
    if (typeof data === 'string') value = parseDecimalText(this.separator(data));
    else if (data instanceof JBigDecimal) value = { unscaled: data.unscaled, scale: data.scale };
    else if (data instanceof JFloat) value = decimalOfDouble(Math.fround(data.value), precision);
    else if (javaInteger(data) !== undefined || javaLong(data) !== undefined) {
      // Kestra's logicalDecimal: an Integer or Long is multiplied by 10^(precision - scale) and read with `scale`.
      const n = Number(data);
      const multiplied = n * 10 ** (precision - scale);
      const truncated = javaInteger(data) !== undefined ? Math.trunc(multiplied) | 0 : Math.trunc(multiplied);
      value = { unscaled: BigInt(truncated), scale };
    } else {
      const d = javaDouble(data);
      if (d === undefined) throw cce(data, 'java.math.BigDecimal');
      value = decimalOfDouble(d, precision);
    }
    const scaled = setScale(value, scale);
    return bigIntBytes(scaled.unscaled, schema.kind === 'fixed' ? schema.size : undefined);
  }

  private logicalUuid(data: unknown): string {
    if (typeof data !== 'string') throw cce(data, 'java.util.UUID');
    if (!/^[0-9a-fA-F]{1,8}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,4}-[0-9a-fA-F]{1,12}$/.test(data))
      throw new CellError(`Invalid UUID string: ${data}`);
    return data;
  }

  private logicalDate(data: unknown): LocalDate {
    if (typeof data === 'string') return parseWith(() => LocalDate.parse(data, this.dateFormatter), data);
    const t = temporalOf(data);
    if (t === undefined) throw cce(data, 'java.time.LocalDate');
    switch (t.cls) {
      case 'LocalDate':
        return t.v;
      case 'Instant':
        return t.v.atZone(this.zoneId).toLocalDate();
      case 'ZonedDateTime':
      case 'OffsetDateTime':
      case 'LocalDateTime':
        return t.v.toLocalDate();
      default:
        throw cce(data, 'java.time.LocalDate');
    }
  }

  private logicalTime(data: unknown): LocalTime {
    if (typeof data === 'string') return parseWith(() => LocalTime.parse(data, this.timeFormatter), data);
    const t = temporalOf(data);
    if (t === undefined || (t.cls !== 'LocalTime' && t.cls !== 'OffsetTime')) throw cce(data, 'java.time.LocalTime');
    return t.v;
  }

  private logicalTimestamp(data: unknown, unit: 'millis' | 'micros'): Instant {
    if (typeof data === 'string') {
      if (JAVA_INT.test(data)) {
        const n = parseJavaInt(data, 64);
        return unit === 'millis' ? Instant.ofEpochMilli(Number(n)) : instantOfMicros(n);
      }
      return this.parseDateTime(data);
    }
    const l = javaLong(data);
    if (l !== undefined) return unit === 'millis' ? Instant.ofEpochMilli(Number(l)) : instantOfMicros(l);
    const t = temporalOf(data);
    if (t === undefined) throw cce(data, 'java.time.Instant');
    switch (t.cls) {
      case 'Instant':
        return t.v;
      case 'LocalDateTime':
        return t.v.atZone(this.zoneId).toInstant();
      case 'ZonedDateTime':
      case 'OffsetDateTime':
        return t.v.toInstant();
      default:
        throw cce(data, 'java.time.Instant');
    }
  }

  private parseDateTime(data: string): Instant {
    try {
      return ZonedDateTime.parse(data, this.datetimeFormatter).toInstant();
    } catch {
      return parseWith(() => LocalDateTime.parse(data, this.datetimeFormatter), data)
        .atZone(this.zoneId)
        .toInstant();
    }
  }
}

function parseWith<T>(parse: () => T, data: string): T {
  try {
    return parse();
  } catch (e) {
    throw new CellError(`Text '${data}' could not be parsed: ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
}

function instantOfMicros(micros: bigint): Instant {
  const sec = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
  const rem = micros - sec * 1_000_000n;
  return Instant.ofEpochSecond(Number(sec), Number(rem) * 1000);
}

function microsOf(i: Instant): bigint {
  return BigInt(i.epochSecond()) * 1_000_000n + BigInt(Math.floor(i.nano() / 1000));
}

/** `instant.atZone(zone).toLocalDateTime()` read back as if it were UTC (how Avro stores a local timestamp). */
function localAsUtc(i: Instant, z: ZoneId): Instant {
  return i.atZone(z).toLocalDateTime().toInstant(ZoneOffset.UTC);
}

// --- Avro → Ion (AvroDeserializer) -------------------------------------------------------------------

/** ISO_LOCAL_TIME as Java prints it: seconds always, the fraction without trailing zeros. */
function isoLocalTime(nanoOfDay: bigint): string {
  const totalSec = nanoOfDay / 1_000_000_000n;
  const nano = Number(nanoOfDay % 1_000_000_000n);
  const h = Number(totalSec / 3600n);
  const m = Number((totalSec / 60n) % 60n);
  const s = Number(totalSec % 60n);
  const p = (n: number): string => String(n).padStart(2, '0');
  const frac = nano === 0 ? '' : `.${String(nano).padStart(9, '0').replace(/0+$/, '')}`;
  return `${p(h)}:${p(m)}:${p(s)}${frac}`;
}

function isoDate(epochDay: number): string {
  return LocalDate.ofEpochDay(epochDay).toString();
}

function toBig(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(v as number);
}

/** An Ion UTC timestamp in milliseconds, as Kestra writes an Instant (`Timestamp.forDateZ`). */
function instantTimestamp(millis: bigint): IonTimestamp {
  const d = new Date(Number(millis));
  return new IonTimestamp(d.toISOString());
}

function localDateTimeText(epochMicrosUtc: bigint): string {
  const days = epochMicrosUtc / 86_400_000_000n - (epochMicrosUtc % 86_400_000_000n < 0n ? 1n : 0n);
  const micros = epochMicrosUtc - days * 86_400_000_000n;
  return `${isoDate(Number(days))}T${isoLocalTime(micros * 1000n)}`;
}

/**
 * An Avro datum (as decoded: unions resolved to `AvroBranch` or plain when the reader knows the branch,
 * longs as bigint or number) to Kestra's Ion values. A null where the type is not nullable throws.
 */
export function fromAvro(value: unknown, t: AvroType): unknown {
  if (value instanceof AvroBranch) {
    if (t.kind !== 'union') throw new Error(`a union value for a ${t.kind}`);
    return fromAvro(value.value, t.types[value.index] as AvroType);
  }
  if (value === null || value === undefined) {
    if (isNullable(t)) return null;
    throw new Error(`value is null but the schema type is not nullable: ${typeText(t)}`);
  }
  const logical = 'logicalType' in t ? t.logicalType : undefined;
  switch (logical) {
    case 'date':
      return new IonTimestamp(isoDate(Number(value)));
    case 'decimal': {
      const scale = ('scale' in t ? t.scale : undefined) ?? 0;
      const unscaled = value instanceof Uint8Array ? bigIntFromBytes(value) : toBig(value);
      return new JBigDecimal(unscaled, scale);
    }
    case 'time-millis':
      return new IonTyped('LocalTime', isoLocalTime(toBig(value) * 1_000_000n));
    case 'time-micros':
      return new IonTyped('LocalTime', isoLocalTime(toBig(value) * 1000n));
    case 'timestamp-millis':
      return instantTimestamp(toBig(value));
    case 'timestamp-micros': {
      const micros = toBig(value);
      return instantTimestamp(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n));
    }
    case 'local-timestamp-millis':
      return new IonTyped('LocalDateTime', localDateTimeText(toBig(value) * 1000n));
    case 'local-timestamp-micros':
      return new IonTyped('LocalDateTime', localDateTimeText(toBig(value)));
    case 'uuid':
      return String(value);
    default:
      break;
  }
  switch (t.kind) {
    case 'union': {
      // A decoder that did not wrap the union: the first non-null branch that takes the value.
      for (const b of t.types) {
        if (b.kind === 'null') continue;
        try {
          return fromAvro(value, b);
        } catch {
          // next
        }
      }
      throw new Error(`Unable to deserialize objet ${String(value)} with schema ${typeText(t)}`);
    }
    case 'record': {
      if (!isMap(value) && (typeof value !== 'object' || value === null)) throw new Error(`not a record: ${String(value)}`);
      const src = value as Record<string, unknown>;
      const out = newMap();
      for (const f of t.fields) out[f.name] = fromAvro(src[f.name], f.type);
      return out;
    }
    case 'map': {
      const src: Record<string, unknown> =
        value instanceof Map ? Object.fromEntries(value as Map<string, unknown>) : (value as Record<string, unknown>);
      const out = newMap();
      for (const k of Object.keys(src)) out[k] = fromAvro(src[k], t.values);
      return out;
    }
    case 'array':
      if (!Array.isArray(value)) throw new Error(`not an array: ${String(value)}`);
      return value.map((v) => fromAvro(v, t.items));
    case 'enum':
    case 'string':
      if (typeof value !== 'string') throw new Error(`not a string: ${String(value)}`);
      return value;
    case 'fixed':
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw new Error(`not bytes: ${String(value)}`);
      return new Uint8Array(value);
    case 'int':
      if (typeof value !== 'number') throw new Error(`not an int: ${String(value)}`);
      return value;
    case 'long': {
      const b = toBig(value);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    case 'float':
      return new JFloat(Number(value));
    case 'double':
      return makeDouble(Number(value));
    case 'boolean':
      if (typeof value !== 'boolean') throw new Error(`not a boolean: ${String(value)}`);
      return value;
    case 'null':
      throw new Error(`Non-null value for null-typed field: ${String(value)}`);
    default:
      return value;
  }
}

/** The row Kestra writes for a record: its fields in order, or the bare list of a `root`/`value` wrapper. */
export function recordToIon(value: unknown, schema: AvroRecordType): unknown {
  const only = schema.fields[0];
  if (schema.name === 'root' && schema.fields.length === 1 && only !== undefined && only.name === 'value' && only.type.kind === 'array') {
    return fromAvro((value as Record<string, unknown>)['value'], only.type);
  }
  return fromAvro(value, schema);
}

// --- InferAvroSchema ------------------------------------------------------------------------------

/** An inferred field as Avro's JSON (name, type, and doc/default for the nullable primitives). */
export interface InferField {
  name: string;
  type: unknown; // schema JSON
  doc?: string;
  hasDefault?: boolean;
}

const NS = 'io.kestra.plugin.serdes.avro';

function typeOfJson(t: unknown): string {
  if (Array.isArray(t)) return 'union';
  if (typeof t === 'string') return t;
  return String((t as Record<string, unknown>)['type']);
}

export class AvroSchemaInferrer {
  private readonly known = new Map<string, InferField>();
  private merged: InferField | undefined;

  constructor(readonly rowsToScan: number) {
    if (rowsToScan < 1) throw new SerdesError('SERDES_BAD_OPTION', 'Number of rows to scan must be greater than 0');
  }

  add(row: unknown): void {
    const f = this.inferField('.', 'root', row);
    this.merged = this.merged === undefined ? f : mergeTypes(this.merged, f);
  }

  /** The schema JSON (as Avro's `Schema.toString()`); fails on an empty input as Kestra does. */
  schema(): Record<string, unknown> {
    if (this.merged === undefined)
      throw new SerdesError(
        'SERDES_BAD_INPUT',
        'Cannot infer Avro schema from ION input: the file appears to be empty or contains no valid records.',
      );
    const t = this.merged.type;
    if (typeOfJson(t) !== 'record')
      throw new SerdesError('SERDES_BAD_INPUT', `Cannot infer an Avro record from rows of type ${typeOfJson(t)}`);
    return t as Record<string, unknown>;
  }

  private inferField(path: string, name: string, node: unknown): InferField {
    let field: InferField;
    const prim = (t: unknown): InferField => ({ name, type: ['null', t], doc: '', hasDefault: true });
    if (isMap(node)) {
      const fields = Object.keys(node).map((k) => this.inferField(`${path}_${name}_${k}`, k, node[k]));
      const record = { type: 'record', name, namespace: NS, fields: fields.map(fieldJson) };
      field = { name, type: name === 'root' ? record : [record, 'null'] };
    } else if (isList(node)) {
      if (node.length > 0) {
        let inner: InferField | undefined;
        for (const item of node) inner = this.inferField(`${path}_${name}_items`, `${name}_items`, item);
        const array = { type: 'array', items: (inner as InferField).type };
        field =
          name === 'root'
            ? { name, type: { type: 'record', name, namespace: NS, fields: [{ name: 'value', type: array, doc: '' }] } }
            : { name, type: [array, 'null'] };
      } else field = { name, type: [{ type: 'array', items: 'string' }, 'null'] };
    } else if (node instanceof Uint8Array) field = prim('bytes');
    else if (typeof node === 'string' || node instanceof JBigDecimal) field = prim('string');
    else if (javaInteger(node) !== undefined) field = prim('int');
    else if (node instanceof JFloat) field = prim('float');
    else if (javaDouble(node) !== undefined) field = prim('double');
    else if (typeof node === 'boolean') field = prim('boolean');
    else if (node === null || node === undefined) field = { name, type: 'null' };
    else {
      const t = temporalOf(node);
      if (t === undefined) throw new SerdesError('SERDES_BAD_INPUT', `Unhandled node ${path} with content: ${toJavaString(node)}`);
      if (t.cls === 'LocalDate') field = prim({ type: 'int', logicalType: 'date' });
      else if (t.cls === 'LocalTime' || t.cls === 'OffsetTime') field = prim({ type: 'int', logicalType: 'time-millis' });
      else field = prim({ type: 'long', logicalType: 'local-timestamp-millis' });
    }
    const known = this.known.get(path);
    const result = known === undefined ? field : mergeTypes(field, known);
    this.known.set(path, result);
    return result;
  }
}

function fieldJson(f: InferField): Record<string, unknown> {
  const out: Record<string, unknown> = { name: f.name, type: f.type };
  if (f.doc !== undefined) out['doc'] = f.doc;
  if (f.hasDefault === true) out['default'] = null;
  return out;
}

function jsonKey(t: unknown): string {
  return JSON.stringify(t);
}

/** InferAvroSchema.mergeTypes: the most precise type that takes both. */
export function mergeTypes(a: InferField, b: InferField): InferField {
  const ta = typeOfJson(a.type);
  const tb = typeOfJson(b.type);
  if (ta === 'union' || tb === 'union') {
    const set = new Map<string, unknown>();
    for (const t of ta === 'union' ? (a.type as unknown[]) : [a.type]) set.set(jsonKey(t), t);
    for (const t of tb === 'union' ? (b.type as unknown[]) : [b.type]) set.set(jsonKey(t), t);
    let members = [...set.values()];
    const records = members.filter((t) => typeOfJson(t) === 'record');
    const arrays = members.filter((t) => typeOfJson(t) === 'array');
    if (records.length > 1) {
      members = members.filter((t) => typeOfJson(t) !== 'record');
      members.push(mergeRecords({ name: 'tmp', type: records[0] }, { name: 'tmp2', type: records[1] }).type);
    } else if (arrays.length > 1) {
      members = members.filter((t) => typeOfJson(t) !== 'array');
      members.push(mergeTypes({ name: 'tmp', type: arrays[0] }, { name: 'tmp2', type: arrays[1] }).type);
    }
    return { ...a, type: members };
  }
  if (ta === 'record' || tb === 'record') {
    if (ta === 'record' && tb === 'record') return mergeRecords(a, b);
    throw new SerdesError(
      'SERDES_BAD_INPUT',
      `Unhandled merging a Record with a type different than record, a:${ta.toUpperCase()}, b:${tb.toUpperCase()}`,
    );
  }
  if (ta === 'array' && tb === 'array') {
    const ia = (a.type as Record<string, unknown>)['items'];
    const ib = (b.type as Record<string, unknown>)['items'];
    if (jsonKey(ia) === jsonKey(ib)) return a;
    return a; // Avro compares array types by type only (ARRAY == ARRAY)
  }
  if (ta === tb) return a;
  return { ...a, type: [a.type, b.type] };
}

function mergeRecords(a: InferField, b: InferField): InferField {
  const ra = a.type as { name: string; namespace?: string; fields: Record<string, unknown>[] };
  const rb = b.type as { fields: Record<string, unknown>[] };
  const names = new Set([...ra.fields.map((f) => f['name'] as string), ...rb.fields.map((f) => f['name'] as string)]);
  const fields: Record<string, unknown>[] = [];
  const asField = (f: Record<string, unknown>): InferField => ({
    name: f['name'] as string,
    type: f['type'],
    ...(f['doc'] !== undefined ? { doc: f['doc'] as string } : {}),
    ...(Object.hasOwn(f, 'default') ? { hasDefault: true } : {}),
  });
  for (const n of names) {
    const fa = ra.fields.find((f) => f['name'] === n);
    const fb = rb.fields.find((f) => f['name'] === n);
    // Kestra recreates the merged fields with name and schema only (no doc, no default).
    const merged =
      fa !== undefined && fb !== undefined ? mergeTypes(asField(fa), asField(fb)) : asField((fa ?? fb) as Record<string, unknown>);
    fields.push({ name: merged.name, type: merged.type });
  }
  return { ...a, type: { type: 'record', name: ra.name, ...(ra.namespace !== undefined ? { namespace: ra.namespace } : {}), fields } };
}
