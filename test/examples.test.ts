import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/index.js';
import { formatProblem } from '../src/flow/errors.js';
import { checkFlowFile } from '../src/flow/loader.js';
import { EXPECTED } from '../src/flow/schema.js';
import { runDemo } from './support/cli.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const examples = join(root, 'examples');
const flowFiles = [
  ...readdirSync(examples)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'pebbleflow.yaml')
    .map((f) => join(examples, f)),
  // The demo's flows too, one per credential type.
  ...readdirSync(join(examples, 'demo'))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(examples, 'demo', f)),
];

function compile(schemaFile: string) {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addKeyword(EXPECTED);
  return ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
}

/** The `# yaml-language-server: $schema=` line, resolved against the file. */
function schemaOf(file: string): string {
  const first = readFileSync(file, 'utf8').split('\n')[0] ?? '';
  const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
  if (m === null) throw new Error(`${file} does not start with a yaml-language-server $schema line`);
  return resolve(dirname(file), m[1]!);
}

test('the issue lists five example files and all are here', () => {
  for (const name of [
    'google_api_with_credential.yaml',
    'api_call.yaml',
    'client_credentials.yaml',
    'github_app.yaml',
    'pebbleflow.yaml',
  ]) {
    expect(existsSync(join(examples, name))).toBe(true);
  }
});

describe.each(flowFiles.map((f) => [f.slice(root.length), f]))('%s', (_name, file) => {
  test('loads without a problem', () => {
    expect(checkFlowFile(file).problems.map(formatProblem)).toEqual([]);
  });
  test('starts with a $schema line pointing at schema/flow.schema.json, and validates against it', () => {
    const schema = schemaOf(file);
    expect(schema).toBe(join(root, 'schema', 'flow.schema.json'));
    const validate = compile(schema);
    expect(validate(parse(readFileSync(file, 'utf8')))).toBe(true);
  });
});

test('examples/pebbleflow.yaml is a valid config with one credential of each type, secrets by reference', () => {
  const file = join(examples, 'pebbleflow.yaml');
  const config = loadConfig(file);
  const kinds = config.credentials.map((c) => (c.type === 'OAUTH2' ? c.authConfigType : c.type)).sort();
  expect(kinds).toEqual(['CLIENT_CREDENTIALS', 'GITHUB_APP', 'JWT_BEARER', 'PRIVATE_KEY_JWT']);
  const validate = compile(schemaOf(file));
  expect(validate(parse(readFileSync(file, 'utf8')))).toBe(true);
  expect(validate({ credentials: [{ id: 'x', type: 'OAUTH2', clientSecret: 'literal' }] })).toBe(false);
});

test('npm run demo: a JWT Bearer credential authenticates the request, the answer is logged, the run ends with SUCCESS', async () => {
  const { code, stdout, stderr } = await runDemo([]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('INFO  code=200 body={"projectNumber":"123456789012","projectId":"pebbleflow-demo","lifecycleState":"ACTIVE"');
  expect(stdout).not.toMatch(/ya29\./);
  expect(stdout.trimEnd().split('\n').at(-1)).toMatch(
    /^✔ SUCCESS {2}company\.team\.google_api_with_credential_demo {2}execution [0-9A-Za-z]{22} · 2 task runs · (\d+ ms|\d+\.\d+ s)$/,
  );
});
