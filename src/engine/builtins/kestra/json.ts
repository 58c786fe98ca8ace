/**
 * JSON and YAML: `toJson`/`json` and `yaml` filters, `fromJson`/`json` and `yaml` functions,
 * the `json` test. Parsing is lossless for the Java value model (Jackson's reading): `2.0`
 * stays a Double, whole numbers become Integer/Long/BigInteger, keys such as `__proto__`
 * become plain own keys of a prototype-less map.
 */
import { parseAllDocuments, isAlias, isMap as isYamlMap, isPair, isScalar, isSeq, Scalar, visit } from 'yaml';
import type { Alias, Document, Node as YamlNode } from 'yaml';
import { DEFAULT_LIMITS } from '../../budget.js';
import { LimitExceededError } from '../../errors.js';
import type { FilterDefinition, FunctionDefinition, TestDefinition } from '../../extension.js';
import {
  JDouble,
  OrderedMapBuilder,
  ValueWalk,
  copyKeyOrder,
  isList,
  isMap,
  jsonString,
  makeDouble,
  mapKeys,
  toJavaString,
  toKestraJson,
} from '../../values.js';
import { functionError } from './common.js';

// ---------------------------------------------------------------------------------------------
// Reading JSON
// ---------------------------------------------------------------------------------------------

class JsonSyntaxError extends Error {}

/** A whole-number literal as Jackson types it: Integer, else Long, else BigInteger (bigint). */
export function integralFromText(text: string): number | bigint {
  const n = Number(text);
  if (Number.isSafeInteger(n) && n >= -2147483648 && n <= 2147483647) return Object.is(n, -0) ? 0 : n;
  return BigInt(text);
}

/**
 * Parses the first JSON value of `text` (Jackson's `readValue` ignores what follows it).
 * Throws with a Jackson-like message on malformed input.
 */
export function parseJson(text: string): unknown {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    const line = text.slice(0, i).split('\n').length;
    const column = i - text.lastIndexOf('\n', i - 1);
    throw new JsonSyntaxError(`${what} at line: ${line}, column: ${column}`);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const value = (depth: number): unknown => {
    if (depth > 1000) fail('Document nesting depth exceeds the maximum allowed');
    ws();
    if (i >= n) fail('Unexpected end-of-input');
    const c = text[i] as string;
    if (c === '{') {
      i++;
      // A LinkedHashMap: insertion order, integer-like keys included.
      const obj = new OrderedMapBuilder();
      ws();
      if (text[i] === '}') {
        i++;
        return obj.build();
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`Unexpected character ('${text[i] ?? 'EOF'}'): was expecting double-quote to start field name`);
        const key = str();
        ws();
        if (text[i] !== ':') fail(`Unexpected character ('${text[i] ?? 'EOF'}'): was expecting a colon to separate field name and value`);
        i++;
        obj.set(key, value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj.build();
        }
        fail(`Unexpected character ('${text[i] ?? 'EOF'}'): was expecting comma to separate Object entries`);
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`Unexpected character ('${text[i] ?? 'EOF'}'): was expecting comma to separate Array entries`);
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) return num();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const token = /^[A-Za-z0-9_$]+/.exec(text.slice(i, i + 64))?.[0] ?? c;
    return fail(`Unrecognized token '${token}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`);
  };
  const str = (): string => {
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= n) fail('Unexpected end-of-input: was expecting closing quote for a string value');
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 32)
        fail(`Illegal unquoted character ((CTRL-CHAR, code ${c})): has to be escaped using backslash to be included in string value`);
      if (c === 92) {
        out += text.slice(start, i);
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Unexpected character: expected a hex-digit for character escape sequence');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            fail(`Unrecognized character escape '${e ?? 'EOF'}'`);
        }
        start = i;
        continue;
      }
      i++;
    }
  };
  const num = (): unknown => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) return fail(`Invalid numeric value: Leading zeroes or a lone minus sign`);
    const lit = m[0];
    const next = text[i + lit.length];
    if (next !== undefined && /[0-9.eE]/.test(next)) fail(`Invalid numeric value: malformed number '${lit}${next}'`);
    i += lit.length;
    if (m[2] === undefined && m[3] === undefined) return integralFromText(lit);
    return makeDouble(Number(lit));
  };
  ws();
  if (i >= n) throw new JsonSyntaxError('No content to map due to end-of-input');
  return value(0);
}

