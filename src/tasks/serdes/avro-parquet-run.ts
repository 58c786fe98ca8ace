/** The Avro and Parquet conversions' run, imported on first use (the definitions are in avro-parquet.ts). */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { AVRO_CONVERTER_DEFAULTS, type AvroConverterOptions, systemZoneId } from '../../serdes/avro-options.js';
import type { resolveSchema } from '../../serdes/avro-file.js';
import type { HyparquetModule, HyparquetWriterModule, ParquetCodec } from '../../serdes/parquet.js';
import type { TaskResult, TaskRunContext } from '../definition.js';
import { importOptional } from '../optional.js';
import { enumProperty, requiredProperty, withWorkingDir } from '../storage/common.js';
import { TaskError } from '../types.js';
import { ION_TO_PARQUET_DEFAULTS } from './avro-parquet.js';

// The conversion modules are imported when a task runs (not at start-up), as their libraries are.
const avroFile = () => import('../../serdes/avro-file.js');
const parquetModule = () => import('../../serdes/parquet.js');

async function strings(ctx: TaskRunContext, name: string, fallback: readonly string[]): Promise<string[]> {
  const v = await ctx.property<unknown>(name);
  if (v === undefined || v === null) return [...fallback];
  if (!Array.isArray(v)) throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${name}\`: expected a list of strings`);
  return v.map((x) => String(x));
}

async function converterOptions(ctx: TaskRunContext): Promise<AvroConverterOptions> {
  const sep = (await ctx.property<string>('decimalSeparator')) ?? '.';
  if (sep.length !== 1)
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`decimalSeparator\`: expected one character, got \`${sep}\``);
  return {
    trueValues: await strings(ctx, 'trueValues', AVRO_CONVERTER_DEFAULTS.trueValues),
    falseValues: await strings(ctx, 'falseValues', AVRO_CONVERTER_DEFAULTS.falseValues),
    nullValues: await strings(ctx, 'nullValues', AVRO_CONVERTER_DEFAULTS.nullValues),
    dateFormat: (await ctx.property<string>('dateFormat')) ?? AVRO_CONVERTER_DEFAULTS.dateFormat,
    timeFormat: (await ctx.property<string>('timeFormat')) ?? AVRO_CONVERTER_DEFAULTS.timeFormat,
    datetimeFormat: (await ctx.property<string>('datetimeFormat')) ?? AVRO_CONVERTER_DEFAULTS.datetimeFormat,
    decimalSeparator: sep,
    strictSchema: (await ctx.property<boolean>('strictSchema')) ?? false,
    inferAllFields: (await ctx.property<boolean>('inferAllFields')) ?? false,
    timeZoneId: (await ctx.property<string>('timeZoneId')) ?? systemZoneId(),
    onBadLines: await enumProperty(ctx, 'onBadLines', ['ERROR', 'WARN', 'SKIP'] as const, 'ERROR'),
  };
}

/** The rows IonToAvro/IonToParquet scan to infer: all of them with inferAllFields. */
async function rowsToScan(ctx: TaskRunContext): Promise<number> {
  if ((await ctx.property<boolean>('inferAllFields')) === true) return Number.MAX_SAFE_INTEGER;
  const n = (await ctx.property<number>('numberOfRowsToScan')) ?? 100;
  if (n < 1) throw new TaskError('INVALID_PROPERTY', 'Number of rows to scan must be greater than 0');
  return n;
}

async function schemaFor(ctx: TaskRunContext, source: string): Promise<Awaited<ReturnType<typeof resolveSchema>>> {
  return (await avroFile()).resolveSchema({
    schema: (await ctx.property<string>('schema')) ?? undefined,
    rowsToScan: await rowsToScan(ctx),
    reopen: () => ctx.storage.getFile(source),
  });
}

/** A storage file copied into the working directory (the readers need random access or a path). */
async function localCopy(
  ctx: TaskRunContext,
  source: string,
  extension: string,
  wd: { createTempFile(ext: string): Promise<string> },
): Promise<string> {
  const file = await wd.createTempFile(extension);
  await pipeline(Readable.from(await ctx.storage.getFile(source)), createWriteStream(file));
  return file;
}

const log = (ctx: TaskRunContext) => (level: 'WARN' | 'INFO' | 'DEBUG', message: string) => ctx.log(level, message);

async function loadAvsc(type: string): Promise<unknown> {
  return importOptional<unknown>('avsc', type);
}

async function loadParquetWriter(type: string): Promise<HyparquetWriterModule> {
  // The package's Node entry has fileWriter (buffered writes to a local file).
  return importOptional<HyparquetWriterModule>('hyparquet-writer', type);
}

