/**
 * Kestra's EncryptedString outputs (`{type: 'io.kestra.datatype:aes_encrypted', value}`, such as
 * Request's `encryptedBody` with `encryptBody: true`): encrypted with the server key
 * (`server.encryptionKey`, Kestra's `kestra.encryption.secret-key`: Base64 of a 16, 24 or 32-byte
 * AES key) as Kestra's EncryptionService does, stored encrypted, and decrypted in the `outputs`
 * variable that templates read (Kestra's `RunVariables` → `Secret.decrypt`).
 */
import { decryptWithKey, encryptWithKey, isAesKey } from '../engine/builtins/kestra/encryption.js';
import { TaskError } from '../tasks/types.js';

export const ENCRYPTED_STRING_TYPE = 'io.kestra.datatype:aes_encrypted';

export interface EncryptedString {
  readonly type: typeof ENCRYPTED_STRING_TYPE;
  readonly value: string;
}

/**
 * An EncryptedString of `plain`. Without a key (or with one Kestra could not use) it fails: a value
 * meant to be encrypted is never kept in clear (Kestra would store it as it is, with a warning).
 */
export function encryptedString(key: string | undefined, plain: string, why?: string): EncryptedString {
  if (key === undefined)
    throw new TaskError(
      'ENCRYPTION_NOT_CONFIGURED',
      `Unable to encrypt the output as encryption is not configured: set server.encryptionKey in the config${why === undefined ? '' : ` (${why})`}`,
    );
  if (!isAesKey(key))
    throw new TaskError(
      'ENCRYPTION_NOT_CONFIGURED',
      "Unable to encrypt the output: server.encryptionKey must be a Base64 AES key of 16, 24 or 32 bytes (Kestra's kestra.encryption.secret-key), such as the output of `openssl rand -base64 32`",
    );
  // EncryptionService keeps an empty text as it is.
  return { type: ENCRYPTED_STRING_TYPE, value: plain === '' ? '' : encryptWithKey(key, plain) };
}

function isEncryptedString(value: unknown): value is EncryptedString {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && type.toLowerCase() === ENCRYPTED_STRING_TYPE;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether a map holds an EncryptedString (in maps only, as Kestra looks). */
export function holdsEncrypted(value: unknown): boolean {
  if (!isMap(value)) return false;
  for (const v of Object.values(value)) if (isEncryptedString(v) || holdsEncrypted(v)) return true;
  return false;
}

/**
 * `outputs` with each EncryptedString (in maps, at any depth) replaced by its clear text. Without
 * a key, or when one does not decrypt (another key), it stays as it is: never a wrong clear text.
 */
export function decryptedOutputs(outputs: Record<string, unknown>, key: string | undefined): Record<string, unknown> {
  if (key === undefined || !isAesKey(key)) return outputs;
  const walk = (map: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(map)) {
      if (isEncryptedString(v)) {
        try {
          out[k] = v.value === '' || typeof v.value !== 'string' ? v.value : decryptWithKey(key, v.value);
        } catch {
          out[k] = v;
        }
      } else out[k] = isMap(v) && holdsEncrypted(v) ? walk(v) : v;
    }
    return out;
  };
  return walk(outputs);
}
