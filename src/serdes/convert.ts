/**
 * The serdes conversions of `kestra-io/plugin-serdes` as streaming functions: CSV → Ion, Ion → CSV,
 * JSON (lines or one document) → Ion, Ion → JSON (lines or one document). Each reads a byte stream and
 * writes a local file chunk by chunk, so a file of any size goes through in constant memory (except
 * `newLine: false` JSON input, which Kestra also loads whole).
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { parseJson, writeJson } from '../engine/builtins/kestra/json.js';
import { OrderedMapBuilder, isList, isMap, mapKeys, toJavaString } from '../engine/values.js';
import { CsvReader, csvLine } from './csv.js';
import type { CsvToIonOptions, IonToCsvOptions } from './csv-options.js';
import { type CsvParseError, IonParseError, SerdesError } from './errors.js';
import { parseIon, toIonLine } from './ion.js';

export { CSV_TO_ION_DEFAULTS, ION_TO_CSV_DEFAULTS, type CsvToIonOptions, type IonToCsvOptions } from './csv-options.js';

export type Logger = (level: 'WARN' | 'INFO' | 'DEBUG', message: string) => void;

// --- text in, text out ----------------------------------------------------------------------------

const ENCODINGS: Record<string, BufferEncoding> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'ascii',
  ascii: 'ascii',
  'utf-16le': 'utf16le',
};

function decoderFor(charset: string): InstanceType<typeof TextDecoder> {
  try {
    return new TextDecoder(charset.toLowerCase(), { fatal: false });
  } catch {
    throw new SerdesError('SERDES_BAD_OPTION', `Unsupported charset '${charset}'`);
  }
}

export function encodingFor(charset: string): BufferEncoding {
  const e = ENCODINGS[charset.toLowerCase()];
  if (e === undefined) {
    throw new SerdesError(
      'SERDES_BAD_OPTION',
      `Unsupported output charset '${charset}' (supported: UTF-8, ISO-8859-1, US-ASCII, UTF-16LE)`,
    );
  }
  return e;
}

/** Decoded text chunks of a byte stream; a UTF-8 byte-order mark at the start is dropped. */
export async function* textChunks(input: AsyncIterable<Uint8Array | string>, charset: string): AsyncGenerator<string> {
  const decoder = decoderFor(charset);
  let first = true;
  for await (const chunk of input) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/** Lines of a text stream (LF or CRLF), without their line end. */
async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of chunks) {
    pending += chunk;
    let start = 0;
    for (;;) {
      const nl = pending.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && pending.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield pending.slice(start, end);
      start = nl + 1;
    }
    pending = pending.slice(start);
  }
  if (pending !== '') yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}

/** A buffered file writer that respects back-pressure. */
export class FileSink {
  private readonly stream: WriteStream;
  private buffer: string[] = [];
  private size = 0;
  private failure: Error | undefined;

  constructor(
    file: string,
    private readonly encoding: BufferEncoding = 'utf8',
  ) {
    this.stream = createWriteStream(file);
    // One listener for the sink's life: a write error fails the next write or the close.
    this.stream.on('error', (e) => {
      this.failure = e;
    });
  }

  async write(text: string): Promise<void> {
    this.buffer.push(text);
    this.size += text.length;
    if (this.size >= 64 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.buffer.length === 0) return;
    const data = Buffer.from(this.buffer.join(''), this.encoding);
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(data)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve) => this.stream.end(resolve));
    if (this.failure !== undefined) throw this.failure;
  }

  destroy(): void {
    this.stream.destroy();
  }
}

export async function withSink<T>(file: string, encoding: BufferEncoding, run: (sink: FileSink) => Promise<T>): Promise<T> {
  const sink = new FileSink(file, encoding);
  try {
    const result = await run(sink);
    await sink.close();
    return result;
  } catch (e) {
    sink.destroy();
    throw e;
  }
}

// --- Ion rows ---------------------------------------------------------------------------------------

const BINARY_ION_LIMIT = 512 * 1024 * 1024;

