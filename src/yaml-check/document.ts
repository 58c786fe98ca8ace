/**
 * Parses YAML text for checking: the documents, their positions, and the YAML-level problems
 * (syntax errors, duplicate keys) as located records, so each loader words them its own way.
 */
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { PositionIndex, type DuplicateKey } from './positions.js';

export interface YamlSyntaxProblem {
  /** yaml's error code, e.g. `BAD_INDENT`. */
  readonly code: string;
  /** yaml's message, first line only (later lines quote the source). */
  readonly message: string;
  readonly offset: number;
}

export interface ParsedYaml {
  readonly documents: readonly Document.Parsed[];
  /** Positions of the first document (indexed even when it has syntax errors, as far as it goes). */
  readonly index: PositionIndex;
  readonly syntax: readonly YamlSyntaxProblem[];
  readonly duplicates: readonly DuplicateKey[];
}

export function parseYaml(source: string, options: { file?: string } = {}): ParsedYaml {
  const lineCounter = new LineCounter();
  // uniqueKeys off: yaml's check is quadratic in the keys of a map; PositionIndex finds duplicates in one pass.
  const documents = parseAllDocuments(source, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [];
  const index = new PositionIndex(lineCounter, options.file);
  const first = list[0];
  if (first !== undefined) index.record(first.contents);
  const syntax = (first?.errors ?? []).map((e) => ({ code: e.code, message: e.message.split('\n')[0] ?? e.message, offset: e.pos[0] }));
  return { documents: list, index, syntax, duplicates: index.duplicates };
}

/** The text of the key at `offset` as written (quotes kept), for "Duplicate key `x`" messages. */
export function keyTextAt(source: string, offset: number): string {
  return /^("[^"]*"|'[^']*'|[^:\n]+)/.exec(source.slice(offset))?.[1]?.trim() ?? source.slice(offset, offset + 40);
}
