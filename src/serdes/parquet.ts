/**
 * Parquet ⇄ Ion as Kestra does it (through parquet-avro: an Avro schema gives the columns, the Avro
 * converter the values), on `hyparquet` (reader) and `hyparquet-writer` (writer): pure JS, 1.5 MB
 * together, Node 20, no native code. `@dsnp/parquetjs` was the other candidate: it needs Node 24 and
 * brings the AWS SDK, thrift and wasm codecs. hyparquet decodes DECIMAL to a JS number (lossy), so the
 * reader here asks for the physical values (leaf annotations removed) and converts them itself from the
 * Avro schema parquet-avro stores in the file (`parquet.avro.schema`), or from the Parquet annotations.
 *
 * Writing buffers one row group (up to `rowGroupSize` estimated bytes) then writes it, so memory is
 * bounded by the row group; reading goes one row group at a time.
 */
import * as zlib from 'node:zlib';
import { SerdesError } from './errors.js';
import { type Logger, FileSink, ionValues } from './convert.js';
import { toIonLine } from './ion.js';
import {
  AvroBranch,
  AvroConverter,
  type AvroConverterOptions,
  type AvroRecordType,
  type AvroType,
  bigIntFromBytes,
  parseAvroSchema,
  recordToIon,
} from './avro-model.js';

