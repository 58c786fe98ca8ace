/**
 * The root of every error pebbleflow throws on purpose. Each family (template, flow, input, config,
 * secret, credential, task, run) extends it with its own closed union of `code`s, which are public
 * and stable. This file is the bottom layer: it imports nothing, so every folder (the engine
 * included) may extend it.
 */

export interface PebbleflowErrorOptions {
  readonly cause?: unknown;
}

export abstract class PebbleflowError<C extends string = string> extends Error {
  /** Stable, machine-readable; one of the family's codes. */
  readonly code: C;

  constructor(code: C, message: string, options?: PebbleflowErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // Not enumerable, as on Error.prototype: `util.inspect` and spreads show the fields that matter.
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, writable: true, configurable: true });
    this.code = code;
  }

  /**
   * What `JSON.stringify` shows: name, code, message and the family's own fields. Never the cause
   * (it may come from a library and carry request options, headers or bodies) nor any value the
   * error was about.
   */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

export function isPebbleflowError(value: unknown): value is PebbleflowError {
  return value instanceof PebbleflowError;
}