/** Gives the maps of `to` (a JSON.parse result) the key order of the same maps in `from` (parseJson's). */
function copyOrderDeep(from: unknown, to: unknown, depth: number): void {
  if (depth > 1000 || to === null || typeof to !== 'object') return;
  if (Array.isArray(to)) {
    if (Array.isArray(from)) for (let i = 0; i < to.length; i++) copyOrderDeep(from[i], to[i], depth + 1);
    return;
  }
  if (!isMap(from)) return;
  const map = to as Record<string, unknown>;
  for (const k of Object.keys(map)) copyOrderDeep(from[k], map[k], depth + 1);
  copyKeyOrder(from, map);
}

/**
 * `JSON.parse` (plain JavaScript numbers, for code outside templates) whose maps keep the text's key
 * order, integer-like keys included, as Jackson's LinkedHashMaps do. Throws what JSON.parse throws.
 */
export function parseJsonKeepingOrder(text: string): unknown {
  const value: unknown = JSON.parse(text);
  // Only a text with an integer-like key can lose its order.
  if (value !== null && typeof value === 'object' && /"\d+"\s*:/.test(text)) copyOrderDeep(parseJson(text), value, 0);
  return value;
}

/** Jackson's `readTree` succeeds: empty content reads as a missing node, not an error. */
export function isValidJson(text: string): boolean {
  if (text.trim() === '') return true;
  try {
    parseJson(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing JSON
// ---------------------------------------------------------------------------------------------

/** Kestra's JSON mapper (the engine's own writer): see `toKestraJson`. */
export function writeJson(value: unknown, includeNulls = false): string {
  return toKestraJson(value, includeNulls);
}

export { jsonString };

// ---------------------------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------------------------

const YAML_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const YAML_INT = /^(?:[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const YAML_FLOAT =
  /^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const YAML_NULL = /^(?:~|null|Null|NULL)?$/;

/** A plain scalar resolved as Jackson's YAML reader does (YAML 1.1 implicit types via SnakeYAML). */
function resolvePlainScalar(text: string): unknown {
  if (YAML_NULL.test(text)) return null;
  if (YAML_BOOL.test(text)) return /^(?:yes|true|on)$/i.test(text);
  if (YAML_INT.test(text)) {
    let t = text.replace(/_/g, '');
    let sign = 1n;
    if (t[0] === '-' || t[0] === '+') {
      if (t[0] === '-') sign = -1n;
      t = t.slice(1);
    }
    let v: bigint;
    if (t.includes(':')) v = t.split(':').reduce((acc, part) => acc * 60n + BigInt(part), 0n);
    else if (t.startsWith('0b')) v = BigInt(t);
    else if (t.startsWith('0x')) v = BigInt(t);
    else if (t.length > 1 && t.startsWith('0')) v = BigInt('0o' + t.slice(1));
    else v = BigInt(t);
    return integralFromText((sign * v).toString());
  }
  if (YAML_FLOAT.test(text)) {
    const t = text.replace(/_/g, '');
    if (/inf/i.test(t)) return makeDouble(t.startsWith('-') ? -Infinity : Infinity);
    if (/nan/i.test(t)) return makeDouble(NaN);
    if (t.includes(':')) {
      const neg = t.startsWith('-');
      const parts = t.replace(/^[-+]/, '').split(':');
      const value = parts.reduce((acc, part) => acc * 60 + Number(part), 0);
      return makeDouble(neg ? -value : value);
    }
    return makeDouble(Number(t));
  }
  return text;
}

/**
 * Nodes one `yaml()` call may build, aliases expanded (a billion-laughs document stops here), and
 * what each alias points at: the last node before it with that anchor, found in one pass (the
 * yaml library's own `resolve` walks the whole document for every alias).
 */
class YamlBudget {
  private nodes = 0;
  readonly targets = new Map<Alias, YamlNode | undefined>();
  constructor(
    readonly maxNodes: number,
    doc: Document,
  ) {
    const anchored = new Map<string, YamlNode>();
    visit(doc, {
      Node: (_key, node) => {
        if (isAlias(node)) this.targets.set(node, anchored.get(node.source));
        else if (node.anchor !== undefined) anchored.set(node.anchor, node);
      },
    });
  }
  node(): void {
    if (++this.nodes > this.maxNodes) {
      throw new LimitExceededError(
        'maxCollectionSize',
        `The YAML document expands to more than ${this.maxNodes} values through its aliases (limit maxCollectionSize)`,
      );
    }
  }
}

function yamlToJava(node: YamlNode | null | undefined, doc: Document, depth: number, budget: YamlBudget): unknown {
  if (depth > 1000) throw new Error('YAML nesting too deep');
  if (node === null || node === undefined) return null;
  budget.node();
  if (isAlias(node)) return yamlToJava(budget.targets.get(node), doc, depth + 1, budget);
  if (isScalar(node)) {
    if (node.type === Scalar.PLAIN && typeof node.value === 'string' && node.tag === undefined) return resolvePlainScalar(node.value);
    return node.value === null || node.value === undefined ? null : String(node.value);
  }
  if (isSeq(node)) return node.items.map((item) => yamlToJava(item as YamlNode, doc, depth + 1, budget));
  if (isYamlMap(node)) {
    const out = new OrderedMapBuilder();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = yamlToJava(pair.key as YamlNode, doc, depth + 1, budget);
      out.set(key === null ? 'null' : toJavaString(key), yamlToJava(pair.value as YamlNode, doc, depth + 1, budget));
    }
    return out.build();
  }
  return null;
}

/**
 * Parses the first YAML document the way Kestra's Jackson YAML mapper reads it, building at most
 * `maxNodes` values (aliases expanded) and 1000 levels.
 */
export function parseYaml(text: string, maxNodes: number = DEFAULT_LIMITS.maxCollectionSize): unknown {
  const docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: false });
  if (!Array.isArray(docs)) return null; // an empty stream (only comments or nothing)
  const doc = docs[0];
  if (doc === undefined) return null;
  const first = doc.errors[0];
  if (first !== undefined) throw new Error(first.message);
  return yamlToJava(doc.contents, doc, 0, new YamlBudget(maxNodes, doc));
}

/** Every YAML document of `text`, each as `parseYaml` reads one (plugin-serdes' YamlToIon / YamlToJson). */
export function parseYamlDocuments(text: string, maxNodes: number = DEFAULT_LIMITS.maxCollectionSize): unknown[] {
  const docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  return docs.map((doc) => {
    const first = doc.errors[0];
    if (first !== undefined) throw new Error(first.message);
    return yamlToJava(doc.contents, doc, 0, new YamlBudget(maxNodes, doc));
  });
}

/** Where SnakeYAML's analysis forbids the plain style in block context. */
function yamlPlainForbidden(s: string): boolean {
  if (/^[#,[\]{}&*!|>'"%@`]/.test(s)) return true;
  if (/^[-?:](?:\s|$)/.test(s)) return true;
  if (/^\s|\s$/.test(s)) return true;
  if (/: |:$| #/.test(s)) return true;
  return /[\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029\ufeff\n\t]/.test(s);
}

/** What Jackson quotes under MINIMIZE_QUOTES: words and numbers YAML would read as non-strings. */
function yamlNeedsQuoting(s: string): boolean {
  return s === '' || YAML_NULL.test(s) || YAML_BOOL.test(s) || /^(?:y|Y|n|N)$/.test(s) || YAML_INT.test(s) || YAML_FLOAT.test(s);
}

/** A key or single-line scalar: plain when allowed, else double-quoted (Jackson's STYLE_QUOTED). */
function yamlScalarString(s: string): string {
  return yamlNeedsQuoting(s) || yamlPlainForbidden(s) ? jsonString(s) : s;
}

/**
 * A value string: multi-line text uses a literal block (`|`, `|-`, `|+`), as Jackson does
 * under MINIMIZE_QUOTES; `indent` is the column of the block's lines.
 */
function yamlValueString(s: string, indent: number): string {
  if (s.includes('\n') && !yamlNeedsQuoting(s) && !/[\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029\ufeff]/.test(s) && !/ \n|[ \t]$/.test(s)) {
    const chomp = s.endsWith('\n\n') ? '+' : s.endsWith('\n') ? '' : '-';
    const hint = /^[ \n]/.test(s) ? '2' : '';
    const body = (chomp === '' || chomp === '+' ? s.slice(0, -1) : s).split('\n');
    const pad = ' '.repeat(indent);
    return `|${hint}${chomp}\n` + body.map((line) => (line === '' ? '' : pad + line)).join('\n');
  }
  return yamlScalarString(s);
}

function yamlScalar(value: unknown, indent: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return yamlValueString(value, indent);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value instanceof JDouble) {
    return toJavaString(value);
  }
  return yamlValueString(toJavaString(value), indent);
}

function isNonEmptyContainer(v: unknown): boolean {
  return (isList(v) && v.length > 0) || (isMap(v) && Object.keys(v).length > 0);
}

/**
 * Block YAML the way Kestra's `yaml` filter writes it (Jackson with INDENT_ARRAYS: mappings
 * indented by 2, sequence dashes by 1 more than their parent). Lines of a nested block are
 * produced at their own column; a sequence item then puts its `- ` over the first one.
 */
function emitBlock(value: unknown, indent: number, depth: number, walk: ValueWalk): string[] {
  if (depth > 1000) throw functionError('Document nesting depth exceeds the maximum allowed');
  if (isList(value) || isMap(value)) walk.enter();
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  if (isList(value)) {
    const dash = ' '.repeat(indent + 1) + '- ';
    const contentIndent = indent + 3;
    for (const item of value) {
      if (isNonEmptyContainer(item)) {
        const nested = emitBlock(item, isList(item) ? indent + 2 : contentIndent, depth + 1, walk);
        nested[0] = dash + (nested[0] as string).slice(contentIndent);
        lines.push(...nested);
      } else {
        lines.push(dash + (isList(item) ? '[]' : isMap(item) ? '{}' : yamlScalar(item, contentIndent)));
      }
    }
    return lines;
  }
  if (isMap(value)) {
    for (const k of mapKeys(value)) {
      const v = value[k];
      const keyText = yamlScalarString(k);
      if (isNonEmptyContainer(v)) {
        lines.push(`${pad}${keyText}:`);
        lines.push(...emitBlock(v, isList(v) ? indent : indent + 2, depth + 1, walk));
      } else {
        lines.push(`${pad}${keyText}: ${isList(v) ? '[]' : isMap(v) ? '{}' : yamlScalar(v, indent + 2)}`);
      }
    }
    return lines;
  }
  return [pad + yamlScalar(value, indent + 2)];
}

export function writeYaml(value: unknown): string {
  if (isList(value) && value.length === 0) return '[]\n';
  if (isMap(value) && Object.keys(value).length === 0) return '{}\n';
  return emitBlock(value, 0, 0, new ValueWalk()).join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Built-ins
// ---------------------------------------------------------------------------------------------

const toJson: FilterDefinition = {
  argNames: ['includeNulls'],
  call(input, args) {
    if (input === null || input === undefined) return 'null';
    return writeJson(input, args['includeNulls'] === true);
  },
};

function fromJsonFunction(name: string): FunctionDefinition {
  return {
    argNames: ['json'],
    call(args) {
      if (!Object.hasOwn(args, 'json')) throw functionError(`The '${name}' function expects an argument 'json'.`);
      const json = args['json'];
      if (json === null || json === undefined) return null;
      if (typeof json !== 'string') throw functionError(`The '${name}' function expects an argument 'json' with type string.`);
      try {
        return parseJson(json);
      } catch (e) {
        throw functionError(`Invalid json: ${(e as Error).message}`, e);
      }
    },
  };
}

const yamlFilter: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return 'null';
    return writeYaml(input);
  },
};

const yamlFunction: FunctionDefinition = {
  argNames: ['yaml'],
  call(args, ctx) {
    if (!Object.hasOwn(args, 'yaml')) throw functionError(`The 'yaml' function expects an argument 'yaml'.`);
    const yaml = args['yaml'];
    if (typeof yaml !== 'string') throw functionError(`The 'yaml' function expects an argument 'yaml' with type string.`);
    try {
      return parseYaml(yaml, (ctx.budget?.limits ?? DEFAULT_LIMITS).maxCollectionSize);
    } catch (e) {
      if (e instanceof LimitExceededError) throw e;
      throw functionError(`Invalid yaml: ${(e as Error).message}`, e);
    }
  },
};

const jsonTest: TestDefinition = {
  call(input) {
    if (input === null || input === undefined) return false;
    if (isMap(input) || isList(input)) return true;
    if (typeof input !== 'string') return false;
    return isValidJson(input);
  },
};

export const jsonFilters: Record<string, FilterDefinition> = { toJson, json: toJson, yaml: yamlFilter };
export const jsonFunctions: Record<string, FunctionDefinition> = {
  fromJson: fromJsonFunction('fromJson'),
  json: fromJsonFunction('json'),
  yaml: yamlFunction,
};
export const jsonTests: Record<string, TestDefinition> = { json: jsonTest };
