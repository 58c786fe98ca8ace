/**
 * XML ⇄ Ion as Kestra's `xml.XmlToIon` / `xml.IonToXml` do it.
 *
 * Reading follows org.json's `XML.toJSONObject` (what Kestra uses): attributes and child elements become
 * keys, text is trimmed and typed (`true`/`false`, integers as Integer/Long/BigInteger, decimals as
 * BigDecimal, leading-zero numbers kept as strings), text beside attributes or children goes under
 * `content`, repeated elements become lists (always, for the `forceList` tags), an empty element is `""`,
 * and maps iterate in java.util.HashMap order as Kestra's `JSONObject.toMap()` does. Without `query` the
 * document is one record (or, for `<root><item/>…</root>`, one record per item); with `query`
 * (`/catalog/book`) the matching elements stream one record each, with local names as Kestra's StAX
 * reader gives them. Parsing is `saxes` (pure JS, 300 kB, streaming, no external entities or DTDs,
 * which Kestra disables too); `fast-xml-parser` was the other candidate but parses whole documents only.
 *
 * Writing follows Jackson's XmlMapper with INDENT_OUTPUT: `<items>` around one `<item>` per row, nested
 * maps as nested elements, lists wrapped (`<tags><tags>a</tags></tags>`), nulls as empty elements,
 * java.time values in ISO form with zoned date-times in `timeZoneId`. It streams row by row.
 */
import { DateTimeFormatter, Instant } from '@js-joda/core';
import { JBigDecimal, JBigInteger, parseBigDecimal } from '../engine/builtins/kestra/numbers.js';
import { isList, isMap, javaHashMap, makeDouble, toJavaString } from '../engine/values.js';
import { javaZone, systemZoneId, temporalOf } from './avro-model.js';
import { type FileSink, ionValues, textChunks } from './convert.js';
import { SerdesError } from './errors.js';
import { IonTimestamp, IonTyped, toIonLine } from './ion.js';

/** The parts of saxes used here. */
export interface SaxesModule {
  SaxesParser: new (opts?: Record<string, unknown>) => SaxesParserLike;
}
interface SaxesTag {
  name: string;
  attributes: Record<string, string>;
  isSelfClosing: boolean;
}
interface SaxesParserLike {
  on(event: 'opentag', handler: (tag: SaxesTag) => void): void;
  on(event: 'closetag', handler: (tag: SaxesTag) => void): void;
  on(event: 'text' | 'cdata', handler: (text: string) => void): void;
  on(event: 'error', handler: (e: Error) => void): void;
  write(chunk: string): unknown;
  close(): unknown;
}

// --- org.json semantics ------------------------------------------------------------------------------

/** A JSONArray under construction (kept apart from lists of values put as one value). */
class JArray {
  readonly items: unknown[] = [];
}

/** A JSONObject under construction: insertion-ordered here, HashMap-ordered when finished. */
class JObject {
  readonly map = new Map<string, unknown>();
  accumulate(key: string, value: unknown): void {
    const existing = this.map.get(key);
    if (existing === undefined) {
      if (value instanceof JArray) {
        const wrapper = new JArray();
        wrapper.items.push(value);
        this.map.set(key, wrapper);
      } else this.map.set(key, value);
    } else if (existing instanceof JArray) existing.items.push(value);
    else {
      const a = new JArray();
      a.items.push(existing, value);
      this.map.set(key, a);
    }
  }
  append(key: string, value: unknown): void {
    const existing = this.map.get(key);
    if (existing === undefined) {
      const a = new JArray();
      a.items.push(value);
      this.map.set(key, a);
    } else if (existing instanceof JArray) existing.items.push(value);
    else throw new SerdesError('SERDES_BAD_INPUT', `JSONObject[${key}] is not a JSONArray.`);
  }
}

/** org.json's `XML.stringToValue`: booleans, null, Integer/Long/BigInteger, BigDecimal, else the string. */
export function xmlValue(s: string): unknown {
  if (s === '') return s;
  const lower = s.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  const initial = s.charCodeAt(0);
  if ((initial >= 48 && initial <= 57) || initial === 45) {
    // XML.stringToNumber: no leading zeros, decimal notation as BigDecimal, else the smallest integer type.
    if (/^-?0\d/.test(s)) return s;
    if (/[.eE]/.test(s) || s === '-0') {
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return s;
      const d = parseBigDecimal(s);
      if (s.startsWith('-') && d.unscaled === 0n) return makeDouble(-0);
      return d;
    }
    if (!/^-?\d+$/.test(s)) return s;
    const n = BigInt(s);
    if (n >= -(2n ** 31n) && n < 2n ** 31n) return Number(n);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return Number.isSafeInteger(Number(n)) ? Number(n) : n;
    return new JBigInteger(n);
  }
  return s;
}

