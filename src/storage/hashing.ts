/**
 * Kestra's `Hashing.hashToString`: Guava's `murmur3_128()` (seed 0) of the UTF-8 bytes, printed as
 * Guava's `HashCode.toString()` — the 16 bytes (h1 then h2, little-endian) in lower-case hex. Kestra
 * names a cached object's folder with it (`StorageContext.getCacheURI`), so the same value lands in
 * the same folder in both.
 */

const MASK = (1n << 64n) - 1n;
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;

function fmix64(k: bigint): bigint {
  k ^= k >> 33n;
  k = mul(k, 0xff51afd7ed558ccdn);
  k ^= k >> 33n;
  k = mul(k, 0xc4ceb9fe1a85ec53n);
  return k ^ (k >> 33n);
}

const mixK1 = (k: bigint): bigint => mul(rotl(mul(k, C1), 31n), C2);
const mixK2 = (k: bigint): bigint => mul(rotl(mul(k, C2), 33n), C1);

/** Little-endian unsigned 64-bit value of up to 8 bytes from `offset`. */
function le64(bytes: Uint8Array, offset: number, length: number): bigint {
  let v = 0n;
  for (let i = length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] as number);
  return v;
}

/** MurmurHash3 x64 128-bit, seed 0, as Guava computes it: the 16 bytes of the hash. */
export function murmur3x64x128(data: Uint8Array): Buffer {
  let h1 = 0n;
  let h2 = 0n;
  const blocks = Math.floor(data.length / 16);
  for (let b = 0; b < blocks; b++) {
    const k1 = le64(data, b * 16, 8);
    const k2 = le64(data, b * 16 + 8, 8);
    h1 ^= mixK1(k1);
    h1 = rotl(h1, 27n);
    h1 = (h1 + h2) & MASK;
    h1 = (mul(h1, 5n) + 0x52dce729n) & MASK;
    h2 ^= mixK2(k2);
    h2 = rotl(h2, 31n);
    h2 = (h2 + h1) & MASK;
    h2 = (mul(h2, 5n) + 0x38495ab5n) & MASK;
  }
  const tail = blocks * 16;
  const rest = data.length - tail;
  if (rest > 8) h2 ^= mixK2(le64(data, tail + 8, rest - 8));
  if (rest > 0) h1 ^= mixK1(le64(data, tail, Math.min(rest, 8)));
  const len = BigInt(data.length);
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) & MASK;
  h2 = (h2 + h1) & MASK;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 = (h1 + h2) & MASK;
  h2 = (h2 + h1) & MASK;
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(h1, 0);
  out.writeBigUInt64LE(h2, 8);
  return out;
}

/** `Hashing.hashToString(value)`: 32 lower-case hex characters. */
export function hashToString(value: string): string {
  return murmur3x64x128(Buffer.from(value, 'utf8')).toString('hex');
}
