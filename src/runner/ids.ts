/** Kestra-like ids (22 base62 characters), drawn from a pooled random buffer so a run of thousands of task runs stays cheap. */
import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 22;
const POOL_BYTES = ID_LENGTH * 512;

let pool: Buffer = Buffer.alloc(0);
let offset = 0;

function nextByte(): number {
  if (offset >= pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  return pool[offset++]!;
}

/** A new execution or task-run id. */
export function newId(): string {
  let out = '';
  for (let i = 0; i < ID_LENGTH; i++) {
    // 62 does not divide 256: bytes ≥ 248 are drawn again so every character is equally likely.
    let byte = nextByte();
    while (byte >= 248) byte = nextByte();
    out += BASE62[byte % 62];
  }
  return out;
}
