#!/usr/bin/env node
/**
 * Build step (after tsc): bundles dist/ into dist/bundle/, which package.json's exports and
 * bin/pebbleflow.js load. Node spends about half a millisecond per module file it loads; the
 * unbundled CLI loads some 300 (73 of them yaml's) before it runs a one-task flow. The bundle is
 * ES modules split at every dynamic import, so what loads on first use still loads on first use.
 *
 * Every public entry point (the library, its subpaths, the CLI) is an entry of one build: they
 * share chunks, so a plugin that imports `pebbleflow` gets the same classes and registries as the
 * CLI that loaded it. npm packages stay outside the bundle (they load from node_modules, once),
 * except yaml: it is on every start-up path, and as one chunk it loads in a fifth of the time.
 *   node tools/bundle.mjs
 */
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const INLINED = new Set(['yaml']);
const packages = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }).filter((n) => !INLINED.has(n));
const outdir = `${root}dist/bundle`;

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    index: 'dist/index.js',
    errors: 'dist/errors/index.js',
    credentials: 'dist/credentials/index.js',
    secrets: 'dist/secrets/index.js',
    config: 'dist/config/index.js',
    cli: 'dist/cli/main.js',
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: packages.flatMap((n) => [n, `${n}/*`]),
  // Smaller files compile faster; names are kept for stack traces and error class names.
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // yaml is CommonJS and requires Node's `process` and `buffer`: esbuild's ESM output calls a
  // `require` in scope for those, so each chunk gets one.
  banner: {
    js: "import { createRequire as __pebbleflowCreateRequire } from 'node:module'; const require = __pebbleflowCreateRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
console.log(`bundled ${Object.keys(result.metafile.inputs).length} modules into ${outputs.length} files in dist/bundle/`);
