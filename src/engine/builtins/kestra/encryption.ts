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

/**
 * The arguments both functions take: `key` and the text (`plaintext` or `encrypted`). A null or
 * empty text comes back as it is (EncryptionService's rule), as `{ done }`. The key is read by the
 * caller, in Java's order (decrypt decodes its text first).
 */
function keyAndText(args: Args, fn: string, textName: string): { done: string | null } | { done?: undefined; key: string; text: string } {
  if (!Object.hasOwn(args, 'key') || !Object.hasOwn(args, textName) || args['key'] === undefined || args[textName] === undefined)
    throw functionError(`The '${fn}' function expects two arguments 'key' and '${textName}'.`);
  const text = optString(args, textName);
  if (text === undefined || text === '') return { done: text ?? null };
  const key = optString(args, 'key');
  if (key === undefined) throw functionError(`The '${fn}' function got a null key`);
  return { key, text };
}

/** EncryptionService.encrypt(key, text) for a non-empty text: Base64 of IV, ciphertext and tag (errors as the functions'). */
export function encryptWithKey(key: string, text: string): string {
  const { cipher, bytes } = aesKey(key);
  const iv = randomBytes(IV_LENGTH);
  const aes = createCipheriv(cipher, bytes, iv, { authTagLength: TAG_LENGTH });
  const body = Buffer.concat([aes.update(text, 'utf8'), aes.final()]);
  return Buffer.concat([iv, body, aes.getAuthTag()]).toString('base64');
}

/** Whether `key` is a key EncryptionService takes: Base64 of 16, 24 or 32 bytes. */
export function isAesKey(key: string): boolean {
  try {
    aesKey(key);
    return true;
  } catch {
    return false;
  }
}

const encrypt: FunctionDefinition = {
  argNames: ['key', 'plaintext'],
  call(args) {
    const a = keyAndText(args, 'encrypt', 'plaintext');
    if (a.done !== undefined) return a.done;
    return encryptWithKey(a.key, a.text);
  },
};

/** EncryptionService.decrypt(key, text) for a non-empty text (errors as the function's). */
export function decryptWithKey(key: string, text: string): string {
  const input = javaBase64(text);
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
}

const decrypt: FunctionDefinition = {
  argNames: ['key', 'encrypted'],
  call(args) {
    const a = keyAndText(args, 'decrypt', 'encrypted');
    if (a.done !== undefined) return a.done;
    return decryptWithKey(a.key, a.text);
  },
};

export const encryptionFunctions: Record<string, FunctionDefinition> = { encrypt, decrypt };
