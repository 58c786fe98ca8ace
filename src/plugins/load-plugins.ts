/**
 * The public plugin interface: a plugin is an npm package (or a folder, or a file) whose module
 * exports task types written with `defineTask` — `export default definePlugin({ name, tasks })`, or
 * a named `tasks` export. The config lists them (`plugins: [name-or-path]`); the CLI and the runner
 * load them at start into a copy of the default registry, so flows may use their types.
 *
 * Loading a plugin imports its entry module only: a plugin keeps start-up light by importing its
 * heavy dependencies inside `run` (see `importOptional`), as the bundled families do.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/load-config.js';
import type { PluginSpec } from '../config/types.js';
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { TaskDefinition } from '../tasks/definition.js';
import { defaultTaskRegistry, type TaskRegistry } from '../tasks/registry.js';

export type PluginErrorCode =
  /** No package of that name is installed where the config is, or no file or folder at that path. */
  | 'PLUGIN_NOT_FOUND'
  /** Importing the plugin's module threw. */
  | 'PLUGIN_LOAD_FAILED'
  /** The module does not export task types as a plugin must. */
  | 'PLUGIN_INVALID'
  /** A task type of the plugin is already known (a core type, or another plugin's). */
  | 'PLUGIN_CONFLICT';

export class PluginError extends PebbleflowError<PluginErrorCode> {
  /** The config entry, as written. */
  readonly plugin: string;

  constructor(code: PluginErrorCode, plugin: string, message: string, options?: { cause?: unknown }) {
    super(code, `Plugin \`${plugin}\`: ${message}`, options);
    this.plugin = plugin;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), plugin: this.plugin };
  }
}

/** What a plugin module exports (default export, or the module namespace itself). */
export interface PebbleflowPlugin {
  /** Shown by `pebbleflow plugins` (default: the package name). */
  readonly name?: string;
  readonly tasks: readonly TaskDefinition[];
}

/** Declares a plugin (an identity function that checks the shape). */
export function definePlugin<const P extends PebbleflowPlugin>(plugin: P): P {
  return plugin;
}

/** A plugin once loaded. */
export interface LoadedPlugin {
  readonly name: string;
  /** The config entry, as written. */
  readonly specifier: string;
  /** The module file that was imported. */
  readonly path: string;
  readonly version?: string;
  /** Canonical names of its task types. */
  readonly types: readonly string[];
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  main?: unknown;
  module?: unknown;
  exports?: unknown;
}

