import { PebbleflowError } from '../errors/pebbleflow-error.js';

export type ConfigErrorCode =
  /** The file does not exist or cannot be read. */
  | 'CONFIG_NOT_FOUND'
  /** The path is not a regular file (a device, a FIFO, a folder). */
  | 'CONFIG_NOT_A_FILE'
  /** The file is over the size cap. */
  | 'CONFIG_TOO_LARGE'
  /** Not valid YAML (duplicate keys included). */
  | 'CONFIG_SYNTAX'
  /** Valid YAML that is not a valid config: every issue is listed. */
  | 'CONFIG_INVALID';

/** One problem in the config, located as precisely as the input allows. */
export interface ConfigIssue {
  /** The error code this issue leads to (`CONFIG_INVALID` for a field, `CONFIG_SYNTAX` for YAML…). */
  readonly code: ConfigErrorCode;
  /** Dotted path of the offending field, e.g. `credentials[0].clientSecret`. */
  readonly path: string;
  /** What the field should have been, e.g. `a secret reference { secret: NAME }`. */
  readonly expected: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * The config could not be read or is invalid. The message lists every issue as
 * `file:line:column: path: message`; it names fields and never echoes their values, so a secret
 * pasted into the wrong field does not end up in a terminal or a CI log.
 */
export class ConfigError extends PebbleflowError<ConfigErrorCode> {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly path: string | undefined;
  readonly expected: string | undefined;
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, issues: readonly ConfigIssue[], options?: { file?: string; cause?: unknown }) {
    const first = issues[0];
    const where = (issue: ConfigIssue): string => {
      const file = issue.file ?? options?.file;
      const loc = file === undefined ? '' : issue.line === undefined ? `${file}: ` : `${file}:${issue.line}:${issue.column ?? 1}: `;
      return `${loc}${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
    };
    const message =
      issues.length <= 1
        ? `Invalid pebbleflow config: ${first ? where(first) : 'unknown problem'}`
        : `Invalid pebbleflow config (${issues.length} problems):\n${issues.map((i) => `  - ${where(i)}`).join('\n')}`;
    super(
      code,
      (code === 'CONFIG_NOT_FOUND' || code === 'CONFIG_NOT_A_FILE' || code === 'CONFIG_TOO_LARGE') && first ? first.message : message,
      options,
    );
    this.file = first?.file ?? options?.file;
    this.line = first?.line;
    this.column = first?.column;
    this.path = first?.path;
    this.expected = first?.expected;
    this.issues = issues;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), file: this.file, line: this.line, column: this.column, path: this.path, issues: this.issues };
  }
}
