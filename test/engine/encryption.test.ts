/**
 * `encrypt()` and `decrypt()`, ported from Kestra's EncryptDecryptFunctionTest and
 * EncryptionServiceTest (core/src/test/java/io/kestra/core/…), plus the format itself: AES/GCM
 * with the 12-byte IV first and the 16-byte tag last, in Base64, decrypted here by hand and
 * produced by hand for the template to decrypt. Keys are made at test time.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createEngine } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';

const engine = createEngine();
const key = (bytes: number): string => randomBytes(bytes).toString('base64');

describe('encrypt and decrypt (EncryptDecryptFunctionTest)', () => {
  test('missingParameter: one argument is an error', () => {
    expect(() => engine.renderSync("{{encrypt('toto')}}", {})).toThrow(
      "The 'encrypt' function expects two arguments 'key' and 'plaintext'.",
    );
    expect(() => engine.renderSync("{{decrypt('toto')}}", {})).toThrow(
      "The 'decrypt' function expects two arguments 'key' and 'encrypted'.",
    );
  });

  test('encryptDecrypt: a round trip through two renders gives the text back', () => {
    const secretKey = key(32);
    const encrypted = engine.renderSync("{{encrypt(secretKey, 'toto')}}", { secretKey });
    expect(encrypted).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(engine.renderSync(`{{decrypt(secretKey, '${encrypted}')}}`, { secretKey })).toBe('toto');
  });
});

describe('EncryptionService (EncryptionServiceTest)', () => {
  test.each([16, 24, 32])('encryptAndDecryptString with a %i-byte key, in one render and named arguments', (bytes) => {
    const k = key(bytes);
    expect(engine.renderSync("{{ decrypt(k, encrypt(k, 'Hello World!')) }}", { k })).toBe('Hello World!');
    expect(engine.renderSync("{{ decrypt(encrypted=encrypt(plaintext='héllo ✓', key=k), key=k) }}", { k })).toBe('héllo ✓');
  });

  test('avoidNpeForEmptyOrNullText: null and the empty string come back as they are', () => {
    const k = key(24);
    expect(
      engine.renderSync("[{{ encrypt(k, '') }}][{{ decrypt(k, '') }}][{{ encrypt(k, nothing) }}][{{ decrypt(k, nothing) }}]", {
        k,
        nothing: null,
      }),
    ).toBe('[][][][]');
  });

  test('a fresh IV each time: the same text encrypts differently', () => {
    const k = key(32);
    expect(engine.renderSync("{{ encrypt(k, 'same') }}", { k })).not.toBe(engine.renderSync("{{ encrypt(k, 'same') }}", { k }));
  });
});

describe('the format Kestra writes', () => {
  test('IV (12 bytes), ciphertext, tag (16 bytes), Base64: decrypted by hand', () => {
    const raw = randomBytes(32);
    const out = Buffer.from(engine.renderSync("{{ encrypt(k, 'payload') }}", { k: raw.toString('base64') }), 'base64');
    expect(out.length).toBe(12 + 'payload'.length + 16);
    const d = createDecipheriv('aes-256-gcm', raw, out.subarray(0, 12));
    d.setAuthTag(out.subarray(out.length - 16));
    expect(Buffer.concat([d.update(out.subarray(12, out.length - 16)), d.final()]).toString('utf8')).toBe('payload');
  });

  test('a value encrypted that way (as Kestra would) decrypts', () => {
    const raw = randomBytes(16);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-128-gcm', raw, iv);
    const body = Buffer.concat([c.update('from kestra', 'utf8'), c.final()]);
    const sealed = Buffer.concat([iv, body, c.getAuthTag()]).toString('base64');
    expect(engine.renderSync('{{ decrypt(k, v) }}', { k: raw.toString('base64'), v: sealed })).toBe('from kestra');
  });

  test("failures carry Java's messages: wrong key, damaged text, bad key", () => {
    const sealed = engine.renderSync("{{ encrypt(k, 'x') }}", { k: key(32) });
    const fails = (template: string, context: Record<string, unknown>, message: string): void => {
      let error: unknown;
      try {
        engine.renderSync(template, context);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TemplateError);
      expect((error as TemplateError).message).toContain(message);
    };
    fails('{{ decrypt(k, v) }}', { k: key(32), v: sealed }, 'Tag mismatch');
    fails('{{ decrypt(k, v) }}', { k: key(32), v: 'AAAA' }, 'Input data too short to contain an expected tag length of 16bytes');
    fails("{{ encrypt(k, 'x') }}", { k: key(20) }, 'Invalid AES key length: 20 bytes');
    fails("{{ encrypt(k, 'x') }}", { k: 'not-base64!' }, 'Illegal base64 character 2d');
  });
});
