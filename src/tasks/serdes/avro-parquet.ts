/**
 * `kestra-io/plugin-serdes` Avro and Parquet converters: `avro.IonToAvro` (AvroWriter), `avro.AvroToIon`
 * (AvroReader), `avro.InferAvroSchemaFromIon`, `parquet.IonToParquet` (ParquetWriter), `parquet.ParquetToIon`
 * (ParquetReader). Their libraries (`avsc`, `hyparquet`, `hyparquet-writer`) are optional dependencies
 * loaded on first use, as is the conversion code (avro-parquet-run.ts).
 */
import { AVRO_CONVERTER_DEFAULTS } from '../../serdes/avro-options.js';
import { defineTask, type PropertyDefinition } from '../definition.js';

/** IonToParquet's defaults (Kestra: ParquetWriter.DEFAULT_BLOCK_SIZE, DEFAULT_PAGE_SIZE). */
export const ION_TO_PARQUET_DEFAULTS = { rowGroupSize: 128 * 1024 * 1024, pageSize: 1024 * 1024, dictionaryPageSize: 1024 * 1024 };

const from: PropertyDefinition = { kind: 'string', required: true, description: 'A kestra:// URI.' };
const outputs = { uri: { kind: 'string' }, size: { kind: 'integer' } } as const;
const onBadLines: PropertyDefinition = { kind: 'string', default: 'ERROR', schema: { enum: ['ERROR', 'WARN', 'SKIP'] } };

/** AbstractAvroConverter's properties (IonToAvro and IonToParquet). */
const converterProperties: Record<string, PropertyDefinition> = {
  from,
  schema: { kind: 'string', description: 'The Avro schema (JSON); inferred from the first numberOfRowsToScan rows when absent.' },
  numberOfRowsToScan: { kind: 'integer', default: 100 },
  trueValues: { kind: 'list', default: [...AVRO_CONVERTER_DEFAULTS.trueValues] },
  falseValues: { kind: 'list', default: [...AVRO_CONVERTER_DEFAULTS.falseValues] },
  nullValues: { kind: 'list', default: [...AVRO_CONVERTER_DEFAULTS.nullValues] },
  dateFormat: { kind: 'string', default: AVRO_CONVERTER_DEFAULTS.dateFormat },
  timeFormat: { kind: 'string', default: AVRO_CONVERTER_DEFAULTS.timeFormat },
  datetimeFormat: { kind: 'string', default: AVRO_CONVERTER_DEFAULTS.datetimeFormat },
  decimalSeparator: { kind: 'string', default: '.' },
  strictSchema: { kind: 'boolean', default: false },
  inferAllFields: { kind: 'boolean', default: false },
  timeZoneId: { kind: 'string', description: 'Default: the process time zone (Kestra: the JVM one).' },
  onBadLines,
};

export const ionToAvroTask = defineTask({
  type: 'io.kestra.plugin.serdes.avro.IonToAvro',
  aliases: ['io.kestra.plugin.serdes.avro.AvroWriter'],
  title: 'Convert an Ion file to Avro with an Avro schema (inferred when absent); outputs uri and size.',
  properties: converterProperties,
  outputs,
  async run(ctx) {
    return (await import('./avro-parquet-run.js')).runIonToAvro(ctx);
  },
});

export const avroToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.avro.AvroToIon',
  aliases: ['io.kestra.plugin.serdes.avro.AvroReader'],
  title: 'Convert an Avro file to Ion (one row per record, logical types as Kestra writes them); outputs uri and size.',
  properties: { from, onBadLines },
  outputs,
  async run(ctx) {
    return (await import('./avro-parquet-run.js')).runAvroToIon(ctx);
  },
});

export const inferAvroSchemaTask = defineTask({
  type: 'io.kestra.plugin.serdes.avro.InferAvroSchemaFromIon',
  title: 'Infer an Avro schema from the first rows of an Ion file; outputs uri (an .avsc file).',
  properties: { from, numberOfRowsToScan: { kind: 'integer', default: 100 } },
  outputs: { uri: { kind: 'string' } },
  async run(ctx) {
    return (await import('./avro-parquet-run.js')).runInferAvroSchema(ctx);
  },
});

export const ionToParquetTask = defineTask({
  type: 'io.kestra.plugin.serdes.parquet.IonToParquet',
  aliases: ['io.kestra.plugin.serdes.parquet.ParquetWriter'],
  title: 'Convert an Ion file to Parquet with an Avro schema (inferred when absent); outputs uri and size.',
  properties: {
    ...converterProperties,
    compressionCodec: { kind: 'string', default: 'GZIP', schema: { enum: ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD'] } },
    parquetVersion: {
      kind: 'string',
      default: 'V2',
      schema: { enum: ['V1', 'V2'] },
      description: 'Accepted; the writer writes one format.',
    },
    rowGroupSize: { kind: 'integer', default: ION_TO_PARQUET_DEFAULTS.rowGroupSize },
    pageSize: { kind: 'integer', default: ION_TO_PARQUET_DEFAULTS.pageSize },
    dictionaryPageSize: { kind: 'integer', default: ION_TO_PARQUET_DEFAULTS.dictionaryPageSize },
  },
  outputs,
  async run(ctx) {
    return (await import('./avro-parquet-run.js')).runIonToParquet(ctx);
  },
});

export const parquetToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.parquet.ParquetToIon',
  aliases: ['io.kestra.plugin.serdes.parquet.ParquetReader'],
  title: 'Convert a Parquet file to Ion (one row per line, logical types as Kestra writes them); outputs uri and size.',
  properties: { from },
  outputs,
  async run(ctx) {
    return (await import('./avro-parquet-run.js')).runParquetToIon(ctx);
  },
});

export const AVRO_PARQUET_TASKS = [ionToAvroTask, avroToIonTask, inferAvroSchemaTask, ionToParquetTask, parquetToIonTask];
