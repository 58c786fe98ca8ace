import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from '../config/types.js';
import { CredentialError } from './errors.js';
import type { Redactor } from './redaction.js';

export interface LoadedPrivateKey {
  readonly key: KeyObject;
  /** `SHA256:<base64>` of the public key (SPKI DER), as GitHub shows it next to an app's keys. */
  readonly fingerprint: string;
}

/**
 * Imports a PEM private key, PKCS#8 or PKCS#1 (GitHub hands out PKCS#1, which jose's importPKCS8
 * refuses; node:crypto reads both and jose signs with the KeyObject). A key pasted with literal
 * `\n` sequences (as in a service-account JSON) is accepted too. The key must fit the algorithm.
 */
export function loadPrivateKey(
  pem: string,
  algorithm: SigningAlgorithm,
  ctx: { credentialId: string; secretName: string; redactor: Redactor },
): LoadedPrivateKey {
  const text = !pem.includes('\n') && pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
  ctx.redactor.add(pem).add(text);
  const fail = (why: string): CredentialError =>
    new CredentialError('INVALID_PRIVATE_KEY', `Credential '${ctx.credentialId}': the private key in secret '${ctx.secretName}' ${why}.`, {
      credentialId: ctx.credentialId,
      redactor: ctx.redactor,
    });
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    // The crypto error is not kept as cause: OpenSSL messages can quote the input.
    throw fail('is not a PEM private key (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY")');
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  const wanted: Record<SigningAlgorithm, string> = {
    RS256: 'rsa',
    RS384: 'rsa',
    RS512: 'rsa',
    PS256: 'rsa',
    ES256: 'ec',
    ES384: 'ec',
    EdDSA: 'ed25519',
  };
  const ok =
    (wanted[algorithm] === 'rsa' && (type === 'rsa' || (algorithm === 'PS256' && type === 'rsa-pss'))) ||
    (algorithm === 'ES256' && type === 'ec' && details?.namedCurve === 'prime256v1') ||
    (algorithm === 'ES384' && type === 'ec' && details?.namedCurve === 'secp384r1') ||
    (algorithm === 'EdDSA' && (type === 'ed25519' || type === 'ed448'));
  if (!ok) {
    const described = type === 'ec' ? `an EC ${details?.namedCurve ?? 'unknown-curve'} key` : `a key of type ${type ?? 'unknown'}`;
    throw fail(`is ${described}, which cannot sign ${algorithm}`);
  }
  if ((type === 'rsa' || type === 'rsa-pss') && (details?.modulusLength ?? 0) < 2048) throw fail('is an RSA key shorter than 2048 bits');
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return { key, fingerprint: `SHA256:${createHash('sha256').update(der).digest('base64')}` };
}
