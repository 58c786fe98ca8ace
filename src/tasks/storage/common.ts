/**
 * What the file tasks share: the working directory a `WorkingDirectory` parent provides, and required
 * properties. Task definitions import this module, so it stays light: the working-directory code is
 * imported when a task first needs a folder of its own.
 */
import type { WorkingDir } from '../../storage/working-dir.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';

/** The service key under which `WorkingDirectory` shares its folder with its subtree. */
export const WORKING_DIR_SERVICE = Symbol.for('pebbleflow.workingDirectory');

/** The folder of the enclosing `WorkingDirectory`, if any. */
export function sharedWorkingDir(ctx: TaskRunContext): WorkingDir | undefined {
  return ctx.services.get<WorkingDir>(WORKING_DIR_SERVICE);
}

/** Runs `fn` in the shared working directory, or in a fresh one removed afterwards (Kestra gives every task its own). */
export async function withWorkingDir<T>(ctx: TaskRunContext, fn: (wd: WorkingDir) => Promise<T>): Promise<T> {
  const shared = sharedWorkingDir(ctx);
  if (shared !== undefined) return fn(shared);
  const { WorkingDir } = await import('../../storage/working-dir.js');
  const wd = await WorkingDir.create();
  try {
    return await fn(wd);
  } finally {
    await wd.cleanup().catch(() => undefined);
  }
}

/** A declared property that must be there after rendering. */
export async function requiredProperty<T>(ctx: TaskRunContext, name: string): Promise<T> {
  const value = await ctx.property<T>(name);
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    throw new TaskError('INVALID_PROPERTY', `Missing required property \`${name}\``);
  }
  return value;
}

/** A property that is one of a few upper-case names (Kestra enums), with the allowed names in the error. */
export async function enumProperty<T extends string>(ctx: TaskRunContext, name: string, allowed: readonly T[], fallback: T): Promise<T> {
  const value = ((await ctx.property<string>(name)) ?? fallback).trim().toUpperCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${name}\`: expected one of ${allowed.join(', ')}, got \`${value}\``);
  }
  return value as T;
}
