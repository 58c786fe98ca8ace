/**
 * Excel (.xlsx) ⇄ Ion as Kestra's `excel.ExcelToIon` (Apache POI's streaming reader) and `excel.IonToExcel`
 * (POI's SXSSF writer) do it, on node:zlib (./zip.ts) and `saxes` for the sheet XML. `exceljs` was the
 * obvious library, but it installs 53 MB in 170 packages; the part of OOXML these two tasks need (cell
 * values, shared and inline strings, number formats for dates, several sheets) is small, and this way
 * both directions stream: a sheet is read row by row, and written row by row into a deflate stream.
 *
 * Reading (Kestra's semantics): the first row is the header (`Column<i>` for a blank one), `skipRows` rows
 * are skipped after it (or, without a header, after the first row — Kestra's loop does it that way),
 * numbers are Doubles, a date-formatted number is its date (`yyyy-MM-dd`, or the serial number, or the
 * formatted text, by `dateTimeRender`), a formula is its cached value, a blank cell is null.
 *
 * Writing (Kestra's semantics): maps give a header row from the first row's keys then values, numbers
 * are numeric cells (a BigInteger a string), dates are serial numbers (LocalDate, LocalDateTime, and an
 * Instant as its date in `timeZoneId`), with the date format as the column's default style when `styles`;
 * everything else is its Java text (null is "null"), and a text starting with `Formula:` is a formula.
 * A Boolean is written as FALSE: Kestra sets the cell type without its value (SXSSFCell defaults to false).
 */
import { LocalDate, LocalDateTime } from '@js-joda/core';
import { JBigDecimal, JBigInteger } from '../engine/builtins/kestra/numbers.js';
import { isList, isMap, JDouble, makeDouble, newMap, toJavaString } from '../engine/values.js';
import { javaZone, systemZoneId, temporalOf } from './avro-model.js';
import { FileSink, ionValues } from './convert.js';
import { SerdesError } from './errors.js';
import { IonTimestamp, IonTyped, toIonLine } from './ion.js';
import type { SaxesModule } from './xml.js';
import { entryStream, entryText, type ZipEntry, zipEntries, ZipWriter } from './zip.js';

export type ValueRender = 'FORMATTED_VALUE' | 'UNFORMATTED_VALUE' | 'FORMULA';
export type DateTimeRender = 'SERIAL_NUMBER' | 'FORMATTED_STRING' | 'UNFORMATTED_VALUE';

export interface ExcelToIonOptions {
  readonly sheetsTitle: readonly string[];
  readonly valueRender: ValueRender;
  readonly dateTimeRender: DateTimeRender;
  readonly header: boolean;
  readonly skipEmptyRows: boolean;
  readonly skipRows: number;
}

// --- a small DOM for the workbook parts -------------------------------------------------------------------

interface Tag {
  name: string;
  attributes: Record<string, string>;
}

/** Calls `onOpen`/`onText`/`onClose` for an XML text (small parts: workbook, rels, styles, shared strings). */
function walk(lib: SaxesModule, xml: string, h: { open?: (t: Tag) => void; close?: (t: Tag) => void; text?: (s: string) => void }): void {
  const p = new lib.SaxesParser({ position: false });
  let failure: Error | undefined;
  p.on('error', (e) => (failure ??= e));
  if (h.open) p.on('opentag', h.open);
  if (h.close) p.on('closetag', h.close);
  if (h.text) {
    p.on('text', h.text);
    p.on('cdata', h.text);
  }
  p.write(xml);
  p.close();
  if (failure !== undefined) throw new SerdesError('SERDES_BAD_INPUT', `Invalid .xlsx part: ${failure.message}`);
}

const local = (n: string): string => (n.includes(':') ? n.slice(n.indexOf(':') + 1) : n);

