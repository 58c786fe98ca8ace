import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { KeyObject, JsonWebKey } from 'node:crypto';

/** A key pair generated at test time: nothing private is ever committed. */
export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8 PEM ("PRIVATE KEY"). */
  readonly pkcs8: string;
  /** PKCS#1 PEM ("RSA PRIVATE KEY"), RSA only, as GitHub hands them out. */
  readonly pkcs1: string | undefined;
  readonly publicJwk: JsonWebKey & { kid: string };
}

export function generateTestKey(kind: 'rsa' | 'ec-p256' | 'ec-p384' | 'ed25519' | 'rsa-1024' = 'rsa'): TestKey {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'rsa-1024'
        ? generateKeyPairSync('rsa', { modulusLength: 1024 })
        : kind === 'ec-p256'
          ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
          : kind === 'ec-p384'
            ? generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
            : generateKeyPairSync('ed25519');
  const kid = randomUUID();
  const isRsa = kind === 'rsa' || kind === 'rsa-1024';
  return {
    kid,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    pkcs8: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pkcs1: isRsa ? pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() : undefined,
    publicJwk: { ...createPublicKey(pair.privateKey).export({ format: 'jwk' }), kid },
  };
}
