/**
 * The deprecated script tasks of `kestra-io/plugin-scripts` that older flows still use:
 * `io.kestra.core.tasks.scripts.Bash`, `Python` and `Node` (Kestra's `AbstractBash`). They differ
 * from the current ones: `outputFiles` (and the older `outputsFiles`, `files`) name *keys* — each gets
 * an empty file whose path is `{{ outputFiles.key }}` — instead of globs, `outputDirs` name folders,
 * `interpreter` is one string with `interpreterArgs`, `exitOnFailed` adds `set -o errexit`, the default
 * runner is PROCESS, and Python and Node run `main.py` / `main.js` from `inputFiles` (Python in a fresh
 * virtualenv made in the working directory, with `requirements` installed by pip).
 */
import { mkdir, mkdtemp, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomId, type RunStorage } from '../storage/run-storage.js';
import { WorkingDir } from '../storage/working-dir.js';
import { PYTHON_KESTRA_MODULE } from './python-kestra.js';
import {
  baseEnvironment,
  boolProp,
  checkFileName,
  listProp,
  logContainerNotUsed,
  mapProp,
  onPath,
  replaceInternalStorage,
  runCommand,
  ScriptFailedError,
  ScriptPropertyError,
  storeOutputFiles,
  stringProp,
  writeInputFiles,
  type ScriptHost,
} from './script-task.js';

export type LegacyLanguage = 'bash' | 'python' | 'node';

/** Kestra's deprecated `io.kestra.core.tasks.scripts.ScriptOutput`. */
export interface LegacyScriptOutputs {
  readonly vars: Record<string, unknown>;
  readonly exitCode: number;
  readonly stdOutLineCount: number;
  readonly stdErrLineCount: number;
  /** Deprecated twin of `outputFiles`. */
  readonly files: Record<string, string>;
  /** Key (or `dir/relative path` for `outputDirs`) → `kestra:///…` URI. */
  readonly outputFiles: Record<string, string>;
}

/** What Kestra's Node task puts in the working directory as `kestra.js` (`require('./kestra')`). */
export const NODE_KESTRA_MODULE = `// pebbleflow's copy of the helper Kestra's deprecated Node task provides: it prints Kestra's output protocol.
function send(map) {
  console.log('::' + JSON.stringify(map) + '::');
}
function metric(name, type, value, tags) {
  send({ metrics: [{ name: name, type: type, value: value, tags: tags || {} }] });
}
function Kestra() {}
Kestra._send = send;
Kestra._metrics = metric;
Kestra.outputs = function (outputs) {
  send({ outputs: outputs });
};
Kestra.counter = function (name, value, tags) {
  metric(name, 'counter', value, tags);
};
Kestra.timer = function (name, duration, tags) {
  if (typeof duration !== 'function') return metric(name, 'timer', duration, tags);
  const start = Date.now();
  duration(function () {
    metric(name, 'timer', (Date.now() - start) / 1000, tags);
  });
};
module.exports = Kestra;
`;

const RUNNERS = new Set(['PROCESS', 'DOCKER']);
const MAIN_FILE: Record<Exclude<LegacyLanguage, 'bash'>, string> = { python: 'main.py', node: 'main.js' };
const DEFAULT_PYTHON_COMMAND = './bin/python main.py';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Kestra names an output file `<key>_<random>.tmp` (`File.createTempFile`, the prefix padded to 3 characters). */
function tempName(key: string, suffix: string): string {
  const prefix = `${key}_`.padStart(3, '_');
  return `${prefix}${randomId()}${suffix}`;
}

export async function runLegacyScript(
  host: ScriptHost,
  props: Record<string, unknown>,
  language: LegacyLanguage,
): Promise<LegacyScriptOutputs> {
  const runner = ((await stringProp(host, props, 'runner', {})) ?? 'PROCESS').trim().toUpperCase();
  if (!RUNNERS.has(runner)) throw new ScriptPropertyError(`Invalid value for \`runner\`: expected PROCESS or DOCKER, got \`${runner}\``);
  if (runner === 'DOCKER') {
    const options = props['dockerOptions'];
    const image = isRecord(options) && typeof options['image'] === 'string' ? await host.render(options['image'], {}) : undefined;
    logContainerNotUsed(host, 'INFO', 'the DOCKER runner', image);
  }
  const ownDir = host.workingDir === undefined;
  const wd = host.workingDir ?? (await WorkingDir.create());
  try {
    return await runIn(host, wd, props, language);
  } finally {
    if (ownDir) await wd.cleanup().catch(() => undefined);
  }
}

