/**
 * The validators the build compiles ahead of time (src/yaml-check/precompiled.ts) answer exactly
 * what ajv compiling the same schema at run time answers: the same verdict and the same errors
 * (paths, keywords, params, messages, and the schemas `verbose` attaches, which the problem
 * wording reads). Checked on every flow file of the repository, every task in them, the example
 * config, and broken variants of each.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { builtInConfigSchemas, CONFIG_KEYWORDS } from '../../src/config/load-config.js';
import { builtInValidatorSchemas, LOADER_KEYWORDS } from '../../src/flow/loader.js';
import { createAjv, type JsonSchema } from '../../src/yaml-check/schema-errors.js';
import { precompiledName, precompiledValidator, writePrecompiledValidators } from '../../src/yaml-check/precompiled.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function documents(path: string): unknown[] {
  try {
    const value: unknown = parse(readFileSync(path, 'utf8'));
    return value === null || typeof value !== 'object' ? [] : [value];
  } catch {
    return []; // the repository's deliberately broken YAML
  }
}

/** Every map in a value, depth first: tasks, inputs, triggers, credential entries… */
function maps(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) value.forEach((v) => maps(v, out));
  else if (value !== null && typeof value === 'object') {
    out.push(value as Record<string, unknown>);
    Object.values(value).forEach((v) => maps(v, out));
  }
  return out;
}

/** The map, then broken copies: an unknown key, each key given a value of the wrong shape, each key removed. */
function variants(map: Record<string, unknown>): unknown[] {
  const out: unknown[] = [map, { ...map, unexpectedProperty: true }];
  for (const key of Object.keys(map).slice(0, 8)) {
    for (const wrong of [12345, 'text', [], { nested: 1 }, null]) out.push({ ...map, [key]: wrong });
    const { [key]: _removed, ...rest } = map;
    out.push(rest);
  }
  return out;
}

/** Schemas are large and shared by many errors: each is turned into text once. */
const texts = new WeakMap<object, string>();
const text = (v: unknown): string => {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'undefined';
  let t = texts.get(v);
  if (t === undefined) texts.set(v, (t = JSON.stringify(v)));
  return t;
};

/** A validator's errors as one string: every field, the schemas `verbose` attaches and the data included. */
const comparable = (v: ValidateFunction): string =>
  (v.errors ?? [])
    .map((e) =>
      [
        e.instancePath,
        e.schemaPath,
        e.keyword,
        JSON.stringify(e.params),
        e.message,
        text(e.schema),
        text(e.parentSchema),
        text(e.data),
      ].join('\u0000'),
    )
    .join('\n');

const sets = [
  { schemas: builtInValidatorSchemas(), keywords: LOADER_KEYWORDS, sample: 'flow' },
  { schemas: builtInConfigSchemas(), keywords: CONFIG_KEYWORDS, sample: 'config' },
] as const;

// Inside the project, as dist/validators is: the generated code requires ajv's runtime helpers.
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
const dir = mkdtempSync(join(root, 'node_modules', '.cache', 'pebbleflow-validators-')) + '/';
const written = writePrecompiledValidators(dir, sets);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const samples = yamlFiles(join(root, 'test'))
  .concat(yamlFiles(join(root, 'examples')))
  .flatMap(documents);
const everyCandidate = samples.flatMap((doc) => maps(doc)).flatMap(variants);
// An even spread of about 1 500 (every built-in schema meets each of them: 150 schemas × 1 500 × 2 validators).
const step = Math.max(1, Math.floor(everyCandidate.length / 1500));
const candidates = everyCandidate.filter((_c, i) => i % step === 0);

test('every built-in schema has its validator, named by its content', () => {
  const expected = new Set(sets.flatMap((s) => s.schemas.map((schema: JsonSchema) => precompiledName(schema, s.keywords))));
  expect(new Set(written)).toEqual(expected);
  expect(written.length).toBeGreaterThan(100);
  // A schema that is not built in (a plugin's, or one that changed) has none: it is compiled at run time.
  expect(precompiledValidator({ type: 'object', properties: { plugin: { type: 'string' } } }, LOADER_KEYWORDS, dir)).toBeUndefined();
});

test('the samples are real: flows and configs of the repository, valid and broken', () => {
  expect(samples.length).toBeGreaterThan(50);
  expect(everyCandidate.length).toBeGreaterThan(5000);
  expect(candidates.length).toBeGreaterThan(1000);
});

describe.each(sets.map((s) => [s.sample, s] as const))('%s schemas', (_name, set) => {
  test('precompiled and run-time validators agree on every sample', () => {
    const ajv = createAjv(set.keywords);
    let failures = 0;
    const mismatches: string[] = [];
    for (const schema of set.schemas) {
      const runtime = ajv.compile(schema);
      const precompiled = precompiledValidator(schema, set.keywords, dir)!;
      expect(typeof precompiled).toBe('function');
      for (const candidate of candidates) {
        const verdict = runtime(candidate);
        if (precompiled(candidate) !== verdict) mismatches.push(`verdict on ${JSON.stringify(candidate).slice(0, 200)}`);
        else if (!verdict) {
          failures++;
          const expected = comparable(runtime);
          const actual = comparable(precompiled);
          if (actual !== expected) mismatches.push(`errors on ${JSON.stringify(candidate).slice(0, 200)}:\n${actual}\n≠\n${expected}`);
        }
      }
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
    // Errors were compared, not only verdicts.
    expect(failures).toBeGreaterThan(500);
  });
});
