import type { SecretRef } from '../config/types.js';
import type { MintedToken } from './minted-token.js';
import type { Redactor } from './redaction.js';
import type { TokenHttpClient } from './token-http-client.js';

/** What a grant needs to mint one token. A fresh context (and redactor) is made for every mint. */
export interface GrantContext {
  readonly http: TokenHttpClient;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Resolves a secret in the credential's own scope and registers it with the redactor. */
  readonly resolveSecret: (ref: SecretRef, field: string) => Promise<string>;
  readonly redactor: Redactor;
}

export type Grant<C> = (credential: C, ctx: GrantContext) => Promise<MintedToken>;

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const USER_AGENT = 'pebbleflow';
