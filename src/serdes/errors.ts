/** Failures of the serdes conversions (bad CSV, JSON or Ion input, an option they cannot use), each with a stable code. */
import { PebbleflowError } from '../errors/pebbleflow-error.js';

export type SerdesErrorCode =
  /** The input is not valid CSV, JSON or Ion (the message names the line where there is one). */
  | 'SERDES_BAD_INPUT'
  /** An option the conversion cannot use (an unknown charset, a separator of two characters…). */
  | 'SERDES_BAD_OPTION';

export class SerdesError extends PebbleflowError<SerdesErrorCode> {
  constructor(code: SerdesErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A CSV record the reader cannot take, at a 1-based line. */
export class CsvParseError extends SerdesError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super('SERDES_BAD_INPUT', message);
  }
}

/** Ion text or binary that cannot be read. */
export class IonParseError extends SerdesError {
  constructor(message: string) {
    super('SERDES_BAD_INPUT', message);
  }
}