async function runIn(
  host: ScriptHost,
  wd: WorkingDir,
  props: Record<string, unknown>,
  language: LegacyLanguage,
): Promise<LegacyScriptOutputs> {
  host.log('INFO', `Running script with working directory: ${wd.path}`);
  const extra: Record<string, unknown> = { workingDir: wd.path };

  // Output files: one empty file per key, its path given to the commands as {{ outputFiles.key }}.
  const keys = [
    ...((await listProp(host, props, 'outputFiles', {})) ?? []),
    ...((await listProp(host, props, 'outputsFiles', {})) ?? []),
    ...((await listProp(host, props, 'files', {})) ?? []),
  ];
  const outputFilePaths: Record<string, string> = {};
  for (const key of keys) {
    checkFileName(key, 'outputFile');
    outputFilePaths[key] = await wd.createFile(tempName(key, '.tmp'), '');
  }
  if (keys.length > 0) {
    extra['outputFiles'] = outputFilePaths;
    extra['temp'] = outputFilePaths;
  }
  const dirKeys = (await listProp(host, props, 'outputDirs', {})) ?? [];
  const outputDirPaths: Record<string, string> = {};
  for (const key of dirKeys) {
    checkFileName(key, 'outputFile');
    const parent = dirname(key) === '.' ? wd.path : await wd.resolve(dirname(key));
    await mkdir(parent, { recursive: true });
    outputDirPaths[key] = await mkdtemp(join(parent, `${basename(key)}_`));
  }
  if (dirKeys.length > 0) extra['outputDirs'] = outputDirPaths;

  const inputFiles = (await mapProp(host, props, 'inputFiles', extra)) ?? {};
  if (language !== 'bash') checkMainFile(props, inputFiles, language);
  if (language === 'python') inputFiles['kestra.py'] = PYTHON_KESTRA_MODULE;
  if (language === 'node') inputFiles['kestra.js'] = NODE_KESTRA_MODULE;
  await writeInputFiles(host, wd, inputFiles);

  const env = baseEnvironment(host);
  Object.assign(env, (await mapProp(host, props, 'env', {})) ?? {});
  if (language === 'python') env['PYTHONUNBUFFERED'] = 'true';
  env['WORKING_DIR'] = wd.path;

  const exitOnFailed = await boolProp(host, props, 'exitOnFailed', true);
  const lines =
    language === 'bash'
      ? await bashLines(host, props, extra)
      : language === 'python'
        ? await pythonLines(host, props, extra, wd, env)
        : await nodeLines(host, props, extra, 'package.json' in inputFiles);
  const script = await replaceInternalStorage(host, wd, [...(exitOnFailed ? ['set -o errexit'] : []), ...lines].join('\n'), new Map());

  const interpreter = (await stringProp(host, props, 'interpreter', {})) ?? '/bin/sh';
  const interpreterArgs = (await listProp(host, props, 'interpreterArgs', {})) ?? ['-c'];
  const run = await runCommand(host, wd, [interpreter, ...interpreterArgs, script], env);
  if (run.exitCode !== 0) {
    // As Kestra: the files are not stored when the command fails; exitCode and vars are kept.
    throw new ScriptFailedError(`Command failed with exit code ${run.exitCode}`, {
      outputs: { vars: run.vars, exitCode: run.exitCode, outputFiles: {} },
      metrics: run.metrics,
      stdOutLineCount: run.stdOutLineCount,
      stdErrLineCount: run.stdErrLineCount,
    });
  }
  const uploaded = await storeKeyedFiles(host, outputFilePaths);
  for (const [key, dir] of Object.entries(outputDirPaths)) {
    for (const [relative, uri] of Object.entries(await storeOutputFiles(host.storage, wd, ['**'], await WorkingDir.at(dir))))
      uploaded[`${key}/${relative}`] = uri;
  }
  return {
    vars: run.vars,
    exitCode: run.exitCode,
    stdOutLineCount: run.stdOutLineCount,
    stdErrLineCount: run.stdErrLineCount,
    files: uploaded,
    outputFiles: { ...uploaded },
  };
}

