#!/usr/bin/env node
/**
 * Build step (after tsc): bundles dist/ into dist/bundle/, which package.json's exports and
 * bin/pebbleflow.js load. Node spends about half a millisecond per module file it loads, and the
 * unbundled CLI loaded some 300 (73 of them yaml's) before it ran a one-task flow.
 *
 * - Every public entry point (the library, its subpaths, the CLI) is an entry of one build: they
 *   share chunks, so a plugin that imports `pebbleflow` gets the same classes and registries as
 *   the CLI that loaded it.
 * - What the CLI loads on every start (everything its entry reaches without a dynamic import) is
 *   one chunk, `core`; what loads on first use (a command, a task's run, a driver) stays split at
 *   its dynamic import, as in the source. Rollup, because it can be told that (esbuild splits the
 *   start-up code into dozens of chunks by which lazy modules share them: measured 50 ms slower).
 * - npm packages stay outside (they load from node_modules, once), except yaml: it is on every
 *   start-up path, and inside the core chunk it loads in a fifth of the time its 73 files take.
 * - esbuild minifies each chunk (smaller files compile faster); names are kept for stack traces.
 *
 *   node tools/bundle.mjs
 */
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { transform } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';

const root = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const INLINED = new Set(['yaml']);
const packages = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }).filter((n) => !INLINED.has(n));
const builtins = new Set(builtinModules);
const external = (id) => id.startsWith('node:') || builtins.has(id) || packages.some((name) => id === name || id.startsWith(`${name}/`));

const entries = {
  index: `${root}dist/index.js`,
  errors: `${root}dist/errors/index.js`,
  credentials: `${root}dist/credentials/index.js`,
  secrets: `${root}dist/secrets/index.js`,
  config: `${root}dist/config/index.js`,
  cli: `${root}dist/cli/main.js`,
};
const entryFiles = new Set(Object.values(entries));

const bundle = await rollup({
  input: entries,
  external,
  plugins: [nodeResolve({ preferBuiltins: true }), commonjs()],
  onwarn(warning, warn) {
    // Cycles between our own modules are fine in ES modules; yaml's CommonJS `this` is expected.
    if (warning.code === 'CIRCULAR_DEPENDENCY' || warning.code === 'THIS_IS_UNDEFINED') return;
    warn(warning);
  },
});

/** The modules `from` reaches through static imports. */
function staticClosure(from, getModuleInfo) {
  const seen = new Set();
  const pending = [from];
  while (pending.length > 0) {
    const id = pending.pop();
    const info = getModuleInfo(id);
    if (seen.has(id) || info === null || info.isExternal) continue;
    seen.add(id);
    pending.push(...info.importedIds);
  }
  return seen;
}

/**
 * The commands run most (in CI loops and editors), each with one chunk of what it adds, in this
 * order: `run` loads core, validate's chunk (the flow loader) and its own.
 */
const COMMANDS = ['validate', 'run'];
let startUp;
let commands;
/** `core` (what every start loads), a command's chunk, or rollup's own choice (undefined). */
function chunkOf(id, getModuleInfo) {
  startUp ??= staticClosure(entries.cli, getModuleInfo);
  commands ??= COMMANDS.map((name) => ({ name, modules: staticClosure(`${root}dist/cli/${name}.js`, getModuleInfo) }));
  if (entryFiles.has(id)) return undefined;
  if (startUp.has(id)) return 'core';
  return commands.find((c) => c.modules.has(id))?.name;
}

rmSync(`${root}dist/bundle`, { recursive: true, force: true });
const { output } = await bundle.write({
  dir: `${root}dist/bundle`,
  format: 'es',
  sourcemap: true,
  chunkFileNames: '[name]-[hash].js',
  // The entries stay small modules of their own: the CLI's top-level await must not sit in a
  // chunk that the lazily imported commands import back (a cycle through an unsettled await).
  manualChunks: (id, { getModuleInfo }) => chunkOf(id, getModuleInfo),
  plugins: [
    {
      name: 'minify',
      async renderChunk(code) {
        const r = await transform(code, {
          minify: true,
          keepNames: true,
          format: 'esm',
          target: 'node20',
          sourcemap: true,
          legalComments: 'inline',
        });
        return { code: r.code, map: r.map };
      },
    },
  ],
});
await bundle.close();
console.log(
  `bundled ${startUp?.size ?? 0} start-up modules into core, ${output.filter((o) => o.type === 'chunk').length} files in dist/bundle/`,
);
