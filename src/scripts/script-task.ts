/**
 * Kestra's script tasks (`io.kestra.plugin.scripts.{shell,python,node}.{Commands,Script}`) on the
 * `Process` task runner: the task's files are prepared in a working directory (namespace files,
 * `inputFiles`, `kestra://` URIs named in the commands), the commands run as one child process
 * (`interpreter` + `set -e` + `beforeCommands` + `commands`, as Kestra's `CommandsWrapper` joins them),
 * the output protocol fills `vars`, and `outputFiles` globs are stored. Kestra's default runner is
 * Docker; here there is no container: a `containerImage` or Docker runner is noted in one log line.
 *
 * Everything it needs from the flow runner comes through `ScriptHost`, so it runs the same under
 * any runner (and in tests with a real engine and storage).
 */
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { LogLevel } from '../flow/schema.js';
import type { NamespaceFilesOptions } from '../storage/namespace-files.js';
import { randomId, type RunStorage } from '../storage/run-storage.js';
import { isStorageUri, parseStorageUri } from '../storage/uri.js';
import { WorkingDir } from '../storage/working-dir.js';
import { scriptLanguage, type ScriptLanguageSpec } from './languages.js';
import { runProcess } from './process.js';
import { preparePythonDependencies, prependPythonPath, type PythonDependencies } from './python-dependencies.js';
import { writePythonKestraModule } from './python-kestra.js';
import { parseProtocolLine, type ScriptMetric } from './protocol.js';

/** What a script task needs from the run it is part of. */
export interface ScriptHost {
  /** The task run's view of the storage (reads are scope-checked, writes go under the task run). */
  readonly storage: RunStorage;
  /** The folder shared by a `WorkingDirectory` parent; absent: a fresh one is created and removed. */
  readonly workingDir?: WorkingDir;
  /** Aborted on timeout or cancellation: the process group is killed. */
  readonly signal: AbortSignal;
  /** Renders a template with the task's context plus `extra` variables (`workingDir`, `outputDir`…). */
  render(template: string, extra: Readonly<Record<string, unknown>>): Promise<string>;
  log(level: LogLevel, message: string): void;
  /** The task's type, as the flow names it (the Python dependency cache is per type, as Kestra's). */
  readonly taskType?: string;
  /** The environment the child process inherits (default: this process's, without `SECRET_*`). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
}

/** A language of `SCRIPT_LANGUAGES` (`shell`, `python`, `node`, `ruby`, `perl`…; see languages.ts). */
export type ScriptLanguage = string;

export interface ScriptTaskKind {
  readonly language: ScriptLanguage;
  /** `commands`: the `commands` list; `script`: an inline `script` written to a file and run with the language's program (shell: run as is). */
  readonly mode: 'commands' | 'script';
  /** Tasks built on the script shape (dbt, Ansible) adjust it with these. */
  readonly hooks?: ScriptHooks;
}

/** How a CLI task built on the script runner (dbt, Ansible) differs from a plain `Commands`. */
export interface ScriptHooks {
  /** Files written in the working directory after `inputFiles` (a name the flow's `inputFiles` has wins). */
  files?(extra: Readonly<Record<string, unknown>>): Promise<Readonly<Record<string, string>>>;
  /** Rewrites the rendered commands (dbt appends `--log-format json`…). */
  commands?(commands: readonly string[]): string[];
  /** Commands run after the user's `beforeCommands`. */
  readonly beforeCommands?: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** The default interpreter (Ansible: `/bin/bash -c`). */
  readonly interpreter?: readonly string[];
  /** `failFast` default. */
  readonly failFast?: boolean;
  /** Sees every output line first; answers true when it consumed it (then it is neither logged nor read as protocol). */
  readonly line?: (line: string, isStdErr: boolean, vars: Record<string, unknown>) => boolean;
  /** After the process ended (also on a non-zero exit): may add outputs and stored files. */
  after?(wd: WorkingDir, outputs: { vars: Record<string, unknown>; outputFiles: Record<string, string> }): Promise<void>;
}

/** A program the task needs is not on the PATH: the message names it and what to install. */
export class ScriptDependencyError extends PebbleflowError<'DEPENDENCY_MISSING'> {
  constructor(message: string) {
    super('DEPENDENCY_MISSING', message);
  }
}

/** The error for a language's missing program. */
export function missingProgram(spec: ScriptLanguageSpec, mode: 'commands' | 'script', program: string): ScriptDependencyError {
  const alternatives =
    spec.alternatives === undefined || spec.alternatives.length === 0
      ? ''
      : ` (nor ${spec.alternatives.map((a) => `\`${a}\``).join(', ')})`;
  return new ScriptDependencyError(
    `The ${spec.title} ${mode === 'script' ? 'script' : 'commands'} need${mode === 'script' ? 's' : ''} the ${spec.noun ?? 'interpreter'} \`${program}\`, which is not on the PATH${alternatives}: install ${spec.install ?? program}, or run the task where it is installed (Kestra runs it in the container image '${spec.image}')`,
  );
}