/** Python and Node need their main file, as Kestra checks it (Python only while `commands` is the default). */
function checkMainFile(props: Record<string, unknown>, inputFiles: Record<string, string>, language: 'python' | 'node'): void {
  const main = MAIN_FILE[language];
  if (main in inputFiles) return;
  const commands = props['commands'];
  const defaultCommands =
    commands === undefined || (Array.isArray(commands) && commands.length === 1 && commands[0] === DEFAULT_PYTHON_COMMAND);
  if (language === 'python' && !defaultCommands) return;
  const what = language === 'python' ? 'python' : 'javascript';
  throw new ScriptPropertyError(
    `Invalid input files structure, expecting inputFiles property to contain at least a ${main} key with ${what} code value.`,
  );
}

async function storeKeyedFiles(host: ScriptHost, paths: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const storage: RunStorage = host.storage;
  const out: Record<string, string> = {};
  for (const [key, path] of Object.entries(paths)) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile() !== true) {
      host.log('DEBUG', `Output file not found or is not a file: ${path}`);
      continue;
    }
    out[key] = await storage.putFile(path);
  }
  return out;
}

async function bashLines(host: ScriptHost, props: Record<string, unknown>, extra: Readonly<Record<string, unknown>>): Promise<string[]> {
  const commands = await listProp(host, props, 'commands', extra);
  if (commands === undefined || commands.length === 0) throw new ScriptPropertyError('Missing required property `commands`');
  return commands;
}

/** Kestra's Python task: a virtualenv made in the working directory (`./bin/python`), `requirements` installed with pip, then the commands with `args`. */
async function pythonLines(
  host: ScriptHost,
  props: Record<string, unknown>,
  extra: Readonly<Record<string, unknown>>,
  wd: WorkingDir,
  env: Record<string, string>,
): Promise<string[]> {
  let python = (await stringProp(host, props, 'pythonPath', extra)) ?? 'python';
  // Kestra's default `python` is often called python3 on a workstation.
  if (python === 'python' && !(await onPath('python', env)) && (await onPath('python3', env))) python = 'python3';
  const args = await listProp(host, props, 'args', extra);
  const requirements = (await listProp(host, props, 'requirements', extra)) ?? [];
  const virtualEnv = await boolProp(host, props, 'virtualEnv', true);
  const uv = ((await stringProp(host, props, 'packageManager', {})) ?? 'PIP').trim().toUpperCase() === 'UV';
  const lines: string[] = [];
  if (virtualEnv) {
    if (uv) {
      lines.push('uv venv --system-site-packages .venv > /dev/null');
      if (requirements.length > 0) lines.push(`uv pip install --python ./.venv/bin/python ${requirements.join(' ')} > /dev/null`);
    } else {
      lines.push(`${python} -m venv --system-site-packages ${wd.path} > /dev/null`);
      if (requirements.length > 0)
        lines.push('./bin/pip install pip --upgrade > /dev/null', `./bin/pip install ${requirements.join(' ')} > /dev/null`);
    }
  }
  const suffix = args === undefined || args.length === 0 ? '' : ` ${args.join(' ')}`;
  for (const command of (await listProp(host, props, 'commands', extra)) ?? [DEFAULT_PYTHON_COMMAND]) {
    const line = `${command}${suffix}`;
    lines.push(uv && line.startsWith('./bin/python') ? `./.venv/bin/python${line.slice('./bin/python'.length)}` : line);
  }
  return lines;
}

/** Kestra's Node task: `npm i` when `package.json` is given, then `node main.js` with `args`. */
async function nodeLines(
  host: ScriptHost,
  props: Record<string, unknown>,
  extra: Readonly<Record<string, unknown>>,
  hasPackageJson: boolean,
): Promise<string[]> {
  const node = (await stringProp(host, props, 'nodePath', extra)) ?? 'node';
  const npm = (await stringProp(host, props, 'npmPath', extra)) ?? 'npm';
  const args = await listProp(host, props, 'args', extra);
  const lines: string[] = [];
  // A node given by path: its folder joins the PATH (npm scripts find it there).
  if (node.includes('/')) lines.push(`PATH="$PATH:${dirname(node)}"`);
  if (hasPackageJson) lines.push(`${npm} i > /dev/null`);
  lines.push(`${node} main.js${args === undefined || args.length === 0 ? '' : ` ${args.join(' ')}`}`);
  return lines;
}
