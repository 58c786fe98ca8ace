/** The dbt family (plugin-dbt): the definition; `run` imports the implementation on first use. */
import type { TaskFamily } from '../bundled.js';
import { defineTask } from '../definition.js';
import { EXEC_PROPERTIES, scriptProperty, SCRIPT_SCHEMAS } from '../scripts/scripts.js';

const { stringList, flag } = SCRIPT_SCHEMAS;
const kvRef = {
  type: 'object',
  required: ['key', 'namespace'],
  properties: { key: { type: 'string' }, namespace: { type: 'string' } },
} as const;

export const dbtCliTask = defineTask({
  type: 'io.kestra.plugin.dbt.cli.DbtCLI',
  title:
    'Run dbt commands as a local process; dbt logs parsed, manifest.json and run_results.json stored; outputs vars, exitCode, outputFiles.',
  properties: {
    commands: scriptProperty(
      stringList,
      'The commands (dbt deps, dbt build…); those starting with `dbt` get --project-dir, --log-format, --log-path.',
      {
        required: true,
      },
    ),
    ...EXEC_PROPERTIES,
    profiles: scriptProperty({ type: 'string' }, 'The content of profiles.yml, written in the working directory.'),
    projectDir: scriptProperty({ type: 'string' }, 'The dbt project folder, relative to the working directory.'),
    parseRunResults: scriptProperty(flag, 'Log and store target/run_results.json; default true.'),
    logFormat: scriptProperty({ enum: ['JSON', 'TEXT', 'DEBUG', 'NONE'] }, "dbt's --log-format; default JSON (parsed into log lines)."),
    engine: scriptProperty({ enum: ['CORE', 'FUSION'] }, 'Accepted; the local `dbt` is used.'),
    storeManifest: scriptProperty(kvRef, 'Keep target/manifest.json in the KV store under this key and namespace.'),
    loadManifest: scriptProperty(kvRef, 'Write the manifest kept in the KV store as target/manifest.json before the run.'),
    containerImage: scriptProperty({ type: 'string' }, "Kestra's default `ghcr.io/kestra-io/dbt`; not used locally."),
  },
  outputs: { vars: { kind: 'map' }, exitCode: { kind: 'integer' }, outputFiles: { kind: 'map' } },
  async run(ctx) {
    const { runDbtCli } = await import('./dbt-cli.js');
    return runDbtCli(ctx);
  },
});

export const dbtFamily: TaskFamily = {
  name: 'dbt',
  description: 'dbt projects with the dbt program on the PATH',
  tasks: [dbtCliTask],
};