/** The finished value: JObjects as HashMap-ordered maps (JSONObject.toMap), JArrays as lists. */
function finish(v: unknown): unknown {
  if (v instanceof JObject)
    return javaHashMap(
      [...v.map.entries()].map(([k, x]) => [k, finish(x)]),
      16,
    );
  if (v instanceof JArray) return v.items.map(finish);
  return v;
}

interface Frame {
  name: string;
  obj: JObject;
}

/** Builds org.json's objects from SAX events (XML.parse). */
class JsonBuilder {
  private readonly stack: Frame[] = [];
  constructor(
    private readonly forceList: ReadonlySet<string>,
    private readonly localNames: boolean,
  ) {}

  get depth(): number {
    return this.stack.length;
  }

  private name(n: string): string {
    return this.localNames && n.includes(':') ? n.slice(n.indexOf(':') + 1) : n;
  }

  open(tag: SaxesTag): void {
    const obj = new JObject();
    for (const [k, v] of Object.entries(tag.attributes)) {
      if (this.localNames && (k === 'xmlns' || k.startsWith('xmlns:'))) continue;
      obj.accumulate(this.name(k), xmlValue(v));
    }
    this.stack.push({ name: this.name(tag.name), obj });
  }

  text(t: string, cdata: boolean): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) return;
    if (cdata) {
      if (t.length > 0) top.obj.accumulate('content', t);
      return;
    }
    const trimmed = t.trim();
    if (trimmed.length > 0) top.obj.accumulate('content', xmlValue(trimmed));
  }

  /** Closes the current element into its parent (or into `into` at the top); returns the element's value. */
  close(into: JObject): void {
    const frame = this.stack.pop() as Frame;
    const parent = this.stack[this.stack.length - 1]?.obj ?? into;
    const { name, obj } = frame;
    const force = this.forceList.has(name);
    let value: unknown;
    if (obj.map.size === 0) value = force ? undefined : '';
    else if (obj.map.size === 1 && obj.map.has('content')) value = obj.map.get('content');
    else value = obj;
    if (force) {
      if (value === undefined) parent.map.set(name, parent.map.get(name) ?? new JArray());
      else parent.append(name, value);
    } else parent.accumulate(name, value);
  }
}

export interface XmlToIonOptions {
  readonly charset: string;
  readonly query?: string;
  readonly forceList: readonly string[];
}

/** `XmlToIon`: returns the number of records written. */
export async function xmlToIon(
  lib: SaxesModule,
  input: AsyncIterable<Uint8Array>,
  sink: FileSink,
  options: XmlToIonOptions,
): Promise<number> {
  const parser = new lib.SaxesParser({ position: false });
  const force = new Set(options.forceList);
  let failure: Error | undefined;
  parser.on('error', (e) => {
    failure ??= e;
  });
  if (options.query === undefined) {
    const root = new JObject();
    const builder = new JsonBuilder(force, false);
    parser.on('opentag', (t) => builder.open(t));
    parser.on('closetag', () => builder.close(root));
    parser.on('text', (t) => builder.text(t, false));
    parser.on('cdata', (t) => builder.text(t, true));
    for await (const chunk of textChunks(input, options.charset)) {
      parser.write(chunk);
      if (failure !== undefined) throw xmlError(failure);
    }
    parser.close();
    if (failure !== undefined) throw xmlError(failure);
    const result = unwrapRootArray(root);
    if (result instanceof JArray) {
      for (const item of result.items) await sink.write(`${toIonLine(finish(item))}\n`);
      return result.items.length;
    }
    await sink.write(`${toIonLine(finish(result))}\n`);
    return 1;
  }
  // Streaming: /a/b/c → every <c> child of /a/b, one record each.
  const segments = options.query.replace(/^\//, '').split('/');
  const parents = segments.slice(0, -1);
  const element = segments[segments.length - 1] ?? '';
  const local = (n: string): string => (n.includes(':') ? n.slice(n.indexOf(':') + 1) : n);
  const path: string[] = [];
  let builder: JsonBuilder | undefined;
  let holder = new JObject();
  let done = false;
  const pending: unknown[] = [];
  parser.on('opentag', (t) => {
    if (done) return;
    if (builder !== undefined) return builder.open(t);
    path.push(local(t.name));
    const depth = path.length;
    // a child of the parent path that matches the element
    if (depth === parents.length + 1 && parents.every((p, i) => path[i] === p) && local(t.name) === element) {
      builder = new JsonBuilder(force, true);
      holder = new JObject();
      builder.open(t);
    }
  });
  parser.on('closetag', () => {
    if (done) return;
    if (builder !== undefined) {
      builder.close(holder);
      if (builder.depth === 0) {
        const inner = holder.map.get(element);
        if (inner instanceof JArray) pending.push(...inner.items);
        else pending.push(inner);
        builder = undefined;
        path.pop();
      }
      return;
    }
    path.pop();
    // Kestra stops at the end of the (first) parent element.
    if (parents.length > 0 && path.length === parents.length - 1 && parents.every((p, i) => i >= path.length || path[i] === p)) done = true;
  });
  parser.on('text', (t) => builder?.text(t, false));
  parser.on('cdata', (t) => builder?.text(t, true));
  let count = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await sink.write(`${pending.map((v) => toIonLine(finish(v))).join('\n')}\n`);
    count += pending.length;
    pending.length = 0;
  };
  for await (const chunk of textChunks(input, options.charset)) {
    if (done) break;
    parser.write(chunk);
    // An empty or broken document gives no records (Kestra logs and writes an empty file).
    if (failure !== undefined) break;
    await flush();
  }
  if (failure === undefined && !done) {
    try {
      parser.close();
    } catch {
      // ignored as above
    }
  }
  await flush();
  return count;
}

