/**
 * plugin-serdes' YAML converters (`yaml.IonToYaml`, `YamlToIon`, `JsonToYaml`, `YamlToJson`), on the
 * engine's YAML reader and writer, which follow Kestra's Jackson YAML mapper (`JacksonMapper.ofYaml()`,
 * the same one as the `yaml` filter and function). Several values are several documents (`---`).
 * YAML input is read whole (a document is the unit Jackson streams, and files of several documents
 * are small in practice); Ion and JSON Lines stream.
 */
import { parseJson, parseYamlDocuments, writeJson, writeYaml } from '../engine/builtins/kestra/json.js';
import { isList } from '../engine/values.js';
import { type FileSink, ionValues, textChunks } from './convert.js';
import { SerdesError } from './errors.js';
import { toIonLine } from './ion.js';

async function text(input: AsyncIterable<Uint8Array>, charset: string): Promise<string> {
  let out = '';
  for await (const chunk of textChunks(input, charset)) out += chunk;
  return out;
}

/** The values Jackson's `readValues` gives: each document, the items of a first document that is a list. */
function yamlDocs(source: string): unknown[] {
  try {
    const docs = parseYamlDocuments(source, Number.MAX_SAFE_INTEGER);
    const first = docs[0];
    return isList(first) ? [...first, ...docs.slice(1)] : docs;
  } catch (e) {
    throw new SerdesError('SERDES_BAD_INPUT', `Invalid YAML: ${(e as Error).message}`, { cause: e });
  }
}

/** `IonToYaml`: one value is one document; several are each preceded by `---`. */
export async function ionToYaml(input: AsyncIterable<Uint8Array>, sink: FileSink): Promise<number> {
  let count = 0;
  let first: unknown;
  for await (const row of ionValues(input)) {
    count++;
    if (count === 1) {
      first = row;
      continue;
    }
    if (count === 2) await sink.write(`---\n${writeYaml(first)}\n`);
    await sink.write(`---\n${writeYaml(row)}\n`);
  }
  if (count === 1) await sink.write(`${writeYaml(first)}\n`);
  return count;
}

/** `YamlToIon`: one Ion value per document. */
export async function yamlToIon(input: AsyncIterable<Uint8Array>, sink: FileSink, charset: string): Promise<number> {
  const docs = yamlDocs(await text(input, charset));
  for (const doc of docs) await sink.write(`${toIonLine(doc)}\n`);
  return docs.length;
}

/** `JsonToYaml`: JSON Lines (`jsonl`) or one document (an array gives one YAML document per element). */
export async function jsonToYaml(
  input: AsyncIterable<Uint8Array>,
  sink: FileSink,
  options: { jsonl: boolean; charset: string },
): Promise<number> {
  const source = await text(input, options.charset);
  const parse = (t: string, where: string): unknown => {
    try {
      return parseJson(t);
    } catch (e) {
      throw new SerdesError('SERDES_BAD_INPUT', `Invalid JSON ${where}: ${(e as Error).message}`, { cause: e });
    }
  };
  let docs: unknown[];
  if (options.jsonl) {
    docs = [];
    source.split('\n').forEach((line, i) => {
      const t = line.trim();
      if (t !== '') docs.push(parse(t, `on line ${i + 1}`));
    });
  } else {
    const data = source.trim() === '' ? null : parse(source, 'document');
    docs = isList(data) ? data : [data];
  }
  docs = docs.filter((d) => d !== null && d !== undefined);
  if (docs.length === 1) await sink.write(writeYaml(docs[0]));
  else for (const d of docs) await sink.write(`---\n${writeYaml(d)}\n`);
  return docs.length;
}

/** `YamlToJson`: JSON Lines (`jsonl`), or one document: `{}` for none, the value for one, an array for several. */
export async function yamlToJson(
  input: AsyncIterable<Uint8Array>,
  sink: FileSink,
  options: { jsonl: boolean; charset: string },
): Promise<number> {
  const docs = yamlDocs(await text(input, options.charset));
  if (options.jsonl) {
    for (const d of docs) await sink.write(`${writeJson(d)}\n`);
    return docs.length;
  }
  if (docs.length === 0) {
    await sink.write('{}');
    return 0;
  }
  // Kestra opens an array for several values, or for one that is a list.
  if (docs.length > 1 || isList(docs[0])) await sink.write(`[${docs.map((d) => writeJson(d)).join(',')}]`);
  else await sink.write(writeJson(docs[0]));
  return docs.length;
}

// --- JSON → JSON Lines (json.JsonToJsonl) ---------------------------------------------------------------

/**
 * Splits a text stream into the JSON values at `depth` (0: top-level values; 1: the items of a top-level
 * array), so that a large array streams item by item.
 */
class JsonSplitter {
  private depth = 0;
  private inString = false;
  private escape = false;
  private buf = '';
  private start = -1;
  /** What the first non-blank character was: '[' (an array), '{' (objects), or another value. */
  first: string | undefined;

  constructor(private readonly emit: (text: string) => void) {}

  push(chunk: string): void {
    const text = this.buf + chunk;
    let i = this.buf.length;
    for (; i < text.length; i++) {
      const c = text[i] as string;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === '\\') this.escape = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (this.first === undefined) {
        if (/\s/.test(c)) continue;
        this.first = c;
        if (c === '[') {
          this.depth = 1;
          continue;
        }
      }
      const level = this.first === '[' ? 1 : 0;
      if (this.depth === level && (c === ',' || (c === ']' && level === 1))) {
        // the end of a scalar item of the array (a container item was emitted at its closing bracket)
        if (this.start >= 0) {
          const item = text.slice(this.start, i).trim();
          if (item !== '') this.emit(item);
          this.start = -1;
        }
        if (c === ']') this.depth--;
        continue;
      }
      if (this.start < 0 && !/\s/.test(c) && this.depth === level) this.start = i;
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === level && this.start >= 0) {
          this.emit(text.slice(this.start, i + 1));
          this.start = -1;
        }
      }
    }
    // keep the unfinished value only
    if (this.start >= 0) {
      this.buf = text.slice(this.start);
      this.start = 0;
    } else this.buf = '';
  }

  end(): void {
    const rest = this.buf.trim();
    if (rest !== '' && this.first !== '[') this.emit(rest);
  }
}

/** `JsonToJsonl`: a JSON array (one line per item), one object, or objects one after the other. */
export async function jsonToJsonl(input: AsyncIterable<Uint8Array>, sink: FileSink, charset: string): Promise<number> {
  const values: unknown[] = [];
  const splitter = new JsonSplitter((t) => {
    try {
      values.push(parseJson(t));
    } catch (e) {
      throw new SerdesError('SERDES_BAD_INPUT', `Invalid JSON format: ${(e as Error).message}`, { cause: e });
    }
  });
  let count = 0;
  const flush = async (): Promise<void> => {
    if (values.length === 0) return;
    // a JsonNode keeps its null fields
    await sink.write(`${values.map((v) => writeJson(v, true)).join('\n')}\n`);
    count += values.length;
    values.length = 0;
  };
  for await (const chunk of textChunks(input, charset)) {
    splitter.push(chunk);
    if (splitter.first !== undefined && splitter.first !== '[' && splitter.first !== '{')
      throw new SerdesError('SERDES_BAD_INPUT', `Invalid JSON format. Expected JSON array or object, but found: ${splitter.first}`);
    await flush();
  }
  splitter.end();
  await flush();
  return count;
}
