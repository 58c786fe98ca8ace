import { formEncode } from '../masking/forms.js';
import { SensitiveText, type AddOptions } from '../masking/sensitive-text.js';

/**
 * Knows the sensitive values of one credential operation (secret, private key, assertion, Basic
 * header, token) and removes them, in every encoding a server might echo them back in, from any
 * text that is about to become part of an error.
 */
export const REDACTED = '[REDACTED]';

/** Values shorter than this are not redacted: replacing 1–3 characters everywhere would garble messages and hide nothing. */
const MIN_LENGTH = 4;

export { formEncode };

export class Redactor {
  // An ECMAScript private field: util.inspect of a redactor (or of anything holding one) shows no value.
  readonly #text = new SensitiveText(MIN_LENGTH, MIN_LENGTH);
  readonly #values: { value: string; options: AddOptions }[] = [];

  /**
   * Registers a sensitive value: found raw, in any letter case, in its URL-encoded, form-encoded,
   * base64, base64url, hex and JSON-escaped forms, and by any piece of 8 or more characters
   * (`pieces: false` for a wrapper such as a request body, whose other parts are not secret).
   */
  add(value: string | undefined, options: AddOptions = {}): this {
    if (value === undefined || value.length < MIN_LENGTH) return this;
    this.#text.add(value, options);
    this.#values.push({ value, options });
    return this;
  }

  /** Merges another redactor's values (e.g. a shared one plus this request's assertion). */
  addAll(other: Redactor): this {
    for (const { value, options } of other.#values) this.add(value, options);
    return this;
  }

  redact(text: string): string {
    if (text.length === 0) return text;
    const out = this.#text.replace(text, REDACTED);
    // Whatever scheme a server echoes an Authorization value with, its credentials part goes.
    return out.replace(/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}/gi, `$1 ${REDACTED}`);
  }
}

/**
 * A copy of an error chain that keeps only name, code and redacted message/stack, so nothing a
 * library attached (request options, headers, bodies, sockets) survives into our error.
 */
export function sanitizeCause(cause: unknown, redactor: Redactor, depth = 0): Error | undefined {
  if (cause === undefined || cause === null || depth > 5) return undefined;
  // Duck-typed rather than `instanceof Error`: causes may come from another realm (fetch's DOMException in a vm context).
  const source = (typeof cause === 'object' ? cause : { message: String(cause) }) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    stack?: unknown;
    cause?: unknown;
  };
  const inner = sanitizeCause(source.cause, redactor, depth + 1);
  const copy = new Error(
    redactor.redact(typeof source.message === 'string' ? source.message : String(cause)),
    inner === undefined ? undefined : { cause: inner },
  );
  copy.name = typeof source.name === 'string' ? source.name : 'Error';
  if (typeof source.code === 'string' || typeof source.code === 'number') Object.assign(copy, { code: source.code });
  copy.stack = redactor.redact(typeof source.stack === 'string' ? source.stack : `${copy.name}: ${copy.message}`);
  return copy;
}
