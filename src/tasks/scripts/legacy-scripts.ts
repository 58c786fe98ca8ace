/**
 * The deprecated `io.kestra.core.tasks.scripts.Bash`, `Python` and `Node` tasks of `kestra-io/plugin-scripts`,
 * still found in older flows and blueprints, on the Process runner (their default). The definitions;
 * the runner (legacy-scripts-run.ts) is imported when one first runs.
 */
import type { LegacyLanguage } from '../../scripts/legacy-script.js';
import { defineTask, type PropertyDefinition, type TaskDefinition } from '../definition.js';
import { scriptProperty, SCRIPT_SCHEMAS } from './scripts.js';

const { stringList, stringMap, flag } = SCRIPT_SCHEMAS;

/** Kestra's `AbstractBash` properties. */
const ABSTRACT_BASH: Readonly<Record<string, PropertyDefinition>> = {
  runner: scriptProperty({ enum: ['PROCESS', 'DOCKER'] }, 'Default PROCESS; DOCKER is noted in one log line and runs locally too.'),
  dockerOptions: scriptProperty({ type: 'object' }, 'Not used locally (one log line names the image).'),
  interpreter: scriptProperty({ type: 'string' }, 'Default `/bin/sh`.'),
  interpreterArgs: scriptProperty(stringList, 'Default `["-c"]`.'),
  exitOnFailed: scriptProperty(flag, 'Stop at the first failing command (`set -o errexit`); default true.'),
  outputFiles: scriptProperty(
    stringList,
    'Keys: each gets an empty file at `{{ outputFiles.key }}`, stored after the run (output `outputFiles.key`).',
  ),
  outputsFiles: scriptProperty(stringList, 'Deprecated: `outputFiles`.', { deprecated: true }),
  files: scriptProperty(stringList, 'Deprecated: `outputFiles`.', { deprecated: true }),
  outputDirs: scriptProperty(stringList, 'Keys: each gets a folder at `{{ outputDirs.key }}` whose files are stored.', {
    deprecated: true,
  }),
  inputFiles: scriptProperty(stringMap, 'Files created in the working directory: name → content or kestra:// URI.'),
  env: scriptProperty(stringMap, 'Environment variables of the process.'),
  warningOnStdErr: scriptProperty(flag, 'Accepted; not used (as in Kestra).', { deprecated: true }),
};

const LANGUAGE_PROPERTIES: Record<LegacyLanguage, Readonly<Record<string, PropertyDefinition>>> = {
  bash: { commands: scriptProperty(stringList, 'The commands, joined into one script run by the interpreter.', { required: true }) },
  python: {
    pythonPath: scriptProperty({ type: 'string' }, 'Default `python` (python3 when only that is installed).'),
    args: scriptProperty(stringList, 'Arguments added to each command.'),
    requirements: scriptProperty(stringList, 'Installed with pip into the virtualenv (needs the network).'),
    commands: scriptProperty(stringList, 'Default `./bin/python main.py` (`main.py` from `inputFiles`).'),
    virtualEnv: scriptProperty(flag, 'Make a virtualenv in the working directory first; default true.'),
    packageManager: scriptProperty({ enum: ['PIP', 'UV'] }, 'Default PIP.'),
  },
  node: {
    nodePath: scriptProperty({ type: 'string' }, 'Default `node`.'),
    npmPath: scriptProperty({ type: 'string' }, 'Default `npm` (`npm i` runs when `inputFiles` has a package.json).'),
    args: scriptProperty(stringList, 'Arguments given to main.js.'),
  },
};

function legacyScriptTask(type: string, language: LegacyLanguage): TaskDefinition {
  return defineTask({
    type,
    title: `(Deprecated in Kestra) Run ${language === 'bash' ? 'shell commands' : language === 'python' ? 'main.py' : 'main.js'} as a local process; outputs vars, exitCode, outputFiles.`,
    properties: { ...LANGUAGE_PROPERTIES[language], ...ABSTRACT_BASH },
    outputs: {
      vars: { kind: 'map' },
      exitCode: { kind: 'integer' },
      stdOutLineCount: { kind: 'integer' },
      stdErrLineCount: { kind: 'integer' },
      outputFiles: { kind: 'map' },
      files: { kind: 'map' },
    },
    async run(ctx) {
      return (await import('./legacy-scripts-run.js')).runLegacyScriptTask(ctx, language);
    },
  });
}

export const LEGACY_SCRIPT_TASKS: readonly TaskDefinition[] = [
  legacyScriptTask('io.kestra.core.tasks.scripts.Bash', 'bash'),
  legacyScriptTask('io.kestra.core.tasks.scripts.Python', 'python'),
  legacyScriptTask('io.kestra.core.tasks.scripts.Node', 'node'),
];
