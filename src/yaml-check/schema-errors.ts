/** Helpers shared by the loaders that turn ajv's errors into problems worded for their users. */
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv';
import type { Ajv } from 'ajv';

/** An ajv instance for checking user files: every error, strict schemas, our annotation keywords allowed. */
export function createAjv(keywords: readonly string[] = [], extra: { readonly code?: { readonly source: boolean } } = {}): Ajv {
  // `extra.code.source`: keep the generated code, for the build's precompiled validators (same options otherwise).
  // ajv is loaded when a schema must be compiled: with the build's precompiled validators, a CLI run never needs it.
  const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof AjvModule;
  const ajv = new AjvClass({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true, ...extra });
  for (const keyword of keywords) ajv.addKeyword(keyword);
  return ajv;
}

/** `/tasks/0/uri` → `['tasks', 0, 'uri']`. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** `a list`, `a map`, ``string `x` ``: what a value is, for "expected X, got Y". */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} \`${String(value)}\``;
}

/** A close name, for "did you mean" hints (edit distance ≤ 2, or a case-only difference). */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = 3;
  for (const c of candidates) {
    const d = c.toLowerCase() === name.toLowerCase() ? 0 : distance(name, c);
    if (d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** A JSON Schema fragment (draft-07), kept as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Annotation keyword: a short human description of what a value should be, used in error messages. */
export const EXPECTED = 'x-expected';
