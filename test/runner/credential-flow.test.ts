import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeFetch from 'node-fetch';
import { READ_ONLY_SCOPE, startLocalGoogle, type LocalGoogle } from '../../examples/demo/local-google.js';
import { parseFlow } from '../../src/flow/loader.js';
import { MASK } from '../../src/runner/masking.js';
import { runFlow } from '../../src/runner/runner.js';
import type { FetchLike } from '../../src/tasks/types.js';

let google: LocalGoogle;
let config: object;

beforeAll(async () => {
  google = await startLocalGoogle({ projectId: 'acme-prod' });
  const dir = mkdtempSync(join(tmpdir(), 'pf-secrets-'));
  writeFileSync(join(dir, 'GCP_PRIVATE_KEY'), google.serviceAccount.private_key, { mode: 0o600 });
  config = {
    tenant: 'main',
    secrets: [{ type: 'file', dir }],
    credentials: [
      {
        id: 'gcp-service-account',
        type: 'OAUTH2',
        authConfigType: 'JWT_BEARER',
        namespace: 'company.team',
        tokenEndpoint: google.tokenEndpoint,
        issuer: google.serviceAccount.client_email,
        subject: google.serviceAccount.client_email,
        privateKey: { secret: 'GCP_PRIVATE_KEY' },
        keyId: google.serviceAccount.private_key_id,
        algorithm: 'RS256',
        additionalClaims: { scope: READ_ONLY_SCOPE },
      },
    ],
  };
});
afterAll(() => google.close());

// The credentials documentation's flow, pointed at the local API.
const source = (apiOrigin: string, namespace = 'company.team'): string => `id: google_api_with_credential
namespace: ${namespace}
inputs:
  - id: project_id
    type: STRING
tasks:
  - id: request
    type: io.kestra.plugin.core.http.Request
    method: GET
    uri: "${apiOrigin}/v1/projects/{{ inputs.project_id }}"
    options:
      auth:
        type: BEARER
        token: "{{ credential('gcp-service-account') }}"
  - id: log_result
    type: io.kestra.plugin.core.log.Log
    message: |
      code={{ outputs.request.code }} body={{ outputs.request.body }}
  - id: leak
    type: io.kestra.plugin.core.log.Log
    message: "token {{ credential('gcp-service-account') }} / {{ credential('gcp-service-account') | base64encode }}"
`;

test('a JWT Bearer credential authenticates the Request task; node-fetch serves the token request and the API call alike', async () => {
  const seen: string[] = [];
  const fetch: FetchLike = (url, init) => {
    seen.push(new URL(url).pathname);
    return (nodeFetch as unknown as FetchLike)(url, init);
  };
  const report = await runFlow(parseFlow(source(google.apiOrigin)), { inputs: { project_id: 'acme-prod' }, config, fetch, env: {} });
  expect(report.state).toBe('SUCCESS');
  expect(seen).toEqual(['/token', '/v1/projects/acme-prod']);
  expect(google.issued).toHaveLength(1);
  expect(google.tokenRequests[0]?.claims).toMatchObject({
    iss: google.serviceAccount.client_email,
    aud: google.tokenEndpoint,
    scope: READ_ONLY_SCOPE,
  });
  expect(report.outputs.request).toMatchObject({ code: 200 });
  expect(report.logs.filter((l) => l.level === 'INFO').map((l) => l.message)).toEqual([
    `code=200 body={"projectNumber":"123456789012","projectId":"acme-prod","lifecycleState":"ACTIVE","name":"pebbleflow demo","createTime":"2026-01-01T00:00:00.000Z"}\n`,
    `token ${MASK} / ${MASK}`,
  ]);
  const all = JSON.stringify(report);
  for (const token of google.issued) {
    expect(all).not.toContain(token);
    expect(all).not.toContain(Buffer.from(token).toString('base64'));
  }
});

test('outside the credential namespace the credential is not found and no token is requested', async () => {
  const before = google.tokenRequests.length;
  const report = await runFlow(parseFlow(source(google.apiOrigin, 'other.team')), { inputs: { project_id: 'acme-prod' }, config, env: {} });
  expect(report.state).toBe('FAILED');
  expect(report.taskRuns[0]!.error).toMatch(/gcp-service-account/);
  expect(google.tokenRequests.length).toBe(before);
});
