/**
 * `kestra-io/plugin-serdes` conversions: `csv.CsvToIon`, `csv.IonToCsv`, `json.JsonToIon`,
 * `json.IonToJson` (and their older names CsvReader, CsvWriter, JsonReader, JsonWriter), streaming
 * from a storage file to a new one; outputs `uri` and `size` (records). The definitions of every
 * serdes task; each family's conversion code (…-run.ts) is imported when one of its tasks first runs.
 */
import { CSV_TO_ION_DEFAULTS } from '../../serdes/csv-options.js';
import { AVRO_PARQUET_TASKS } from './avro-parquet.js';
import { XML_TASKS } from './xml.js';
import { EXCEL_TASKS } from './excel.js';
import { YAML_TASKS } from './yaml.js';
import { defineTask, type PropertyDefinition } from '../definition.js';

const from: PropertyDefinition = { kind: 'string', required: true, description: 'A kestra:// URI.' };
const charset: PropertyDefinition = { kind: 'string', default: 'UTF-8' };
const outputs = { uri: { kind: 'string' }, size: { kind: 'integer' } } as const;

export const csvToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.csv.CsvToIon',
  aliases: ['io.kestra.plugin.serdes.csv.CsvReader'],
  title: 'Convert a CSV file to Ion (one row per line; maps with a header, lists without); outputs uri and size.',
  properties: {
    from,
    header: { kind: 'boolean', default: true },
    fieldSeparator: { kind: 'string', default: ',' },
    textDelimiter: { kind: 'string', default: '"' },
    skipEmptyRows: { kind: 'boolean', default: false },
    skipRows: { kind: 'integer', default: 0 },
    onBadLines: { kind: 'string', default: 'ERROR', schema: { enum: ['ERROR', 'WARN', 'SKIP'] } },
    onEmptyHeader: { kind: 'string', default: 'DROP', schema: { enum: ['DROP', 'RENAME'] } },
    allowExtraCharsAfterClosingQuote: { kind: 'boolean', default: false },
    maxFieldSize: { kind: 'integer', default: CSV_TO_ION_DEFAULTS.maxFieldSize },
    maxBufferSize: { kind: 'integer', description: 'Accepted; fields are bounded by maxFieldSize.' },
    errorOnDifferentFieldCount: { kind: 'boolean', deprecated: true, description: 'Deprecated: use onBadLines.' },
    charset,
  },
  outputs,
  async run(ctx) {
    return (await import('./serdes-run.js')).runCsvToIon(ctx);
  },
});

export const ionToCsvTask = defineTask({
  type: 'io.kestra.plugin.serdes.csv.IonToCsv',
  aliases: ['io.kestra.plugin.serdes.csv.CsvWriter'],
  title: 'Convert an Ion file to CSV; outputs uri and size.',
  properties: {
    from,
    header: { kind: 'boolean', default: true },
    fieldSeparator: { kind: 'string', default: ',' },
    textDelimiter: { kind: 'string', default: '"' },
    lineDelimiter: { kind: 'string', default: '\n' },
    alwaysDelimitText: { kind: 'boolean', default: false, description: 'Deprecated: use quoteMode.' },
    quoteMode: { kind: 'string', schema: { enum: ['ALWAYS', 'REQUIRED', 'NON_NUMERIC'] } },
    dateFormat: { kind: 'string', description: 'Accepted; Ion files written by pebbleflow hold no dates.' },
    timeFormat: { kind: 'string' },
    dateTimeFormat: { kind: 'string' },
    timeZoneId: { kind: 'string' },
    charset,
  },
  outputs,
  async run(ctx) {
    return (await import('./serdes-run.js')).runIonToCsv(ctx);
  },
});

export const jsonToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.json.JsonToIon',
  aliases: ['io.kestra.plugin.serdes.json.JsonReader'],
  title: 'Convert JSON Lines (or one JSON document with newLine: false) to Ion; outputs uri and size.',
  properties: { from, charset, newLine: { kind: 'boolean', default: true } },
  outputs,
  async run(ctx) {
    return (await import('./serdes-run.js')).runJsonToIon(ctx);
  },
});

export const ionToJsonTask = defineTask({
  type: 'io.kestra.plugin.serdes.json.IonToJson',
  aliases: ['io.kestra.plugin.serdes.json.JsonWriter'],
  title: 'Convert an Ion file to JSON Lines (or one document with newLine: false); outputs uri and size.',
  properties: {
    from,
    charset,
    newLine: { kind: 'boolean', default: true },
    shouldKeepAnnotations: { kind: 'boolean', default: false },
    timeZoneId: { kind: 'string', description: 'Accepted; timestamps are written as in the Ion file.' },
  },
  outputs,
  async run(ctx) {
    return (await import('./serdes-run.js')).runIonToJson(ctx);
  },
});

export const SERDES_TASKS = [
  csvToIonTask,
  ionToCsvTask,
  jsonToIonTask,
  ionToJsonTask,
  ...AVRO_PARQUET_TASKS,
  ...XML_TASKS,
  ...EXCEL_TASKS,
  ...YAML_TASKS,
];
