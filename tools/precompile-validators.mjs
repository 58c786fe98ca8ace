#!/usr/bin/env node
/**
 * Build step (after tsc): compiles the validators of every built-in schema (flows and the config
 * file) to standalone ajv code in dist/validators/, one CommonJS module per schema, named by a
 * hash of the schema (see src/yaml-check/precompiled.ts). The CLI then checks flows without
 * generating code at start-up.
 *   node tools/precompile-validators.mjs [DIR]
 */
const dist = new URL('../dist/', import.meta.url);
const { builtInValidatorSchemas, LOADER_KEYWORDS } = await import(new URL('flow/loader.js', dist).href);
const { builtInConfigSchemas, CONFIG_KEYWORDS } = await import(new URL('config/load-config.js', dist).href);
const { writePrecompiledValidators, PRECOMPILED_DIR } = await import(new URL('yaml-check/precompiled.js', dist).href);

const written = writePrecompiledValidators(process.argv[2] ?? PRECOMPILED_DIR, [
  { schemas: builtInValidatorSchemas(), keywords: LOADER_KEYWORDS },
  { schemas: builtInConfigSchemas(), keywords: CONFIG_KEYWORDS },
]);
console.log(`precompiled ${written.length} validators`);
