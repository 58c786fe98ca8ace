#!/usr/bin/env node
/**
 * Build step (after tsc): compiles the validators of every built-in schema to standalone ajv code
 * (flows and the config file) in dist/validators/, one CommonJS module per schema, named by a hash of the schema (see
 * src/yaml-check/precompiled.ts). The CLI then checks flows without generating code at start-up.
 *   node tools/precompile-validators.mjs [DIR]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import standalone from 'ajv/dist/standalone/index.js';

const standaloneCode = standalone.default ?? standalone;
const dist = new URL('../dist/', import.meta.url);
const { builtInValidatorSchemas, LOADER_KEYWORDS } = await import(new URL('flow/loader.js', dist).href);
const { builtInConfigSchemas, CONFIG_KEYWORDS } = await import(new URL('config/load-config.js', dist).href);
const { createAjv, precompiledName, PRECOMPILED_DIR } = await import(new URL('yaml-check/index.js', dist).href);

/** Writes the validators into `dir` (emptied first: stale ones would only be dead weight). */
export function precompileValidators(dir = PRECOMPILED_DIR) {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (name.endsWith('.cjs')) rmSync(join(dir, name));
  const written = new Set();
  const compileAll = (schemas, keywords) => {
    const ajv = createAjv(keywords, { code: { source: true } });
    for (const schema of schemas) {
      const name = precompiledName(schema, keywords);
      if (written.has(name)) continue;
      written.add(name);
      writeFileSync(join(dir, name), standaloneCode(ajv, ajv.compile(schema)));
    }
  };
  compileAll(builtInValidatorSchemas(), LOADER_KEYWORDS);
  compileAll(builtInConfigSchemas(), CONFIG_KEYWORDS);
  return written.size;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const count = precompileValidators(process.argv[2] ?? PRECOMPILED_DIR);
  console.log(`precompiled ${count} validators`);
}
