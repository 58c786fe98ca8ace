/**
 * A sample of Kestra's public blueprints (github.com/kestra-io/blueprints, flows/*.yaml, commit
 * b071d1615188585765a96d9e11302654bd563061), copied unchanged under test/flow/blueprints/ with one
 * comment line naming the source: each is accepted by `pebbleflow validate` as it is — `extend:`
 * block included — and uses something pebbleflow did not accept before (AnsibleCLI, DbtCLI,
 * TerraformCLI, git PushFlows/SyncNamespaceFiles, Pause pauseDuration/behavior, the Webhook
 * trigger's wait/returnOutputs). The whole set is measured by `npm run bench -- blueprints DIR`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../support/cli.js';

const DIR = join(process.cwd(), 'test', 'flow', 'blueprints');

test('pebbleflow validate accepts the sample of public blueprints as they are', async () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  expect(files.length).toBeGreaterThanOrEqual(7);
  const r = await cli(['validate', DIR]);
  expect(r.stdout).toContain(`${files.length} checked, 0 invalid`);
  expect(r.code).toBe(0);
}, 60_000);
