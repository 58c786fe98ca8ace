/**
 * Error messages never quote a sensitive operand. Filters and functions quote their input as
 * Kestra does (`Text '…' could not be parsed`, `Unable to parse jq value '…'`, `Invalid json:
 * Unrecognized token '…'`); when a render failed after `secret()` or `credential()` produced
 * values, every text of its error is cleaned before it leaves the engine:
 * - what the run's masker finds (src/masking): each value of 3 or more characters and its encoded
 *   forms (JSON-escaped, URL-encoded, base64, hex), in any letter case, and any piece of 8 or more
 *   characters of them;
 * - in messages, a quoted operand ('…', "…", `…`, […]) that is part of a value (a slice, an
 *   upper-cased value, one character) or 3 or more characters of an encoded form, and its unquoted
 *   repetitions (short ones where they stand alone).
 * Template texts (the name of a template without one, its source) are only cleaned of values,
 * forms and pieces: their quoted literals are the template's, not operands.
 * The kind of problem and its position stay; the error's cause, which holds the original text,
 * is dropped. Errors of renders that saw no sensitive value keep Kestra's messages unchanged.
 */
import { encodedForms } from '../masking/forms.js';
import { MASK } from '../masking/masker.js';
import { SensitiveText, fold } from '../masking/sensitive-text.js';
import type { TemplateError } from './errors.js';

export const REDACTED = MASK;

/** As the run's masker: shorter values, and shorter encoded forms, are only redacted when quoted. */
const MIN_LENGTH = 3;
const MIN_FORM_LENGTH = 6;
/** Unquoted repetitions of a quoted part shorter than this are left (they would hit ordinary words). */
const MIN_REPEATED = 3;

const QUOTED = /'([^'\n]*)'|"([^"\n]*)"|`([^`\n]*)`|\[([^\]\n]*)\]/g;

/** The sensitive values of one failed render, ready to clean its texts. */
export class ErrorRedactor {
  private readonly matcher = new SensitiveText(MIN_LENGTH, MIN_FORM_LENGTH);
  /** Each value, case-folded: a quoted operand inside one is redacted, whatever its length. */
  private readonly values: string[] = [];
  /** Each encoded form, case-folded: a quoted operand of 3 or more characters inside one is redacted. */
  private readonly forms: string[] = [];

  constructor(sensitive: readonly string[]) {
    const forms = new Set<string>();
    for (const value of sensitive) {
      if (value.length === 0) continue;
      this.matcher.add(value);
      this.values.push(fold(value));
      for (const form of encodedForms(value)) forms.add(fold(form.text));
    }
    this.forms = [...forms];
  }

  /** `text` with every sensitive value, form, piece and quoted part of one replaced by `******`. */
  text(text: string): string {
    if (text.length === 0) return text;
    // Values, forms and pieces first: a value that holds quotes would otherwise be cut by the quote rule.
    const quotedParts: string[] = [];
    let out = this.pieces(text).replace(QUOTED, (whole: string, ...groups: (string | undefined)[]) => {
      const inner = groups.slice(0, 4).find((g) => g !== undefined) ?? '';
      if (inner === '' || inner === REDACTED || !this.isPart(inner)) return whole;
      quotedParts.push(inner);
      return whole[0] + REDACTED + whole[whole.length - 1];
    });
    // The same part repeated unquoted (`Text 'ab12' could not be parsed at index 0: ab12`); a short
    // one only where it stands alone, not inside a word.
    for (const part of quotedParts) {
      if (part.length >= MIN_REPEATED) out = out.split(part).join(REDACTED);
      else out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(part)}(?![\\p{L}\\p{N}])`, 'gu'), REDACTED);
    }
    return out;
  }

  /** `text` with every sensitive value, form and piece replaced, quoted or not (for template texts). */
  pieces(text: string): string {
    return this.matcher.replace(text, REDACTED);
  }

  /**
   * A quoted operand is redacted when it is part of a value (any length: the one character a JSON
   * parser stopped at), or 3 or more characters of an encoded form.
   */
  private isPart(fragment: string): boolean {
    const f = fold(fragment);
    const within = (form: string): boolean => form.includes(f);
    return this.values.some(within) || (f.length >= MIN_REPEATED && this.forms.some(within));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

type Mutable = { -readonly [K in keyof TemplateError]: TemplateError[K] } & { variableName?: string };

/** Cleans, in place, every text of `error` that could quote a sensitive value (see the module comment). */
export function redactError<E extends TemplateError>(error: E, sensitive: readonly string[] | null): E {
  if (sensitive === null || sensitive.length === 0) return error;
  const redactor = new ErrorRedactor(sensitive);
  const e = error as unknown as Mutable;
  const text = (s: string | undefined): string | undefined => (s === undefined ? undefined : redactor.text(s));
  // Template names and sources are template texts, not operands: only values, forms and pieces go.
  const template = (s: string | undefined): string | undefined => (s === undefined ? undefined : redactor.pieces(s));
  const rawMessage = text(e.rawMessage)!;
  const templateName = template(e.templateName);
  const suffix = e.line === undefined ? null : ` (${e.templateName ?? '?'}:${e.line})`;
  const message =
    suffix !== null && e.message === e.rawMessage + suffix ? `${rawMessage} (${templateName ?? '?'}:${e.line})` : text(e.message)!;
  const variableName = text(e.variableName);
  const source = template(e.source);
  const changed =
    message !== e.message ||
    rawMessage !== e.rawMessage ||
    templateName !== e.templateName ||
    variableName !== e.variableName ||
    source !== e.source ||
    causeMentions(e.cause, redactor);
  if (!changed) return error;
  // Every one of these is a writable own property (TypeScript's readonly aside).
  e.message = message;
  e.rawMessage = rawMessage;
  e.templateName = templateName;
  if (e.variableName !== undefined) e.variableName = variableName;
  e.source = source;
  // The cause holds the original texts; the stack starts with the original message.
  delete (e as { cause?: unknown }).cause;
  const frames = (e.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  e.stack = [`${e.name}: ${message}`, ...frames].join('\n');
  return error;
}

function causeMentions(cause: unknown, redactor: ErrorRedactor): boolean {
  for (let c = cause, depth = 0; c !== undefined && c !== null && depth < 10; depth++) {
    const text = c instanceof Error ? `${c.message}\n${String((c as { stderr?: unknown }).stderr ?? '')}` : String(c);
    if (redactor.text(text) !== text) return true;
    c = c instanceof Error ? c.cause : undefined;
  }
  return false;
}
