/** The Excel conversions' run, imported on first use (the definitions are in excel.ts). */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { systemZoneId } from '../../serdes/avro-options.js';
import { excelToIon, ionRows, ionToExcel, type DateTimeRender, type ValueRender } from '../../serdes/excel.js';
import type { SaxesModule } from '../../serdes/xml.js';
import type { TaskRunContext, TaskResult } from '../definition.js';
import { importOptional } from '../optional.js';
import { enumProperty, requiredProperty, withWorkingDir } from '../storage/common.js';
import { TaskError } from '../types.js';

export async function runExcelToIon(ctx: TaskRunContext): Promise<TaskResult> {
  const saxes = await importOptional<SaxesModule>('saxes', ctx.task.type);
  const source = (await requiredProperty<string>(ctx, 'from')).trim();
  const titles = (await ctx.property<unknown[]>('sheetsTitle')) ?? [];
  const skipRows = (await ctx.property<number>('skipRows')) ?? 0;
  if (skipRows < 0) throw new TaskError('INVALID_PROPERTY', 'Invalid value for `skipRows`: must be greater than or equal to 0');
  const options = {
    sheetsTitle: titles.map((t) => String(t)),
    valueRender: await enumProperty<ValueRender>(
      ctx,
      'valueRender',
      ['FORMATTED_VALUE', 'UNFORMATTED_VALUE', 'FORMULA'],
      'UNFORMATTED_VALUE',
    ),
    dateTimeRender: await enumProperty<DateTimeRender>(
      ctx,
      'dateTimeRender',
      ['SERIAL_NUMBER', 'FORMATTED_STRING', 'UNFORMATTED_VALUE'],
      'UNFORMATTED_VALUE',
    ),
    header: (await ctx.property<boolean>('header')) ?? true,
    skipEmptyRows: (await ctx.property<boolean>('skipEmptyRows')) ?? false,
    skipRows,
  };
  return withWorkingDir(ctx, async (wd) => {
    const input = await wd.createTempFile('.xlsx');
    await pipeline(Readable.from(await ctx.storage.getFile(source)), createWriteStream(input));
    const { files, size } = await excelToIon(saxes, input, options, () => wd.createTempFile('.ion'));
    const uris: Record<string, string> = {};
    for (const [sheet, file] of files) uris[sheet] = await ctx.storage.putFile(file, undefined, { move: true });
    return { outputs: { uris, size } };
  });
}

export async function runIonToExcel(ctx: TaskRunContext): Promise<TaskResult> {
  const from = await ctx.property<unknown>('from');
  let sheets: [string, string][];
  if (typeof from === 'string') sheets = [[(await ctx.property<string>('sheetsTitle')) ?? 'Sheet', from.trim()]];
  else if (from !== null && typeof from === 'object' && !Array.isArray(from))
    sheets = Object.entries(from as Record<string, unknown>).map(([k, v]) => [k, String(v).trim()]);
  else throw new TaskError('INVALID_PROPERTY', "Invalid variable: 'from'");
  const options = {
    header: (await ctx.property<boolean>('header')) ?? true,
    styles: (await ctx.property<boolean>('styles')) ?? true,
    dateFormat: (await ctx.property<string>('dateFormat')) ?? 'yyyy-MM-dd',
    timeZoneId: (await ctx.property<string>('timeZoneId')) ?? systemZoneId(),
  };
  const sources = await Promise.all(sheets.map(async ([title, uri]) => ({ title, rows: ionRows(await ctx.storage.getFile(uri)) })));
  return withWorkingDir(ctx, async (wd) => {
    const out = await wd.createTempFile('.xlsx');
    const size = await ionToExcel(sources, out, options);
    return { outputs: { uri: await ctx.storage.putFile(out, undefined, { move: true }), size } };
  });
}
