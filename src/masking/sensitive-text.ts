/**
 * Finds sensitive values in text and replaces them with a marker, failing closed. What is found,
 * for every registered value of at least `minLength` characters, in any letter case:
 * - the value and each of its encoded forms (see `encodedForms`);
 * - any piece of 8 or more consecutive characters of the value or of an encoded form (a slice, a
 *   substring, a line of a PEM key), except pieces made of fewer than 4 different characters
 *   (`--------`), which would mask unrelated text.
 * Matches that overlap are merged, so no part of one survives next to another, and the text is
 * checked again after replacing, so a value cannot re-form around the marker.
 *
 * Cost: one pass over the text, with one lookup per character for pieces (a rolling hash) and one
 * for whole forms (indexed by their first three characters), whatever the number of values.
 */
import { encodedForms } from './forms.js';

// Module-level bindings for the per-character loops: a global lookup (`Math.imul`) is much slower
// where code runs in a vm context (jest, some embedders' sandboxes).
const { imul } = Math;
const { fromCharCode } = String;

/** The shortest piece of a value that is recognised on its own. */
export const PIECE_LENGTH = 8;
/** Pieces with fewer different characters are not used alone (the whole value still is). */
const MIN_DISTINCT_IN_PIECE = 4;

const BASE = 0x01000193;
/** BASE^(PIECE_LENGTH - 1), modulo 2^32. */
const BASE_TOP = (() => {
  let p = 1;
  for (let i = 1; i < PIECE_LENGTH; i++) p = imul(p, BASE);
  return p;
})();

const foldCache = new Map<number, number>();

/** Lower-case of one UTF-16 unit, when lower-casing keeps it one unit (it almost always does). */
function foldCode(code: number): number {
  if (code < 128) return code >= 65 && code <= 90 ? code + 32 : code;
  let folded = foldCache.get(code);
  if (folded === undefined) {
    const lower = fromCharCode(code).toLowerCase();
    folded = lower.length === 1 ? lower.charCodeAt(0) : code;
    if (foldCache.size < 65_536) foldCache.set(code, folded);
  }
  return folded;
}

/** Case-folded text, one unit for one unit, so positions in the folded text are positions in the original. */
export function fold(text: string): string {
  if (/^[\u0000-\u007f]*$/.test(text)) return text.toLowerCase();
  let out = '';
  for (let i = 0; i < text.length; i++) out += fromCharCode(foldCode(text.charCodeAt(i)));
  return out;
}

/** A 32-bit key of three characters: whole forms are indexed by their start. */
function prefixKey(text: string, at: number): number {
  return (imul(imul(text.charCodeAt(at), 31) + text.charCodeAt(at + 1), 31) + text.charCodeAt(at + 2)) | 0;
}

function pieceHash(text: string, start: number): number {
  let h = 0;
  for (let k = 0; k < PIECE_LENGTH; k++) h = (imul(h, BASE) + text.charCodeAt(start + k)) | 0;
  return h;
}

function distinctAtLeast(text: string, start: number, n: number): boolean {
  const seen = new Set<string>();
  for (let k = 0; k < PIECE_LENGTH; k++) {
    seen.add(text[start + k]!);
    if (seen.size >= n) return true;
  }
  return false;
}

export type Range = [number, number];

export interface AddOptions {
  /**
   * Also recognise pieces of the value (default true). Off for values that are only a wrapper
   * around secrets registered on their own (a request body, a Basic header): their non-secret
   * parts (`grant_type=client_credentials`) must not be masked everywhere.
   */
  readonly pieces?: boolean;
}

export class SensitiveText {
  private readonly minLength: number;
  private readonly minFormLength: number;
  /** Folded forms found whole (short ones, and long ones that have pieces skipped), by their first three characters. */
  private readonly whole = new Set<string>();
  private readonly wholeByPrefix = new Map<number, string[]>();
  /** Values already registered (a secret rendered in a loop is registered once). */
  private readonly values = new Set<string>();
  private readonly pieceHashes = new Set<number>();
  private readonly pieces = new Set<string>();