export interface ScriptOutputs {
  /** Values sent with `::{"outputs": …}::`, with their JSON types. */
  readonly vars: Record<string, unknown>;
  readonly exitCode: number;
  /** Stored `outputFiles` (and `outputDir` files): relative path → `kestra:///…` URI. */
  readonly outputFiles: Record<string, string>;
}

export interface ScriptResult {
  readonly outputs: ScriptOutputs;
  readonly metrics: readonly ScriptMetric[];
  readonly stdOutLineCount: number;
  readonly stdErrLineCount: number;
}

/** A non-zero exit: FAILED, with the outputs gathered so far (Kestra's `RunnableTaskException`); the task turns it into a TaskError. */
export class ScriptFailedError extends PebbleflowError<'SCRIPT_FAILED'> {
  constructor(
    message: string,
    readonly result: ScriptResult,
  ) {
    super('SCRIPT_FAILED', message);
  }
}

/** A property value a user got wrong, named, with what was expected; the task turns it into a TaskError. */
export class ScriptPropertyError extends PebbleflowError<'INVALID_PROPERTY'> {
  constructor(message: string) {
    super('INVALID_PROPERTY', message);
  }
}

const INTERNAL_STORAGE = /kestra:\/\/[-a-zA-Z0-9%._+~#=/]*/g;
const DOCKER_RUNNER = 'io.kestra.plugin.scripts.runner.docker.Docker';
const PROCESS_RUNNERS = new Set(['io.kestra.plugin.core.runner.Process', 'io.kestra.core.models.tasks.runners.types.ProcessTaskRunner']);

// --- property reading -----------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A boolean property (literal or rendered); `fallback` when absent. */
export async function boolProp(
  host: ScriptHost,
  props: Record<string, unknown>,
  name: string,
  fallback: boolean,
  extra = {},
): Promise<boolean> {
  const raw = props[name];
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === 'boolean') return raw;
  const text = (await host.render(String(raw), extra)).trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new ScriptPropertyError(`Invalid value for \`${name}\`: expected true or false, got \`${String(raw)}\``);
}

/** A list of strings: a YAML list (each item rendered) or one expression rendering to a JSON list. */
export async function listProp(
  host: ScriptHost,
  props: Record<string, unknown>,
  name: string,
  extra: Readonly<Record<string, unknown>>,
): Promise<string[] | undefined> {
  const raw = props[name];
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw)) {
    const out: string[] = [];
    for (const item of raw) out.push(typeof item === 'string' ? await host.render(item, extra) : String(item));
    return out;
  }
  if (typeof raw === 'string') {
    const rendered = await host.render(raw, extra);
    try {
      const parsed: unknown = JSON.parse(rendered);
      if (Array.isArray(parsed)) return parsed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    } catch {
      // A single command written as a string.
    }
    return [rendered];
  }
  throw new ScriptPropertyError(`Invalid value for \`${name}\`: expected a list of strings`);
}

