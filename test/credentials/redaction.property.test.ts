/** Properties of the redactor and the Basic encoding, over generated secrets (fast-check). */
import fc from 'fast-check';
import { formEncode, Redactor, REDACTED } from '../../src/credentials/index.js';

/** RFC 6749 client secrets are VSCHAR: %x20-7E. */
const vschar = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 4, maxLength: 40 });
const anyText = fc.string({ maxLength: 30 });

describe('Redactor properties', () => {
  test('no encoding of a secret survives, wherever it sits in the text', () => {
    fc.assert(
      fc.property(
        vschar,
        anyText,
        anyText,
        fc.constantFrom('raw', 'uri', 'form', 'base64', 'base64url', 'json'),
        (secret, before, after, encoding) => {
          const encoded = {
            raw: secret,
            uri: encodeURIComponent(secret),
            form: formEncode(secret),
            base64: Buffer.from(secret).toString('base64'),
            base64url: Buffer.from(secret).toString('base64url'),
            json: JSON.stringify(secret).slice(1, -1),
          }[encoding];
          const out = new Redactor().add(secret).redact(`${before}${encoded}${after}`);
          expect(out.includes(encoded)).toBe(false);
          expect(out.includes(secret)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('two overlapping secrets leave no part of either behind', () => {
    const redactor = new Redactor().add('abcdefgh').add('efghijkl');
    expect(redactor.redact('xx abcdefghijkl yy')).toBe(`xx ${REDACTED} yy`);
  });

  test('a secret that would re-form around the marker is still removed', () => {
    const redactor = new Redactor().add('ED]ab');
    const out = redactor.redact('[REDACTED]ab and ED]ab');
    expect(out.includes('ED]ab')).toBe(false);
  });

  test('text without secrets is left as it is', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':'), maxLength: 30 }), (text) => {
        expect(new Redactor().add('ZZZZ-secret').redact(text)).toBe(text);
      }),
    );
  });
});

describe('client_secret_basic encoding (RFC 6749 §2.3.1)', () => {
  test("round-trips through oidc-provider's strict decoding for every VSCHAR secret", () => {
    const decode = (token: string): string => decodeURIComponent(token.replace(/\+/g, '%20'));
    fc.assert(
      fc.property(vschar, vschar, (id, secret) => {
        const header = Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64');
        const decoded = Buffer.from(header, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        expect(decode(decoded.slice(0, colon))).toBe(id);
        expect(decode(decoded.slice(colon + 1))).toBe(secret);
      }),
      { numRuns: 500 },
    );
  });
});
