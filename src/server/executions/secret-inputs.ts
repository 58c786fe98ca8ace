/**
 * SECRET inputs at rest and on the queue: AES-256-GCM under `server.encryptionKey` (a secret
 * reference in the config; hashed to 256 bits), as Kestra encrypts them with
 * `kestra.encryption.secret-key`. Without a key, a SECRET value lives only in the memory of the
 * process that runs the execution (embedded mode), and Redis mode refuses SECRET inputs: a queue
 * message never carries one in clear.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

import { SecretInputError } from '../errors.js';

export { SecretInputError };

export class SecretBox {
  private readonly key: Buffer;
  /** The key as configured: the runs' key for EncryptedString outputs (Request's `encryptBody`), in Kestra's format. */
  readonly outputKey: string;

  constructor(keyMaterial: string) {
    if (keyMaterial.length < 16) throw new SecretInputError('server.encryptionKey must be at least 16 characters long');
    this.key = createHash('sha256').update(keyMaterial, 'utf8').digest();
    this.outputKey = keyMaterial;
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  decrypt(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64');
    if (raw.length < 28) throw new SecretInputError('An encrypted SECRET input is damaged');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretInputError(
        'A SECRET input cannot be decrypted: this process has a different server.encryptionKey than the one that stored it',
      );
    }
  }
}