/** A map of strings (`env`, `inputFiles`): a YAML map (keys and values rendered) or an expression rendering to a JSON object. */
export async function mapProp(
  host: ScriptHost,
  props: Record<string, unknown>,
  name: string,
  extra: Readonly<Record<string, unknown>>,
): Promise<Record<string, string> | undefined> {
  const raw = props[name];
  if (raw === undefined || raw === null) return undefined;
  const out: Record<string, string> = {};
  if (isRecord(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      if (v === null || v === undefined) continue;
      const key = await host.render(k, extra);
      out[key] = typeof v === 'string' ? await host.render(v, extra) : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    return out;
  }
  if (typeof raw === 'string') {
    const rendered = await host.render(raw, extra);
    let parsed: unknown;
    try {
      parsed = JSON.parse(rendered);
    } catch {
      throw new ScriptPropertyError(
        `Invalid value for \`${name}\`: expected a map, or an expression giving a JSON object; got \`${rendered.slice(0, 200)}\``,
      );
    }
    if (!isRecord(parsed)) throw new ScriptPropertyError(`Invalid value for \`${name}\`: expected a JSON object`);
    for (const [k, v] of Object.entries(parsed)) if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return out;
  }
  throw new ScriptPropertyError(`Invalid value for \`${name}\`: expected a map of file names to contents`);
}

export async function stringProp(
  host: ScriptHost,
  props: Record<string, unknown>,
  name: string,
  extra: Readonly<Record<string, unknown>>,
): Promise<string | undefined> {
  const raw = props[name];
  if (raw === undefined || raw === null) return undefined;
  return host.render(typeof raw === 'string' ? raw : String(raw), extra);
}

// --- files --------------------------------------------------------------------------------------

/** Kestra's `validFilename`: input and output file names must be plain relative paths. */
export function checkFileName(name: string, what: string): void {
  if (name.startsWith('./') || name.startsWith('..') || name.startsWith('/')) {
    throw new ScriptPropertyError(`Invalid ${what} (only relative path is supported) for path '${name}'`);
  }
}

/** Copies a storage file into the working directory; the URI is scope-checked. */
async function materialize(host: ScriptHost, wd: WorkingDir, uri: string, relative: string): Promise<string> {
  const stream = await host.storage.getFile(uri);
  return wd.createFile(relative, stream);
}

/** Writes `inputFiles`: a `kestra://` value is copied from storage, `nsfile:///path` from the namespace files, anything else is the content. */
export async function writeInputFiles(host: ScriptHost, wd: WorkingDir, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    checkFileName(name, 'inputFile');
    if (isStorageUri(content)) await materialize(host, wd, content, name);
    else if (content.startsWith('nsfile:///'))
      await wd.createFile(name, await host.storage.namespaceFiles().get(content.slice('nsfile:///'.length)));
    else await wd.createFile(name, content);
  }
}

/** Copies the namespace files that `namespaceFiles` selects into the working directory. */
export async function loadNamespaceFiles(host: ScriptHost, wd: WorkingDir, options: NamespaceFilesOptions): Promise<number> {
  const files = await host.storage.namespaceFiles().matching(options);
  for (const file of files) await wd.createFile(file.path, await host.storage.namespaceFiles().get(file.path));
  return files.length;
}

/** Reads `namespaceFiles: { enabled, include, exclude }` (Kestra: present and not `enabled: false` means on). */
export async function namespaceFilesOption(host: ScriptHost, props: Record<string, unknown>): Promise<NamespaceFilesOptions | undefined> {
  const raw = props['namespaceFiles'];
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) throw new ScriptPropertyError('Invalid value for `namespaceFiles`: expected a map with enabled, include, exclude');
  const enabled = await boolProp(host, raw, 'enabled', true);
  if (!enabled) return undefined;
  const include = await listProp(host, raw, 'include', {});
  const exclude = await listProp(host, raw, 'exclude', {});
  return { enabled, ...(include === undefined ? {} : { include }), ...(exclude === undefined ? {} : { exclude }) };
}

/** Stores the working-directory files matching the globs; returns relative path → URI (Kestra's `FilesService.outputFiles`). */
export async function storeOutputFiles(
  storage: RunStorage,
  wd: WorkingDir,
  patterns: readonly string[] | undefined,
  base = wd,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const relative of await base.findAllFilesMatching(patterns)) {
    const name = relative.slice(relative.lastIndexOf('/') + 1);
    out[relative] = await storage.putFile(join(base.path, relative), `${randomId()}-${name}`);
  }
  return out;
}

