/**
 * Kestra's `{% raw %}`, which is not Pebble's: VariableRenderer (core/src/main/java/io/kestra/core/
 * runners/VariableRenderer.java, develop @58c1ca2d) replaces every single-line raw block of the
 * template text by a random UUID before Pebble sees it (`replaceRawTags`, wherever the block is: in
 * text, in a string literal, in a comment), puts the whole blocks back into the output
 * (`putBackRawTags`, a literal replace of each UUID) and finally strips the tags of every raw block
 * the output holds (`RAW_PATTERN.matcher(output).replaceAll("$2")`), those a value printed included.
 * So the dashes of `{%- raw -%}` trim nothing, a neighbouring tag's trim marker stops at the
 * block (a UUID is not whitespace), `'{% raw %}…{% endraw %}' | length` is 36, and a block over
 * several lines reaches Pebble, which has no raw tag.
 */
import { randomUUID } from 'node:crypto';

/** Java's `\s` without UNICODE_CHARACTER_CLASS, and its `.` (no line terminator, NEL included). */
const WS = '[ \\t\\n\\x0B\\f\\r]';
const ANY = '[^\\n\\r\\u0085\\u2028\\u2029]';
/** RAW_PATTERN: group 1 is the body. */
const RAW_SOURCE = `\\{%-*${WS}*raw${WS}*-*%\\}(${ANY}*?)\\{%-*${WS}*endraw${WS}*-*%\\}`;
const RAW_ALL_RE = new RegExp(RAW_SOURCE, 'g');

/** A template whose raw blocks are UUIDs, and how to go back. */
export interface ShieldedSource {
  /** The template text Pebble parses. */
  readonly text: string;
  /** Each UUID and the whole block it stands for, in the order of the template. */
  readonly rawBlocks: readonly (readonly [placeholder: string, block: string])[];
  /** The offset in the original template of an offset in `text` (a UUID's characters map to its block's start). */
  toSource(offset: number): number;
}

/** `replaceRawTags`; null when the template has no single-line raw block (then nothing changes). */
export function shieldRawBlocks(source: string): ShieldedSource | null {
  if (!source.includes('raw')) return null;
  const rawBlocks: [string, string][] = [];
  // Per block: where its UUID starts in `text`, where the block starts in the source, and the
  // shift of everything after it.
  const starts: number[] = [];
  const sourceStarts: number[] = [];
  const shifts: number[] = [];
  let shift = 0;
  const text = source.replace(RAW_ALL_RE, (block: string, _body: string, offset: number) => {
    const placeholder = randomUUID();
    rawBlocks.push([placeholder, block]);
    starts.push(offset - shift);
    sourceStarts.push(offset);
    shift += block.length - placeholder.length;
    shifts.push(shift);
    return placeholder;
  });
  if (rawBlocks.length === 0) return null;
  return {
    text,
    rawBlocks,
    toSource(offset) {
      let i = starts.length - 1;
      while (i >= 0 && starts[i]! > offset) i--;
      if (i < 0) return offset;
      if (offset < starts[i]! + rawBlocks[i]![0].length) return sourceStarts[i]!;
      return offset + shifts[i]!;
    },
  };
}

/** `putBackRawTags` then `RAW_PATTERN.matcher(output).replaceAll("$2")`: the end of every render. */
export function finishRawBlocks(output: string, rawBlocks: ShieldedSource['rawBlocks']): string {
  let out = output;
  // A literal replace of every occurrence (split/join: a replacement string would read `$` specially).
  for (const [placeholder, block] of rawBlocks) if (out.includes(placeholder)) out = out.split(placeholder).join(block);
  return stripKestraRaw(out);
}

/** The tags of the raw blocks a rendered text holds, stripped (`replaceAll("$2")`). */
export function stripKestraRaw(output: string): string {
  if (!output.includes('{%')) return output;
  return output.replace(RAW_ALL_RE, (_whole, body: string) => body);
}
