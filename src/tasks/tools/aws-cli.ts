/** AwsCLI's run, imported on first use (the definition is in index.ts). */
import { runAsScriptTask, scriptHost } from '../scripts/scripts-run.js';
import { stringProp } from '../../scripts/script-task.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

export async function runAwsCli(ctx: TaskRunContext): Promise<TaskResult> {
  const host = scriptHost(ctx);
  const props = ctx.task.properties;
  const read = (name: string): Promise<string | undefined> => stringProp(host, props, name, {});
  const env: Record<string, string> = {};
  const secret = async (name: string, variable: string): Promise<void> => {
    const value = await read(name);
    if (value === undefined) return;
    ctx.sensitive(value);
    env[variable] = value;
  };
  await secret('accessKeyId', 'AWS_ACCESS_KEY_ID');
  await secret('secretKeyId', 'AWS_SECRET_ACCESS_KEY');
  await secret('sessionToken', 'AWS_SESSION_TOKEN');
  const region = await read('region');
  if (region !== undefined) env['AWS_DEFAULT_REGION'] = region;
  const endpoint = await read('endpointOverride');
  if (endpoint !== undefined) env['AWS_ENDPOINT_URL'] = endpoint;
  env['AWS_DEFAULT_OUTPUT'] = ((await read('outputFormat')) ?? 'JSON').toLowerCase();
  const sts: string[] = [];
  const configure = async (name: string, key: string, transform = (v: string): string => v): Promise<void> => {
    const value = await read(name);
    if (value !== undefined) sts.push(`aws configure set ${key} ${transform(value)}`);
  };
  await configure('stsRoleArn', 'role_arn');
  await configure('stsRoleSessionName', 'role_session_name');
  await configure('stsRoleExternalId', 'external_id');
  await configure('stsRoleSessionDuration', 'duration_seconds', (v) => String(Math.floor(durationSeconds(v))));
  await configure('stsCredentialSource', 'credential_source', (v) =>
    v === 'EC2_INSTANCE_METADATA' ? 'Ec2InstanceMetadata' : v === 'ECS_CONTAINER' ? 'EcsContainer' : 'Environment',
  );
  return runAsScriptTask(ctx, {
    language: 'aws',
    mode: 'commands',
    // Kestra runs the STS commands and then the user's as one list, without `set -e`.
    hooks: { env, failFast: false, commands: (list) => [...sts, ...list] },
  });
}

/** Seconds of an ISO-8601 duration (PT1H, PT15M, PT900S). */
function durationSeconds(text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (m === null) return Number(text);
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}
