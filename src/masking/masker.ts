/**
 * Masks sensitive values (from `secret()`, `credential()`, SECRET inputs) wherever a run shows
 * text. Better than Kestra on two counts: the mask has a fixed width, so it does not reveal the
 * length (Kestra issue #8131), and more than the exact value is masked — encoded forms, any letter
 * case, and pieces of 8 characters or more (see `SensitiveText`). It fails closed: values are
 * masked at any depth, and a value it cannot inspect is replaced if its printed form shows a secret.
 */
import { SensitiveText } from './sensitive-text.js';

export const MASK = '******';

/** Shorter values are not masked: masking every "ab" in every log would destroy the logs. */
const MIN_LENGTH = 3;
/** Shorter encoded forms (the base64 of "abc" is "YWJj") would match unrelated text. */
const MIN_FORM_LENGTH = 6;

export class Masker {
  readonly #text = new SensitiveText(MIN_LENGTH, MIN_FORM_LENGTH);

  /** Registers a sensitive value (and its forms). */
  add(value: string): void {
    this.#text.add(value);
  }

  /** How many forms and pieces are registered (0: nothing is masked). */
  get size(): number {
    return this.#text.size;
  }

  /** Replaces every occurrence of a sensitive value, form or piece with `******`. */
  mask(text: string): string {
    return this.#text.replace(text, MASK);
  }

  /**
   * A copy of `value` with every string masked (map keys too), at any depth, cycles and shared
   * parts kept. Arrays, plain objects, Maps and Sets are copied; any other object (a Date, a Java
   * number box, a class instance) is kept when its printed forms show nothing sensitive, else
   * replaced by `******`.
   */
  maskDeep(value: unknown): unknown {
    const copies = new Map<object, unknown>();
    // An explicit work list instead of recursion: no depth at which masking gives up.
    const work: (() => void)[] = [];
    const visit = (v: unknown, set: (masked: unknown) => void): void => {
      if (typeof v === 'string') return set(this.mask(v));
      if (typeof v !== 'object' || v === null) return set(v);
      const existing = copies.get(v);
      if (existing !== undefined) return set(existing);
      if (Array.isArray(v)) {
        const out: unknown[] = new Array<unknown>(v.length);
        copies.set(v, out);
        set(out);
        v.forEach((item, i) => work.push(() => visit(item, (m) => (out[i] = m))));
        return;
      }
      if (v instanceof Map) {
        const out = new Map<unknown, unknown>();
        copies.set(v, out);
        set(out);
        for (const [k, item] of v) work.push(() => visit(k, (mk) => visit(item, (mv) => out.set(mk, mv))));
        return;
      }
      if (v instanceof Set) {
        const out = new Set<unknown>();
        copies.set(v, out);
        set(out);
        for (const item of v) work.push(() => visit(item, (m) => out.add(m)));
        return;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto === Object.prototype || proto === null) {
        const out: Record<string, unknown> = proto === null ? (Object.create(null) as Record<string, unknown>) : {};
        copies.set(v, out);
        set(out);
        for (const [k, item] of Object.entries(v)) {
          const key = this.mask(k);
          // Defined in source order now, filled later; defineProperty so a `__proto__` key stays a key.
          Object.defineProperty(out, key, { value: undefined, enumerable: true, writable: true, configurable: true });
          work.push(() => visit(item, (m) => (out[key] = m)));
        }
        return;
      }
      set(this.shows(v) ? MASK : v);
    };
    let result: unknown;
    visit(value, (m) => (result = m));
    for (let task = work.pop(); task !== undefined; task = work.pop()) task();
    return result;
  }

  /** Whether an object we do not copy would print a sensitive value (as text or as JSON). */
  private shows(value: object): boolean {
    const printed: string[] = [];
    try {
      printed.push(String(value));
    } catch {
      return true;
    }
    try {
      printed.push(JSON.stringify(value) ?? '');
    } catch {
      // Not JSON-printable (a cycle, a BigInt): String() is how it would be shown.
    }
    return printed.some((text) => this.#text.ranges(text).length > 0);
  }
}