/** Replaces every `kestra://` URI in a command by the path of a local copy (Kestra's `ScriptService.replaceInternalStorage`). */
export async function replaceInternalStorage(
  host: ScriptHost,
  wd: WorkingDir,
  command: string,
  cache: Map<string, string>,
): Promise<string> {
  const uris = [...new Set(command.match(INTERNAL_STORAGE) ?? [])];
  if (uris.length === 0) return command;
  for (const uri of uris) {
    if (cache.has(uri)) continue;
    const path = parseStorageUri(uri);
    const dot = path.name.lastIndexOf('.');
    const local = await materialize(host, wd, uri, `${randomId()}${dot > 0 ? path.name.slice(dot) : ''}`);
    cache.set(uri, local);
  }
  return command.replace(INTERNAL_STORAGE, (uri) => cache.get(uri) ?? uri);
}

// --- environment ----------------------------------------------------------------------------------

export function baseEnvironment(host: ScriptHost): Record<string, string> {
  const source = host.baseEnv ?? process.env;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) {
    // Kestra OSS reads secrets from SECRET_* variables: scripts do not inherit them (pass what a script needs with env + secret()).
    if (v !== undefined && !k.startsWith('SECRET_')) out[k] = v;
  }
  return out;
}

export async function onPath(command: string, env: Record<string, string>): Promise<boolean> {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      await access(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

/** The note about Kestra's container runners: one line, INFO when the flow asked for a container, DEBUG otherwise. */
async function noteContainer(host: ScriptHost, props: Record<string, unknown>, kind: ScriptTaskKind): Promise<void> {
  const runner = props['taskRunner'];
  const runnerType = isRecord(runner) && typeof runner['type'] === 'string' ? runner['type'] : undefined;
  if (runnerType !== undefined && PROCESS_RUNNERS.has(runnerType)) return;
  if (props['runner'] === 'PROCESS') return;
  const dockerImage = isRecord(props['docker']) && typeof props['docker']['image'] === 'string' ? props['docker']['image'] : undefined;
  const image =
    typeof props['containerImage'] === 'string'
      ? await host.render(props['containerImage'], {})
      : (dockerImage ?? scriptLanguage(kind.language).image);
  const asked =
    props['containerImage'] !== undefined || dockerImage !== undefined || runnerType !== undefined || props['runner'] === 'DOCKER';
  const runnerName = runnerType === undefined || runnerType === DOCKER_RUNNER ? 'the Docker task runner' : `the task runner ${runnerType}`;
  logContainerNotUsed(host, asked ? 'INFO' : 'DEBUG', runnerName, image);
}

/** The one line that says a container runner and its image are not used. */
export function logContainerNotUsed(host: ScriptHost, level: LogLevel, runnerName: string, image: string | undefined): void {
  host.log(
    level,
    `pebbleflow runs scripts as local processes: ${runnerName}${image === undefined ? '' : ` and the container image '${image}'`} ${image === undefined ? 'is' : 'are'} not used (the commands run on this machine with your user's rights)`,
  );
}

// --- running --------------------------------------------------------------------------------------

export async function runScriptTask(host: ScriptHost, props: Record<string, unknown>, kind: ScriptTaskKind): Promise<ScriptResult> {
  await noteContainer(host, props, kind);
  const ownDir = host.workingDir === undefined;
  const wd = host.workingDir ?? (await WorkingDir.create());
  // Python's helpers (the `kestra` stand-in, pip's --target) live outside the working directory so
  // that `outputFiles: ["**"]` and a shared WorkingDirectory never see them.
  const pythonDir = kind.language === 'python' ? await mkdtemp(join(tmpdir(), 'pebbleflow-python-')) : undefined;
  try {
    return await runIn(host, wd, props, kind, pythonDir);
  } finally {
    if (pythonDir !== undefined) await rm(pythonDir, { recursive: true, force: true }).catch(() => undefined);
    if (ownDir) await wd.cleanup().catch(() => undefined);
  }
}

async function runIn(
  host: ScriptHost,
  wd: WorkingDir,
  props: Record<string, unknown>,
  kind: ScriptTaskKind,
  pythonDir: string | undefined,
): Promise<ScriptResult> {
  const nsFiles = await namespaceFilesOption(host, props);
  if (nsFiles !== undefined) {
    const count = await loadNamespaceFiles(host, wd, nsFiles);
    host.log('DEBUG', `Loaded ${count} namespace file(s) into the working directory`);
  }

  // Variables the commands and files may use, as Kestra's Process runner provides them.
  const extra: Record<string, unknown> = { workingDir: wd.path };
  // Kestra's CommandsWrapper: off by default, on when the deprecated `runner` property is set.
  const outputDirEnabled = await boolProp(host, props, 'outputDirectory', props['runner'] !== undefined && props['runner'] !== null);
  if (outputDirEnabled) {
    const path = join(wd.path, randomId());
    await mkdir(path, { recursive: true });
    extra['outputDir'] = path;
  }
  const outputFiles = await listProp(host, props, 'outputFiles', extra);
  for (const name of outputFiles ?? []) checkFileName(name, 'outputFile');
  const plainOutputs = (outputFiles ?? []).filter((n) => !/[*?[]/.test(n));
  if (plainOutputs.length > 0) extra['outputFiles'] = Object.fromEntries(plainOutputs.map((n) => [n, `${wd.path}/${n}`]));

  const inputFiles = await mapProp(host, props, 'inputFiles', extra);
  if (inputFiles !== undefined) await writeInputFiles(host, wd, inputFiles);
  const hooks = kind.hooks ?? {};
  if (hooks.files !== undefined)
    for (const [name, content] of Object.entries(await hooks.files(extra)))
      if (inputFiles?.[name] === undefined) await wd.createFile(name, content);

  const cache = new Map<string, string>();
  const replace = async (commands: readonly string[]): Promise<string[]> => {
    const out: string[] = [];
    for (const c of commands) out.push(await replaceInternalStorage(host, wd, c, cache));
    return out;
  };

  const env = baseEnvironment(host);
  const userEnv = await mapProp(host, props, 'env', extra);
  Object.assign(env, hooks.env ?? {}, userEnv ?? {});
  env['WORKING_DIR'] = wd.path;
  if (extra['outputDir'] !== undefined) env['OUTPUT_DIR'] = String(extra['outputDir']);

  let commands: string[];
  if (kind.mode === 'commands') {
    const listed = await listProp(host, props, 'commands', extra);
    if (listed === undefined) throw new ScriptPropertyError('Missing required property `commands`');
    commands = await replace(hooks.commands === undefined ? listed : hooks.commands(listed));
  } else {
    const script = await stringProp(host, props, 'script', extra);
    if (script === undefined) throw new ScriptPropertyError('Missing required property `script`');
    const content = await replaceInternalStorage(host, wd, script, cache);
    commands = await scriptCommand(kind.language, wd, content, env, props, host, extra);
  }
  let python: readonly string[] = [];
  let dependencies: PythonDependencies | undefined;
  if (pythonDir !== undefined) {
    env['PYTHONUNBUFFERED'] = 'true';
    env['PIP_ROOT_USER_ACTION'] = 'ignore';
    env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1';
    // Last on the path: the user's PYTHONPATH and an installed `kestra` package come first.
    appendPath(env, 'PYTHONPATH', await writePythonKestraModule(pythonDir));
    dependencies = await pythonDependencies(host, props, pythonDir, env, extra);
    python = dependencies.commands;
  }
  const spec = scriptLanguage(kind.language);
  const userBefore = await listProp(host, props, 'beforeCommands', extra);
  const before = await replace([
    ...(kind.mode === 'script' ? (spec.scriptBeforeCommands ?? []) : []),
    ...(userBefore ?? []),
    ...(hooks.beforeCommands ?? []),
  ]);
  const interpreter = (await listProp(host, props, 'interpreter', extra)) ?? [
    ...(hooks.interpreter ?? spec.interpreter ?? ['/bin/sh', '-c']),
  ];
  if (interpreter.length === 0) throw new ScriptPropertyError('Invalid value for `interpreter`: it cannot be empty');
  const failFast = await boolProp(host, props, 'failFast', hooks.failFast ?? true);
  const effectiveBefore = [...(failFast ? (spec.exitOnError ?? ['set -e']) : []), ...python, ...before];
  const argv = [...interpreter, [...effectiveBefore, ...commands].join('\n')];
  // An inline script's program missing, with nothing before it that could install it: fail before running anything.
  if (
    kind.mode === 'script' &&
    spec.program !== undefined &&
    (userBefore ?? []).length === 0 &&
    (await resolveProgram(spec, env)) === undefined
  )
    throw missingProgram(spec, kind.mode, spec.program);

  let run: CommandRun;
  try {
    run = await runCommand(host, wd, argv, env, hooks.line);
  } catch (e) {
    // The language's own interpreter (pwsh) is missing: name what installs it.
    if (e instanceof ScriptDependencyError && interpreter[0] !== undefined && interpreter[0] === spec.interpreter?.[0])
      throw missingProgram(spec, kind.mode, interpreter[0]);
    throw e;
  }
  const { exitCode, vars, stdOutLineCount: stdOut, stdErrLineCount: stdErr } = run;
  const metrics = [...(dependencies?.metrics ?? []), ...run.metrics];
  // 127 is the shell's "command not found": when the language's program is not on the PATH, say so.
  if (exitCode === 127 && spec.program !== undefined && (await resolveProgram(spec, env)) === undefined)
    throw missingProgram(spec, kind.mode, spec.program);

  const stored = await storeOutputFiles(host.storage, wd, outputFiles);
  if (extra['outputDir'] !== undefined) {
    const dir = String(extra['outputDir']);
    Object.assign(stored, await storeOutputFiles(host.storage, await WorkingDir.at(dir), ['**']));
  }
  if (hooks.after !== undefined) await hooks.after(wd, { vars, outputFiles: stored });
  const result: ScriptResult = {
    outputs: { vars, exitCode, outputFiles: stored },
    metrics,
    stdOutLineCount: stdOut,
    stdErrLineCount: stdErr,
  };
  if (exitCode !== 0) throw new ScriptFailedError(`Command failed with exit code ${exitCode}`, result);
  // Kestra's Script/Commands upload the dependency cache once the run succeeded.
  if (dependencies !== undefined) metrics.push(...(await dependencies.afterSuccess()));
  return result;
}

/** What one run of a command gave: its exit code and what it said through Kestra's output protocol. */
export interface CommandRun {
  readonly exitCode: number;
  readonly vars: Record<string, unknown>;
  readonly metrics: ScriptMetric[];
  readonly stdOutLineCount: number;
  readonly stdErrLineCount: number;
}

/**
 * Runs `argv` in the working directory as Kestra's Process runner does: stdout lines logged at INFO,
 * stderr at ERROR, protocol lines (`::{"outputs": …}::`) read instead of logged.
 */
export async function runCommand(
  host: ScriptHost,
  wd: WorkingDir,
  argv: readonly string[],
  env: Record<string, string>,
  intercept?: (line: string, isStdErr: boolean, vars: Record<string, unknown>) => boolean,
): Promise<CommandRun> {
  const vars: Record<string, unknown> = {};
  const metrics: ScriptMetric[] = [];
  let stdOut = 0;
  let stdErr = 0;
  host.log(
    'DEBUG',
    `Starting command in ${wd.path}: ${argv.map((a) => (a.includes(' ') || a.includes('\n') ? JSON.stringify(a) : a)).join(' ')}`,
  );
  let exitCode: number;
  try {
    ({ exitCode } = await runProcess({
      argv,
      cwd: wd.path,
      env,
      signal: host.signal,
      onLine: (line, isStdErr) => {
        if (isStdErr) stdErr++;
        else stdOut++;
        if (intercept?.(line, isStdErr, vars) === true) return;
        const parsed = parseProtocolLine(line);
        if (parsed.kind === 'text') host.log(isStdErr ? 'ERROR' : 'INFO', line);
        else if (parsed.kind === 'invalid') host.log('WARN', parsed.message);
        else {
          Object.assign(vars, parsed.outputs);
          metrics.push(...parsed.metrics);
          for (const l of parsed.logs) host.log(l.level, l.message);
        }
      },
    }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new ScriptDependencyError(
        `Cannot run the interpreter '${argv[0] ?? ''}': it is not installed or not on the PATH (install it, or set \`interpreter\` to one that is)`,
      );
    throw e;
  }
  return { exitCode, vars, metrics, stdOutLineCount: stdOut, stdErrLineCount: stdErr };
}

function appendPath(env: Record<string, string>, name: string, entry: string): void {
  const current = env[name];
  env[name] = current === undefined || current === '' ? entry : `${current}${delimiter}${entry}`;
}

/** The language's program, or the first of its alternative names, on the PATH of `env`; undefined when none is. */
export async function resolveProgram(spec: ScriptLanguageSpec, env: Record<string, string>): Promise<string | undefined> {
  if (spec.program === undefined) return undefined;
  for (const name of [spec.program, ...(spec.alternatives ?? [])]) {
    if (name.includes('/')) {
      try {
        await access(name, constants.X_OK);
        return name;
      } catch {
        continue;
      }
    }
    if (await onPath(name, env)) return name;
  }
  return undefined;
}

/** The command that runs an inline script: shell runs the text itself, every other language gets a file of its extension. */
async function scriptCommand(
  language: ScriptLanguage,
  wd: WorkingDir,
  content: string,
  env: Record<string, string>,
  props: Record<string, unknown>,
  host: ScriptHost,
  extra: Readonly<Record<string, unknown>>,
): Promise<string[]> {
  if (language === 'shell') return [content];
  if (language === 'jbang') {
    // JBang's Script: `extension` (default `.java`) and `quiet` (default true) are its own properties.
    const extension = (await stringProp(host, props, 'extension', extra)) ?? '.java';
    const quiet = await boolProp(host, props, 'quiet', true, extra);
    const file = await wd.createTempFile(extension, content);
    return [['jbang', quiet ? '--quiet' : '', file].join(' ')];
  }
  if (language !== 'python') {
    const spec = scriptLanguage(language);
    const file = await wd.createTempFile(spec.extension ?? '', content);
    const program = (await resolveProgram(spec, env)) ?? spec.program ?? language;
    return [(spec.scriptCommand ?? ((p: string, f: string) => `${p} ${f}`))(program, file)];
  }
  // Pebble prints booleans and null as JSON does; Kestra prepends these aliases so `x = {{ flag }}` is valid Python.
  const file = await wd.createTempFile('.py', `true = True\nfalse = False\nnull = None\n${content}`);
  const python = (await onPath('python3', env)) ? 'python3' : 'python';
  return [`if [ -n "$VIRTUAL_ENV" ]; then "$VIRTUAL_ENV/bin/python" "${file}"; else "${python}" "${file}"; fi`];
}

/** Python `dependencies` (see python-dependencies.ts): pip into a folder of the run's Python folder, first on PYTHONPATH. */
async function pythonDependencies(
  host: ScriptHost,
  props: Record<string, unknown>,
  pythonDir: string,
  env: Record<string, string>,
  extra: Readonly<Record<string, unknown>>,
): Promise<PythonDependencies> {
  const dependencies = (await listProp(host, props, 'dependencies', extra)) ?? [];
  const target = join(pythonDir, 'packages');
  if (dependencies.length > 0) prependPythonPath(env, target);
  return preparePythonDependencies(host, {
    dependencies,
    cacheEnabled: await boolProp(host, props, 'dependencyCacheEnabled', true, extra),
    pythonVersion: await stringProp(host, props, 'pythonVersion', extra),
    taskType: host.taskType ?? 'io.kestra.plugin.scripts.python.Script',
    python: (await onPath('python3', env)) ? 'python3' : 'python',
    env,
    target,
  });
}
