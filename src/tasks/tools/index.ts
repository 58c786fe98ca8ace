/**
 * Command-line tools Kestra wraps as tasks, on the script runner with the tool found on the PATH:
 * `terraform.cli.TerraformCLI` (kestra-io/plugin-terraform, TerraformCLI.java) and `aws.cli.AwsCLI`
 * (kestra-io/plugin-aws, cli/AwsCLI.java: the connection properties become AWS_* variables, the STS
 * ones `aws configure set …` commands). A missing tool fails with DEPENDENCY_MISSING. Definitions
 * only; `run` imports the script runner on first use.
 */
import type { TaskFamily } from '../bundled.js';
import { defineTask, type PropertyDefinition } from '../definition.js';
import { EXEC_PROPERTIES, scriptProperty, SCRIPT_SCHEMAS } from '../scripts/scripts.js';

const { stringList, flag } = SCRIPT_SCHEMAS;
const pick = (...names: string[]): Record<string, PropertyDefinition> =>
  Object.fromEntries(names.map((n) => [n, EXEC_PROPERTIES[n] as PropertyDefinition]));
const commands = scriptProperty(stringList, 'The commands, run with /bin/sh -c.', { required: true });

export const terraformCliTask = defineTask({
  type: 'io.kestra.plugin.terraform.cli.TerraformCLI',
  title: 'Run terraform commands as a local process; outputs vars, exitCode, outputFiles.',
  properties: {
    commands,
    ...pick('beforeCommands', 'env', 'inputFiles', 'outputFiles', 'namespaceFiles', 'taskRunner', 'docker'),
    failFast: scriptProperty(flag, 'Stop at the first failing command; default true.'),
    containerImage: scriptProperty({ type: 'string' }, "Kestra's default `hashicorp/terraform`; not used locally."),
  },
  outputs: { vars: { kind: 'map' }, exitCode: { kind: 'integer' }, outputFiles: { kind: 'map' } },
  run: async (ctx) => (await import('../scripts/scripts-run.js')).runAsScriptTask(ctx, { language: 'terraform', mode: 'commands' }),
});

const awsString = (description: string): PropertyDefinition => scriptProperty({ type: 'string' }, description);

export const awsCliTask = defineTask({
  type: 'io.kestra.plugin.aws.cli.AwsCLI',
  title: 'Run aws commands as a local process, with the connection as AWS_* variables; outputs vars, exitCode, outputFiles.',
  properties: {
    commands,
    ...pick('env', 'inputFiles', 'outputFiles', 'namespaceFiles', 'taskRunner', 'docker'),
    containerImage: scriptProperty({ type: 'string' }, "Kestra's default `amazon/aws-cli`; not used locally."),
    outputFormat: scriptProperty({ enum: ['JSON', 'TEXT', 'TABLE', 'YAML'] }, 'AWS_DEFAULT_OUTPUT; default JSON.'),
    accessKeyId: awsString('AWS_ACCESS_KEY_ID; masked.'),
    secretKeyId: awsString('AWS_SECRET_ACCESS_KEY; masked.'),
    sessionToken: awsString('AWS_SESSION_TOKEN; masked.'),
    region: awsString('AWS_DEFAULT_REGION.'),
    endpointOverride: awsString('AWS_ENDPOINT_URL.'),
    stsRoleArn: awsString('`aws configure set role_arn` first.'),
    stsRoleSessionName: awsString('`aws configure set role_session_name` first.'),
    stsRoleExternalId: awsString('`aws configure set external_id` first.'),
    stsRoleSessionDuration: scriptProperty({ type: 'string' }, '`aws configure set duration_seconds` first (an ISO-8601 duration).'),
    stsEndpointOverride: awsString('Accepted; the aws program reads its own configuration.'),
    stsCredentialSource: scriptProperty(
      { enum: ['ENVIRONMENT', 'EC2_INSTANCE_METADATA', 'ECS_CONTAINER'] },
      '`aws configure set credential_source` first.',
    ),
    compatibilityMode: scriptProperty(flag, 'Accepted; not used by the aws program.'),
    forcePathStyle: scriptProperty(flag, 'Accepted; not used by the aws program.'),
  },
  outputs: { vars: { kind: 'map' }, exitCode: { kind: 'integer' }, outputFiles: { kind: 'map' } },
  async run(ctx) {
    return (await import('./aws-cli.js')).runAwsCli(ctx);
  },
});

export const cliToolsFamily: TaskFamily = {
  name: 'cli-tools',
  description: 'terraform and aws command lines, with the program on the PATH',
  tasks: [terraformCliTask, awsCliTask],
};
