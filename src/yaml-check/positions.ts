/**
 * Where every key and value of a YAML document starts, by property path, so a problem found in the
 * plain data (by ajv or by code) can be reported at its file, line and column. Indexing is one walk
 * over the document, and duplicate keys are found during that walk with one set per map: linear in
 * the number of keys (yaml's own `uniqueKeys` check compares each key with every earlier one).
 */
import { isMap, isPair, isScalar, isSeq, type LineCounter, type Node as YamlNode } from 'yaml';

/** A property path: `['tasks', 0, 'uri']`. */
export type Path = readonly (string | number)[];
type Range = readonly [number, number];

export interface SourcePosition {
  readonly file?: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** A key that appears twice in one map: where the repeat starts, and where the first one did. */
export interface DuplicateKey {
  readonly key: string;
  readonly path: Path;
  readonly offset: number;
  readonly firstOffset: number;
}

/** `tasks[0].uri` from `['tasks', 0, 'uri']`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

/** Source ranges of every key and value, by property path. */
export class PositionIndex {
  private readonly keys = new Map<string, Range>();
  private readonly values = new Map<string, Range>();
  private readonly lines: LineCounter;
  private readonly file: string | undefined;
  /** Repeated keys met while indexing, in document order. */
  readonly duplicates: DuplicateKey[] = [];

  constructor(lines: LineCounter, file: string | undefined) {
    this.lines = lines;
    this.file = file;
  }

  static key(path: Path): string {
    return path.join('\u0000');
  }

  /** Indexes `node` (a document's contents) as the value at `path`. */
  record(node: unknown, path: Path = []): void {
    const own = (node as YamlNode | null)?.range;
    if (path.length === 0 && own) this.values.set('', [own[0], own[1]]);
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        const childPath = [...path, name];
        const keyRange = pair.key.range;
        // Keys compare as yaml compares them: same scalar type and value (`1` and `"1"` differ).
        const identity = `${typeof pair.key.value}:${name}`;
        const first = seen.get(identity);
        // The later value wins in the plain data (as yaml's toJS does), so its position is the one kept.
        if (first !== undefined && keyRange) this.duplicates.push({ key: name, path: childPath, offset: keyRange[0], firstOffset: first });
        else if (keyRange) seen.set(identity, keyRange[0]);
        if (keyRange) this.keys.set(PositionIndex.key(childPath), [keyRange[0], keyRange[1]]);
        const valueNode = pair.value as YamlNode | null;
        const valueRange = valueNode?.range;
        if (valueRange) this.values.set(PositionIndex.key(childPath), [valueRange[0], valueRange[1]]);
        else if (keyRange) this.values.set(PositionIndex.key(childPath), [keyRange[0], keyRange[1]]);
        this.record(valueNode, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const r = (item as YamlNode | null)?.range;
        if (r) {
          this.values.set(PositionIndex.key([...path, i]), [r[0], r[1]]);
          this.keys.set(PositionIndex.key([...path, i]), [r[0], r[1]]);
        }
        this.record(item, [...path, i]);
      });
    }
    // Aliases point at nodes already indexed under their anchor.
  }

  offset(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { ...(this.file === undefined ? {} : { file: this.file }), line, column: col };
  }

  /** The closest known position for a path (walking up to the nearest indexed parent). */
  at(path: Path, which: 'key' | 'value' = 'value'): SourcePosition | undefined {
    for (let n = path.length; n >= 0; n--) {
      const k = PositionIndex.key(path.slice(0, n));
      const range = (n === path.length && which === 'key' ? this.keys.get(k) : undefined) ?? this.values.get(k);
      if (range) return this.offset(range[0]);
    }
    return undefined;
  }

  valueRange(path: Path): Range | undefined {
    return this.values.get(PositionIndex.key(path));
  }
}
