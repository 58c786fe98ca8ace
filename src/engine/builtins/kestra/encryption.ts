/**
 * Kestra's `encrypt(key, plaintext)` and `decrypt(key, encrypted)` functions (EncryptFunction,
 * DecryptFunction over EncryptionService): AES/GCM/NoPadding under a Base64 key of 16, 24 or 32
 * bytes, a random 12-byte IV written before the ciphertext and its 128-bit tag, all in Base64 —
 * so a value encrypted by Kestra decrypts here and the other way round.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Args, FunctionDefinition } from '../../extension.js';
import { functionError, optString } from './common.js';

const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const BASE64 = /^[A-Za-z0-9+/]*$/;

/** `Base64.getDecoder().decode(text)`: the basic alphabet, padding optional, Java's messages. */
function javaBase64(text: string): Buffer {
  const body = text.replace(/=+$/, '');
  if (!BASE64.test(body)) {
    const bad = [...body].find((c) => !/[A-Za-z0-9+/]/.test(c))!;
    throw functionError(`Illegal base64 character ${bad.codePointAt(0)!.toString(16)}`);
  }
  if (body.length % 4 === 1) throw functionError('Last unit does not have enough valid bits');
  if (text.length > body.length && text.length % 4 !== 0) throw functionError('Input byte array has wrong 4-byte ending unit');
  return Buffer.from(body, 'base64');
}

/** The AES key (javax.crypto refuses any length but 128, 192 and 256 bits). */
function aesKey(key: string): { cipher: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm'; bytes: Buffer } {
  const bytes = javaBase64(key);
  switch (bytes.length) {
    case 16:
      return { cipher: 'aes-128-gcm', bytes };
    case 24:
      return { cipher: 'aes-192-gcm', bytes };
    case 32:
      return { cipher: 'aes-256-gcm', bytes };
    default:
      throw functionError(`Invalid AES key length: ${bytes.length} bytes`);
  }
}

function twoArguments(args: Args, fn: string, second: string): { key: string | undefined; value: string | undefined } {
  if (!Object.hasOwn(args, 'key') || !Object.hasOwn(args, second) || args['key'] === undefined || args[second] === undefined)
    throw functionError(`The '${fn}' function expects two arguments 'key' and '${second}'.`);
  return { key: optString(args, 'key'), value: optString(args, second) };
}

const encrypt: FunctionDefinition = {
  argNames: ['key', 'plaintext'],
  call(args) {
    const { key, value } = twoArguments(args, 'encrypt', 'plaintext');
    // EncryptionService returns null and the empty string as they are.
    if (value === undefined || value === '') return value ?? null;
    if (key === undefined) throw functionError('Cannot invoke "String.length()" because "src" is null');
    const { cipher, bytes } = aesKey(key);
    const iv = randomBytes(IV_LENGTH);
    const aes = createCipheriv(cipher, bytes, iv, { authTagLength: TAG_LENGTH });
    const body = Buffer.concat([aes.update(value, 'utf8'), aes.final()]);
    return Buffer.concat([iv, body, aes.getAuthTag()]).toString('base64');
  },
};

const decrypt: FunctionDefinition = {
  argNames: ['key', 'encrypted'],
  call(args) {
    const { key, value } = twoArguments(args, 'decrypt', 'encrypted');
    if (value === undefined || value === '') return value ?? null;
    if (key === undefined) throw functionError('Cannot invoke "String.length()" because "src" is null');
    const input = javaBase64(value);
    const { cipher, bytes } = aesKey(key);
    // Arrays.copyOf pads a short input with zeros; what follows the IV must hold at least the tag.
    const iv = Buffer.alloc(IV_LENGTH);
    input.copy(iv, 0, 0, Math.min(IV_LENGTH, input.length));
    const rest = input.subarray(Math.min(IV_LENGTH, input.length));
    if (rest.length < TAG_LENGTH) throw functionError(`Input data too short to contain an expected tag length of ${TAG_LENGTH}bytes`);
    const aes = createDecipheriv(cipher, bytes, iv, { authTagLength: TAG_LENGTH });
    aes.setAuthTag(rest.subarray(rest.length - TAG_LENGTH));
    try {
      return Buffer.concat([aes.update(rest.subarray(0, rest.length - TAG_LENGTH)), aes.final()]).toString('utf8');
    } catch (e) {
      throw functionError('Tag mismatch', e);
    }
  },
};

export const encryptionFunctions: Record<string, FunctionDefinition> = { encrypt, decrypt };
