/**
 * Avro object container files ⇄ Ion, streaming both ways, on `avsc` (pure JS, 330 kB, no dependencies;
 * the only maintained pure-JS Avro implementation with streaming block encoders/decoders and the
 * `null`/`deflate` codecs; `snappy` is added here with hyparquet's decompressor when it is installed).
 * The library is passed in by the caller (the task loads it with `importOptional` on first use).
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { SerdesError } from './errors.js';
import { type Logger, FileSink, ionValues } from './convert.js';
import { toIonLine } from './ion.js';
import {
  AvroBranch,
  AvroConverter,
  AvroSchemaInferrer,
  type AvroConverterOptions,
  type AvroRecordType,
  type AvroType,
  branchName,
  isNullable,
  parseAvroSchema,
  recordToIon,
} from './avro-model.js';

/** The part of avsc this module uses (its own typings are loaded only with the package). */
export interface AvscModule {
  Type: {
    forSchema(schema: unknown, opts?: Record<string, unknown>): AvscType;
  };
  types: { LongType: { __with(methods: Record<string, unknown>): unknown } };
  streams: {
    BlockEncoder: new (type: AvscType, opts?: Record<string, unknown>) => NodeJS.ReadWriteStream;
    BlockDecoder: new (opts?: Record<string, unknown>) => NodeJS.ReadWriteStream;
  };
}
interface AvscType {
  isValid(value: unknown, opts?: { errorHook?: (path: string[], value: unknown, type: { typeName?: string }) => void }): boolean;
}

function avsc(mod: unknown): AvscModule {
  const m = mod as { default?: AvscModule } & AvscModule;
  return m.Type !== undefined ? m : (m.default as AvscModule);
}

const typeCache = new WeakMap<object, { long: unknown }>();
function registry(lib: AvscModule): { long: unknown } {
  let r = typeCache.get(lib);
  if (r === undefined) {
    // Longs as bigint, so that no 64-bit value is rounded.
    const long = lib.types.LongType.__with({
      fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
      toBuffer: (n: bigint) => {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(n);
        return b;
      },
      fromJSON: (v: unknown) => BigInt(v as number),
      toJSON: (n: bigint) => Number(n),
      isValid: (n: unknown) => typeof n === 'bigint',
      compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
    });
    r = { long };
    typeCache.set(lib, r);
  }
  return r;
}

/**
 * The schema as avsc is given it: logical types left out (this module converts them itself) and every
 * primitive written by name, so that the registry's bigint `long` applies everywhere.
 */
function plainSchema(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(plainSchema);
  if (json === null || typeof json !== 'object') return json;
  const o = json as Record<string, unknown>;
  const t = o['type'];
  if (typeof t === 'string' && ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'].includes(t)) return t;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'logicalType') continue;
    out[k] =
      k === 'type' || k === 'items' || k === 'values'
        ? plainSchema(v)
        : k === 'fields' && Array.isArray(v)
          ? v.map((f) => ({ ...(f as object), type: plainSchema((f as Record<string, unknown>)['type']) }))
          : v;
  }
  return out;
}

function avscType(lib: AvscModule, schemaJson: unknown): AvscType {
  return lib.Type.forSchema(plainSchema(schemaJson), { wrapUnions: true, registry: { ...registry(lib) } });
}

/** A neutral datum (AvroBranch unions, Uint8Array bytes) in avsc's representation (wrapped unions, Buffers). */
function toAvsc(value: unknown, t: AvroType): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof AvroBranch) {
    if (t.kind !== 'union') return toAvsc(value.value, t);
    const branch = t.types[value.index] as AvroType;
    return { [branchName(branch)]: toAvsc(value.value, branch) };
  }
  switch (t.kind) {
    case 'record': {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = toAvsc(src[f.name], f.type);
      return out;
    }
    case 'array':
      return (value as unknown[]).map((v) => toAvsc(v, t.items));
    case 'map': {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(src)) out[k] = toAvsc(src[k], t.values);
      return out;
    }
    case 'bytes':
    case 'fixed':
      return Buffer.from((value as Uint8Array).buffer, (value as Uint8Array).byteOffset, (value as Uint8Array).byteLength);
    default:
      return value;
  }
}

