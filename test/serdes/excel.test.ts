/**
 * Excel ⇄ Ion as kestra-io/plugin-serdes tests it (commit dd3a65f9, src/test/java/io/kestra/plugin/serdes/excel/
 * ExcelToIonTest.java and IonToExcelTest.java). fixtures/excel/* are copied from that repository's
 * src/test/resources/excel (Apache-2.0): workbooks saved by spreadsheet programs (shared strings, styles, several
 * sheets), read by the code under test; the workbooks the writer makes are read back by the same reader and
 * compared with Kestra's expected workbooks cell by cell (IonToExcelTest uses WorkbookMatcher.sameWorkbook).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { excelToIon, type ExcelToIonOptions, formatNumber, ionRows, ionToExcel, isDateFormat } from '../../src/serdes/excel.js';
import { ionValues } from '../../src/serdes/convert.js';
import type { SaxesModule } from '../../src/serdes/xml.js';
import { entryText, zipEntries } from '../../src/serdes/zip.js';
import { project, type Project } from '../files/helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/excel', import.meta.url));
let dir: string;
let saxes: SaxesModule;
let n = 0;
beforeAll(async () => {
  saxes = await import('saxes');
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-excel-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DEFAULTS: ExcelToIonOptions = {
  sheetsTitle: [],
  valueRender: 'UNFORMATTED_VALUE',
  dateTimeRender: 'UNFORMATTED_VALUE',
  header: true,
  skipEmptyRows: false,
  skipRows: 0,
};

async function read(xlsx: string, o: Partial<ExcelToIonOptions> = {}): Promise<{ sheets: Map<string, string>; size: number }> {
  const r = await excelToIon(saxes, xlsx, { ...DEFAULTS, ...o }, () => Promise.resolve(join(dir, `s${n++}.ion`)));
  const sheets = new Map<string, string>();
  for (const [name, path] of r.files) sheets.set(name, await readFile(path, 'utf8'));
  return { sheets, size: r.size };
}

async function rowsOf(text: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of ionValues(
    (async function* () {
      yield Buffer.from(text);
    })(),
  ))
    out.push(v);
  return out;
}

async function write(sources: [string, string][], o: { header?: boolean; styles?: boolean; timeZoneId?: string } = {}): Promise<string> {
  const out = join(dir, `w${n++}.xlsx`);
  await ionToExcel(
    sources.map(([title, path]) => ({ title, rows: ionRows(createReadStream(path)) })),
    out,
    { header: o.header ?? true, styles: o.styles ?? true, dateFormat: 'yyyy-MM-dd', timeZoneId: o.timeZoneId ?? 'UTC' },
  );
  return out;
}

describe('ExcelToIon (ExcelToIonTest.should_get_a_correct_ion)', () => {
  test.each([
    ['insurance_sample.xlsx', 'Worksheet', true, ['policyID:"333743"', 'point_latitude:30.102261']],
    ['insurance_sample.xlsx', 'Worksheet', false, ['"policyID","statecode"']],
    ['missing_cells_sample.xlsx', 'Sheet1', true, ['abc']],
    ['sample_with_a_full_missing_column.xlsx', 'Sheet1', true, ['PrizeMasterType:null']],
    ['sample_with_date.xlsx', 'Sheet1', true, ['2025-04-01']],
    ['sample_with_date.xlsx', 'Sheet1', true, ['2025-06-27 14h22']],
  ])('%s, sheet %s, header %s', async (file, sheet, header, expected) => {
    const { sheets } = await read(join(FIXTURES, file), { header });
    for (const e of expected) expect(sheets.get(sheet)).toContain(e);
  });

  test('multiSheets: sheetsTitle selects the sheets, one file each', async () => {
    const { sheets } = await read(join(FIXTURES, 'insurance_sample_multiple_sheets.xlsx'), {
      sheetsTitle: ['Worksheet_1', 'Worksheet_2', 'Worksheet_3'],
    });
    expect([...sheets.keys()]).toEqual(['Worksheet_1', 'Worksheet_2', 'Worksheet_3']);
    for (const text of sheets.values()) {
      expect(text).toContain('policyID:"333743"');
      expect(text).toContain('point_latitude:30.102261');
    }
    expect((await read(join(FIXTURES, 'insurance_sample_multiple_sheets.xlsx'), { sheetsTitle: ['Worksheet_2'] })).sheets.size).toBe(1);
  });

  test('skipRows without a header: the first row, then 4 skipped (IonToExcelTest.skipRows: size 2)', async () => {
    expect((await read(join(FIXTURES, 'insurance_sample.xlsx'), { header: false, skipRows: 4 })).size).toBe(2);
  });

  test('dateTimeRender and valueRender', async () => {
    const file = join(FIXTURES, 'sample_with_date.xlsx');
    const serial = (await rowsOf((await read(file, { dateTimeRender: 'SERIAL_NUMBER' })).sheets.get('Sheet1') ?? ''))[0] as Record<
      string,
      unknown
    >;
    expect(String(serial['date_'])).toBe('45748.0'); // 2025-04-01, a Double
    const formatted = (await rowsOf((await read(file, { valueRender: 'FORMATTED_VALUE' })).sheets.get('Sheet1') ?? ''))[0] as Record<
      string,
      unknown
    >;
    expect(formatted['employee_id']).toBe('3455');
    expect(isDateFormat(14, 'm/d/yy')).toBe(true);
    expect(isDateFormat(164, 'yyyy-mm-dd hh:mm')).toBe(true);
    expect(isDateFormat(164, '"Date" 0.00')).toBe(false);
    expect(isDateFormat(4, '#,##0.00')).toBe(false);
    expect(formatNumber(1234.5, '#,##0.00', false)).toBe('1,234.50');
    expect(formatNumber(0.256, '0.0%', false)).toBe('25.6%');
    expect(formatNumber(45748.5, 'yyyy-mm-dd hh:mm', false)).toBe('2025-04-01 12:00');
    expect(formatNumber(3, 'General', false)).toBe('3');
  });
});

describe('IonToExcel (IonToExcelTest)', () => {
  /** The cells of each row, compared the way a workbook matcher does: numbers by value, strings as text. */
  async function cells(xlsx: string, sheet: string): Promise<unknown[][]> {
    const { sheets } = await read(xlsx, { header: false, dateTimeRender: 'SERIAL_NUMBER' });
    return ((await rowsOf(sheets.get(sheet) ?? '')) as unknown[][]).map((r) => r.map((v) => (v === null ? null : String(v))));
  }

  test.each([
    [true, 'insurance_sample.xlsx'],
    [false, 'insurance_sample_no_header.xlsx'],
  ])('header %s: the workbook has the cells of Kestra’s %s', async (header, expectedFile) => {
    const out = await write([['Worksheet', join(FIXTURES, 'insurance_sample.ion')]], { header });
    const actual = await cells(out, 'Worksheet');
    const expected = await cells(join(FIXTURES, expectedFile), 'Worksheet');
    expect(actual.length).toBe(expected.length);
    // the county column is a formula: the expected file holds its cached result, a streamed workbook none (as SXSSF)
    const strip = (rows: unknown[][]): unknown[][] => rows.map((r, i) => (header && i === 0 ? r : r.filter((_v, j) => j !== 2)));
    expect(strip(actual)).toEqual(strip(expected));
  });

  test('a formula, a BigInteger as text, dates with the date style, null as "null"', async () => {
    const out = await write([['S', join(FIXTURES, 'insurance_sample.ion')]]);
    const entries = await zipEntries(out);
    const sheet = await entryText(out, entries.get('xl/worksheets/sheet1.xml')!);
    expect(sheet).toContain('<f>UPPER(&quot;clay county&quot;)</f>');
    expect(sheet).toContain('<is><t>9223372036854775808</t></is>');
    expect(sheet).toMatch(/<c r="S2" s="1"><v>45083<\/v><\/c>/); // 2023-06-06, styled
    const back = (await rowsOf((await read(out)).sheets.get('S') ?? ''))[0] as Record<string, unknown>;
    expect(back['date']).toBe('2023-06-06');
    const plain = await write([['S', join(FIXTURES, 'insurance_sample.ion')]], { styles: false });
    expect(String(((await rowsOf((await read(plain)).sheets.get('S') ?? ''))[0] as Record<string, unknown>)['date'])).toBe('45083.0'); // no style: a number
    const nulls = join(dir, 'n.ion');
    await writeFile(nulls, '{a:null,b:true,c:Instant::"x",d:2024-01-02T23:30:00Z}\n');
    const nb = (await rowsOf((await read(await write([['S', nulls]], { timeZoneId: 'Europe/Paris' }))).sheets.get('S') ?? ''))[0] as Record<
      string,
      unknown
    >;
    expect(nb['a']).toBe('null');
    expect(nb['b']).toBe(false); // Kestra's IonToExcel writes every Boolean as FALSE
    expect(nb['d']).toBe('2024-01-03'); // an Instant is its date in timeZoneId
  });

  test('large: 10,000 rows of 101 columns written and read back', async () => {
    const ion = join(dir, 'large.ion');
    const keys = Array.from({ length: 100 }, (_v, i) => `key${i}:"value1"`).join(',');
    await writeFile(ion, `{${keys},int:1}\n`.repeat(10_000));
    const out = await write([['Sheet', ion]]);
    const { size } = await read(out);
    expect(size).toBe(10_000);
  }, 60_000);

  test('multiSheets: a sheet per entry of from', async () => {
    const src = join(FIXTURES, 'insurance_sample.ion');
    const out = await write([
      ['Worksheet_1', src],
      ['Worksheet_2', src],
      ['Worksheet_3', src],
    ]);
    const actual = await read(out, { header: false });
    const expected = await read(join(FIXTURES, 'insurance_sample_multiple_sheets.xlsx'), { header: false });
    expect([...actual.sheets.keys()]).toEqual([...expected.sheets.keys()]);
    expect(actual.size).toBe(expected.size);
  });

  test('a list row with a header fails as Kestra does', async () => {
    const ion = join(dir, 'l.ion');
    await writeFile(ion, '["a","b"]\n');
    await expect(write([['S', ion]])).rejects.toThrow('Invalid data of type List with header');
    const out = await write([['S', ion]], { header: false });
    expect((await read(out, { header: false })).sheets.get('S')).toBe('["a","b"]\n');
  });
});

