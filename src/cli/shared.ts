/** Helpers several commands share: config lookup, error reporting. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatProblem, isFlowError, type FlowProblem } from '../flow/errors.js';
import { readSourceFile, SourceFileError } from '../yaml-check/index.js';
import { defaultTaskRegistry, type TaskRegistry } from '../tasks/registry.js';
import { EXIT_FAILED, EXIT_USAGE, UsageError, type CliIO } from './io.js';

/** `--config`, else `./pebbleflow.yaml` (or `.yml`) when present, else nothing (env secrets only). */
export function configPath(io: CliIO, given: string | undefined): string | undefined {
  if (given !== undefined) return resolve(io.cwd, given);
  for (const name of ['pebbleflow.yaml', 'pebbleflow.yml']) {
    const candidate = resolve(io.cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The task types flows may use: the default registry, plus the config's plugins when it lists some
 * (imported here, so a command that reads no flow never pays for them).
 */
export async function registryFor(config: string | undefined): Promise<TaskRegistry> {
  if (config === undefined) return defaultTaskRegistry;
  const { pluginRegistry } = await import('../plugins/load-plugins.js');
  return (await pluginRegistry(config)).registry;
}

/** Reads a JSON object file for `--inputs`/`--context` (a regular file under the size cap); a problem is a usage error (exit 2). */
export function readJsonObject(io: CliIO, command: string, option: string, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readSourceFile(resolve(io.cwd, file));
  } catch (e) {
    if (!(e instanceof SourceFileError)) throw e;
    throw new UsageError(command, `${option} ${file}: ${e.message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(command, `${option} ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError(command, `${option} ${file}: expected a JSON object`);
  return value as Record<string, unknown>;
}

export function printProblems(io: CliIO, problems: readonly FlowProblem[]): void {
  for (const p of problems) {
    const label = isFlowError(p) ? io.err.red('error') : io.err.yellow('warning');
    io.stderr.write(`${label} ${formatProblem(p)}\n`);
  }
}

/** Errors that mean "your input is wrong" (exit 2) versus a failure while doing the work (exit 1). */
export function reportError(io: CliIO, error: unknown): number {
  const e = error as { name?: string; code?: string; message?: string; problems?: readonly unknown[] };
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    io.stderr.write(
      `${io.err.red('error')} pebbleflow ${error.command}: ${message}\n${io.err.dim(`Run 'pebbleflow ${error.command} --help' for usage.`)}\n`,
    );
    return EXIT_USAGE;
  }
  if (e.name === 'FlowValidationError') {
    printProblems(io, (e.problems ?? []) as FlowProblem[]);
    return EXIT_USAGE;
  }
  if (
    e.name === 'ConfigError' ||
    e.name === 'PluginError' ||
    e.name === 'InputValidationError' ||
    e.name === 'FlowDisabledError' ||
    e.name === 'ExecutionBlockedError' ||
    e.name === 'ExecutionStateError' ||
    e.name === 'ServerStartError' ||
    e.name === 'DataFolderBusyError'
  ) {
    for (const line of message.split('\n')) io.stderr.write(`${io.err.red('error')} ${line.trim()}\n`);
    return EXIT_USAGE;
  }
  io.stderr.write(`${io.err.red('error')} ${message}\n`);
  return EXIT_FAILED;
}