/** avsc's decoded datum (wrapped unions) to the neutral one (AvroBranch). */
function fromAvsc(value: unknown, t: AvroType): unknown {
  if (value === null || value === undefined) return null;
  switch (t.kind) {
    case 'union': {
      const key = Object.keys(value)[0] ?? '';
      const index = t.types.findIndex((b) => branchName(b) === key);
      if (index < 0) throw new Error(`Unknown union branch ${key}`);
      return new AvroBranch(index, fromAvsc((value as Record<string, unknown>)[key], t.types[index] as AvroType));
    }
    case 'record': {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = fromAvsc(src[f.name], f.type);
      return out;
    }
    case 'array':
      return (value as unknown[]).map((v) => fromAvsc(v, t.items));
    case 'map': {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(src)) out[k] = fromAvsc(src[k], t.values);
      return out;
    }
    default:
      return value;
  }
}

export interface IonToAvroSchemaSource {
  /** The schema JSON text, or undefined to infer it from the rows. */
  readonly schema: string | undefined;
  /** Rows scanned to infer (Integer.MAX_VALUE-like when inferAllFields). */
  readonly rowsToScan: number;
  /** Opens the Ion input again (inference reads it first). */
  readonly reopen: () => Promise<AsyncIterable<Uint8Array>>;
}

/** The Avro schema of IonToAvro/IonToParquet: parsed from `schema`, or inferred from the first rows. */
export async function resolveSchema(source: IonToAvroSchemaSource): Promise<{ schema: AvroRecordType; json: unknown }> {
  if (source.schema !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(source.schema);
    } catch (e) {
      throw new SerdesError('SERDES_BAD_OPTION', `Invalid Avro schema: ${(e as Error).message}`);
    }
    return { schema: parseAvroSchema(json), json };
  }
  const json = await inferSchema(await source.reopen(), source.rowsToScan);
  return { schema: parseAvroSchema(json), json };
}

/** InferAvroSchema over the first `rows` rows of an Ion stream. */
export async function inferSchema(input: AsyncIterable<Uint8Array>, rows: number): Promise<Record<string, unknown>> {
  const inferrer = new AvroSchemaInferrer(rows);
  let n = 0;
  for await (const row of ionValues(input, { typed: true })) {
    inferrer.add(row);
    if (++n >= rows) break;
  }
  return inferrer.schema();
}

/** The message Avro's writer gives for a record it cannot encode (null in a non-nullable field…). */
function invalidRecordMessage(type: AvscType, datum: unknown, schema: AvroRecordType): string | undefined {
  let message: string | undefined;
  type.isValid(datum, {
    errorHook(path, value, t) {
      if (message !== undefined) return;
      const where = `${schema.name}.${path.join('.')}`;
      message =
        value === null || value === undefined
          ? `null value for (non-nullable) ${t.typeName ?? 'value'} at ${where}`
          : `value ${String(value)} (a ${typeof value}) is not a ${t.typeName ?? 'value'} at ${where}`;
    },
  });
  return message;
}

async function* rowsOf(input: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  yield* ionValues(input, { typed: true });
}

/** `IonToAvro`: returns the number of rows read (Kestra counts skipped bad records too). */
export async function ionToAvro(
  lib: unknown,
  input: AsyncIterable<Uint8Array>,
  outFile: string,
  schema: { schema: AvroRecordType; json: unknown },
  options: AvroConverterOptions,
  log: Logger,
): Promise<number> {
  const avro = avsc(lib);
  const type = avscType(avro, schema.json);
  const converter = new AvroConverter(schema.schema, options);
  const encoder = new avro.streams.BlockEncoder(type, { codec: 'null', writeHeader: 'never' });
  // The header carries the schema as given (with its logical types), not avsc's plain copy; written even for no rows.
  const internals = encoder as unknown as { _schema: unknown; _writeHeader(): void };
  internals._schema = schema.json;
  internals._writeHeader();
  const out = createWriteStream(outFile);
  const done = pipeline(encoder, out);
  let count = 0;
  try {
    for await (const row of rowsOf(input)) {
      count++;
      const datum = toAvsc(converter.convertRow(row), schema.schema);
      for (const w of converter.warnings.splice(0)) log('WARN', w);
      const invalid = invalidRecordMessage(type, datum, schema.schema);
      if (invalid !== undefined) {
        if (options.onBadLines === 'ERROR') throw new SerdesError('SERDES_BAD_INPUT', `Invalid record: ${invalid}`);
        if (options.onBadLines === 'WARN') log('WARN', `Bad record skipped (onBadLines=WARN): ${invalid}`);
        continue;
      }
      if (!encoder.write(datum as never)) await once(encoder, 'drain');
    }
    encoder.end();
    await done;
  } catch (e) {
    encoder.end();
    out.destroy();
    await done.catch(() => undefined);
    throw e;
  }
  return count;
}

