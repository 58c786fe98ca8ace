/**
 * `npm run demo`: no internet needed. Starts a local OAuth2 token endpoint (RFC 7523 JWT Bearer,
 * as Google's) and a protected API on 127.0.0.1, generates a service-account key into a temporary
 * secrets folder, writes a pebbleflow.yaml whose `gcp-service-account` credential references it,
 * and runs demo-flow.yaml through the real CLI: the Request task authenticates with
 * `{{ credential('gcp-service-account') }}` and the API's answer is logged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/cli.js';
import { colourWanted, createStyle } from '../../src/cli/style.js';
import { READ_ONLY_SCOPE, startLocalGoogle } from './local-google.js';

const google = await startLocalGoogle({ projectId: 'pebbleflow-demo' });
const work = mkdtempSync(join(tmpdir(), 'pebbleflow-demo-'));
let code = 1;
try {
  const secrets = join(work, 'secrets');
  const sa = google.serviceAccount;
  // What Google's console would hand out, and the private key stored as a secret (raw file content).
  writeFileSync(join(work, 'service-account.json'), JSON.stringify(sa, null, 2), { mode: 0o600 });
  await import('node:fs/promises').then((fs) => fs.mkdir(secrets, { mode: 0o700 }));
  writeFileSync(join(secrets, 'GCP_PRIVATE_KEY'), sa.private_key, { mode: 0o600 });
  const config = join(work, 'pebbleflow.yaml');
  writeFileSync(
    config,
    `tenant: main
secrets:
  - type: file
    dir: ${JSON.stringify(secrets)}
credentials:
  - id: gcp-service-account
    type: OAUTH2
    authConfigType: JWT_BEARER
    tokenEndpoint: ${sa.token_uri}
    issuer: ${sa.client_email}
    subject: ${sa.client_email}
    privateKey: { secret: GCP_PRIVATE_KEY }
    keyId: ${sa.private_key_id}
    algorithm: RS256
    additionalClaims:
      scope: ${READ_ONLY_SCOPE}
`,
  );
  const style = createStyle(colourWanted(process.env, process.stdout.isTTY === true));
  process.stdout.write(
    [
      style.bold('pebbleflow demo'),
      `  token endpoint  ${google.tokenEndpoint}  (JWT Bearer grant, RS256)`,
      `  protected API   ${google.apiOrigin}/v1/projects/{id}`,
      `  service account ${sa.client_email}, key ${sa.private_key_id.slice(0, 8)}… in ${secrets}`,
      style.dim('  (the access token is masked wherever it could show: ******)'),
      '',
      '',
    ].join('\n'),
  );
  const flow = fileURLToPath(new URL('./demo-flow.yaml', import.meta.url));
  code = await main(['run', flow, '--config', config, '--input', `project_id=${sa.project_id}`, '--input', `api=${google.apiOrigin}`], {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    out: style,
    err: createStyle(colourWanted(process.env, process.stderr.isTTY === true)),
  });
} finally {
  await google.close();
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = code;
