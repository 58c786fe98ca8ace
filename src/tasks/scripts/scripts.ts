/**
 * The script tasks of `kestra-io/plugin-scripts` (`Commands` and `Script` of shell, Python, Node.js,
 * Ruby, Perl, PHP, Lua, R, Julia, Go, PowerShell, Deno, Bun, Groovy, .NET and JBang), on the Process
 * task runner, with the program of the language found on the PATH (see src/scripts/languages.ts). Properties are rendered by the script runner itself, with
 * `workingDir`, `outputDir` and `outputFiles` as extra variables, as Kestra's task runners render them.
 * The definitions; the script runner (scripts-run.ts) is imported when a script task first runs.
 */
import type { ScriptLanguage } from '../../scripts/script-task.js';
import type { JsonSchema } from '../../flow/schema.js';
import { JBANG, SCRIPT_LANGUAGES, scriptLanguage } from '../../scripts/languages.js';
import { defineTask, type PropertyDefinition, type TaskDefinition } from '../definition.js';

/** A script property: read raw (the script runner renders it with `workingDir` and the other extra variables). */
export const scriptProperty = (schema: JsonSchema, description: string, extra: Partial<PropertyDefinition> = {}): PropertyDefinition => ({
  kind: 'any',
  dynamic: false,
  schema,
  description,
  ...extra,
});
const stringList: JsonSchema = {
  anyOf: [{ type: 'array', items: { type: ['string', 'number', 'boolean'] } }, { type: 'string' }],
  'x-expected': 'a list of strings',
};
const stringMap: JsonSchema = {
  anyOf: [{ type: 'object' }, { type: 'string' }],
  'x-expected': 'a map, or an expression giving a JSON object',
};
const flag: JsonSchema = { type: ['boolean', 'string'] };
export const SCRIPT_SCHEMAS = { stringList, stringMap, flag } as const;

/** Kestra's `AbstractExecScript` properties. */
export const EXEC_PROPERTIES: Readonly<Record<string, PropertyDefinition>> = {
  beforeCommands: scriptProperty(stringList, 'Run before the commands, in the same shell.'),
  env: scriptProperty(stringMap, 'Environment variables of the process.'),
  interpreter: scriptProperty(stringList, 'Default `["/bin/sh", "-c"]`.'),
  failFast: scriptProperty(flag, 'Stop at the first failing command (`set -e`); default true.'),
  warningOnStdErr: scriptProperty(flag, 'Accepted; as in Kestra ≥ 0.23, output on stderr does not change the state.', { deprecated: true }),
  inputFiles: scriptProperty(stringMap, 'Files created in the working directory: name → content or kestra:// URI.'),
  outputFiles: scriptProperty(stringList, 'Globs of working-directory files stored after the run (output `outputFiles`).'),
  namespaceFiles: scriptProperty(
    { type: 'object', properties: { enabled: flag, include: stringList, exclude: stringList } },
    'Copy namespace files into the working directory.',
  ),
  outputDirectory: scriptProperty(flag, 'Create `{{ outputDir }}`; its files are stored.', { deprecated: true }),
  containerImage: scriptProperty({ type: 'string' }, 'Not used locally (one log line says so).'),
  taskRunner: scriptProperty(
    { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
    'Process runs locally; container runners are noted and run locally too.',
  ),
  runner: scriptProperty({ enum: ['DOCKER', 'PROCESS'] }, 'Deprecated: use taskRunner.', { deprecated: true }),
  docker: scriptProperty({ type: 'object' }, 'Deprecated Docker options: not used locally.', { deprecated: true }),
  targetOS: scriptProperty({ enum: ['LINUX', 'WINDOWS', 'AUTO'] }, 'Accepted; commands run on this machine.'),
};

const PYTHON_PROPERTIES: Readonly<Record<string, PropertyDefinition>> = {
  dependencies: scriptProperty(
    stringList,
    'Installed with pip before the run, into a temporary folder of the task first on PYTHONPATH (cached in the storage, see dependencyCacheEnabled).',
  ),
  pythonVersion: scriptProperty(
    { type: 'string' },
    'The version in the dependency cache key (default: the local python3 --version); the local python3 runs.',
  ),
  packageManager: scriptProperty({ enum: ['PIP', 'UV'] }, 'Accepted; pip is used.'),
  dependencyCacheEnabled: scriptProperty(
    flag,
    'Default true: the installed dependencies are kept in the storage after a successful run and unpacked by the next run with the same requirements.',
  ),
  uvAutoInstallEnabled: scriptProperty(flag, 'Accepted; not used.'),
};

const JBANG_PROPERTIES: Readonly<Record<string, PropertyDefinition>> = {
  extension: scriptProperty({ type: 'string' }, 'The extension of the script file; default `.java`.'),
  quiet: scriptProperty(flag, 'Run jbang with `--quiet`; default true.'),
};

function scriptTask(type: string, aliases: readonly string[], language: ScriptLanguage, mode: 'commands' | 'script'): TaskDefinition {
  const spec = scriptLanguage(language);
  const own = {
    ...(language === 'python' ? PYTHON_PROPERTIES : {}),
    ...(language === 'jbang' && mode === 'script' ? JBANG_PROPERTIES : {}),
  };
  const main: Record<string, PropertyDefinition> =
    mode === 'commands'
      ? { commands: scriptProperty(stringList, 'The commands, joined into one script run by the interpreter.', { required: true }) }
      : {
          script: scriptProperty(
            { type: 'string' },
            language === 'shell'
              ? 'The script, run by the interpreter.'
              : `Written to a \`${spec.extension ?? ''}\` file and run with \`${spec.program ?? language}\`.`,
            {
              required: true,
            },
          ),
        };
  return defineTask({
    type,
    aliases,
    title: `Run ${spec.title} ${mode === 'commands' ? 'commands' : 'an inline script'} as a local process; outputs vars, exitCode, outputFiles.`,
    properties: { ...main, ...EXEC_PROPERTIES, ...own },
    outputs: { vars: { kind: 'map' }, exitCode: { kind: 'integer' }, outputFiles: { kind: 'map' } },
    run: async (ctx) => (await import('./scripts-run.js')).runAsScriptTask(ctx, { language, mode }),
  });
}

/** `Commands` and `Script` of every language of plugin-scripts with the `AbstractExecScript` shape. */
export const SCRIPT_TASKS: readonly TaskDefinition[] = [...SCRIPT_LANGUAGES, JBANG].flatMap((l) => [
  scriptTask(`io.kestra.plugin.scripts.${l.id}.Commands`, [], l.id, 'commands'),
  scriptTask(`io.kestra.plugin.scripts.${l.id}.Script`, [], l.id, 'script'),
]);