/** Built-in number formats POI counts as dates (DateUtil.isInternalDateFormat) and their codes. */
const BUILTIN_FORMATS: Record<number, string> = {
  0: 'General',
  1: '0',
  2: '0.00',
  3: '#,##0',
  4: '#,##0.00',
  9: '0%',
  10: '0.00%',
  11: '0.00E+00',
  14: 'm/d/yy',
  15: 'd-mmm-yy',
  16: 'd-mmm',
  17: 'mmm-yy',
  18: 'h:mm AM/PM',
  19: 'h:mm:ss AM/PM',
  20: 'h:mm',
  21: 'h:mm:ss',
  22: 'm/d/yy h:mm',
  45: 'mm:ss',
  46: '[h]:mm:ss',
  47: 'mm:ss.0',
  49: '@',
};

/** DateUtil.isADateFormat: the format's date/time letters, once quoted text, colours and locales are removed. */
export function isDateFormat(id: number, code: string): boolean {
  if ((id >= 14 && id <= 22) || (id >= 45 && id <= 47) || (id >= 27 && id <= 36) || (id >= 50 && id <= 58)) return true;
  if (code === '' || code === 'General') return false;
  let c = code.split(';')[0] ?? '';
  c = c
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/_./g, '')
    .replace(/\*./g, '');
  c = c.replace(/\[(h+|m+|s+)\]/gi, 'h').replace(/\[[^\]]*\]/g, '');
  c = c.replace(/(AM\/PM|A\/P)/gi, '');
  return /^[yYmMdDhHsSeE\-/,. :年月日T]+0*$/.test(c) && /[yYmMdDhHsS]/.test(c);
}

interface Workbook {
  sheets: { name: string; path: string }[];
  strings: string[];
  /** per style index: [numFmtId, format code] */
  styles: [number, string][];
  date1904: boolean;
}