/** The first `n` bytes of a stream, and the stream of everything after them. */
async function peek(input: AsyncIterable<Uint8Array | string>, n: number): Promise<[Uint8Array, AsyncIterable<Uint8Array | string>]> {
  const iterator = input[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < n) {
    const next = await iterator.next();
    if (next.done === true) return [head, (async function* () {})()];
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  const rest = (async function* () {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  })();
  return [head, rest];
}

/**
 * The values of an Ion file, one after the other. Kestra writes one value per line; a value that spans
 * lines is read by joining lines until it parses.
 */
export async function* ionValues(
  input: AsyncIterable<Uint8Array | string>,
  options: { keepAnnotations?: boolean; typed?: boolean; maxPendingLines?: number } = {},
): AsyncGenerator<unknown> {
  const maxPendingLines = options.maxPendingLines ?? 100_000;
  const [head, rest] = await peek(input, 4);
  if (head.length >= 4 && head[0] === 0xe0 && head[1] === 0x01 && head[2] === 0x00 && head[3] === 0xea) {
    // Binary Ion (newer Kestra versions write it): ion-js reads it from memory.
    const chunks: Buffer[] = [Buffer.from(head)];
    let size: number = head.length;
    for await (const chunk of rest) {
      const b = Buffer.from(chunk);
      size += b.length;
      if (size > BINARY_ION_LIMIT)
        throw new SerdesError('SERDES_BAD_INPUT', `Binary Ion files are read whole; this one is over ${BINARY_ION_LIMIT} bytes`);
      chunks.push(b);
    }
    yield* parseIon(Buffer.concat(chunks), options);
    return;
  }
  input = (async function* () {
    if (head.length > 0) yield head;
    yield* rest;
  })();
  let pending: string | undefined;
  let pendingLines = 0;
  let firstError: unknown;
  for await (const line of lines(textChunks(input, 'utf-8'))) {
    const text = pending === undefined ? line : `${pending}\n${line}`;
    if (pending === undefined && line.trim() === '') continue;
    let values: unknown[];
    try {
      values = parseIon(text, options);
    } catch (e) {
      if (!(e instanceof IonParseError)) throw e;
      firstError ??= e;
      pending = text;
      if (++pendingLines > maxPendingLines) throw new SerdesError('SERDES_BAD_INPUT', `Invalid Ion file: ${(firstError as Error).message}`);
      continue;
    }
    pending = undefined;
    pendingLines = 0;
    firstError = undefined;
    yield* values;
  }
  if (pending !== undefined) throw new SerdesError('SERDES_BAD_INPUT', `Invalid Ion file: ${(firstError as Error).message}`);
}

// --- CSV → Ion ----------------------------------------------------------------------------------------

/** `CsvToIon`: returns the number of records written. */
export async function csvToIon(input: AsyncIterable<Uint8Array>, outFile: string, options: CsvToIonOptions, log: Logger): Promise<number> {
  return withSink(outFile, 'utf8', async (sink) => {
    let headers: string[] | undefined;
    let kept = 0;
    let skipped = 0;
    let count = 0;
    const pendingRows: string[] = [];
    const bad = (message: string, cause?: unknown): void => {
      if (options.onBadLines === 'ERROR') throw new SerdesError('SERDES_BAD_INPUT', message, cause === undefined ? undefined : { cause });
      if (options.onBadLines === 'WARN')
        log('WARN', message.startsWith('Bad line') ? message : `Bad line encountered (skipped): ${message}`);
    };
    const reader = new CsvReader(
      {
        separator: options.fieldSeparator,
        quote: options.textDelimiter,
        skipEmptyLines: options.skipEmptyRows,
        allowExtraCharsAfterClosingQuote: options.allowExtraCharsAfterClosingQuote,
        maxFieldSize: options.maxFieldSize,
      },
      (record) => {
        if (options.header && record.line === 1) {
          ({ headers, kept } = resolveHeaders(record.fields, options.onEmptyHeader, log));
          return;
        }
        if (skipped < options.skipRows) {
          skipped++;
          return;
        }
        const values = record.fields.map((f) => (f === '\\N' ? null : f));
        if (options.header) {
          const names = headers ?? [];
          if (record.fields.length !== names.length) {
            bad(`Bad line encountered (field count mismatch): Expected ${names.length}, got ${record.fields.length} fields.`);
            return;
          }
          const row = new OrderedMapBuilder();
          for (let i = 0; i < kept; i++) row.set(names[i] as string, values[i] ?? null);
          pendingRows.push(toIonLine(row.build()));
        } else pendingRows.push(toIonLine(values));
        count++;
      },
      (error: CsvParseError) => bad(error.message, error),
    );
    for await (const chunk of textChunks(input, options.charset)) {
      reader.push(chunk);
      if (pendingRows.length > 0) {
        await sink.write(`${pendingRows.join('\n')}\n`);
        pendingRows.length = 0;
      }
    }
    reader.end();
    if (pendingRows.length > 0) await sink.write(`${pendingRows.join('\n')}\n`);
    return count;
  });
}

function resolveHeaders(names: string[], onEmptyHeader: 'DROP' | 'RENAME', log: Logger): { headers: string[]; kept: number } {
  if (onEmptyHeader === 'RENAME') {
    const taken = new Set(names);
    const headers = names.map((name, index) => {
      if (name !== '') return name;
      for (let attempt = 1; ; attempt++) {
        const candidate = attempt === 1 ? `col_${index}` : `col_${index}_${attempt}`;
        if (!taken.has(candidate)) {
          taken.add(candidate);
          return candidate;
        }
      }
    });
    return { headers, kept: names.length };
  }
  let last = -1;
  names.forEach((n, i) => {
    if (n !== '') last = i;
  });
  const kept = last < 0 ? names.length : last + 1;
  if (kept < names.length) {
    log(
      'WARN',
      `Dropped ${names.length - kept} trailing unnamed header column(s); their values are not emitted. Set onEmptyHeader=RENAME to keep them.`,
    );
  }
  const distinct = new Set(names.slice(0, kept)).size;
  if (distinct < kept) {
    log(
      'WARN',
      `Header has ${kept - distinct} duplicate or empty column name(s) among the kept columns. Colliding columns share one output key and only the last value is kept. Set onEmptyHeader=RENAME to keep every column.`,
    );
  }
  return { headers: names, kept };
}

// --- Ion → CSV ----------------------------------------------------------------------------------------

function csvField(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return toJavaString(value);
}

/** `IonToCsv`: returns the number of records read. */
export async function ionToCsv(input: AsyncIterable<Uint8Array>, outFile: string, options: IonToCsvOptions): Promise<number> {
  const writeOptions = {
    separator: options.fieldSeparator,
    quote: options.textDelimiter,
    lineDelimiter: options.lineDelimiter,
    quoteMode: options.quoteMode,
  };
  return withSink(outFile, encodingFor(options.charset), async (sink) => {
    let count = 0;
    let first = true;
    for await (const row of ionValues(input)) {
      count++;
      if (isList(row)) {
        if (options.header) throw new SerdesError('SERDES_BAD_INPUT', 'Invalid data of type List with header');
        await sink.write(csvLine(row.map(csvField), writeOptions));
      } else if (isMap(row)) {
        const keys = mapKeys(row);
        if (first && options.header) await sink.write(csvLine(keys, writeOptions));
        first = false;
        await sink.write(
          csvLine(
            keys.map((k) => csvField(row[k])),
            writeOptions,
          ),
        );
      }
    }
    return count;
  });
}

// --- JSON → Ion ---------------------------------------------------------------------------------------

/** `JsonToIon`: JSON Lines (`newLine: true`, the default) or one document (an array gives one row per element). */
export async function jsonToIon(
  input: AsyncIterable<Uint8Array>,
  outFile: string,
  options: { newLine: boolean; charset: string },
): Promise<number> {
  return withSink(outFile, 'utf8', async (sink) => {
    let count = 0;
    const parse = (text: string, where: string): unknown => {
      try {
        return parseJson(text);
      } catch (e) {
        throw new SerdesError('SERDES_BAD_INPUT', `Invalid JSON ${where}: ${(e as Error).message}`, { cause: e });
      }
    };
    if (options.newLine) {
      let lineNo = 0;
      for await (const line of lines(textChunks(input, options.charset))) {
        lineNo++;
        if (line.trim() === '') {
          throw new SerdesError(
            'SERDES_BAD_INPUT',
            `Invalid JSON on line ${lineNo}: the line is empty (JSON Lines need one value per line; set newLine: false for one JSON document)`,
          );
        }
        await sink.write(`${toIonLine(parse(line, `on line ${lineNo}`))}\n`);
        count++;
      }
      return count;
    }
    let text = '';
    for await (const chunk of textChunks(input, options.charset)) text += chunk;
    const doc = parse(text, 'document');
    const rows = isList(doc) ? doc : [doc];
    for (const row of rows) {
      await sink.write(`${toIonLine(row)}\n`);
      count++;
    }
    return count;
  });
}

// --- Ion → JSON ---------------------------------------------------------------------------------------

/** `IonToJson`: one JSON line per value (`newLine: true`), else one document (a lone value, or an array). */
export async function ionToJson(
  input: AsyncIterable<Uint8Array>,
  outFile: string,
  options: { newLine: boolean; charset: string; keepAnnotations?: boolean },
): Promise<number> {
  const read = { keepAnnotations: options.keepAnnotations === true };
  return withSink(outFile, encodingFor(options.charset), async (sink) => {
    let count = 0;
    if (options.newLine) {
      for await (const row of ionValues(input, read)) {
        await sink.write(`${writeJson(row)}\n`);
        count++;
      }
      return count;
    }
    let first: unknown;
    for await (const row of ionValues(input, read)) {
      count++;
      if (count === 1) first = row;
      else {
        if (count === 2) await sink.write(`[${writeJson(first)}`);
        await sink.write(`,${writeJson(row)}`);
      }
    }
    if (count === 1) await sink.write(writeJson(first));
    else if (count > 1) await sink.write(']');
    return count;
  });
}