describe('flow', () => {
  let p: Project;
  beforeAll(async () => {
    p = await project();
  });
  afterAll(async () => {
    await p.cleanup();
  });

  test('CsvToIon → IonToExcel (two sheets from a map) → ExcelToIon → IonToJson', async () => {
    const r = await p.run(`
id: serdes_excel
namespace: company.team
tasks:
  - id: csv
    type: io.kestra.plugin.core.storage.Write
    extension: .csv
    content: |
      product,qty
      apple,3
  - id: convert
    type: io.kestra.plugin.serdes.csv.CsvToIon
    from: "{{ outputs.csv.uri }}"
  - id: write
    type: io.kestra.plugin.serdes.excel.IonToExcel
    from:
      Sheet_1: "{{ outputs.convert.uri }}"
      Sheet_2: "{{ outputs.convert.uri }}"
  - id: read
    type: io.kestra.plugin.serdes.excel.ExcelToIon
    from: "{{ outputs.write.uri }}"
  - id: json
    type: io.kestra.plugin.serdes.json.IonToJson
    from: "{{ outputs.read.uris.Sheet_2 }}"
`);
    expect(r.state).toBe('SUCCESS');
    expect(r.outputs['write']).toMatchObject({ size: 2 });
    expect(r.outputs['read']).toMatchObject({ size: 2 });
    expect(Object.keys((r.outputs['read'] as { uris: Record<string, string> }).uris)).toEqual(['Sheet_1', 'Sheet_2']);
    expect(await p.read((r.outputs['json'] as { uri: string }).uri)).toBe('{"product":"apple","qty":"3"}\n');
  });
});