function xmlError(e: Error): SerdesError {
  return new SerdesError('SERDES_BAD_INPUT', `Invalid XML: ${e.message}`, { cause: e });
}

/** XmlToIon.unwrapRootArray: `{root: [...]}` or `{root: {child: [...]}}` give the list. */
function unwrapRootArray(root: JObject): JObject | JArray {
  if (root.map.size !== 1) return root;
  const value = [...root.map.values()][0];
  if (value instanceof JArray) return value;
  if (value instanceof JObject && value.map.size === 1) {
    const inner = [...value.map.values()][0];
    if (inner instanceof JArray) return inner;
  }
  return root;
}

// --- Ion → XML -----------------------------------------------------------------------------------------

function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** A scalar as Jackson's XmlMapper writes it (JavaTimeModule, dates as ISO text, zoned ones in `zone`). */
function scalarText(value: unknown, zone: string): string {
  if (value instanceof IonTimestamp || value instanceof IonTyped) {
    const t = temporalOf(value);
    if (t === undefined) return value.text;
    switch (t.cls) {
      case 'Instant':
        return Instant.ofEpochSecond(t.v.epochSecond(), t.v.nano()).toString();
      case 'ZonedDateTime':
      case 'OffsetDateTime':
        return t.v.withZoneSameInstant(javaZone(zone)).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
      case 'LocalDate':
        return t.v.toString();
      default:
        return value.text;
    }
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof JBigDecimal) return value.toString();
  return toJavaString(value);
}

function writeElement(name: string, value: unknown, indent: string, zone: string, out: string[]): void {
  if (value === null || value === undefined) {
    out.push(`${indent}<${name}/>\n`);
    return;
  }
  if (isMap(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) {
      out.push(`${indent}<${name}/>\n`);
      return;
    }
    out.push(`${indent}<${name}>\n`);
    for (const k of keys) writeElement(k, value[k], `${indent}  `, zone, out);
    out.push(`${indent}</${name}>\n`);
    return;
  }
  if (isList(value)) {
    if (value.length === 0) {
      out.push(`${indent}<${name}/>\n`);
      return;
    }
    out.push(`${indent}<${name}>\n`);
    for (const item of value) writeElement(name, item, `${indent}  `, zone, out);
    out.push(`${indent}</${name}>\n`);
    return;
  }
  out.push(`${indent}<${name}>${escapeXml(scalarText(value, zone))}</${name}>\n`);
}

/** `IonToXml`: returns the number of records written. */
export async function ionToXml(
  input: AsyncIterable<Uint8Array>,
  sink: FileSink,
  options: { rootName: string; timeZoneId?: string },
): Promise<number> {
  const zone = options.timeZoneId ?? systemZoneId();
  await sink.write(`<?xml version='1.0' encoding='UTF-8'?>\n`);
  let count = 0;
  let out: string[] = [];
  for await (const row of ionValues(input, { typed: true })) {
    if (count === 0) out.push(`<${options.rootName}>\n`);
    writeElement('item', row, '  ', zone, out);
    count++;
    if (out.length > 512) {
      await sink.write(out.join(''));
      out = [];
    }
  }
  out.push(count === 0 ? `<${options.rootName}/>\n` : `</${options.rootName}>\n`);
  await sink.write(out.join(''));
  return count;
}
