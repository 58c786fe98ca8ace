import { PebbleflowError } from '../errors/pebbleflow-error.js';

/**
 * One error family for the template engine. Every failure a template can cause is a
 * `TemplateError` with a stable `code`; the message keeps Pebble's shape
 * (`<raw message> (<template>:<line>)`) while `rawMessage` keeps the bare text.
 */
export type TemplateErrorCode =
  | 'PARSE_ERROR'
  | 'UNDEFINED_VARIABLE'
  | 'UNDEFINED_ATTRIBUTE'
  | 'UNKNOWN_FILTER'
  | 'UNKNOWN_FUNCTION'
  | 'UNKNOWN_TEST'
  | 'TYPE_ERROR'
  | 'FUNCTION_ERROR'
  | 'LIMIT_EXCEEDED'
  | 'ASYNC_IN_SYNC_RENDER'
  | 'ABORTED';

export interface TemplatePosition {
  /** Template name (or the template text itself when it has no name, as Kestra reports it). */
  readonly name?: string;
  /** 1-based line. */
  readonly line?: number;
  /** 1-based column. */
  readonly column?: number;
}

export class TemplateError extends PebbleflowError<TemplateErrorCode> {
  /** The message without the position suffix (Pebble's `getPebbleMessage()`). */
  readonly rawMessage: string;
  templateName: string | undefined;
  line: number | undefined;
  column: number | undefined;
  /** Source text, kept for `formatFrame()`; not enumerable so it stays out of JSON/inspect output. */
  declare readonly source: string | undefined;

  constructor(code: TemplateErrorCode, message: string, options?: { cause?: unknown; position?: TemplatePosition; source?: string }) {
    super(code, message, options);
    this.rawMessage = message;
    this.templateName = options?.position?.name;
    this.line = options?.position?.line;
    this.column = options?.position?.column;
    Object.defineProperty(this, 'source', { value: options?.source, enumerable: false, writable: true });
    if (this.line !== undefined) this.message = `${message} (${this.templateName ?? '?'}:${this.line})`;
  }

  /** Fills the position once (the innermost failure knows it best); later calls keep the first one. */
  locate(position: TemplatePosition, source?: string): this {
    if (this.line !== undefined) return this;
    this.templateName = position.name;
    this.line = position.line;
    this.column = position.column;
    if (source !== undefined) Object.defineProperty(this, 'source', { value: source, enumerable: false, writable: true });
    this.message = `${this.rawMessage} (${this.templateName ?? '?'}:${this.line ?? '?'})`;
    return this;
  }

  /** A code frame (liquidjs style: `>>` on the failing line, `^` under the column). */
  formatFrame(contextLines = 2): string {
    if (this.source === undefined || this.line === undefined) return this.message;
    const lines = this.source.split(/\r\n|\r|\n/);
    const from = Math.max(1, this.line - contextLines);
    const to = Math.min(lines.length, this.line + contextLines);
    const width = String(to).length;
    const out: string[] = [this.message];
    for (let n = from; n <= to; n++) {
      const text = lines[n - 1] ?? '';
      out.push(`${n === this.line ? '>>' : '  '} ${String(n).padStart(width)}| ${text.length > 160 ? text.slice(0, 157) + '...' : text}`);
      if (n === this.line && this.column !== undefined)
        out.push(`   ${' '.repeat(width)}  ${' '.repeat(Math.max(0, Math.min(this.column - 1, 160)))}^`);
    }
    return out.join('\n');
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      templateName: this.templateName,
      line: this.line,
      column: this.column,
    };
  }
}

/** Lexing and parsing failures. */
export class TemplateSyntaxError extends TemplateError {
  declare readonly code: 'PARSE_ERROR';
  constructor(message: string, position?: TemplatePosition, source?: string) {
    super('PARSE_ERROR', message, { position, source });
  }
}

/**
 * A missing variable or attribute under strict variables. Kestra reports it as
 * ``Unable to find `x` used in the expression `{{ x }}` at line 1`` (see `kestraMessage`).
 */
export class UndefinedVariableError extends TemplateError {
  declare readonly code: 'UNDEFINED_VARIABLE' | 'UNDEFINED_ATTRIBUTE';
  /** The variable or attribute that was not found. */
  readonly variableName: string;
  constructor(code: 'UNDEFINED_VARIABLE' | 'UNDEFINED_ATTRIBUTE', message: string, variableName: string) {
    super(code, message);
    this.variableName = variableName;
  }

  /** Kestra's wording for this error, given the whole template text. */
  kestraMessage(template: string): string {
    return `Unable to find \`${this.variableName}\` used in the expression \`${template}\` at line ${this.line ?? 1}`;
  }

  /** Kestra's message replaces Pebble's once the position (and so the template text) is known. */
  override locate(position: TemplatePosition, source?: string): this {
    if (this.line !== undefined) return this;
    super.locate(position, source);
    this.message = this.kestraMessage(source ?? position.name ?? '');
    return this;
  }
}

/** The limit a LIMIT_EXCEEDED names: an option of `EngineOptions` / `RenderLimits`, or a fixed ceiling. */
export type LimitName =
  | 'maxSteps'
  | 'maxRenderTime'
  | 'maxStringLength'
  | 'maxCollectionSize'
  | 'maxRenderedSize'
  | 'maxRangeSize'
  | 'maxMacroDepth'
  | 'maxNestedRenderDepth'
  | 'maxRegexTime'
  | 'maxJqTime'
  | 'maxDepth'
  /** Fixed ceilings of single operations (see README, "Sandbox"). */
  | 'jqMemory'
  | 'nesting'
  | 'renderPasses'
  | 'valueWalk';

/** A render went over one of its budgets; `limit` names which (and the message ends with it). */
export class LimitExceededError extends TemplateError {
  readonly limit: LimitName;
  constructor(limit: LimitName, message: string, options?: { cause?: unknown; position?: TemplatePosition; source?: string }) {
    super('LIMIT_EXCEEDED', message.endsWith(`(limit ${limit})`) ? message : `${message} (limit ${limit})`, options);
    this.limit = limit;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), limit: this.limit };
  }
}

export function isTemplateError(e: unknown): e is TemplateError {
  return e instanceof TemplateError;
}
