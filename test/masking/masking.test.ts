/**
 * Masking fails closed: any letter case, pieces of 8+ characters, encoded forms, any depth. The
 * limits written in README's "Masking" section are checked here too, so they stay true.
 */
import { generateKeyPairSync } from 'node:crypto';
import { MASK, Masker } from '../../src/masking/masker.js';
import { PIECE_LENGTH } from '../../src/masking/sensitive-text.js';

const secret = 'Zq8#tokenV4lue-9f3K2mXw';

function masker(...values: string[]): Masker {
  const m = new Masker();
  for (const v of values) m.add(v);
  return m;
}

describe('forms of a secret that are masked', () => {
  const m = masker(secret);

  test.each([
    ['upper-cased', secret.toUpperCase()],
    ['lower-cased', secret.toLowerCase()],
    ['capitalised', secret[0]!.toUpperCase() + secret.slice(1).toLowerCase()],
    ['a slice of 8 characters', secret.slice(5, 13)],
    ['a slice of 12 upper-cased', secret.slice(2, 14).toUpperCase()],
    ['the hex encoding', Buffer.from(secret).toString('hex')],
    ['the hex encoding, upper-cased', Buffer.from(secret).toString('hex').toUpperCase()],
    ['a piece of the base64', Buffer.from(secret).toString('base64').slice(4, 16)],
    ['URL-encoded', encodeURIComponent(secret)],
  ])('%s', (_name, form) => {
    const out = m.mask(`before ${form} after`);
    expect(out).toBe(`before ${MASK} after`);
  });

  test('a slice leaves nothing of the secret beside the mask', () => {
    const out = m.mask(`x${secret.slice(3)}y`);
    expect(out).toBe(`x${MASK}y`);
  });

  test('values in other scripts are folded too', () => {
    const m2 = masker('ΣΕΚΡΕΤ-Übergröße-42');
    expect(m2.mask('σεκρετ-übergröße-42!')).toBe(`${MASK}!`);
  });
});

describe('what is not masked (README, "Masking")', () => {
  test(`pieces shorter than ${PIECE_LENGTH} characters`, () => {
    const m = masker(secret);
    const piece = secret.slice(0, PIECE_LENGTH - 1);
    expect(m.mask(`x ${piece} y`)).toBe(`x ${piece} y`);
  });

  test('pieces made of fewer than 4 different characters, unless the whole value is there', () => {
    const m = masker('--------abcd1234');
    expect(m.mask('a rule: --------')).toBe('a rule: --------');
    expect(m.mask('value --------abcd1234!')).toBe(`value ${MASK}!`);
  });

  test("a PEM key's armour is not masked, its body is", () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const m = masker(pem);
    // The armour line is taken from the generated key: no key-like text is committed.
    const armour = pem.split('\n')[0]!;
    expect(armour).toMatch(/^-{5}BEGIN RSA PRIVATE KEY-{5}$/);
    expect(m.mask(`the private key with fingerprint X; ${armour}`)).toBe(`the private key with fingerprint X; ${armour}`);
    const line = pem.split('\n')[3]!;
    expect(m.mask(`line: ${line.slice(10, 40)}`)).toBe(`line: ${MASK}`);
  });

  test('values shorter than 3 characters', () => {
    expect(masker('ab').mask('ab cd')).toBe('ab cd');
  });
});

describe('maskDeep', () => {
  const m = masker(secret);

  test('masks at any depth: 100 000 levels of lists and maps', () => {
    let value: unknown = { leaf: secret };
    for (let i = 0; i < 100_000; i++) value = i % 2 === 0 ? [value] : { [`k${i}`]: value };
    let out = m.maskDeep(value);
    for (let i = 99_999; i >= 0; i--) out = i % 2 === 0 ? (out as unknown[])[0] : (out as Record<string, unknown>)[`k${i}`];
    expect(out).toEqual({ leaf: MASK });
  });

  test('keeps cycles and shared parts, key order and other scalars', () => {
    const shared = { s: secret };
    const value: Record<string, unknown> = { b: shared, a: shared, n: 1, t: true, z: null, u: undefined, [secret]: 'k' };
    value.self = value;
    const out = m.maskDeep(value) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['b', 'a', 'n', 't', 'z', 'u', MASK, 'self']);
    expect(out.self).toBe(out);
    expect(out.a).toBe(out.b);
    expect(out.b).toEqual({ s: MASK });
    expect(out).toMatchObject({ n: 1, t: true, z: null });
  });

  test('masks inside Maps and Sets, and replaces an object it cannot copy when its printed form shows a secret', () => {
    class Holder {
      constructor(readonly value: string) {}
      toString(): string {
        return `Holder(${this.value})`;
      }
    }
    const date = new Date(0);
    const out = m.maskDeep({ map: new Map([[secret, secret]]), set: new Set([secret]), holder: new Holder(secret), date }) as Record<
      string,
      unknown
    >;
    expect([...(out.map as Map<string, string>)]).toEqual([[MASK, MASK]]);
    expect([...(out.set as Set<string>)]).toEqual([MASK]);
    expect(out.holder).toBe(MASK);
    expect(out.date).toBe(date);
  });

  test('a __proto__ key stays a key', () => {
    const value = JSON.parse(`{"__proto__": "${secret}"}`) as object;
    const out = m.maskDeep(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe(MASK);
  });
});

describe('cost', () => {
  test('masking 1 MB of log text with 50 secrets registered stays fast (measured, generous bound)', () => {
    const m = new Masker();
    for (let i = 0; i < 50; i++) m.add(`${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`);
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const started = performance.now();
    m.add(pem);
    const addMs = performance.now() - started;
    const line = 'INFO  2026-01-01T00:00:00Z request GET https://api.example.com/v1/items?page=3 answered 200 in 12 ms\n';
    const text = line.repeat(Math.ceil(1_000_000 / line.length));
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const t = performance.now();
      expect(m.mask(text)).toBe(text);
      best = Math.min(best, performance.now() - t);
    }
    const short = performance.now();
    for (let i = 0; i < 10_000; i++) m.mask(line);
    const perLineUs = ((performance.now() - short) / 10_000) * 1000;
    console.log(
      `masking: registering a 2048-bit PEM key ${addMs.toFixed(1)} ms; 1 MB of text ${best.toFixed(1)} ms (best of 3); one 100-byte log line ${perLineUs.toFixed(1)} µs`,
    );
    // About 30 ms per MB and 3–5 µs per log line on the development machine; the bound only catches a blow-up.
    expect(best).toBeLessThan(5000);
  });
});
