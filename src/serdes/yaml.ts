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
