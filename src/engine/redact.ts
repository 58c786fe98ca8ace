/**
 * Error messages never quote a sensitive operand. Filters and functions quote their input as
 * Kestra does (`Text '…' could not be parsed`, `Unable to parse jq value '…'`, `Invalid json:
 * Unrecognized token '…'`); when a render failed after `secret()` or `credential()` produced
 * values, every text of its error is cleaned before it leaves the engine:
 * - each sensitive value, and its upper- and lower-case forms, becomes `******`;
 * - a quoted operand ('…', "…", `…`, […]) that is part of a sensitive value becomes `******`,
 *   and so do its unquoted repetitions;
 * - any run of 8 or more characters that also occurs in a sensitive value becomes `******`
 *   (truncated dumps such as jq's `"s3cr3tv...`).
 * The kind of problem and its position stay; the error's cause, which holds the original text,
 * is dropped. Errors of renders that saw no sensitive value keep Kestra's messages unchanged.
 */
import type { TemplateError } from './errors.js';

export const REDACTED = '******';

/** Runs shorter than this are only redacted when quoted (a sensitive value shares short runs with ordinary words). */
const MIN_FRAGMENT = 8;

const QUOTED = /'([^'\n]*)'|"([^"\n]*)"|`([^`\n]*)`|\[([^\]\n]*)\]/g;

/** `text` with every sensitive value, quoted part of one, and long fragment of one replaced by `******`. */
export function redactText(text: string, sensitive: readonly string[]): string {
  if (text.length === 0) return text;
  let out = text;
  const folded = sensitive.flatMap((s) => [s, s.toLowerCase(), s.toUpperCase()]).filter((s) => s.length > 0);
  // Longest first, so that a value containing another is replaced whole.
  folded.sort((a, b) => b.length - a.length);
  for (const s of folded) if (out.includes(s)) out = out.split(s).join(REDACTED);
  const lower = sensitive.map((s) => s.toLowerCase());
  const isPart = (fragment: string): boolean => {
    const f = fragment.toLowerCase();
    return lower.some((s) => s.includes(f));
  };
  const quotedParts: string[] = [];
  out = out.replace(QUOTED, (whole: string, ...groups: (string | undefined)[]) => {
    const inner = groups.slice(0, 4).find((g) => g !== undefined) ?? '';
    if (inner === '' || inner === REDACTED || !isPart(inner)) return whole;
    quotedParts.push(inner);
    return whole[0] + REDACTED + whole[whole.length - 1];
  });
  // The same part repeated unquoted (`Text 'ab12' could not be parsed at index 0: ab12`).
  for (const part of quotedParts) if (part.length >= 3 && out.includes(part)) out = out.split(part).join(REDACTED);
  return redactFragments(out, lower);
}

function redactFragments(text: string, lowerSensitive: readonly string[]): string {
  const lowered = text.toLowerCase();
  // Case-insensitive matching needs positions that survive lower-casing (true for almost all text).
  const haystack = lowered.length === text.length ? lowered : text;
  const marks = new Uint8Array(text.length);
  let any = false;
  for (const s of lowerSensitive) {
    if (s.length < MIN_FRAGMENT) continue;
    const grams = new Set<string>();
    for (let i = 0; i + MIN_FRAGMENT <= s.length; i++) grams.add(s.slice(i, i + MIN_FRAGMENT));
    for (let i = 0; i + MIN_FRAGMENT <= haystack.length; i++) {
      if (grams.has(haystack.slice(i, i + MIN_FRAGMENT))) {
        marks.fill(1, i, i + MIN_FRAGMENT);
        any = true;
      }
    }
  }
  if (!any) return text;
  let out = '';
  for (let i = 0; i < text.length;) {
    if (marks[i] === 1) {
      while (i < text.length && marks[i] === 1) i++;
      out += REDACTED;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

type Mutable = { -readonly [K in keyof TemplateError]: TemplateError[K] } & { variableName?: string };

/** Cleans, in place, every text of `error` that could quote a sensitive value (see the module comment). */
export function redactError<E extends TemplateError>(error: E, sensitive: readonly string[] | null): E {
  if (sensitive === null || sensitive.length === 0) return error;
  const e = error as unknown as Mutable;
  const clean = (s: string | undefined): string | undefined => (s === undefined ? undefined : redactText(s, sensitive));
  const message = clean(e.message)!;
  const changed =
    message !== e.message ||
    clean(e.rawMessage) !== e.rawMessage ||
    clean(e.templateName) !== e.templateName ||
    clean(e.variableName) !== e.variableName ||
    clean(e.source) !== e.source ||
    causeMentions(e.cause, sensitive);
  if (!changed) return error;
  // Every one of these is a writable own property (TypeScript's readonly aside).
  e.message = message;
  e.rawMessage = clean(e.rawMessage)!;
  e.templateName = clean(e.templateName);
  if (e.variableName !== undefined) e.variableName = clean(e.variableName);
  e.source = clean(e.source);
  // The cause holds the original texts; the stack starts with the original message.
  delete (e as { cause?: unknown }).cause;
  const frames = (e.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  e.stack = [`${e.name}: ${message}`, ...frames].join('\n');
  return error;
}

function causeMentions(cause: unknown, sensitive: readonly string[]): boolean {
  for (let c = cause, depth = 0; c !== undefined && c !== null && depth < 10; depth++) {
    const text = c instanceof Error ? `${c.message}\n${String((c as { stderr?: unknown }).stderr ?? '')}` : String(c);
    if (redactText(text, sensitive) !== text) return true;
    c = c instanceof Error ? c.cause : undefined;
  }
  return false;
}
