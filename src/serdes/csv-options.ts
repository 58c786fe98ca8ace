/**
 * The options of the CSV conversions and Kestra's defaults, apart from the converters (convert.ts):
 * the CsvToIon task's definition shows a default in its schema without loading them.
 */
import type { QuoteMode } from './csv.js';

export interface CsvToIonOptions {
  readonly header: boolean;
  readonly fieldSeparator: string;
  readonly textDelimiter: string;
  readonly skipEmptyRows: boolean;
  readonly onBadLines: 'ERROR' | 'WARN' | 'SKIP';
  readonly onEmptyHeader: 'DROP' | 'RENAME';
  readonly skipRows: number;
  readonly charset: string;
  readonly maxFieldSize: number;
  readonly allowExtraCharsAfterClosingQuote: boolean;
}

export const CSV_TO_ION_DEFAULTS: CsvToIonOptions = {
  header: true,
  fieldSeparator: ',',
  textDelimiter: '"',
  skipEmptyRows: false,
  onBadLines: 'ERROR',
  onEmptyHeader: 'DROP',
  skipRows: 0,
  charset: 'UTF-8',
  maxFieldSize: 16 * 1024 * 1024,
  allowExtraCharsAfterClosingQuote: false,
};

export interface IonToCsvOptions {
  readonly header: boolean;
  readonly fieldSeparator: string;
  readonly textDelimiter: string;
  readonly lineDelimiter: string;
  readonly quoteMode: QuoteMode;
  readonly charset: string;
}

export const ION_TO_CSV_DEFAULTS: IonToCsvOptions = {
  header: true,
  fieldSeparator: ',',
  textDelimiter: '"',
  lineDelimiter: '\n',
  quoteMode: 'REQUIRED',
  charset: 'UTF-8',
};
