/**
 * Optional weight: a task family's heavy dependency (an SMTP client, a database driver) is imported
 * when a task of that family first runs, never at start-up, and its absence is a task failure
 * that says what to install rather than a stack trace from the module loader.
 */
import { TaskError } from './types.js';

/** Node's codes for "that package is not installed". */
const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * Imports `specifier` (an npm package) for `forWhat` (a task type), or fails with
 * DEPENDENCY_MISSING naming the package and the npm command that installs it.
 */
export async function importOptional<T>(specifier: string, forWhat: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (e) {
    const error = e as { code?: unknown; message?: unknown };
    // Only the package itself missing: a broken install (one of its own imports missing) keeps its own error.
    if (typeof error.code === 'string' && NOT_FOUND_CODES.has(error.code) && String(error.message).includes(`'${specifier}'`))
      throw new TaskError(
        'DEPENDENCY_MISSING',
        `${forWhat} needs the npm package \`${specifier}\`, which is not installed: run \`npm install ${specifier}\` next to pebbleflow`,
        { cause: e },
      );
    throw e;
  }
}
