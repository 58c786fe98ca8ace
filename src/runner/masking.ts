/**
 * Masks sensitive values (from `secret()`, `credential()`, SECRET inputs) wherever the runner shows
 * text. Better than Kestra on two counts: the mask has a fixed width, so it does not reveal the
 * length (Kestra issue #8131), and encoded forms of each value are masked too — base64 (also at
 * the three byte alignments it can take inside a longer base64 text, e.g. a Basic header),
 * URL-encoded and JSON-escaped — since those are how values leak through filters and requests.
 */

export const MASK = '******';

/** Shorter values are not masked: masking every "ab" in every log would destroy the logs. */
const MIN_LENGTH = 3;
/** Derived forms shorter than this would match too much unrelated text. */
const MIN_FORM_LENGTH = 6;

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
  out.push(whole, whole.replace(/=+$/, ''), bytes.toString('base64url'));
  return out;
}

/** Every form of a value that should be masked. */
export function sensitiveForms(value: string): string[] {
  if (value.length < MIN_LENGTH) return [];
  const forms = new Set<string>([value]);
  const add = (form: string): void => {
    if (form.length >= MIN_FORM_LENGTH) forms.add(form);
  };
  add(JSON.stringify(value).slice(1, -1));
  add(encodeURIComponent(value));
  add(encodeURI(value));
  add(new URLSearchParams({ v: value }).toString().slice(2));
  for (const form of base64Forms(value)) add(form);
  // Each long line of a multi-line value (a PEM key) on its own, in case the value is split.
  if (/[\r\n]/.test(value)) for (const line of value.split(/\r?\n/)) if (line.trim().length >= 16) add(line.trim());
  return [...forms];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Masker {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;

  /** Registers a sensitive value (and its encoded forms). */
  add(value: string): void {
    for (const form of sensitiveForms(value)) {
      if (!this.forms.has(form)) {
        this.forms.add(form);
        this.pattern = undefined;
      }
    }
  }

  get size(): number {
    return this.forms.size;
  }

  /** Replaces every occurrence of a sensitive value or one of its forms with `******`. */
  mask(text: string): string {
    if (this.forms.size === 0 || text === '') return text;
    // Longest first, so a value wins over a shorter form that it contains.
    this.pattern ??= new RegExp(
      [...this.forms]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, MASK);
  }

  /** Masks every string in a value (map keys too), leaving other scalars as they are. */
  maskDeep(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (depth > 100 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.maskDeep(v, depth + 1));
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[this.mask(k)] = this.maskDeep(v, depth + 1);
    return out;
  }
}
