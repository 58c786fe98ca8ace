/**
 * CSV reading and writing with the rules of FastCSV, the library Kestra's serdes plugin uses: CR, LF
 * or CRLF line ends, fields quoted only when they start with the quote character (`""` inside is one
 * quote), quoted fields may span lines, an empty line is a record of one empty field unless skipped.
 * The reader is push-based so files of any size stream through in constant memory.
 */

import { CsvParseError } from './errors.js';

export interface CsvReadOptions {
  readonly separator: string;
  readonly quote: string;
  readonly skipEmptyLines: boolean;
  readonly allowExtraCharsAfterClosingQuote: boolean;
  /** Longest field accepted, in characters (FastCSV's maxFieldSize). */
  readonly maxFieldSize: number;
}

export interface CsvRecord {
  /** 1-based line where the record starts. */
  readonly line: number;
  readonly fields: string[];
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
  AfterClosingQuote,
}

/** Feed text with `push`, collect records from the callback; call `end` once. */
export class CsvReader {
  private state: State = State.FieldStart;
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private pendingCR = false;
  private sawData = false;

  constructor(
    private readonly options: CsvReadOptions,
    private readonly onRecord: (record: CsvRecord) => void,
    /** Called for a malformed record (the reader then skips to the next line). */
    private readonly onError: (error: CsvParseError) => void,
  ) {}

  push(text: string): void {
    const { separator, quote } = this.options;
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === '\n') continue;
      }
      switch (this.state) {
        case State.FieldStart:
          if (c === quote) {
            this.state = State.Quoted;
            this.sawData = true;
          } else if (c === separator) {
            this.sawData = true;
            this.endField();
          } else if (c === '\n' || c === '\r') this.endLine(c);
          else {
            this.sawData = true;
            this.field += c;
            this.state = State.Unquoted;
          }
          break;
        case State.Unquoted: {
          // Copy a run of plain characters at once: most fields have no special character.
          let j = i;
          while (j < text.length) {
            const d = text[j];
            if (d === separator || d === '\n' || d === '\r') break;
            j++;
          }
          this.field += text.slice(i, j);
          this.checkSize();
          i = j - 1;
          if (j < text.length) {
            i = j;
            const d = text[j] as string;
            if (d === separator) this.endField();
            else this.endLine(d);
          }
          break;
        }
        case State.Quoted: {
          const j = text.indexOf(quote, i);
          const end = j < 0 ? text.length : j;
          const chunk = text.slice(i, end);
          for (const ch of chunk) if (ch === '\n') this.line++;
          // A lone CR inside quotes is a line end too (FastCSV counts CR, LF and CRLF).
          this.line += (chunk.match(/\r(?!\n)/g) ?? []).length;
          this.field += chunk;
          this.checkSize();
          i = end;
          if (j >= 0) this.state = State.QuoteInQuoted;
          break;
        }
        case State.QuoteInQuoted:
          if (c === quote) {
            this.field += quote;
            this.state = State.Quoted;
          } else if (c === separator) this.endField();
          else if (c === '\n' || c === '\r') this.endLine(c);
          else this.extraAfterQuote(c);
          break;
        case State.AfterClosingQuote:
          if (c === separator) this.endField();
          else if (c === '\n' || c === '\r') this.endLine(c);
          else this.field += c;
          break;
      }
    }
  }

  end(): void {
    if (this.state === State.Quoted) {
      this.fail(`Unexpected end of data: a quoted field that starts on line ${this.recordLine} is not closed`);
      return;
    }
    if (this.sawData || this.fields.length > 0) this.emit();
  }

  private extraAfterQuote(c: string): void {
    if (this.options.allowExtraCharsAfterClosingQuote) {
      this.field += c;
      this.state = State.AfterClosingQuote;
      return;
    }
    this.fail(`Unexpected character after closing quote: '${c}' (0x${c.charCodeAt(0).toString(16)}) on line ${this.line}`);
    // Skip the rest of the physical line.
    this.state = State.AfterClosingQuote;
    this.skipping = true;
  }

  private skipping = false;

  private checkSize(): void {
    if (this.field.length > this.options.maxFieldSize) {
      throw new CsvParseError(
        `Field exceeds the maximum size of ${this.options.maxFieldSize} characters (line ${this.recordLine})`,
        this.recordLine,
      );
    }
  }

  private fail(message: string): void {
    this.onError(new CsvParseError(message, this.recordLine));
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
  }

  private endLine(c: string): void {
    if (c === '\r') this.pendingCR = true;
    this.emit();
    this.line++;
    this.recordLine = this.line;
  }

  private emit(): void {
    const skipping = this.skipping;
    this.skipping = false;
    const empty = !this.sawData && this.fields.length === 0 && this.field === '';
    if (!skipping && !(empty && this.options.skipEmptyLines)) {
      this.fields.push(this.field);
      this.onRecord({ line: this.recordLine, fields: this.fields });
    }
    this.fields = [];
    this.field = '';
    this.sawData = false;
    this.state = State.FieldStart;
  }
}

export type QuoteMode = 'ALWAYS' | 'REQUIRED' | 'NON_NUMERIC';

export interface CsvWriteOptions {
  readonly separator: string;
  readonly quote: string;
  readonly lineDelimiter: string;
  readonly quoteMode: QuoteMode;
}

function isNumeric(value: string): boolean {
  if (value === '') return false;
  let start = 0;
  if (value[0] === '-' || value[0] === '+') {
    if (value.length === 1) return false;
    start = 1;
  }
  let dot = false;
  for (let i = start; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '.') {
      if (dot) return false;
      dot = true;
    } else if (c < '0' || c > '9') return false;
  }
  return true;
}

/** One record as a CSV line (with its line delimiter); a null field is written empty and never quoted. */
export function csvLine(fields: readonly (string | null)[], options: CsvWriteOptions): string {
  const { separator, quote, lineDelimiter, quoteMode } = options;
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += separator;
    const f = fields[i];
    if (f === null || f === undefined) continue;
    const needs =
      quoteMode === 'ALWAYS' ||
      (quoteMode === 'NON_NUMERIC' && !isNumeric(f)) ||
      f.includes(separator) ||
      f.includes(quote) ||
      f.includes('\n') ||
      f.includes('\r');
    out += needs ? quote + f.split(quote).join(quote + quote) + quote : f;
  }
  return out + lineDelimiter;
}
