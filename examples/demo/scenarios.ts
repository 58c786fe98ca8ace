/**
 * One demo per credential type. Each starts its local servers, says which secrets to write into
 * the temporary secrets folder, which credential to put in pebbleflow.yaml, and which flow of
 * this folder to run with which inputs. run-demo.ts does the rest, the same way for all.
 */
import { randomBytes } from 'node:crypto';
import { startLocalGitHub } from './local-github.js';
import { READ_ONLY_SCOPE, startLocalGoogle } from './local-google.js';
import { ORDERS_READ_SCOPE, startLocalOAuth } from './local-oauth.js';

export const DEMO_NAMES = ['jwt-bearer', 'client-credentials', 'private-key-jwt', 'github-app'] as const;
export type DemoName = (typeof DEMO_NAMES)[number];

export interface RunningDemo {
  /** First line of the banner. */
  readonly title: string;
  /** The banner's other lines, once the secrets folder is known. */
  describe(secretsDir: string): string[];
  /** Secret name → raw value, one file each in the secrets folder. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The `credentials:` entries of pebbleflow.yaml (YAML list items, indented by two). */
  readonly credentials: string;
  /** A flow file of examples/demo/. */
  readonly flowFile: string;
  readonly inputs: Readonly<Record<string, string>>;
  /** Secrets and minted tokens: none may ever appear in the output. */
  sensitiveValues(): string[];
  close(): Promise<void>;
}

export const DEMO_SUMMARIES: Readonly<Record<DemoName, string>> = {
  'jwt-bearer': 'OAuth2 JWT Bearer grant (RFC 7523 §2.1), the Google service-account example (default)',
  'client-credentials': 'OAuth2 client credentials, client_secret_basic (RFC 6749 §2.3.1)',
  'private-key-jwt': 'OAuth2 client credentials, private_key_jwt client authentication (RFC 7523 §2.2)',
  'github-app': 'GitHub App installation token',
};

const r = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Every character RFC 6749 §2.3.1 form-encoding changes, so a client that skips it is refused. */
export function awkwardClientSecret(): string {
  return `s3:${r(6)}+/${r(6)}%3A=&${r(6)}:+/%=&`;
}

async function jwtBearer(): Promise<RunningDemo> {
  const google = await startLocalGoogle({ projectId: 'pebbleflow-demo' });
  const sa = google.serviceAccount;
  return {
    title: 'pebbleflow demo',
    describe: (secretsDir) => [
      `  token endpoint  ${google.tokenEndpoint}  (JWT Bearer grant, RS256)`,
      `  protected API   ${google.apiOrigin}/v1/projects/{id}`,
      `  service account ${sa.client_email}, key ${sa.private_key_id.slice(0, 8)}… in ${secretsDir}`,
    ],
    secrets: { GCP_PRIVATE_KEY: sa.private_key },
    credentials: `  - id: gcp-service-account
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
    flowFile: 'demo-flow.yaml',
    inputs: { project_id: sa.project_id, api: google.apiOrigin },
    sensitiveValues: () => [sa.private_key, ...google.issued],
    close: () => google.close(),
  };
}

async function clientCredentials(): Promise<RunningDemo> {
  const oauth = await startLocalOAuth({ clientSecret: awkwardClientSecret() });
  const client = oauth.secretClient;
  return {
    title: 'pebbleflow demo: client-credentials',
    describe: (secretsDir) => [
      `  token endpoint  ${oauth.tokenEndpoint}  (client_credentials grant, client_secret_basic)`,
      `  protected API   ${oauth.apiOrigin}/v1/orders`,
      `  client          ${client.clientId}, a ${client.clientSecret.length}-character secret full of :+/%=& in ${secretsDir}`,
    ],
    secrets: { MY_CLIENT_SECRET: client.clientSecret },
    credentials: `  - id: my_oauth
    type: OAUTH2
    authConfigType: CLIENT_CREDENTIALS
    namespace: company.team
    tokenEndpoint: ${oauth.tokenEndpoint}
    clientId: ${client.clientId}
    clientSecret: { secret: MY_CLIENT_SECRET }
    clientAuthMethod: CLIENT_SECRET_BASIC
    scopes: [${ORDERS_READ_SCOPE}]
`,
    flowFile: 'client-credentials-flow.yaml',
    inputs: { api: oauth.apiOrigin },
    sensitiveValues: () => [client.clientSecret, ...oauth.issued],
    close: () => oauth.close(),
  };
}

async function privateKeyJwt(): Promise<RunningDemo> {
  const oauth = await startLocalOAuth({ clientSecret: awkwardClientSecret() });
  const client = oauth.keyClient;
  return {
    title: 'pebbleflow demo: private-key-jwt',
    describe: (secretsDir) => [
      `  token endpoint  ${oauth.tokenEndpoint}  (client_credentials grant, private_key_jwt, ${client.algorithm})`,
      `  protected API   ${oauth.apiOrigin}/v1/orders`,
      `  client          ${client.clientId}, key ${client.keyId} in ${secretsDir}`,
    ],
    secrets: { PARTNER_PRIVATE_KEY: client.privateKeyPem },
    credentials: `  - id: partner_api
    type: OAUTH2
    authConfigType: PRIVATE_KEY_JWT
    tokenEndpoint: ${oauth.tokenEndpoint}
    clientId: ${client.clientId}
    privateKey: { secret: PARTNER_PRIVATE_KEY }
    keyId: ${client.keyId}
    algorithm: ${client.algorithm}
    scopes: [${ORDERS_READ_SCOPE}]
`,
    flowFile: 'private-key-jwt-flow.yaml',
    inputs: { api: oauth.apiOrigin },
    sensitiveValues: () => [client.privateKeyPem, ...oauth.issued],
    close: () => oauth.close(),
  };
}

async function githubApp(): Promise<RunningDemo> {
  const github = await startLocalGitHub();
  return {
    title: 'pebbleflow demo: github-app',
    describe: (secretsDir) => [
      `  GitHub API      ${github.apiUrl}  (POST /app/installations/${github.installationId}/access_tokens, app JWT RS256)`,
      `  protected API   ${github.apiUrl}/repos/${github.owner}/{repo}`,
      `  GitHub App      ${github.appId}, installation ${github.installationId}, key in ${secretsDir}`,
    ],
    secrets: { GITHUB_APP_PRIVATE_KEY: github.privateKeyPem },
    credentials: `  - id: github-app
    type: GITHUB_APP
    appId: ${github.appId}
    installationId: ${github.installationId}
    apiUrl: ${github.apiUrl}
    privateKey: { secret: GITHUB_APP_PRIVATE_KEY }
    repositories: [demo]
    permissions: { contents: read, metadata: read }
`,
    flowFile: 'github-app-flow.yaml',
    inputs: { api: github.apiUrl, repository: `${github.owner}/demo` },
    sensitiveValues: () => [github.privateKeyPem, ...github.issued],
    close: () => github.close(),
  };
}

export const DEMOS: Readonly<Record<DemoName, () => Promise<RunningDemo>>> = {
  'jwt-bearer': jwtBearer,
  'client-credentials': clientCredentials,
  'private-key-jwt': privateKeyJwt,
  'github-app': githubApp,
};