async function readWorkbook(lib: SaxesModule, path: string, entries: Map<string, ZipEntry>): Promise<Workbook> {
  const get = (name: string): ZipEntry | undefined => entries.get(name) ?? entries.get(name.replace(/^\//, ''));
  const wbEntry = get('xl/workbook.xml');
  if (wbEntry === undefined) throw new SerdesError('SERDES_BAD_INPUT', 'Not a valid .xlsx file: no xl/workbook.xml');
  const rels = new Map<string, string>();
  const relsEntry = get('xl/_rels/workbook.xml.rels');
  if (relsEntry !== undefined)
    walk(lib, await entryText(path, relsEntry), {
      open: (t) => {
        if (local(t.name) === 'Relationship' && t.attributes['Id'] !== undefined)
          rels.set(t.attributes['Id'], t.attributes['Target'] ?? '');
      },
    });
  const sheets: { name: string; path: string }[] = [];
  let date1904 = false;
  walk(lib, await entryText(path, wbEntry), {
    open: (t) => {
      const n = local(t.name);
      if (n === 'workbookPr') date1904 = t.attributes['date1904'] === '1' || t.attributes['date1904'] === 'true';
      if (n !== 'sheet') return;
      const rid = Object.entries(t.attributes).find(([k]) => local(k) === 'id' && k !== 'sheetId')?.[1] ?? '';
      const target = rels.get(rid) ?? `worksheets/sheet${sheets.length + 1}.xml`;
      sheets.push({
        name: t.attributes['name'] ?? `Sheet${sheets.length + 1}`,
        path: target.startsWith('/') ? target.slice(1) : `xl/${target}`,
      });
    },
  });
  const strings: string[] = [];
  const ssEntry = get('xl/sharedStrings.xml');
  if (ssEntry !== undefined) {
    let current: string | undefined;
    let inT = false;
    let inPhonetic = 0;
    walk(lib, await entryText(path, ssEntry), {
      open: (t) => {
        const n = local(t.name);
        if (n === 'si') current = '';
        else if (n === 'rPh') inPhonetic++;
        else if (n === 't') inT = true;
      },
      close: (t) => {
        const n = local(t.name);
        if (n === 'si') {
          strings.push(current ?? '');
          current = undefined;
        } else if (n === 'rPh') inPhonetic--;
        else if (n === 't') inT = false;
      },
      text: (s) => {
        if (inT && inPhonetic === 0 && current !== undefined) current += s;
      },
    });
  }
  const formats = new Map<number, string>();
  const styles: [number, string][] = [];
  const stEntry = get('xl/styles.xml');
  if (stEntry !== undefined) {
    let inCellXfs = false;
    walk(lib, await entryText(path, stEntry), {
      open: (t) => {
        const n = local(t.name);
        if (n === 'numFmt') formats.set(Number(t.attributes['numFmtId']), t.attributes['formatCode'] ?? '');
        else if (n === 'cellXfs') inCellXfs = true;
        else if (n === 'xf' && inCellXfs) {
          const id = Number(t.attributes['numFmtId'] ?? '0');
          styles.push([id, formats.get(id) ?? BUILTIN_FORMATS[id] ?? '']);
        }
      },
      close: (t) => {
        if (local(t.name) === 'cellXfs') inCellXfs = false;
      },
    });
  }
  return { sheets, strings, styles, date1904 };
}

// --- cells ---------------------------------------------------------------------------------------------

type CellType = 'NUMERIC' | 'STRING' | 'BOOLEAN' | 'ERROR' | 'BLANK';
interface Cell {
  col: number;
  type: CellType;
  /** for a formula: the cached result's type */
  formula: boolean;
  value: string;
  style: number;
}

function columnIndex(ref: string): number {
  let n = 0;
  for (const ch of ref) {
    const c = ch.charCodeAt(0);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return n - 1;
}

function columnName(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** An Excel serial number as a local date-time (1900 system with its 29 Feb 1900, or 1904). */
function serialToDateTime(serial: number, date1904: boolean): LocalDateTime {
  let days = Math.floor(serial);
  const ms = Math.round((serial - days) * 86_400_000);
  if (date1904) days += 1462;
  const epochDay = days - 25569 + (days < 61 && !date1904 ? 1 : 0);
  return LocalDate.ofEpochDay(epochDay)
    .atStartOfDay()
    .plusNanos(ms * 1_000_000);
}

function dateToSerial(d: LocalDateTime): number {
  const days = d.toLocalDate().toEpochDay() + 25569;
  const serialDays = days < 61 ? days - 1 : days;
  return serialDays + d.toLocalTime().toNanoOfDay() / 86_400_000_000_000;
}

/** DataFormatter.formatCellValue, for the common formats (General, 0, 0.00, #,##0, %, E, dates). */
export function formatNumber(value: number, code: string, date1904: boolean): string {
  const section = (code.split(';')[value < 0 && code.includes(';') ? 1 : 0] ?? code).replace(/\[[^\]]*\]/g, '');
  if (code === '' || /^general$/i.test(code)) return general(value);
  if (isDateFormat(-1, code)) return formatDate(serialToDateTime(value, date1904), section);
  const plain = section
    .replace(/"([^"]*)"/g, '$1')
    .replace(/\\(.)/g, '$1')
    .replace(/_.|\*./g, '');
  const percent = plain.includes('%');
  const v = percent ? value * 100 : value;
  const sci = /E[+-]/i.exec(plain);
  const m = /[0#?,]*\.?([0#?]*)/.exec(plain.replace(/^[^0#?.]*/, ''));
  const decimals = m?.[1]?.length ?? 0;
  let text: string;
  if (sci)
    text = v
      .toExponential(decimals)
      .replace('e', 'E')
      .replace(/E([+-])(\d)$/, 'E$10$2');
  else {
    text = Math.abs(v).toFixed(decimals);
    if (plain.includes(',')) {
      const [i, f] = text.split('.');
      text = (i ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f !== undefined ? `.${f}` : '');
    }
    if (v < 0 && !code.includes(';')) text = `-${text}`;
  }
  const prefix = plain.slice(0, plain.search(/[0#?.]/) < 0 ? 0 : plain.search(/[0#?.]/)).replace(/[%,]/g, '');
  return `${prefix}${text}${percent ? '%' : ''}`;
}

/** POI's General format: up to 11 significant characters, no trailing zeros, scientific when long. */
function general(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e11) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e11 || abs < 1e-9))
    return v
      .toExponential(5)
      .replace(/\.?0+e/, 'E')
      .replace('e', 'E')
      .replace(/E\+?/, 'E+')
      .replace('E+-', 'E-');
  const s = v.toPrecision(10);
  return String(Number(s));
}

function formatDate(d: LocalDateTime, code: string): string {
  const ampm = /AM\/PM|A\/P/i.test(code);
  const tokens = code.match(/yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|AM\/PM|A\/P|\.0+|"[^"]*"|\\.|./gi) ?? [];
  let out = '';
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  tokens.forEach((tok, i) => {
    const lower = tok.toLowerCase();
    // m/mm is minutes after an hour or before a second
    const prev =
      tokens
        .slice(0, i)
        .reverse()
        .find((t) => /^[a-z]/i.test(t) && !/^[\\"]/.test(t))
        ?.toLowerCase() ?? '';
    const next =
      tokens
        .slice(i + 1)
        .find((t) => /^[a-z]/i.test(t) && !/^[\\"]/.test(t))
        ?.toLowerCase() ?? '';
    const minutes = (lower === 'm' || lower === 'mm') && (prev.startsWith('h') || next.startsWith('s'));
    const hour12 = ((d.hour() + 11) % 12) + 1;
    switch (lower) {
      case 'yyyy':
        out += String(d.year());
        break;
      case 'yy':
        out += p2(d.year() % 100);
        break;
      case 'mmmmm':
        out += (months[d.monthValue() - 1] ?? '').charAt(0);
        break;
      case 'mmmm':
        out += months[d.monthValue() - 1] ?? '';
        break;
      case 'mmm':
        out += (months[d.monthValue() - 1] ?? '').slice(0, 3);
        break;
      case 'mm':
        out += minutes ? p2(d.minute()) : p2(d.monthValue());
        break;
      case 'm':
        out += minutes ? String(d.minute()) : String(d.monthValue());
        break;
      case 'dddd':
        out += days[d.dayOfWeek().value() - 1] ?? '';
        break;
      case 'ddd':
        out += (days[d.dayOfWeek().value() - 1] ?? '').slice(0, 3);
        break;
      case 'dd':
        out += p2(d.dayOfMonth());
        break;
      case 'd':
        out += String(d.dayOfMonth());
        break;
      case 'hh':
        out += p2(ampm ? hour12 : d.hour());
        break;
      case 'h':
        out += String(ampm ? hour12 : d.hour());
        break;
      case 'ss':
        out += p2(d.second());
        break;
      case 's':
        out += String(d.second());
        break;
      case 'am/pm':
        out += d.hour() < 12 ? 'AM' : 'PM';
        break;
      case 'a/p':
        out += d.hour() < 12 ? 'A' : 'P';
        break;
      default:
        if (tok.startsWith('"')) out += tok.slice(1, -1);
        else if (tok.startsWith('\\')) out += tok.slice(1);
        else if (/^\.0+$/.test(tok))
          out += `.${String(Math.floor(d.nano() / 1e6))
            .padStart(3, '0')
            .slice(0, tok.length - 1)}`;
        else out += tok;
    }
  });
  return out;
}

class CellReader {
  constructor(
    private readonly wb: Workbook,
    private readonly valueRender: ValueRender,
    private readonly dateTimeRender: DateTimeRender,
  ) {}

  private format(c: Cell): [number, string] {
    return this.wb.styles[c.style] ?? [0, 'General'];
  }

  private isDate(c: Cell): boolean {
    const [id, code] = this.format(c);
    return isDateFormat(id, code);
  }

  private numeric(c: Cell): unknown {
    const v = Number(c.value);
    if (this.isDate(c)) {
      switch (this.dateTimeRender) {
        case 'SERIAL_NUMBER':
          return makeDouble(v);
        case 'FORMATTED_STRING':
          return formatNumber(v, this.format(c)[1], this.wb.date1904);
        default:
          // Kestra: the date in the system zone of a Date built in the same zone, i.e. the date part.
          return serialToDateTime(v, this.wb.date1904).toLocalDate().toString();
      }
    }
    return makeDouble(v);
  }

  private formulaValue(c: Cell): unknown {
    switch (c.type) {
      case 'NUMERIC':
        return this.numeric(c);
      case 'STRING':
        return c.value;
      case 'BOOLEAN':
        return c.value === '1' || c.value === 'true';
      default:
        return null;
    }
  }

  value(c: Cell): unknown {
    if (this.valueRender === 'FORMATTED_VALUE') {
      if (c.type === 'NUMERIC' && this.isDate(c)) {
        const v = Number(c.value);
        if (this.dateTimeRender === 'SERIAL_NUMBER') return makeDouble(v);
        if (this.dateTimeRender === 'FORMATTED_STRING') return formatNumber(v, this.format(c)[1], this.wb.date1904);
        // getDateCellValue(): a java.util.Date, written by Kestra's Ion mapper as a timestamp
        const local = serialToDateTime(v, this.wb.date1904);
        return new IonTimestamp(local.atZone(javaZone(systemZoneId())).toInstant().toString());
      }
      switch (c.type) {
        case 'NUMERIC':
          return formatNumber(Number(c.value), this.format(c)[1], this.wb.date1904);
        case 'BOOLEAN':
          return c.value === '1' || c.value === 'true' ? 'TRUE' : 'FALSE';
        case 'BLANK':
          return '';
        default:
          return c.value;
      }
    }
    if (this.valueRender === 'FORMULA' || c.formula) return this.formulaValue(c);
    switch (c.type) {
      case 'STRING':
        return c.value;
      case 'BOOLEAN':
        return c.value === '1' || c.value === 'true';
      case 'NUMERIC':
        return this.numeric(c);
      default:
        return null;
    }
  }
}

/** The rows of a sheet (only the rows present in the file, as POI's streaming reader gives them). */
async function* sheetRows(lib: SaxesModule, path: string, entry: ZipEntry, strings: readonly string[]): AsyncGenerator<Cell[]> {
  const parser = new lib.SaxesParser({ position: false });
  let failure: Error | undefined;
  parser.on('error', (e) => (failure ??= e));
  const ready: Cell[][] = [];
  let row: Cell[] | undefined;
  let cell: (Cell & { t: string }) | undefined;
  let text: string | undefined;
  let nextCol = 0;
  parser.on('opentag', (t) => {
    const n = local(t.name);
    if (n === 'row') {
      row = [];
      nextCol = 0;
    } else if (n === 'c' && row !== undefined) {
      const ref = t.attributes['r'];
      const col = ref !== undefined ? columnIndex(ref) : nextCol;
      nextCol = col + 1;
      cell = { col, type: 'BLANK', formula: false, value: '', style: Number(t.attributes['s'] ?? '0'), t: t.attributes['t'] ?? 'n' };
    } else if (cell !== undefined && (n === 'v' || n === 't')) text = '';
    else if (cell !== undefined && n === 'f') cell.formula = true;
  });
  parser.on('text', (s) => {
    if (text !== undefined) text += s;
  });
  parser.on('closetag', (t) => {
    const n = local(t.name);
    if ((n === 'v' || n === 't') && cell !== undefined && text !== undefined) {
      cell.value += text;
      text = undefined;
    } else if (n === 'c' && cell !== undefined && row !== undefined) {
      const c = cell;
      const hasValue = c.value !== '' || c.t === 'inlineStr' || c.t === 's' || c.t === 'str';
      if (!hasValue) c.type = 'BLANK';
      else if (c.t === 's') {
        c.type = 'STRING';
        c.value = strings[Number(c.value)] ?? '';
      } else if (c.t === 'inlineStr' || c.t === 'str') c.type = 'STRING';
      else if (c.t === 'b') c.type = 'BOOLEAN';
      else if (c.t === 'e') c.type = 'ERROR';
      else if (c.t === 'd') {
        c.type = 'NUMERIC';
        c.value = String(
          dateToSerial(LocalDateTime.parse(c.value.replace(/Z$/, '').length === 10 ? `${c.value}T00:00` : c.value.replace(/Z$/, ''))),
        );
      } else c.type = 'NUMERIC';
      row.push({ col: c.col, type: c.type, formula: c.formula, value: c.value, style: c.style });
      cell = undefined;
    } else if (n === 'row' && row !== undefined) {
      ready.push(row);
      row = undefined;
    }
  });
  for await (const chunk of entryStream(path, entry)) {
    parser.write((chunk as Buffer).toString('utf8'));
    if (failure !== undefined) throw new SerdesError('SERDES_BAD_INPUT', `Invalid sheet XML: ${failure.message}`);
    yield* ready.splice(0);
  }
  parser.close();
  yield* ready.splice(0);
}

/** `ExcelToIon`: one Ion file per selected sheet; returns the files and the number of rows. */
export async function excelToIon(
  lib: SaxesModule,
  path: string,
  options: ExcelToIonOptions,
  newFile: () => Promise<string>,
): Promise<{ files: Map<string, string>; size: number; sheets: number }> {
  const entries = await zipEntries(path);
  const wb = await readWorkbook(lib, path, entries);
  const reader = new CellReader(wb, options.valueRender, options.dateTimeRender);
  const files = new Map<string, string>();
  let size = 0;
  for (const sheet of wb.sheets) {
    if (options.sheetsTitle.length > 0 && !options.sheetsTitle.includes(sheet.name)) continue;
    const entry = entries.get(sheet.path);
    if (entry === undefined) throw new SerdesError('SERDES_BAD_INPUT', `Sheet '${sheet.name}' has no part ${sheet.path}`);
    const out = await newFile();
    const sink = new FileSink(out);
    try {
      const rows = sheetRows(lib, path, entry, wb.strings);
      let headers: string[] | undefined;
      let first = 0;
      let last = -1;
      let skippedData = 0;
      let lines: string[] = [];
      const cellAt = (r: Cell[], col: number): Cell | undefined => r.find((c) => c.col === col);
      const process = (r: Cell[]): unknown[] => {
        const byCol: (Cell | undefined)[] = [];
        for (const c of r) byCol[c.col] = c;
        const values: unknown[] = [];
        for (let col = first; col < last; col++) {
          const c = byCol[col];
          values.push(c === undefined || c.type === 'BLANK' ? null : reader.value(c));
        }
        return values;
      };
      const emit = async (values: unknown[]): Promise<void> => {
        let row: unknown = values;
        if (headers !== undefined && headers.length > 0) {
          const m = newMap();
          headers.forEach((h, i) => (m[h] = i < values.length ? (values[i] ?? null) : null));
          row = m;
        }
        lines.push(toIonLine(row));
        size++;
        if (lines.length >= 1000) {
          await sink.write(`${lines.join('\n')}\n`);
          lines = [];
        }
      };
      let next = await rows.next();
      if (options.header && next.done !== true) {
        let headerRow = next.value;
        next = await rows.next();
        for (let skipped = 0; skipped < options.skipRows && next.done !== true; skipped++) {
          headerRow = next.value;
          next = await rows.next();
        }
        const present = headerRow;
        first = present.length > 0 ? Math.min(...present.map((c) => c.col)) : -1;
        last = present.length > 0 ? Math.max(...present.map((c) => c.col)) + 1 : -1;
        headers = [];
        if (first >= 0)
          for (let i = first; i < last; i++) {
            const c = cellAt(headerRow, i);
            headers.push(c !== undefined && c.type !== 'BLANK' ? toJavaString(reader.value(c)) : `Column${i}`);
          }
        else first = 0;
      }
      if (last === -1 && next.done !== true) {
        const r = next.value;
        last = r.length > 0 ? Math.max(...r.map((c) => c.col)) + 1 : 0;
        await emit(process(r));
        next = await rows.next();
      }
      while (next.done !== true) {
        const r = next.value;
        next = await rows.next();
        if (!options.header && options.skipRows > 0 && skippedData < options.skipRows) {
          skippedData++;
          continue;
        }
        await emit(process(r));
      }
      if (lines.length > 0) await sink.write(`${lines.join('\n')}\n`);
      await sink.close();
    } catch (e) {
      sink.destroy();
      throw e;
    }
    files.set(sheet.name, out);
  }
  return { files, size, sheets: wb.sheets.length };
}

// --- Ion → Excel -----------------------------------------------------------------------------------------

export interface IonToExcelOptions {
  readonly header: boolean;
  readonly styles: boolean;
  readonly dateFormat: string;
  readonly timeZoneId: string;
}

function escapeText(s: string): string {
  return s
    .replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'))
    .replace(/_(x[0-9A-Fa-f]{4}_)/g, '_x005F_$1')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `_x${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}_`);
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** A Java number's text (Double.toString-like, as a cell value). */
function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : '0';
}

interface SheetSource {
  readonly title: string;
  readonly rows: AsyncIterable<unknown>;
}

class SheetWriter {
  readonly dateColumns = new Set<number>();
  constructor(
    private readonly options: IonToExcelOptions,
    private readonly dateStyle: number,
  ) {}

  /**
   * One cell. POI's SXSSF writes a cell with its column's default style, which Kestra sets to the date
   * format on the first date of a column (when `styles`): from then on that column's cells carry it.
   */
  cell(value: unknown, row: number, col: number): string {
    const ref = `${columnName(col)}${row}`;
    const t = value instanceof IonTimestamp || value instanceof IonTyped ? temporalOf(value) : undefined;
    let serial: number | undefined;
    if (t?.cls === 'LocalDate') serial = dateToSerial(t.v.atStartOfDay());
    else if (t?.cls === 'LocalDateTime') serial = dateToSerial(t.v);
    else if (t?.cls === 'Instant') serial = dateToSerial(LocalDate.ofInstant(t.v, javaZone(this.options.timeZoneId)).atStartOfDay());
    if (serial !== undefined && this.options.styles) this.dateColumns.add(col);
    const s = this.dateColumns.has(col) ? ` s="${this.dateStyle}"` : '';
    const num = (n: number): string => `<c r="${ref}"${s}><v>${numberText(n)}</v></c>`;
    if (serial !== undefined) return num(serial);
    if (typeof value === 'number') return num(value);
    // a whole number beyond the long range is a BigInteger: Kestra writes its text
    if (typeof value === 'bigint')
      return value >= -(2n ** 63n) && value < 2n ** 63n ? num(Number(value)) : this.text(ref, s, value.toString());
    if (value instanceof JBigInteger) return this.text(ref, s, value.toString());
    if (value instanceof JBigDecimal || value instanceof JDouble) return num(value.value);
    // Kestra sets a Boolean cell's type without its value: SXSSF's default, FALSE.
    if (typeof value === 'boolean') return `<c r="${ref}"${s} t="b"><v>0</v></c>`;
    const text = value === null || value === undefined ? 'null' : t !== undefined ? t.v.toString() : toJavaString(value);
    if (text.startsWith('Formula:')) return `<c r="${ref}"${s}><f>${escapeText(text.slice(8))}</f></c>`;
    return this.text(ref, s, text);
  }

  private text(ref: string, style: string, s: string): string {
    const space = /^\s|\s$/.test(s) ? ' xml:space="preserve"' : '';
    return `<c r="${ref}"${style} t="inlineStr"><is><t${space}>${escapeText(s)}</t></is></c>`;
  }

  get style(): number {
    return this.dateStyle;
  }
}

/** `IonToExcel`: one workbook with a sheet per source; returns the number of records written. */
export async function ionToExcel(sources: readonly SheetSource[], outFile: string, options: IonToExcelOptions): Promise<number> {
  const zip = new ZipWriter(outFile);
  let total = 0;
  try {
    // a date column's default style (SXSSF: sheet.setDefaultColumnStyle), style 1
    const dateCode = options.dateFormat;
    const sheetNames: string[] = [];
    for (let s = 0; s < sources.length; s++) {
      const source = sources[s] as SheetSource;
      sheetNames.push(source.title);
      const writer = new SheetWriter(options, 1);
      // One entry streamed through deflate, row by row (SXSSF keeps one row in memory too).
      const pieces = async function* (): AsyncGenerator<string> {
        yield `${XML_HEAD}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><dimension ref="A1"/><sheetData>`;
        let rowAt = 0;
        let first = true;
        let chunk = '';
        for await (const row of source.rows) {
          total++;
          let values: unknown[];
          if (isList(row)) {
            if (options.header) throw new SerdesError('SERDES_BAD_INPUT', 'Invalid data of type List with header');
            values = row;
          } else if (isMap(row)) {
            if (first && options.header) {
              rowAt++;
              const r = rowAt;
              chunk += `<row r="${r}">${Object.keys(row)
                .map((k, i) => writer.cell(k, r, i))
                .join('')}</row>`;
            }
            values = Object.values(row);
          } else continue;
          first = false;
          rowAt++;
          const r = rowAt;
          chunk += `<row r="${r}">${values.map((v, i) => writer.cell(v, r, i)).join('')}</row>`;
          if (chunk.length > 65536) {
            yield chunk;
            chunk = '';
          }
        }
        yield `${chunk}</sheetData></worksheet>`;
      };
      await zip.entry(`xl/worksheets/sheet${s + 1}.xml`, pieces());
    }
    await zip.entry('xl/styles.xml', [
      `${XML_HEAD}<styleSheet xmlns="${NS_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="${escapeText(excelDateCode(dateCode))}"/></numFmts>` +
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="true"/></cellXfs></styleSheet>',
    ]);
    await zip.entry('xl/workbook.xml', [
      `${XML_HEAD}<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><workbookPr date1904="false"/><sheets>${sheetNames
        .map((n, i) => `<sheet name="${escapeText(n)}" sheetId="${i + 1}" r:id="rId${i + 3}"/>`)
        .join('')}</sheets></workbook>`,
    ]);
    await zip.entry('xl/_rels/workbook.xml.rels', [
      `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
        `<Relationship Id="rId2" Target="styles.xml" Type="${NS_REL}/styles"/>` +
        sheetNames
          .map((_n, i) => `<Relationship Id="rId${i + 3}" Target="worksheets/sheet${i + 1}.xml" Type="${NS_REL}/worksheet"/>`)
          .join('') +
        '</Relationships>',
    ]);
    await zip.entry('_rels/.rels', [
      `${XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="xl/workbook.xml" Type="${NS_REL}/officeDocument"/></Relationships>`,
    ]);
    await zip.entry('[Content_Types].xml', [
      `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        sheetNames
          .map(
            (_n, i) =>
              `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
          )
          .join('') +
        '</Types>',
    ]);
    await zip.close();
  } catch (e) {
    zip.destroy();
    throw e;
  }
  return total;
}

/** A java.time pattern (Kestra's dateFormat, `yyyy-MM-dd`) as an Excel number format code. */
function excelDateCode(javaPattern: string): string {
  return javaPattern
    .replace(/'([^']*)'/g, '"$1"')
    .replace(/M/g, 'm')
    .replace(/a/g, 'AM/PM')
    .replace(/S+/g, (s) => `.${'0'.repeat(Math.min(3, s.length))}`);
}

/** The rows of an Ion file, typed (timestamps and java.time values kept). */
export function ionRows(input: AsyncIterable<Uint8Array>): AsyncIterable<unknown> {
  return ionValues(input, { typed: true });
}