function readPackageJson(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

/** The `import` entry of a package's `exports["."]` (a string, or nested conditions). */
function exportsEntry(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = exportsEntry(v);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if ('.' in record) return exportsEntry(record['.']);
  for (const condition of ['import', 'node', 'default']) {
    const found = exportsEntry(record[condition]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A package folder's entry module: `exports["."]` (import condition), else `module`, `main`, `index.js`. */
function packageEntry(dir: string): { file: string; name?: string; version?: string } | undefined {
  const pkg = readPackageJson(dir);
  const entry =
    exportsEntry(pkg?.exports) ??
    (typeof pkg?.module === 'string' ? pkg.module : undefined) ??
    (typeof pkg?.main === 'string' ? pkg.main : undefined) ??
    'index.js';
  const file = resolve(dir, entry);
  if (!existsSync(file)) return undefined;
  return {
    file,
    ...(typeof pkg?.name === 'string' ? { name: pkg.name } : {}),
    ...(typeof pkg?.version === 'string' ? { version: pkg.version } : {}),
  };
}

const PACKAGE_NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

function isPath(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier);
}

/** Where a config entry's module is: a path (file or package folder) or a package found in node_modules upwards. */
function locate(spec: PluginSpec): { file: string; name?: string; version?: string } {
  const { specifier, baseDir } = spec;
  if (isPath(specifier)) {
    const path = resolve(baseDir, specifier);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new PluginError('PLUGIN_NOT_FOUND', specifier, `no file or folder at ${path}`);
    }
    if (!isDir) return { file: path };
    const found = packageEntry(path);
    if (found === undefined)
      throw new PluginError('PLUGIN_NOT_FOUND', specifier, `${path} has no entry module (package.json exports or main)`);
    return found;
  }
  if (!PACKAGE_NAME.test(specifier))
    throw new PluginError('PLUGIN_NOT_FOUND', specifier, 'not a package name, nor a path (start paths with ./ or /)');
  for (let dir = baseDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', specifier);
    if (existsSync(join(candidate, 'package.json'))) {
      const found = packageEntry(candidate);
      if (found === undefined)
        throw new PluginError('PLUGIN_NOT_FOUND', specifier, `${candidate} has no entry module (package.json exports or main)`);
      return found;
    }
    if (dirname(dir) === dir) break;
  }
  throw new PluginError('PLUGIN_NOT_FOUND', specifier, `the package is not installed (run \`npm install ${specifier}\` in ${baseDir})`);
}

function isTaskDefinition(value: unknown): value is TaskDefinition {
  if (value === null || typeof value !== 'object') return false;
  const task = value as Partial<TaskDefinition>;
  return typeof task.type === 'string' && typeof task.run === 'function' && typeof task.properties === 'object' && task.properties !== null;
}

/** The plugin a module exports: its default export, else the module itself (named `tasks`, `name`). */
function pluginOf(specifier: string, module: Record<string, unknown>): PebbleflowPlugin {
  const candidate = (module.default !== null && typeof module.default === 'object' ? module.default : module) as Partial<PebbleflowPlugin>;
  const tasks = candidate.tasks;
  if (!Array.isArray(tasks) || tasks.length === 0)
    throw new PluginError(
      'PLUGIN_INVALID',
      specifier,
      'its module exports no task types: export default definePlugin({ name, tasks: [...] }) or export const tasks = [...]',
    );
  tasks.forEach((task: unknown, index) => {
    if (!isTaskDefinition(task))
      throw new PluginError('PLUGIN_INVALID', specifier, `tasks[${index}] is not a task type (defineTask({ type, properties, run }))`);
  });
  return { tasks: tasks as TaskDefinition[], ...(typeof candidate.name === 'string' ? { name: candidate.name } : {}) };
}

/**
 * Imports each plugin and registers its task types in `registry` (changed in place), in config
 * order. A type that is already registered (core, or an earlier plugin) is a PLUGIN_CONFLICT.
 */
export async function loadPlugins(specs: readonly PluginSpec[], registry: TaskRegistry): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const spec of specs) {
    const found = locate(spec);
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(found.file).href)) as Record<string, unknown>;
    } catch (e) {
      throw new PluginError('PLUGIN_LOAD_FAILED', spec.specifier, `importing ${found.file} failed: ${(e as Error).message}`, { cause: e });
    }
    const plugin = pluginOf(spec.specifier, module);
    for (const task of plugin.tasks) {
      try {
        registry.register(task);
      } catch (e) {
        const code = /already registered/.test((e as Error).message) ? 'PLUGIN_CONFLICT' : 'PLUGIN_INVALID';
        throw new PluginError(code, spec.specifier, (e as Error).message, { cause: e });
      }
    }
    loaded.push({
      name: plugin.name ?? found.name ?? spec.specifier,
      specifier: spec.specifier,
      path: found.file,
      ...(found.version === undefined ? {} : { version: found.version }),
      types: plugin.tasks.map((t) => t.type),
    });
  }
  return loaded;
}

/** The registry a config's flows use: `base` (default: the default registry) when it lists no plugins, else a copy with them. */
export async function pluginRegistry(
  config: string | object,
  base: TaskRegistry = defaultTaskRegistry,
): Promise<{ registry: TaskRegistry; plugins: LoadedPlugin[] }> {
  const loaded = loadConfig(config);
  if (loaded.plugins.length === 0) return { registry: base, plugins: [] };
  const registry = base.clone();
  const plugins = await loadPlugins(loaded.plugins, registry);
  return { registry, plugins };
}
