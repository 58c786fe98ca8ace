/**
 * A project for the web UI's tests and screenshots: flows that show every view (a paused flow for
 * live logs and Resume, a failing one, nested flowables with loops and outputs, one using a secret
 * and a credential, a broken file), a config with a working and a refused credential against a
 * real local OAuth server, and `pebbleflow server` started in-process on a free port.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PebbleflowServer } from '../../../src/server/server.js';
import { startOAuthServer, type OAuthServer } from '../../support/oauth-server.js';

export const FLOWS: Readonly<Record<string, string>> = {
  'hello.yml': `id: hello
namespace: company.team
description: Greets someone, waits for a go-ahead, then says goodbye.
labels:
  team: data
inputs:
  - id: name
    type: STRING
    defaults: world
    description: Who to greet
  - id: times
    type: INT
    defaults: 2
  - id: mood
    type: SELECT
    values: [happy, calm, curious]
    defaults: calm
  - id: api_password
    type: SECRET
    required: false
    description: Used by no task; never shown
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.name }}, you look {{ inputs.mood }}"
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: goodbye
    type: io.kestra.plugin.core.log.Log
    level: WARN
    message: "Goodbye {{ inputs.name }} ({{ inputs.times }} times)"
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 * * *"
    disabled: true
`,
  'failing.yml': `id: failing
namespace: company.team
tasks:
  - id: prepare
    type: io.kestra.plugin.core.log.Log
    message: Preparing the import
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: "The import file is missing"
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: not reached
`,
  'nested.yml': `id: nested
namespace: company.analytics
inputs:
  - id: region
    type: STRING
    defaults: eu
tasks:
  - id: each_region
    type: io.kestra.plugin.core.flow.ForEach
    values: ["eu", "us", "apac"]
    tasks:
      - id: count
        type: io.kestra.plugin.core.debug.Return
        format: "{{ taskrun.value }}-{{ taskrun.value | length }}"
  - id: branch
    type: io.kestra.plugin.core.flow.If
    condition: "{{ inputs.region == 'eu' }}"
    then:
      - id: parallel
        type: io.kestra.plugin.core.flow.Parallel
        tasks:
          - id: left
            type: io.kestra.plugin.core.log.Log
            message: left
          - id: right
            type: io.kestra.plugin.core.debug.Return
            format: right
    else:
      - id: other
        type: io.kestra.plugin.core.log.Log
        message: other region
  - id: summary
    type: io.kestra.plugin.core.output.OutputValues
    values:
      regions: 3
      first: "{{ outputs.count.eu.value }}"
outputs:
  - id: first
    type: STRING
    value: "{{ outputs.summary.values.first }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: nested-hook-key
`,
  'uses-secrets.yml': `id: uses_secrets
namespace: company.team
tasks:
  - id: with_secret
    type: io.kestra.plugin.core.log.Log
    message: "key is {{ secret('API_KEY') }}"
  - id: with_token
    type: io.kestra.plugin.core.log.Log
    message: "token is {{ credential('good') }}"
`,
  'slow.yml': `id: slow
namespace: company.ops
tasks:
  - id: start
    type: io.kestra.plugin.core.log.Log
    message: Starting a long job
  - id: long_job
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT5M
`,
  'approve.yml': `id: approve
namespace: company.ops
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
      - id: reason
        type: STRING
        description: Why
  - id: decision
    type: io.kestra.plugin.core.log.Log
    message: "approved={{ outputs.wait.onResume.approved }} because {{ outputs.wait.onResume.reason }}"
`,
  'guarded.yml': `id: guarded
namespace: company.team
inputs:
  - id: day
    type: STRING
  - id: copies
    type: INT
    defaults: 1
    min: 1
checks:
  - message: Not on Sundays
    condition: "{{ inputs.day != 'sunday' }}"
    style: ERROR
  - message: Saturday runs are slow
    condition: "{{ inputs.day != 'saturday' }}"
    style: WARNING
    behavior: CREATE_EXECUTION
tasks:
  - id: run
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.copies }} on {{ inputs.day }}"
`,
  'broken.yml': `id: broken
namespace: company.team
tasks:
  - id: oops
    type: io.kestra.plugin.core.log.Log
    mesage: typo in the property name
`,
};

/** A secret value the tests look for in every response (it must never be there). */
export const API_KEY = 'sk-live-UI-9f8e7d6c5b4a-never-in-the-browser';

export interface UiProject {
  readonly url: string;
  readonly server: PebbleflowServer;
  readonly oauth: OAuthServer;
  readonly dir: string;
  /** Every secret value the server holds (for leak checks). */
  readonly secretValues: readonly string[];
  close(): Promise<void>;
}

export async function startUiProject(
  options: { flows?: Readonly<Record<string, string>>; basicAuth?: { username: string; password: string } } = {},
): Promise<UiProject> {
  const oauth = await startOAuthServer();
  const dir = mkdtempSync(join(tmpdir(), 'pebbleflow-ui-'));
  const flowsDir = join(dir, 'flows');
  mkdirSync(flowsDir);
  for (const [name, source] of Object.entries(options.flows ?? FLOWS)) writeFileSync(join(flowsDir, name), source);
  const auth = options.basicAuth;
  writeFileSync(
    join(dir, 'pebbleflow.yaml'),
    `secrets:
  - type: env
credentials:
  - id: good
    type: OAUTH2
    authConfigType: CLIENT_CREDENTIALS
    description: The reporting API
    tokenEndpoint: ${oauth.tokenEndpoint}
    clientId: ${oauth.clients.basic.id}
    clientSecret: { secret: GOOD_CLIENT_SECRET }
    scopes: [api:read]
  - id: refused
    type: OAUTH2
    authConfigType: CLIENT_CREDENTIALS
    namespace: company.team
    tokenEndpoint: ${oauth.tokenEndpoint}
    clientId: ${oauth.clients.post.id}
    clientSecret: { secret: REVOKED_CLIENT_SECRET }
    clientAuthMethod: CLIENT_SECRET_POST
${auth === undefined ? '' : `server:\n  basicAuth:\n    username: ${auth.username}\n    password: { secret: UI_PASSWORD }\n`}`,
  );
  const values: Record<string, string> = {
    API_KEY,
    GOOD_CLIENT_SECRET: oauth.clients.basic.secret,
    REVOKED_CLIENT_SECRET: 'revoked-secret-0123456789-not-valid',
    ...(auth === undefined ? {} : { UI_PASSWORD: auth.password }),
  };
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', TZ: 'UTC' };
  for (const [k, v] of Object.entries(values)) env[`SECRET_${k}`] = Buffer.from(v).toString('base64');
  const server = await PebbleflowServer.start({
    flowsDir,
    dataDir: join(dir, '.pebbleflow'),
    port: 0,
    config: join(dir, 'pebbleflow.yaml'),
    env,
    log: () => undefined,
    graceMs: 1000,
  });
  return {
    url: server.url,
    server,
    oauth,
    dir,
    secretValues: Object.values(values),
    async close() {
      await server.close();
      await oauth.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