/** A random-access view of a local file for hyparquet. */
async function asyncBuffer(path: string): Promise<unknown> {
  const { open } = await import('node:fs/promises');
  const handle = await open(path);
  const { size } = await handle.stat();
  await handle.close();
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? size;
      const h = await open(path);
      try {
        const buf = Buffer.alloc(stop - start);
        await h.read(buf, 0, buf.length, start);
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      } finally {
        await h.close();
      }
    },
  };
}

export async function runIonToAvro(ctx: TaskRunContext): Promise<TaskResult> {
  const avsc = await loadAvsc(ctx.task.type);
  const source = (await requiredProperty<string>(ctx, 'from')).trim();
  const schema = await schemaFor(ctx, source);
  const options = await converterOptions(ctx);
  return withWorkingDir(ctx, async (wd) => {
    const out = await wd.createTempFile('.avro');
    const size = await (await avroFile()).ionToAvro(avsc, await ctx.storage.getFile(source), out, schema, options, log(ctx));
    return { outputs: { uri: await ctx.storage.putFile(out, undefined, { move: true }), size } };
  });
}

export async function runAvroToIon(ctx: TaskRunContext): Promise<TaskResult> {
  const avsc = await loadAvsc(ctx.task.type);
  const source = (await requiredProperty<string>(ctx, 'from')).trim();
  const mode = await enumProperty(ctx, 'onBadLines', ['ERROR', 'WARN', 'SKIP'] as const, 'ERROR');
  // Snappy-compressed Avro blocks are read with hyparquet's decompressor when it is installed.
  let codecs: Record<string, unknown> = {};
  try {
    const hp = (await import('hyparquet')) as unknown as HyparquetModule;
    codecs = { snappy: (await avroFile()).snappyCodec((input, output) => hp.snappyUncompress(input, output)) };
  } catch {
    // no snappy
  }
  return withWorkingDir(ctx, async (wd) => {
    const input = await localCopy(ctx, source, '.avro', wd);
    const out = await wd.createTempFile('.ion');
    const size = await (await avroFile()).avroToIon(avsc, input, out, mode, log(ctx), codecs);
    return { outputs: { uri: await ctx.storage.putFile(out, undefined, { move: true }), size } };
  });
}

export async function runInferAvroSchema(ctx: TaskRunContext): Promise<TaskResult> {
  const source = (await requiredProperty<string>(ctx, 'from')).trim();
  const n = (await ctx.property<number>('numberOfRowsToScan')) ?? 100;
  if (n < 1) throw new TaskError('INVALID_PROPERTY', 'Number of rows to scan must be greater than 0');
  const schema = await (await avroFile()).inferSchema(await ctx.storage.getFile(source), n);
  return withWorkingDir(ctx, async (wd) => {
    const out = await wd.createTempFile('.avsc', JSON.stringify(schema));
    return { outputs: { uri: await ctx.storage.putFile(out, undefined, { move: true }) } };
  });
}

export async function runIonToParquet(ctx: TaskRunContext): Promise<TaskResult> {
  const writer = await loadParquetWriter(ctx.task.type);
  const source = (await requiredProperty<string>(ctx, 'from')).trim();
  const schema = await schemaFor(ctx, source);
  const options = await converterOptions(ctx);
  const codec: ParquetCodec = await enumProperty(ctx, 'compressionCodec', ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD'] as const, 'GZIP');
  await enumProperty(ctx, 'parquetVersion', ['V1', 'V2'] as const, 'V2');
  const parquet = {
    compressionCodec: codec,
    rowGroupSize: (await ctx.property<number>('rowGroupSize')) ?? ION_TO_PARQUET_DEFAULTS.rowGroupSize,
    pageSize: (await ctx.property<number>('pageSize')) ?? ION_TO_PARQUET_DEFAULTS.pageSize,
    dictionaryPageSize: (await ctx.property<number>('dictionaryPageSize')) ?? ION_TO_PARQUET_DEFAULTS.dictionaryPageSize,
  };
  return withWorkingDir(ctx, async (wd) => {
    const out = await wd.createTempFile('.parquet');
    const size = await (
      await parquetModule()
    ).ionToParquet(writer, await ctx.storage.getFile(source), out, schema, options, parquet, log(ctx));
    return { outputs: { uri: await ctx.storage.putFile(out, undefined, { move: true }), size } };
  });
}

export async function runParquetToIon(ctx: TaskRunContext): Promise<TaskResult> {
  const hp = await importOptional<HyparquetModule>('hyparquet', ctx.task.type);
  const source = (await requiredProperty<string>(ctx, 'from')).trim();
  return withWorkingDir(ctx, async (wd) => {
    const input = await localCopy(ctx, source, '.parquet', wd);
    const file = await asyncBuffer(input);
    const out = await wd.createTempFile('.ion');
    const size = await (await parquetModule()).parquetToIon(hp, file, out);
    return { outputs: { uri: await ctx.storage.putFile(out, undefined, { move: true }), size } };
  });
}
