/**
 * The forms in which a secret's value travels through templates, HTTP and logs: JSON-escaped,
 * URL- and form-encoded, base64 (standard and URL-safe, alone or at any alignment inside a longer
 * base64 text such as a Basic header), hex, and the base64 body of a PEM key re-wrapped or not.
 */

/** Base64 of the value at the three byte alignments it can take inside a longer base64 text. */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    // Only the characters that depend on the value's bits alone, at this alignment.
    const start = Math.ceil((shift * 8) / 6);
    const end = Math.floor(((shift + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  const whole = bytes.toString('base64');
  out.push(whole, whole.replace(/=+$/, ''), bytes.toString('base64url'), encodeURIComponent(whole));
  return out;
}

/** `application/x-www-form-urlencoded`, as RFC 6749 §2.3.1 wants for Basic credentials (space → `+`). */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

export interface Form {
  readonly text: string;
  /**
   * Whether pieces of this form are recognised on their own. Not for a PEM key's forms that carry
   * its armour (the `BEGIN … PRIVATE KEY` line is the same in every key): its body lines are.
   */
  readonly pieces: boolean;
}

/** Every encoded form of a value (the value itself first), without duplicates. */
export function encodedForms(value: string): Form[] {
  const pem = /-----BEGIN /.test(value);
  const forms = new Map<string, boolean>([[value, !pem]]);
  const add = (text: string, pieces = !pem): void => {
    if (!forms.has(text)) forms.set(text, pieces);
  };
  add(JSON.stringify(value).slice(1, -1));
  add(encodeURIComponent(value));
  add(encodeURI(value));
  add(formEncode(value));
  for (const form of base64Forms(value)) add(form);
  add(Buffer.from(value, 'utf8').toString('hex'));
  // A PEM's base64 body (or any multi-line value) may come back re-wrapped, unwrapped or with literal `\n`; each long line counts alone.
  if (pem || /[\r\n]/.test(value)) {
    const body = value.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\\n/g, '\n');
    const lines = body.split(/\s+/).filter((line) => line.length >= 16);
    for (const line of lines) add(line, true);
    if (lines.length > 1) add(lines.join(''), true);
  }
  return [...forms].map(([text, pieces]) => ({ text, pieces }));
}