  /**
   * `minLength`: shorter values are not registered. `minFormLength`: shorter encoded forms would
   * match too much unrelated text (the value itself counts whatever its length).
   */
  constructor(minLength: number, minFormLength: number) {
    this.minLength = minLength;
    this.minFormLength = minFormLength;
  }

  /** Number of distinct whole forms and pieces registered (0: nothing is masked). */
  get size(): number {
    return this.whole.size + this.pieces.size;
  }

  /** Registers a value and its forms. Values shorter than `minLength` are ignored. */
  add(value: string, options: AddOptions = {}): void {
    if (value.length < this.minLength) return;
    const withPieces = options.pieces !== false;
    const seenKey = `${withPieces ? 'p' : 'w'}${value}`;
    if (this.values.has(seenKey)) return;
    this.values.add(seenKey);
    encodedForms(value).forEach((form, i) => {
      if (i > 0 && form.text.length < this.minFormLength) return;
      const folded = fold(form.text);
      let complete = withPieces && form.pieces && folded.length >= PIECE_LENGTH;
      if (complete) {
        for (let start = 0; start + PIECE_LENGTH <= folded.length; start++) {
          if (!distinctAtLeast(folded, start, MIN_DISTINCT_IN_PIECE)) {
            complete = false;
            continue;
          }
          this.pieceHashes.add(pieceHash(folded, start));
          this.pieces.add(folded.slice(start, start + PIECE_LENGTH));
        }
      }
      // A form the pieces do not fully cover is also looked for whole.
      if (!complete && !this.whole.has(folded)) {
        this.whole.add(folded);
        const key = prefixKey(folded, 0);
        const list = this.wholeByPrefix.get(key);
        if (list === undefined) this.wholeByPrefix.set(key, [folded]);
        else list.push(folded);
      }
    });
  }

  /** Where sensitive text is, as merged `[start, end)` ranges in source order. */
  ranges(text: string): Range[] {
    if (text.length === 0 || this.size === 0) return [];
    const folded = fold(text);
    const found: Range[] = [];
    const n = folded.length;
    const withWhole = this.wholeByPrefix.size > 0;
    const withPieces = this.pieceHashes.size > 0 && n >= PIECE_LENGTH;
    let h = withPieces ? pieceHash(folded, 0) : 0;
    for (let i = 0; i + 2 < n; i++) {
      if (withWhole) {
        const forms = this.wholeByPrefix.get(prefixKey(folded, i));
        if (forms !== undefined) for (const form of forms) if (folded.startsWith(form, i)) found.push([i, i + form.length]);
      }
      if (withPieces && i + PIECE_LENGTH <= n) {
        if (this.pieceHashes.has(h) && this.pieces.has(folded.slice(i, i + PIECE_LENGTH))) found.push([i, i + PIECE_LENGTH]);
        if (i + PIECE_LENGTH < n)
          h = (imul((h - imul(folded.charCodeAt(i), BASE_TOP)) | 0, BASE) + folded.charCodeAt(i + PIECE_LENGTH)) | 0;
      }
    }
    if (found.length <= 1) return found;
    found.sort((a, b) => a[0] - b[0]);
    const merged: Range[] = [];
    let [start, end] = found[0]!;
    for (let i = 1; i < found.length; i++) {
      const [from, to] = found[i]!;
      if (from <= end) end = Math.max(end, to);
      else {
        merged.push([start, end]);
        [start, end] = [from, to];
      }
    }
    merged.push([start, end]);
    return merged;
  }

  /**
   * The text with every sensitive range replaced by `marker`. Checked again after replacing; if a
   * value still shows (it re-formed around a marker) after three passes, the whole text becomes
   * `marker`: masking fails closed.
   */
  replace(text: string, marker: string): string {
    let out = text;
    for (let pass = 0; pass < 4; pass++) {
      const ranges = this.ranges(out);
      if (ranges.length === 0) return out;
      if (pass === 3) break;
      let next = '';
      let cursor = 0;
      for (const [from, to] of ranges) {
        next += out.slice(cursor, from) + marker;
        cursor = to;
      }
      out = next + out.slice(cursor);
    }
    return marker;
  }
}
