/**
 * Properties of Kestra's public blueprints (github.com/kestra-io/blueprints, flows/*.yaml) that
 * `pebbleflow validate` refused although the types are supported: Pause's `pauseDuration` and
 * `behavior` (core/…/flow/Pause.java: RESUME, WARN, FAIL, CANCEL), Download's `saveAs`
 * (flows/oracle-extract-load-batch.yaml), every task's `taskCache` and `assets`
 * (flows/caching.yaml, flows/s3-dataset-assets.yaml), the Webhook trigger's `wait`, `returnOutputs`,
 * `responseContentType` (flows/webhook-xml-response.yaml), a list property given as one expression
 * (flows/ai-slack-chatbot-with-memory.yaml); and TerraformCLI / AwsCLI (plugin-terraform
 * TerraformCLI.java, plugin-aws cli/AwsCLI.java) with stand-in executables on the PATH.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFlow } from '../../src/flow/loader.js';
import { closeServer, listen } from '../support/http.js';
import { messages, runYaml, taskStates } from '../support/flows.js';

let root: string;
let bin: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pf-bp-gaps-'));
  bin = join(root, 'bin');
  await mkdir(bin);
  await writeFile(
    join(bin, 'terraform'),
    '#!/bin/sh\necho "terraform $*"\n[ "$1" = "plan" ] && echo \'::{"outputs":{"changes":3}}::\'\nexit 0\n',
  );
  await writeFile(
    join(bin, 'aws'),
    '#!/bin/sh\necho "aws $* region=$AWS_DEFAULT_REGION output=$AWS_DEFAULT_OUTPUT key=$AWS_ACCESS_KEY_ID secret=$AWS_SECRET_ACCESS_KEY"\n',
  );
  await chmod(join(bin, 'terraform'), 0o755);
  await chmod(join(bin, 'aws'), 0o755);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('blueprint properties are accepted', () => {
  test('taskCache, assets, Webhook wait/returnOutputs/responseContentType, Pause behavior, a list given as an expression', () => {
    const { problems } = checkFlow(`
id: gaps
namespace: company.team
tasks:
  - id: products
    type: io.kestra.plugin.core.log.Log
    message: hi
    taskCache:
      enabled: true
      ttl: PT24H
    assets:
      inputs:
        - id: raw_json_files
  - id: wait_for_approval
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: P2D
    behavior: FAIL
  - id: chat
    type: io.kestra.plugin.ai.completion.ChatCompletion
    provider:
      type: io.kestra.plugin.ai.provider.OpenAI
      apiKey: k
      modelName: gpt-4o
    messages: "{{ outputs.build_and_respond.vars.messages }}"
triggers:
  - id: webhook_trigger
    type: io.kestra.plugin.core.trigger.Webhook
    key: abc
    responseContentType: "application/json"
    returnOutputs: true
    wait: true
`);
    expect(problems).toEqual([]);
  });

  test('a list given as a literal string is still refused, and an unknown behavior too', () => {
    const { problems } = checkFlow(`
id: gaps
namespace: company.team
tasks:
  - id: chat
    type: io.kestra.plugin.ai.completion.ChatCompletion
    provider: { type: io.kestra.plugin.ai.provider.OpenAI }
    messages: "not a list"
  - id: p
    type: io.kestra.plugin.core.flow.Pause
    behavior: SOMETIMES
`);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('Invalid value for `messages`'),
      'Invalid value `SOMETIMES` for `behavior`: expected one of RESUME, WARN, FAIL, CANCEL',
    ]);
  });
});

describe('Pause pauseDuration and behavior', () => {
  test('RESUME continues, WARN ends WARNING, FAIL fails, CANCEL cancels the execution', async () => {
    const flow = (behavior: string): string => `
id: pause
namespace: company.team
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT0.1S
    behavior: ${behavior}
  - id: next
    type: io.kestra.plugin.core.log.Log
    message: next
`;
    const resume = await runYaml(flow('RESUME'));
    expect([resume.state, taskStates(resume)]).toEqual(['SUCCESS', { pause: 'SUCCESS', next: 'SUCCESS' }]);
    const warn = await runYaml(flow('WARN'));
    expect([warn.state, taskStates(warn)]).toEqual(['WARNING', { pause: 'WARNING', next: 'SUCCESS' }]);
    const fail = await runYaml(flow('FAIL'));
    expect([fail.state, taskStates(fail)]).toEqual(['FAILED', { pause: 'FAILED' }]);
    const cancel = await runYaml(flow('CANCEL'));
    expect([cancel.state, taskStates(cancel)]).toEqual(['CANCELLED', { pause: 'CANCELLED' }]);
  });
});

describe('Download saveAs', () => {
  test('the stored file has the saveAs name', async () => {
    const { server, origin } = await listen((_req, res) => {
      res.setHeader('content-disposition', 'attachment; filename="export-123.csv"');
      res.end('id,total\n1,10\n');
    });
    try {
      const report = await runYaml(`
id: dl
namespace: company.team
tasks:
  - id: download_csv
    type: io.kestra.plugin.core.http.Download
    uri: ${origin}/export
    saveAs: orders.csv
  - id: plain
    type: io.kestra.plugin.core.http.Download
    uri: ${origin}/export
`);
      expect(taskStates(report)).toEqual({ download_csv: 'SUCCESS', plain: 'SUCCESS' });
      expect(String(report.taskRuns[0]?.outputs?.['uri'])).toMatch(/\/orders\.csv$/);
      expect(String(report.taskRuns[1]?.outputs?.['uri'])).toMatch(/\/export-123\.csv$/);
    } finally {
      await closeServer(server);
    }
  });
});

describe('TerraformCLI and AwsCLI', () => {
  test('terraform commands with beforeCommands; outputs through the protocol; missing terraform is DEPENDENCY_MISSING', async () => {
    const report = await runYaml(`
id: tf
namespace: company.team
tasks:
  - id: tf
    type: io.kestra.plugin.terraform.cli.TerraformCLI
    env:
      PATH: "${bin}:/usr/bin:/bin"
    beforeCommands:
      - terraform init
    commands:
      - terraform plan 2>&1 | tee plan_output.txt
    outputFiles:
      - plan_output.txt
  - id: missing
    type: io.kestra.plugin.terraform.cli.TerraformCLI
    env:
      PATH: ${join(root, 'none')}
    commands:
      - terraform plan
`);
    expect(taskStates(report)).toEqual({ tf: 'SUCCESS', missing: 'FAILED' });
    expect(messages(report)).toEqual(expect.arrayContaining(['tf INFO terraform init', 'tf INFO terraform plan']));
    expect((report.taskRuns[0]?.outputs as { vars: unknown }).vars).toEqual({ changes: 3 });
    expect(messages(report)).toContainEqual(expect.stringContaining('The Terraform commands need the program `terraform`'));
  });

  test('aws: the connection becomes AWS_* variables (keys masked), STS properties become `aws configure set` first', async () => {
    const report = await runYaml(`
id: aws
namespace: company.team
tasks:
  - id: aws
    type: io.kestra.plugin.aws.cli.AwsCLI
    env:
      PATH: "${bin}:/usr/bin:/bin"
    accessKeyId: AKIAEXAMPLEKEY
    secretKeyId: very-secret-value
    region: eu-central-1
    stsRoleArn: arn:aws:iam::123:role/x
    stsRoleSessionDuration: PT15M
    commands:
      - aws s3api list-buckets
`);
    expect(taskStates(report)).toEqual({ aws: 'SUCCESS' });
    const log = messages(report);
    expect(log).toContain(
      'aws INFO aws configure set role_arn arn:aws:iam::123:role/x region=eu-central-1 output=json key=****** secret=******',
    );
    expect(log).toContain('aws INFO aws configure set duration_seconds 900 region=eu-central-1 output=json key=****** secret=******');
    expect(log).toContain('aws INFO aws s3api list-buckets region=eu-central-1 output=json key=****** secret=******');
    expect(JSON.stringify(report)).not.toContain('very-secret-value');
  });
});
