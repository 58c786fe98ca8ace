// An example pebbleflow plugin: a package whose module exports task types written in the one-module
// task shape (what `defineTask` from 'pebbleflow' declares). List it in pebbleflow.yaml:
//
//   plugins:
//     - pebbleflow-plugin-checksum     # installed with npm next to the config
//     - ./examples/plugin-checksum     # or a path, relative to the config file
//
// Heavy dependencies belong inside `run` (`await import('some-driver')`), so that loading the
// plugin at start stays cheap: pebbleflow imports this file on every `run` and `validate`.
import { Buffer } from 'node:buffer';
import { createHash, getHashes, timingSafeEqual } from 'node:crypto';

const ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];

const common = {
  content: { kind: 'string', required: true, description: 'The text to hash (templates are rendered first).' },
  algorithm: { kind: 'string', default: 'sha256', schema: { enum: ALGORITHMS }, description: 'The hash function.' },
  encoding: { kind: 'string', default: 'hex', schema: { enum: ['hex', 'base64'] }, description: 'How the hash is written.' },
};

/** Reads the common properties; `ctx.property` renders, applies the default and coerces to the kind. */
async function digest(ctx) {
  const content = await ctx.property('content');
  const algorithm = await ctx.property('algorithm');
  const encoding = await ctx.property('encoding');
  // A rendered value may name an algorithm the schema could not check (it was an expression).
  if (!ALGORITHMS.includes(algorithm) || !getHashes().includes(algorithm))
    throw new Error(`Invalid value for \`algorithm\`: ${algorithm} (expected one of ${ALGORITHMS.join(', ')})`);
  return { algorithm, encoding, hash: createHash(algorithm).update(content, 'utf8').digest(encoding) };
}

export const hashTask = {
  type: 'com.example.checksum.Hash',
  aliases: ['com.example.checksum.Digest'],
  title: 'Hash a text with MD5 or SHA-*.',
  properties: common,
  outputs: { hash: { kind: 'string', description: 'The hash, in the chosen encoding.' }, algorithm: { kind: 'string' } },
  async run(ctx) {
    const { hash, algorithm } = await digest(ctx);
    ctx.log('INFO', `${algorithm} computed`);
    return { outputs: { hash, algorithm } };
  },
};

export const verifyTask = {
  type: 'com.example.checksum.Verify',
  title: 'Fail unless a text has the expected hash.',
  properties: { ...common, expected: { kind: 'string', required: true, description: 'The hash the content must have.' } },
  outputs: { matches: { kind: 'boolean' } },
  async run(ctx) {
    const { hash, algorithm } = await digest(ctx);
    const expected = String(await ctx.property('expected')).trim();
    const a = Buffer.from(hash);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new Error(`The content's ${algorithm} is not the expected one`);
    return { outputs: { matches: true } };
  },
};

// The plugin: a name for `pebbleflow plugins`, and its task types.
export default { name: 'checksum', tasks: [hashTask, verifyTask] };
