/**
 * `kestra-io/plugin-serdes` conversions: `csv.CsvToIon`, `csv.IonToCsv`, `json.JsonToIon`,
 * `json.IonToJson` (and their older names CsvReader, CsvWriter, JsonReader, JsonWriter), streaming
 * from a storage file to a new one; outputs `uri` and `size` (records).
 */
import {
  CSV_TO_ION_DEFAULTS,
  csvToIon,
  ION_TO_CSV_DEFAULTS,
  ionToCsv,
  ionToJson,
  jsonToIon,
  type CsvToIonOptions,
  type IonToCsvOptions,
} from '../../serdes/convert.js';
import type { QuoteMode } from '../../serdes/csv.js';
import { AVRO_PARQUET_TASKS } from './avro-parquet.js';
import { XML_TASKS } from './xml.js';
import { EXCEL_TASKS } from './excel.js';
import { YAML_TASKS } from './yaml.js';
import { defineTask, type PropertyDefinition, type TaskRunContext } from '../definition.js';
import { enumProperty } from '../storage/common.js';
import { convertFile } from './convert-file.js';
import { TaskError } from '../types.js';

const from: PropertyDefinition = { kind: 'string', required: true, description: 'A kestra:// URI.' };
const charset: PropertyDefinition = { kind: 'string', default: 'UTF-8' };
const outputs = { uri: { kind: 'string' }, size: { kind: 'integer' } } as const;

async function char(ctx: TaskRunContext, name: string, fallback: string): Promise<string> {
  const v = (await ctx.property<string>(name)) ?? fallback;
  if (v.length !== 1) throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${name}\`: expected one character, got \`${v}\``);
  return v;
}

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
    const options: CsvToIonOptions = {
      header: (await ctx.property<boolean>('header')) ?? true,
      fieldSeparator: await char(ctx, 'fieldSeparator', ','),
      textDelimiter: await char(ctx, 'textDelimiter', '"'),
      skipEmptyRows: (await ctx.property<boolean>('skipEmptyRows')) ?? false,
      skipRows: (await ctx.property<number>('skipRows')) ?? 0,
      onBadLines: await enumProperty(ctx, 'onBadLines', ['ERROR', 'WARN', 'SKIP'] as const, 'ERROR'),
      onEmptyHeader: await enumProperty(ctx, 'onEmptyHeader', ['DROP', 'RENAME'] as const, 'DROP'),
      allowExtraCharsAfterClosingQuote: (await ctx.property<boolean>('allowExtraCharsAfterClosingQuote')) ?? false,
      maxFieldSize: (await ctx.property<number>('maxFieldSize')) ?? CSV_TO_ION_DEFAULTS.maxFieldSize,
      charset: (await ctx.property<string>('charset')) ?? 'UTF-8',
    };
    return convertFile(ctx, '.ion', (input, out) => csvToIon(input, out, options, (level, message) => ctx.log(level, message)));
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
    const quoteMode: QuoteMode =
      ctx.task.properties.quoteMode !== undefined
        ? await enumProperty(ctx, 'quoteMode', ['ALWAYS', 'REQUIRED', 'NON_NUMERIC'] as const, 'REQUIRED')
        : (await ctx.property<boolean>('alwaysDelimitText')) === true
          ? 'ALWAYS'
          : 'REQUIRED';
    const options: IonToCsvOptions = {
      ...ION_TO_CSV_DEFAULTS,
      header: (await ctx.property<boolean>('header')) ?? true,
      fieldSeparator: await char(ctx, 'fieldSeparator', ','),
      textDelimiter: await char(ctx, 'textDelimiter', '"'),
      lineDelimiter: (await ctx.property<string>('lineDelimiter')) ?? '\n',
      quoteMode,
      charset: (await ctx.property<string>('charset')) ?? 'UTF-8',
    };
    return convertFile(ctx, '.csv', (input, out) => ionToCsv(input, out, options));
  },
});

export const jsonToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.json.JsonToIon',
  aliases: ['io.kestra.plugin.serdes.json.JsonReader'],
  title: 'Convert JSON Lines (or one JSON document with newLine: false) to Ion; outputs uri and size.',
  properties: { from, charset, newLine: { kind: 'boolean', default: true } },
  outputs,
  async run(ctx) {
    const newLine = (await ctx.property<boolean>('newLine')) ?? true;
    const cs = (await ctx.property<string>('charset')) ?? 'UTF-8';
    return convertFile(ctx, '.ion', (input, out) => jsonToIon(input, out, { newLine, charset: cs }));
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
    const newLine = (await ctx.property<boolean>('newLine')) ?? true;
    const cs = (await ctx.property<string>('charset')) ?? 'UTF-8';
    const keepAnnotations = (await ctx.property<boolean>('shouldKeepAnnotations')) ?? false;
    return convertFile(ctx, newLine ? '.jsonl' : '.json', (input, out) => ionToJson(input, out, { newLine, charset: cs, keepAnnotations }));
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
