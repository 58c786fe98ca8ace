/**
 * `kestra-io/plugin-serdes` Excel converters: `excel.ExcelToIon` (one Ion file per sheet) and `excel.IonToExcel`
 * (one .xlsx with one sheet, or a sheet per entry of a `from` map). The .xlsx container is read and written
 * with node:zlib; the sheet XML is parsed with `saxes`, an optional dependency loaded on first use.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { systemZoneId } from '../../serdes/avro-options.js';
import type { DateTimeRender, ValueRender } from '../../serdes/excel.js';

/** Imported when a task runs, not at start-up. */
const excel = () => import('../../serdes/excel.js');
import type { SaxesModule } from '../../serdes/xml.js';
import { defineTask, type PropertyDefinition } from '../definition.js';
import { importOptional } from '../optional.js';
import { enumProperty, requiredProperty, withWorkingDir } from '../storage/common.js';
import { TaskError } from '../types.js';

const charset: PropertyDefinition = { kind: 'string', default: 'UTF-8', description: 'Accepted; .xlsx text is always UTF-8.' };

export const excelToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.excel.ExcelToIon',
  title: 'Convert an .xlsx file to Ion, one file per sheet (outputs uris by sheet name, and size: the rows).',
  properties: {
    from: { kind: 'string', required: true, description: 'A kestra:// URI.' },
    sheetsTitle: { kind: 'list', description: 'The sheets to read (default: all).' },
    charset,
    valueRender: { kind: 'string', default: 'UNFORMATTED_VALUE', schema: { enum: ['FORMATTED_VALUE', 'UNFORMATTED_VALUE', 'FORMULA'] } },
    dateTimeRender: {
      kind: 'string',
      default: 'UNFORMATTED_VALUE',
      schema: { enum: ['SERIAL_NUMBER', 'FORMATTED_STRING', 'UNFORMATTED_VALUE'] },
    },
    header: { kind: 'boolean', default: true },
    skipEmptyRows: { kind: 'boolean', default: false },
    skipRows: { kind: 'integer', default: 0, dynamic: false },
  },
  outputs: { uris: { kind: 'map' }, size: { kind: 'integer' } },
  async run(ctx) {
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
      const { files, size } = await (await excel()).excelToIon(saxes, input, options, () => wd.createTempFile('.ion'));
      const uris: Record<string, string> = {};
      for (const [sheet, file] of files) uris[sheet] = await ctx.storage.putFile(file, undefined, { move: true });
      return { outputs: { uris, size } };
    });
  },
});

export const ionToExcelTask = defineTask({
  type: 'io.kestra.plugin.serdes.excel.IonToExcel',
  title: 'Convert Ion to an .xlsx file: one sheet, or a sheet per entry of a `from` map (sheet name → URI); outputs uri and size.',
  properties: {
    from: {
      kind: 'any',
      required: true,
      schema: { anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }] },
    },
    charset,
    sheetsTitle: { kind: 'string', default: 'Sheet' },
    header: { kind: 'boolean', default: true },
    styles: { kind: 'boolean', default: true },
    dateFormat: { kind: 'string', default: 'yyyy-MM-dd' },
    timeFormat: { kind: 'string', default: 'HH:mm:ss[XXX]' },
    dateTimeFormat: { kind: 'string', default: "yyyy-MM-dd'T'HH:mm:ss.SSS[XXX]" },
    timeZoneId: { kind: 'string', description: 'Default: the process time zone (Kestra: the JVM one).' },
  },
  outputs: { uri: { kind: 'string' }, size: { kind: 'integer' } },
  async run(ctx) {
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
    const { ionRows, ionToExcel } = await excel();
    const sources = await Promise.all(sheets.map(async ([title, uri]) => ({ title, rows: ionRows(await ctx.storage.getFile(uri)) })));
    return withWorkingDir(ctx, async (wd) => {
      const out = await wd.createTempFile('.xlsx');
      const size = await ionToExcel(sources, out, options);
      return { outputs: { uri: await ctx.storage.putFile(out, undefined, { move: true }), size } };
    });
  },
});

export const EXCEL_TASKS = [excelToIonTask, ionToExcelTask];