/** A snappy codec for Avro blocks (snappy data + 4-byte CRC), from hyparquet's decompressor when given. */
export function snappyCodec(snappyUncompress: (input: Uint8Array, output: Uint8Array) => void) {
  return (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void): void => {
    try {
      const data = buf.subarray(0, buf.length - 4);
      let len = 0;
      let shift = 0;
      for (let i = 0; i < data.length; i++) {
        const b = data[i] as number;
        len |= (b & 0x7f) << shift;
        if ((b & 0x80) === 0) break;
        shift += 7;
      }
      const out = new Uint8Array(len);
      snappyUncompress(data, out);
      cb(null, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    } catch (e) {
      cb(e as Error);
    }
  };
}

/** `AvroToIon`: reads an Avro container file (any codec avsc knows, plus snappy when given) into Ion rows. */
export async function avroToIon(
  lib: unknown,
  inFile: string,
  outFile: string,
  onBadLines: 'ERROR' | 'WARN' | 'SKIP',
  log: Logger,
  extraCodecs: Record<string, unknown> = {},
): Promise<number> {
  const avro = avsc(lib);
  let schema: AvroRecordType | undefined;
  const decoder = new avro.streams.BlockDecoder({
    codecs: {
      null: (buf: Buffer, cb: (e: null, b: Buffer) => void) => cb(null, buf),
      deflate: (await import('node:zlib')).inflateRaw,
      ...extraCodecs,
    },
    parseHook: (json: unknown) => {
      schema = parseAvroSchema(json);
      return avscType(avro, json);
    },
  });
  const sink = new FileSink(outFile);
  const source = createReadStream(inFile);
  source.pipe(decoder);
  source.on('error', (e) => decoder.emit('error', e));
  let count = 0;
  try {
    try {
      for await (const record of decoder as AsyncIterable<unknown>) {
        const s = schema as AvroRecordType;
        let row: unknown;
        try {
          row = recordToIon(fromAvsc(record, s), s);
        } catch (e) {
          const message = (e as Error).message;
          const nonNullable = s.fields.find((f) => !isNullable(f.type) && (record as Record<string, unknown>)[f.name] === null);
          const text =
            nonNullable !== undefined
              ? `Null value for non-nullable field '${nonNullable.name}' of type ${nonNullable.type.kind.toUpperCase()}`
              : message;
          if (onBadLines === 'ERROR') throw new SerdesError('SERDES_BAD_INPUT', `Deserialization error for record: ${text}`, { cause: e });
          if (onBadLines === 'WARN') log('WARN', `Deserialization error (skipped): ${text}`);
          continue;
        }
        await sink.write(`${toIonLine(row)}\n`);
        count++;
      }
    } catch (e) {
      if (e instanceof SerdesError) throw e;
      // A file that is not Avro, or a corrupt block: Kestra stops the stream there.
      if (onBadLines === 'ERROR')
        throw new SerdesError('SERDES_BAD_INPUT', `Bad Avro record encountered: ${(e as Error).message}`, { cause: e });
      if (onBadLines === 'WARN') log('WARN', `Bad Avro record encountered (skipped): ${(e as Error).message}`);
    }
    await sink.close();
  } catch (e) {
    sink.destroy();
    source.destroy();
    throw e;
  }
  return count;
}