/** The parts of hyparquet / hyparquet-writer used here. */
export interface HyparquetModule {
  parquetMetadataAsync(file: unknown): Promise<ParquetMetadata>;
  parquetReadObjects(options: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  asyncBufferFromFile?(path: string): Promise<unknown>;
  snappyUncompress(input: Uint8Array, output: Uint8Array): void;
}
export interface HyparquetWriterModule {
  ParquetWriter: new (options: Record<string, unknown>) => {
    write(options: Record<string, unknown>): void | Promise<void>;
    finish(): void | Promise<void>;
  };
  fileWriter(path: string): unknown;
}
interface SchemaElement {
  name: string;
  type?: string;
  type_length?: number;
  repetition_type?: string;
  converted_type?: string;
  logical_type?: Record<string, unknown>;
  num_children?: number;
  scale?: number;
  precision?: number;
}
interface ParquetMetadata {
  schema: SchemaElement[];
  row_groups: { num_rows: bigint }[];
  key_value_metadata?: { key: string; value?: string }[];
  [k: string]: unknown;
}

export type ParquetCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'ZSTD';

export interface IonToParquetOptions {
  readonly compressionCodec: ParquetCodec;
  readonly rowGroupSize: number;
  readonly pageSize: number;
  readonly dictionaryPageSize: number;
}

export const ION_TO_PARQUET_DEFAULTS: IonToParquetOptions = {
  compressionCodec: 'GZIP',
  rowGroupSize: 128 * 1024 * 1024,
  pageSize: 1024 * 1024,
  dictionaryPageSize: 1024 * 1024,
};

// --- Avro schema → Parquet schema (parquet-avro's AvroSchemaConverter) --------------------------------

function unsupported(what: string): SerdesError {
  return new SerdesError('SERDES_BAD_OPTION', `IonToParquet cannot write ${what}`);
}

function parquetElements(name: string, t: AvroType, repetition: 'REQUIRED' | 'OPTIONAL' | 'REPEATED'): SchemaElement[] {
  if (t.kind === 'union') {
    const others = t.types.filter((b) => b.kind !== 'null');
    if (others.length !== 1)
      throw unsupported(`the union ${JSON.stringify(t.types.map((b) => b.kind))} of field '${name}' (only a type or null and a type)`);
    return parquetElements(name, others[0] as AvroType, others.length === t.types.length ? repetition : 'OPTIONAL');
  }
  const leaf = (e: Omit<SchemaElement, 'name' | 'repetition_type'>): SchemaElement[] => [{ name, repetition_type: repetition, ...e }];
  const logical = 'logicalType' in t ? t.logicalType : undefined;
  const decimal = (physical: SchemaElement['type'], extra: Partial<SchemaElement> = {}): SchemaElement[] =>
    leaf({
      type: physical,
      converted_type: 'DECIMAL',
      precision: ('precision' in t ? t.precision : undefined) ?? 1,
      scale: ('scale' in t ? t.scale : undefined) ?? 0,
      ...extra,
    });
  switch (t.kind) {
    case 'record': {
      const children = t.fields.flatMap((f) => parquetElements(f.name, f.type, 'REQUIRED'));
      return [{ name, repetition_type: repetition, num_children: t.fields.length }, ...children];
    }
    case 'array':
      return [
        { name, repetition_type: repetition, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        ...parquetElements('element', t.items, 'REQUIRED'),
      ];
    case 'map':
      return [
        { name, repetition_type: repetition, converted_type: 'MAP', num_children: 1 },
        { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
        { name: 'key', repetition_type: 'REQUIRED', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
        ...parquetElements('value', t.values, 'REQUIRED'),
      ];
    case 'enum':
      return leaf({ type: 'BYTE_ARRAY', converted_type: 'ENUM' });
    case 'fixed':
      return logical === 'decimal'
        ? decimal('FIXED_LEN_BYTE_ARRAY', { type_length: t.size })
        : leaf({ type: 'FIXED_LEN_BYTE_ARRAY', type_length: t.size });
    case 'boolean':
      return leaf({ type: 'BOOLEAN' });
    case 'int':
      if (logical === 'date') return leaf({ type: 'INT32', converted_type: 'DATE' });
      if (logical === 'time-millis') return leaf({ type: 'INT32', converted_type: 'TIME_MILLIS' });
      return leaf({ type: 'INT32' });
    case 'long':
      if (logical === 'timestamp-millis') return leaf({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' });
      if (logical === 'timestamp-micros') return leaf({ type: 'INT64', converted_type: 'TIMESTAMP_MICROS' });
      if (logical === 'time-micros') return leaf({ type: 'INT64', converted_type: 'TIME_MICROS' });
      if (logical === 'local-timestamp-millis')
        return leaf({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MILLIS' } });
      if (logical === 'local-timestamp-micros')
        return leaf({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } });
      return leaf({ type: 'INT64' });
    case 'float':
      return leaf({ type: 'FLOAT' });
    case 'double':
      return leaf({ type: 'DOUBLE' });
    case 'bytes':
      return logical === 'decimal' ? decimal('BYTE_ARRAY') : leaf({ type: 'BYTE_ARRAY' });
    case 'string':
      return leaf({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    case 'null':
      // A field inferred from nulls only: an all-null optional column (the Avro schema in the file says null).
      return [{ name, repetition_type: 'OPTIONAL', type: 'BYTE_ARRAY' }];
    default:
      throw unsupported(`field '${name}'`);
  }
}

/** A converted Avro datum as the Parquet writer takes it (unions unwrapped, decimals as unscaled bigint). */
function toParquetValue(value: unknown, t: AvroType): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof AvroBranch)
    return t.kind === 'union' ? toParquetValue(value.value, t.types[value.index] as AvroType) : toParquetValue(value.value, t);
  const logical = 'logicalType' in t ? t.logicalType : undefined;
  if (logical === 'decimal' && value instanceof Uint8Array) return bigIntFromBytes(value);
  switch (t.kind) {
    case 'record': {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = toParquetValue(src[f.name], f.type);
      return out;
    }
    case 'array':
      return (value as unknown[]).map((v) => toParquetValue(v, t.items));
    case 'map': {
      const src = value as Record<string, unknown>;
      return Object.keys(src).map((k) => ({ key: k, value: toParquetValue(src[k], t.values) }));
    }
    case 'enum':
      return new TextEncoder().encode(value as string);
    default:
      return value;
  }
}

/** A rough size of a row, for cutting row groups at `rowGroupSize` bytes. */
function estimate(v: unknown): number {
  if (v === null || v === undefined) return 1;
  if (typeof v === 'string') return v.length + 4;
  if (v instanceof Uint8Array) return v.length + 4;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + estimate(x), 4);
  if (typeof v === 'object') return Object.values(v).reduce((n: number, x) => n + estimate(x), 0);
  return 8;
}

function compressors(codec: ParquetCodec): Record<string, (input: Uint8Array) => Uint8Array> {
  if (codec === 'GZIP') return { GZIP: (input) => new Uint8Array(zlib.gzipSync(input)) };
  if (codec === 'ZSTD') {
    const z = zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer };
    if (z.zstdCompressSync === undefined)
      throw new SerdesError(
        'SERDES_BAD_OPTION',
        'compressionCodec ZSTD needs Node.js 22.15 or newer (zlib zstd); use GZIP, SNAPPY or UNCOMPRESSED',
      );
    const compress = z.zstdCompressSync;
    return { ZSTD: (input) => new Uint8Array(compress(input)) };
  }
  return {};
}

/** `IonToParquet`: returns the number of rows converted. */
export async function ionToParquet(
  writerLib: HyparquetWriterModule,
  input: AsyncIterable<Uint8Array>,
  outFile: string,
  schema: { schema: AvroRecordType; json: unknown },
  converterOptions: AvroConverterOptions,
  options: IonToParquetOptions,
  log: Logger,
): Promise<number> {
  const record = schema.schema;
  const elements: SchemaElement[] = [
    { name: 'root', num_children: record.fields.length },
    ...record.fields.flatMap((f) => parquetElements(f.name, f.type, 'REQUIRED')),
  ];
  const converter = new AvroConverter(record, converterOptions);
  const writer = new writerLib.ParquetWriter({
    writer: writerLib.fileWriter(outFile),
    schema: elements,
    codec: options.compressionCodec,
    compressors: compressors(options.compressionCodec),
    kvMetadata: [{ key: 'parquet.avro.schema', value: JSON.stringify(schema.json) }],
    createdBy: 'pebbleflow (hyparquet-writer)',
  });
  const columns: unknown[][] = record.fields.map(() => []);
  let buffered = 0;
  let bytes = 0;
  let count = 0;
  const flush = async (): Promise<void> => {
    if (buffered === 0) return;
    await writer.write({
      columnData: record.fields.map((f, i) => ({ name: f.name, data: columns[i] as unknown[] })),
      rowGroupSize: buffered,
      pageSize: options.pageSize,
      dictionarySize: options.dictionaryPageSize,
    });
    for (const c of columns) c.length = 0;
    buffered = 0;
    bytes = 0;
  };
  const maxRows = 1_000_000;
  for await (const row of ionValues(input, { typed: true })) {
    const datum = converter.convertRow(row);
    for (const w of converter.warnings.splice(0)) log('WARN', w);
    record.fields.forEach((f, i) => {
      const v = toParquetValue(datum[f.name], f.type);
      if ((v === null || v === undefined) && f.type.kind !== 'union' && f.type.kind !== 'null')
        throw new SerdesError('SERDES_BAD_INPUT', `Null value for required field: ${f.name} in row ${count + 1}`);
      (columns[i] as unknown[]).push(v);
      bytes += estimate(v);
    });
    buffered++;
    count++;
    if (bytes >= options.rowGroupSize || buffered >= maxRows) await flush();
  }
  await flush();
  await writer.finish();
  return count;
}

// --- Parquet → Ion -----------------------------------------------------------------------------------------

interface Node {
  element: SchemaElement;
  children: Node[];
}

function tree(schema: SchemaElement[]): Node {
  let i = 0;
  const build = (): Node => {
    const element = schema[i++] as SchemaElement;
    const children: Node[] = [];
    for (let c = 0; c < (element.num_children ?? 0); c++) children.push(build());
    return { element, children };
  };
  return build();
}

/** The Avro type parquet-avro reads a Parquet column as (when the file has no stored Avro schema). */
function avroOf(node: Node, name: string): AvroType {
  const e = node.element;
  const optional = e.repetition_type === 'OPTIONAL';
  const wrap = (t: AvroType): AvroType => (optional ? { kind: 'union', types: [{ kind: 'null' }, t] } : t);
  const lt = e.logical_type?.['type'];
  if (node.children.length > 0 || e.type === undefined) {
    if (e.converted_type === 'LIST' || lt === 'LIST') {
      const rep = node.children[0] as Node;
      const item =
        rep.children.length === 1 && rep.element.name !== 'array' && !rep.element.name.endsWith('_tuple') ? (rep.children[0] as Node) : rep;
      return wrap({
        kind: 'array',
        items: avroOf(
          item === rep ? { element: { ...rep.element, repetition_type: 'REQUIRED' }, children: rep.children } : item,
          'element',
        ),
      });
    }
    if (e.converted_type === 'MAP' || e.converted_type === 'MAP_KEY_VALUE' || lt === 'MAP') {
      const kv = node.children[0] as Node;
      return wrap({ kind: 'map', values: avroOf(kv.children[1] as Node, 'value') });
    }
    return wrap({
      kind: 'record',
      name,
      fullName: name,
      fields: node.children.map((c) => ({ name: c.element.name, type: avroOf(c, c.element.name), aliases: [] })),
    });
  }
  const ct = e.converted_type;
  const decimal = { logicalType: 'decimal', precision: e.precision ?? 1, scale: e.scale ?? 0 };
  let t: AvroType;
  switch (e.type) {
    case 'BOOLEAN':
      t = { kind: 'boolean' };
      break;
    case 'INT32':
      t =
        ct === 'DATE' || lt === 'DATE'
          ? { kind: 'int', logicalType: 'date' }
          : ct === 'TIME_MILLIS'
            ? { kind: 'int', logicalType: 'time-millis' }
            : ct === 'DECIMAL'
              ? { kind: 'int', ...decimal }
              : { kind: 'int' };
      break;
    case 'INT64': {
      const unit = e.logical_type?.['unit'];
      const utc = e.logical_type?.['isAdjustedToUTC'];
      if (ct === 'TIMESTAMP_MILLIS' || (lt === 'TIMESTAMP' && unit === 'MILLIS' && utc !== false))
        t = { kind: 'long', logicalType: 'timestamp-millis' };
      else if (ct === 'TIMESTAMP_MICROS' || (lt === 'TIMESTAMP' && unit === 'MICROS' && utc !== false))
        t = { kind: 'long', logicalType: 'timestamp-micros' };
      else if (lt === 'TIMESTAMP' && unit === 'MILLIS') t = { kind: 'long', logicalType: 'local-timestamp-millis' };
      else if (lt === 'TIMESTAMP' && unit === 'MICROS') t = { kind: 'long', logicalType: 'local-timestamp-micros' };
      else if (ct === 'TIME_MICROS') t = { kind: 'long', logicalType: 'time-micros' };
      else if (ct === 'DECIMAL') t = { kind: 'long', ...decimal };
      else t = { kind: 'long' };
      break;
    }
    case 'FLOAT':
      t = { kind: 'float' };
      break;
    case 'DOUBLE':
      t = { kind: 'double' };
      break;
    case 'BYTE_ARRAY':
      t =
        ct === 'DECIMAL'
          ? { kind: 'bytes', ...decimal }
          : ct === 'UTF8' || ct === 'ENUM' || ct === 'JSON' || lt === 'STRING' || lt === 'ENUM' || lt === 'JSON'
            ? { kind: 'string' }
            : { kind: 'bytes' };
      break;
    case 'FIXED_LEN_BYTE_ARRAY':
      t =
        ct === 'DECIMAL'
          ? { kind: 'fixed', name, fullName: name, size: e.type_length ?? 0, ...decimal }
          : { kind: 'fixed', name, fullName: name, size: e.type_length ?? 0 };
      break;
    case 'INT96':
      throw new SerdesError(
        'SERDES_BAD_INPUT',
        `INT96 is deprecated. As interim enable READ_INT96_AS_FIXED flag to read as byte array. (column '${name}')`,
      );
    default:
      throw new SerdesError('SERDES_BAD_INPUT', `Unsupported Parquet type ${String(e.type)} (column '${name}')`);
  }
  return wrap(t);
}

const utf8 = new TextDecoder();

/** A physical value read by hyparquet to the neutral Avro datum of `t`. */
function fromParquetValue(value: unknown, t: AvroType): unknown {
  if (value === null || value === undefined) return null;
  switch (t.kind) {
    case 'union': {
      const index = t.types.findIndex((b) => b.kind !== 'null');
      return new AvroBranch(index, fromParquetValue(value, t.types[index] as AvroType));
    }
    case 'record': {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = fromParquetValue(src[f.name], f.type);
      return out;
    }
    case 'array':
      return (value as unknown[]).map((v) => fromParquetValue(v, t.items));
    case 'map': {
      const out: Record<string, unknown> = {};
      const entries: [unknown, unknown][] =
        value instanceof Map
          ? [...value.entries()]
          : Array.isArray(value)
            ? value.map((e: unknown) => (Array.isArray(e) ? [e[0], e[1]] : [(e as { key: unknown }).key, (e as { value: unknown }).value]))
            : Object.entries(value);
      for (const [k, v] of entries) out[k instanceof Uint8Array ? utf8.decode(k) : String(k)] = fromParquetValue(v, t.values);
      return out;
    }
    case 'string':
    case 'enum':
      return value instanceof Uint8Array ? utf8.decode(value) : String(value);
    case 'int':
      return typeof value === 'bigint' ? Number(value) : value;
    case 'long':
      return typeof value === 'bigint' ? value : BigInt(value as number);
    default:
      return value;
  }
}

function decompressors(lib: HyparquetModule): Record<string, (input: Uint8Array, outputLength: number) => Uint8Array> {
  const z = zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer };
  return {
    GZIP: (input) => new Uint8Array(zlib.gunzipSync(input)),
    BROTLI: (input) => new Uint8Array(zlib.brotliDecompressSync(input)),
    SNAPPY: (input, length) => {
      const out = new Uint8Array(length);
      lib.snappyUncompress(input, out);
      return out;
    },
    ZSTD: (input) => {
      if (z.zstdDecompressSync === undefined)
        throw new SerdesError('SERDES_BAD_INPUT', 'This Parquet file is ZSTD-compressed: reading it needs Node.js 22.15 or newer');
      return new Uint8Array(z.zstdDecompressSync(input));
    },
  };
}

/** `ParquetToIon`: one Ion row per Parquet row, a row group at a time. */
export async function parquetToIon(lib: HyparquetModule, file: unknown, outFile: string): Promise<number> {
  let metadata: ParquetMetadata;
  try {
    metadata = await lib.parquetMetadataAsync(file);
  } catch (e) {
    throw new SerdesError('SERDES_BAD_INPUT', `Not a Parquet file: ${(e as Error).message}`, { cause: e });
  }
  const root = tree(metadata.schema);
  const stored = metadata.key_value_metadata?.find((kv) => kv.key === 'parquet.avro.schema')?.value;
  let schema: AvroRecordType;
  if (stored !== undefined) schema = parseAvroSchema(stored);
  else {
    const derived = avroOf({ element: { ...root.element, repetition_type: 'REQUIRED' }, children: root.children }, root.element.name);
    if (derived.kind !== 'record') throw new SerdesError('SERDES_BAD_INPUT', 'Parquet root is not a group');
    schema = derived;
  }
  // Physical values: hyparquet would turn decimals into JS numbers and timestamps into Dates.
  const physical: ParquetMetadata = {
    ...metadata,
    schema: metadata.schema.map((e) =>
      e.type === undefined || e.converted_type === 'UTF8' || e.logical_type?.['type'] === 'STRING'
        ? e
        : { ...e, converted_type: undefined, logical_type: undefined },
    ),
  };
  const sink = new FileSink(outFile);
  let count = 0;
  try {
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = await lib.parquetReadObjects({
        file,
        metadata: physical,
        rowStart: start,
        rowEnd: end,
        utf8: false,
        compressors: decompressors(lib),
      });
      const lines: string[] = [];
      for (const row of rows) {
        lines.push(toIonLine(recordToIon(fromParquetValue(row, schema), schema)));
        count++;
      }
      if (lines.length > 0) await sink.write(`${lines.join('\n')}\n`);
      start = end;
    }
    await sink.close();
  } catch (e) {
    sink.destroy();
    throw e instanceof SerdesError ? e : new SerdesError('SERDES_BAD_INPUT', `Invalid Parquet file: ${(e as Error).message}`, { cause: e });
  }
  return count;
}
