import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READ_ONLY_SCOPE, startLocalGoogle, type LocalGoogle } from '../../examples/demo/local-google.js';
import { cli } from '../support/cli.js';

let google: LocalGoogle;
let dir: string;

beforeAll(async () => {
  google = await startLocalGoogle();
  dir = mkdtempSync(join(tmpdir(), 'pf-cred-cli-'));
  mkdirSync(join(dir, 'secrets'));
  writeFileSync(join(dir, 'secrets', 'GCP_PRIVATE_KEY'), google.serviceAccount.private_key);
  const sa = google.serviceAccount;
  writeFileSync(
    join(dir, 'pebbleflow.yaml'),
    `tenant: main
secrets:
  - { type: file, dir: ./secrets }
credentials:
  - id: gcp
    type: OAUTH2
    authConfigType: JWT_BEARER
    namespace: company.team
    description: Google service account
    tokenEndpoint: ${sa.token_uri}
    issuer: ${sa.client_email}
    privateKey: { secret: GCP_PRIVATE_KEY }
    keyId: ${sa.private_key_id}
    additionalClaims: { scope: ${READ_ONLY_SCOPE} }
  - id: no_scope
    type: OAUTH2
    authConfigType: JWT_BEARER
    tokenEndpoint: ${sa.token_uri}
    issuer: ${sa.client_email}
    privateKey: { secret: GCP_PRIVATE_KEY }
    keyId: ${sa.private_key_id}
`,
  );
});
afterAll(() => google.close());

test('credentials list: id, type, scope and description from ./pebbleflow.yaml', async () => {
  const r = await cli(['credentials', 'list'], { cwd: dir });
  expect(r).toEqual({
    code: 0,
    stderr: '',
    stdout: [
      'ID        TYPE               SCOPE                DESCRIPTION',
      'gcp       OAUTH2/JWT_BEARER  main / company.team  Google service account',
      'no_scope  OAUTH2/JWT_BEARER  tenant main',
      '',
    ].join('\n'),
  });
});

test('credentials test: success with token type and expiry, never the token', async () => {
  const r = await cli(['credentials', 'test', 'gcp', '--namespace', 'company.team'], { cwd: dir });
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(
    /^✓ gcp: token minted in \d+ ms\n {4}type {4}Bearer\n {4}expiry {2}expires \d{4}-\d\d-\d\dT[\d:.]+Z \(in 60 min\)\n {4}scope {3}https:\/\/www\.googleapis\.com\/auth\/cloud-platform\.read-only\n$/,
  );
  expect(google.issued.length).toBeGreaterThan(0);
  for (const token of google.issued) expect(r.stdout + r.stderr).not.toContain(token);
  const json = await cli(['credentials', 'test', 'gcp', '-n', 'company.team.sub', '--json'], { cwd: dir });
  expect(JSON.parse(json.stdout)).toMatchObject({ id: 'gcp', ok: true, tokenType: 'Bearer', scope: READ_ONLY_SCOPE });
});

test('credentials test: a refused token request exits 1 with the reason; outside its namespace it is not found', async () => {
  const refused = await cli(['credentials', 'test', 'no_scope'], { cwd: dir });
  expect(refused.code).toBe(1);
  expect(refused.stdout).toMatch(/^✘ no_scope: .*invalid_scope/);
  const elsewhere = await cli(['credentials', 'test', 'gcp', '-n', 'other.team'], { cwd: dir });
  expect(elsewhere.code).toBe(1);
  expect(elsewhere.stdout).toMatch(/^✘ gcp: /);
});

test('credentials: usage errors and a missing config exit 2', async () => {
  expect((await cli(['credentials'], { cwd: dir })).code).toBe(2);
  expect((await cli(['credentials', 'test'], { cwd: dir })).code).toBe(2);
  expect((await cli(['credentials', 'rotate'], { cwd: dir })).code).toBe(2);
  const none = await cli(['credentials', 'list'], { cwd: tmpdir() });
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('no pebbleflow.yaml in this folder: pass --config FILE');
});
