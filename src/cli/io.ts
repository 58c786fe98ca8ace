/** What commands write to and read from, so tests and embedders can run the CLI in-process too. */
import { parseArgs } from 'node:util';
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { Style } from './style.js';

export interface CliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly out: Style;
  readonly err: Style;
  /** SIGINT/SIGTERM for long commands (`run`, `resume`); absent when embedded (tests run the CLI in-process). */
  readonly signals?: SignalSource;
}

export interface SignalSource {
  /** Calls `handler` on each SIGINT or SIGTERM until the returned function is called. */
  on(handler: (name: 'SIGINT' | 'SIGTERM') => void): () => void;
  /** Leaves the process now (the second signal). */
  exit(code: number): void;
}

/**
 * Exit codes: 0 success (SUCCESS, WARNING, or PAUSED waiting for `resume`), 1 failure (FAILED, KILLED,
 * invalid files in validate…), 2 bad usage, flow, config or input; `run`/`resume` stopped by SIGINT 130, by SIGTERM 143.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Wrong command-line usage (exit 2), shown as one line plus a hint to `--help`. */
export class UsageError extends PebbleflowError<'USAGE'> {
  readonly command: string;
  constructor(command: string, message: string) {
    super('USAGE', message);
    this.command = command;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), command: this.command };
  }
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/** `node:util` parseArgs, strict, with its errors turned into one-line `UsageError`s. */
export function parse(command: string, args: readonly string[], options: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  try {
    return parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const message = (e as Error).message
      .replace(/\. To specify a positional argument.*$/s, '')
      .replace(/^Unknown option/, 'unknown option');
    throw new UsageError(command, message);
  }
}

export function writeLines(stream: CliIO['stdout'], lines: readonly string[]): void {
  if (lines.length > 0) stream.write(`${lines.join('\n')}\n`);
}

/** Typed reads of parsed option values. */
export function str(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}
export function list(parsed: ParsedArgs, name: string): string[] {
  const v = parsed.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}
export function flag(parsed: ParsedArgs, name: string): boolean {
  return parsed.values[name] === true;
}
