import { MASK, Masker } from '../../src/runner/masking.js';

const canary = 'c4n4ry:S3cr3t/+&="x y"';

describe('Masker', () => {
  const masker = new Masker();
  masker.add(canary);

  test('masks the value with a fixed-width mask, whatever its length', () => {
    expect(masker.mask(`token=${canary}; again ${canary}`)).toBe(`token=${MASK}; again ${MASK}`);
    const long = new Masker();
    long.add('x'.repeat(64));
    expect(long.mask(`a${'x'.repeat(64)}b`)).toBe(`a${MASK}b`);
  });

  test.each([
    ['base64', Buffer.from(canary).toString('base64')],
    ['base64url', Buffer.from(canary).toString('base64url')],
    ['URL-encoded', encodeURIComponent(canary)],
    ['form-encoded', new URLSearchParams({ v: canary }).toString().slice(2)],
    ['JSON-escaped', JSON.stringify(canary).slice(1, -1)],
  ])('masks the %s form', (_name, form) => {
    expect(form).not.toBe(canary);
    const masked = masker.mask(`before ${form} after`);
    expect(masked).toBe(`before ${MASK} after`);
  });

  test('masks the value inside a longer base64 text such as a Basic header, at any alignment', () => {
    for (const user of ['u', 'us', 'use']) {
      const header = Buffer.from(`${user}:${canary}`).toString('base64');
      const masked = masker.mask(`Authorization: Basic ${header}`);
      expect(masked).toContain(MASK);
      // No 8-character window of the encoded secret is left.
      const core = Buffer.from(canary).toString('base64').slice(4, 12);
      expect(masked.includes(core) && header.includes(core)).toBe(false);
    }
  });

  test('maskDeep masks strings in maps and lists, keys included, and leaves other scalars', () => {
    expect(masker.maskDeep({ [canary]: [canary, 1, true, null], n: 2 })).toEqual({ [MASK]: [MASK, 1, true, null], n: 2 });
  });

  test('ignores empty and very short values', () => {
    const m = new Masker();
    m.add('');
    m.add('ab');
    expect(m.size).toBe(0);
    expect(m.mask('abc')).toBe('abc');
  });
});
