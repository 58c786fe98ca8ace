/**
 * Validators compiled at build time (`npm run build` runs tools/precompile-validators.mjs), so a
 * CLI run does not spend its first 80 ms in ajv's code generation. Each is a CommonJS module named
 * by a hash of the schema it checks and the annotation keywords of the ajv that compiled it: a
 * schema that changed, or one a plugin made, has no file and is compiled at run time as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { createAjv, type JsonSchema } from './schema-errors.js';

/** Where the build writes them: `dist/validators/` beside `dist/yaml-check/`. */
export const PRECOMPILED_DIR = fileURLToPath(new URL('../validators/', import.meta.url));

const requireValidator = createRequire(import.meta.url);

/** The file name of a schema's validator. */
export function precompiledName(schema: JsonSchema, keywords: readonly string[]): string {
  return `${createHash('sha256')
    .update(JSON.stringify([keywords, schema]))
    .digest('hex')
    .slice(0, 40)}.cjs`;
}

/** The build's validator for this schema, or undefined when there is none (then compile it). */
export function precompiledValidator(
  schema: JsonSchema,
  keywords: readonly string[],
  dir: string = PRECOMPILED_DIR,
): ValidateFunction | undefined {
  const file = dir + precompiledName(schema, keywords);
  if (!existsSync(file)) return undefined;
  const loaded = requireValidator(file) as ValidateFunction | { default: ValidateFunction };
  return typeof loaded === 'function' ? loaded : loaded.default;
}

/** Schemas checked by one ajv configuration: its annotation keywords name the validators too. */
export interface ValidatorSet {
  readonly schemas: readonly JsonSchema[];
  readonly keywords: readonly string[];
}

/**
 * Compiles each schema to a standalone validator module in `dir` (emptied of older ones first) and
 * returns the names written: the build's step (tools/precompile-validators.mjs), and the tests'.
 */
export function writePrecompiledValidators(dir: string, sets: readonly ValidatorSet[]): string[] {
  const loaded = requireValidator('ajv/dist/standalone/index.js') as
    ((ajv: unknown, validate: unknown) => string) | { default: (ajv: unknown, validate: unknown) => string };
  const standaloneCode = typeof loaded === 'function' ? loaded : loaded.default;
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (name.endsWith('.cjs')) rmSync(join(dir, name));
  const written = new Set<string>();
  for (const { schemas, keywords } of sets) {
    const ajv = createAjv(keywords, { code: { source: true } });
    for (const schema of schemas) {
      const name = precompiledName(schema, keywords);
      if (written.has(name)) continue;
      written.add(name);
      writeFileSync(join(dir, name), standaloneCode(ajv, ajv.compile(schema)));
    }
  }
  return [...written];
}
