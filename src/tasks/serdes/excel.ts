/**
 * `kestra-io/plugin-serdes` Excel converters: `excel.ExcelToIon` (one Ion file per sheet) and `excel.IonToExcel`
 * (one .xlsx with one sheet, or a sheet per entry of a `from` map). The .xlsx container is read and written
 * with node:zlib; the sheet XML is parsed with `saxes`, an optional dependency loaded on first use. The
 * conversion code (excel-run.ts) is imported on first use too.
 */
import { defineTask, type PropertyDefinition } from '../definition.js';

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
    return (await import('./excel-run.js')).runExcelToIon(ctx);
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
    return (await import('./excel-run.js')).runIonToExcel(ctx);
  },
});

export const EXCEL_TASKS = [excelToIonTask, ionToExcelTask];
