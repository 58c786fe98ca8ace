/** The CSV and JSON conversions' run, imported on first use (the definitions are in serdes.ts). */
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
import { enumProperty } from '../storage/common.js';
import { convertFile } from './convert-file.js';
import { TaskError } from '../types.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

async function char(ctx: TaskRunContext, name: string, fallback: string): Promise<string> {
  const v = (await ctx.property<string>(name)) ?? fallback;
  if (v.length !== 1) throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${name}\`: expected one character, got \`${v}\``);
  return v;
}

export async function runCsvToIon(ctx: TaskRunContext): Promise<TaskResult> {
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
}

export async function runIonToCsv(ctx: TaskRunContext): Promise<TaskResult> {
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
}

export async function runJsonToIon(ctx: TaskRunContext): Promise<TaskResult> {
  const newLine = (await ctx.property<boolean>('newLine')) ?? true;
  const cs = (await ctx.property<string>('charset')) ?? 'UTF-8';
  return convertFile(ctx, '.ion', (input, out) => jsonToIon(input, out, { newLine, charset: cs }));
}

export async function runIonToJson(ctx: TaskRunContext): Promise<TaskResult> {
  const newLine = (await ctx.property<boolean>('newLine')) ?? true;
  const cs = (await ctx.property<string>('charset')) ?? 'UTF-8';
  const keepAnnotations = (await ctx.property<boolean>('shouldKeepAnnotations')) ?? false;
  return convertFile(ctx, newLine ? '.jsonl' : '.json', (input, out) => ionToJson(input, out, { newLine, charset: cs, keepAnnotations }));
}
