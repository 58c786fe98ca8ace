/**
 * Start-up (issue 13): `pebbleflow run` of a one-Log flow loads nothing it does not use — no JWT
 * library (jose: only when a token is minted), no Ion (ion-js), no SQL driver, no serdes format
 * library, no task implementation (a task's definition is loaded, its `run` code on first use) —
 * and the built CLI checks the flow with the validators compiled at build time, without loading
 * ajv's compiler. Timing lives in `npm run bench -- startup`, not here.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const listModules = new URL('../support/list-modules.mjs', import.meta.url).href;
const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const built = join(root, 'bin', 'pebbleflow.js');
const precompiled = join(root, 'dist', 'validators');

const NOT_AT_START_UP = [
  'jose',
  '@js-joda/core',
  'ion-js',
  'pg',
  'mysql2',
  'node-sqlite3-wasm',
  '@duckdb/node-api',
  'avsc',
  'hyparquet',
  'saxes',
  'nodemailer',
];

/**
 * Task implementations, and what only they (or a token mint) use: each task module holds the
 * declaration the loader and the schema need, and `run` imports the rest when the task first runs.
 */
const IMPLEMENTATIONS: readonly RegExp[] = [
  /\/src\/tasks\/.+-run\.ts$/,
  /\/src\/tasks\/(http\/(transfer|node-http)|serdes\/convert-file|tools\/aws-cli)\.ts$/,
  /\/src\/tasks\/(ai|ansible|dbt|git|jdbc|mail|tools)\/(?!index\.ts$)[^/]+\.ts$/,
  /\/src\/tasks\/notifications\/(execution|execution-summary|templates)\.ts$/,
  /\/src\/scripts\/(script-task|legacy-script|process|protocol|python-kestra)\.ts$/,
  /\/src\/serdes\/(convert|csv|ion|errors|xml|yaml|excel|zip|avro-file|avro-model|parquet)\.ts$/,
  /\/src\/storage\/(working-dir|lines)\.ts$/,
  /\/src\/credentials\/(token-http-client|minted-token|private-key|grant|types\/.+-mint)\.ts$/,
  /\/src\/http\/fetch\.ts$/,
  /^node:(child_process|http|https|zlib)$/,
];

function loadedModules(args: string[], cwd: string): Promise<{ code: number; stdout: string; modules: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', listModules, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_OPTIONS: '' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const line = stderr.split('\n').find((l) => l.startsWith('MODULES='));
        if (line === undefined) return reject(new Error(`no module list: ${String(error)} ${stderr}`));
        resolve({ code: error === null ? 0 : Number(error.code), stdout, modules: JSON.parse(line.slice('MODULES='.length)) as string[] });
      },
    );
  });
}

const packagesIn = (modules: string[], names: string[]): string[] =>
  names.filter((n) => modules.some((m) => m.includes(`/node_modules/${n}/`)));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pebbleflow-startup-'));
  writeFileSync(
    join(dir, 'hello.yaml'),
    'id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: Hello {{ flow.id }}\n',
  );
});

test('the lister sees ES modules and CommonJS packages alike (else the checks below could not fail)', async () => {
  const probe = join(dir, 'probe.mjs');
  writeFileSync(
    probe,
    `await import(${JSON.stringify(join(root, 'node_modules/jose/dist/webapi/index.js'))});\nimport { createRequire } from 'node:module';\ncreateRequire(import.meta.url)(${JSON.stringify(join(root, 'node_modules/ion-js'))});\n`,
  );
  const r = await loadedModules([probe], dir);
  expect(packagesIn(r.modules, ['jose', 'ion-js'])).toEqual(['jose', 'ion-js']);
});

test('run of a one-Log flow, from source, loads none of the libraries it does not use', async () => {
  const r = await loadedModules(['--import', tsx, join(root, 'src/cli/main.ts'), 'run', 'hello.yaml'], dir);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('SUCCESS');
  expect(packagesIn(r.modules, NOT_AT_START_UP)).toEqual([]);
});

test('run of a one-Log flow, from source, loads the task definitions and none of the task implementations', async () => {
  const r = await loadedModules(['--import', tsx, join(root, 'src/cli/main.ts'), 'run', 'hello.yaml'], dir);
  expect(r.code).toBe(0);
  // The definitions are there (else the check below could pass for a wrong reason)…
  expect(
    r.modules.filter((m) => /\/src\/tasks\/(storage\/split|scripts\/scripts|serdes\/serdes|http\/download)\.ts$/.test(m)),
  ).toHaveLength(4);
  // …and nothing of what their `run` needs.
  expect(r.modules.filter((m) => IMPLEMENTATIONS.some((p) => p.test(m)))).toEqual([]);
});

const builtCli = existsSync(precompiled) ? test : test.skip;
if (!existsSync(precompiled)) {
  // npm install builds (prepare); without a build there is no built CLI to check.
  if (process.env.CI === 'true') throw new Error(`CI=true but ${precompiled} is missing: run npm run build`);
  console.warn(`SKIPPED: the built CLI checks (${precompiled} missing: run npm run build)`);
}

builtCli('the built CLI checks the flow with the precompiled validators: ajv’s compiler is never loaded', async () => {
  const r = await loadedModules([built, 'run', 'hello.yaml'], dir);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('SUCCESS');
  expect(packagesIn(r.modules, NOT_AT_START_UP)).toEqual([]);
  expect(r.modules.filter((m) => /\/node_modules\/ajv\/dist\/(ajv|core|compile\/index)\.js$/.test(m))).toEqual([]);
  // It did check the flow: a bad one is refused, with the schema's message.
  writeFileSync(
    join(dir, 'bad.yaml'),
    'id: bad\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    mesage: typo\n',
  );
  const bad = await loadedModules([built, 'validate', 'bad.yaml'], dir);
  expect(bad.code).not.toBe(0);
  expect(bad.modules.filter((m) => /\/node_modules\/ajv\/dist\/ajv\.js$/.test(m))).toEqual([]);
});
