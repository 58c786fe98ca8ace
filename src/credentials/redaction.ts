/**
 * Knows the sensitive values of one credential operation (secret, private key, assertion, Basic
 * header, token) and removes them, in every encoding a server might echo them back in, from any
 * text that is about to become part of an error.
 */
export const REDACTED = '[REDACTED]';

/** Values shorter than this are not redacted: replacing 1–3 characters everywhere would garble messages and hide nothing. */
const MIN_LENGTH = 4;

export class Redactor {
  private readonly needles = new Set<string>();
  private sorted: string[] | undefined;

  /** Registers a sensitive value and its raw, URL-encoded, form-encoded, base64, base64url and JSON-escaped forms. */
  add(value: string | undefined, _options?: { pieces?: boolean }): this {
    if (value === undefined || value.length < MIN_LENGTH) return this;
    const forms = new Set<string>([value]);
    forms.add(encodeURIComponent(value));
    forms.add(formEncode(value));
    forms.add(encodeURI(value));
    forms.add(JSON.stringify(value).slice(1, -1));
    const bytes = Buffer.from(value, 'utf8');
    forms.add(bytes.toString('base64'));
    forms.add(bytes.toString('base64').replace(/=+$/, ''));
    forms.add(bytes.toString('base64url'));
    forms.add(encodeURIComponent(bytes.toString('base64')));
    if (/-----BEGIN /.test(value)) this.addPemBody(value, forms);
    for (const form of forms) if (form.length >= MIN_LENGTH) this.needles.add(form);
    this.sorted = undefined;
    return this;
  }

  /** A PEM's base64 body may come back re-wrapped or unwrapped; each long line is sensitive on its own. */
  private addPemBody(pem: string, forms: Set<string>): void {
    const body = pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\\n/g, '\n');
    const lines = body.split(/\s+/).filter((line) => line.length >= 16);
    for (const line of lines) forms.add(line);
    forms.add(lines.join(''));
  }

  /** Merges another redactor's values (e.g. a shared one plus this request's assertion). */
  addAll(other: Redactor): this {
    for (const needle of other.needles) this.needles.add(needle);
    this.sorted = undefined;
    return this;
  }

  redact(text: string): string {
    if (this.needles.size === 0 || text.length === 0) return text;
    this.sorted ??= [...this.needles].sort((a, b) => b.length - a.length);
    let out = this.redactOnce(text);
    // A needle may re-form around an inserted marker (a secret containing "D]" next to what follows it).
    for (let pass = 0; pass < 3 && this.containsNeedle(out); pass++) out = this.redactOnce(out);
    if (this.containsNeedle(out)) return REDACTED;
    // Whatever scheme a server echoes an Authorization value with, its credentials part goes.
    return out.replace(/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}/gi, `$1 ${REDACTED}`);
  }

  /** Replaces the union of every occurrence of every needle, overlapping ones merged, so no part of one survives next to another. */
  private redactOnce(text: string): string {
    const ranges: Array<[number, number]> = [];
    for (const needle of this.sorted ?? []) {
      for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) ranges.push([at, at + needle.length]);
    }
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = '';
    let cursor = 0;
    let [start, end] = ranges[0] as [number, number];
    for (const [from, to] of ranges.slice(1)) {
      if (from <= end) end = Math.max(end, to);
      else {
        out += text.slice(cursor, start) + REDACTED;
        cursor = end;
        [start, end] = [from, to];
      }
    }
    return out + text.slice(cursor, start) + REDACTED + text.slice(end);
  }

  private containsNeedle(text: string): boolean {
    return (this.sorted ?? []).some((needle) => text.includes(needle));
  }
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 wants for Basic credentials (space → `+`). */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
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
