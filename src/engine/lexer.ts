/**
 * Template text → tokens. Tokens carry offsets only; `LineCounter` turns an offset into a
 * line and column when (and only when) an error needs one.
 */
import { TemplateSyntaxError } from './errors.js';
import { shieldRawBlocks, type ShieldedSource } from './kestra-raw.js';
import { OPERATOR_SYMBOLS } from './operators.js';

/** Pebble's token type names, used verbatim in parse error messages. */
export type TokenType =
  | 'TEXT'
  | 'PRINT_START'
  | 'PRINT_END'
  | 'EXECUTE_START'
  | 'EXECUTE_END'
  | 'NAME'
  | 'NUMBER'
  | 'STRING'
  | 'OPERATOR'
  | 'PUNCTUATION'
  | 'DQ_BEGIN'
  | 'DQ_END'
  | 'STRING_INTERPOLATION_START'
  | 'STRING_INTERPOLATION_END'
  | 'EOF';

export interface Token {
  readonly type: TokenType;
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** Maps offsets to 1-based line/column by binary search over recorded line starts. */
export class LineCounter {
  private readonly starts: number[] = [0];
  constructor(source: string) {
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

const NAME_RE = /[\p{L}_][\p{L}\p{N}_]*/uy;
const NUMBER_RE = /[0-9]+(?:\.[0-9]+)?/y;
const WS_RE = /\s*/y;
const PUNCTUATION = '()[]{}?:.,|=';
const WORD_OPERATORS = new Set(OPERATOR_SYMBOLS.filter((s) => /^[a-z]/.test(s)));
const SYMBOL_OPERATORS = OPERATOR_SYMBOLS.filter((s) => !/^[a-z]/.test(s));
const VERBATIM_OPEN_RE = /\{%(-?)\s*verbatim\s*(-?)%\}/y;
const VERBATIM_CLOSE_RE = /\{%(-?)\s*endverbatim\s*(-?)%\}/g;
const MAX_INTERPOLATION_DEPTH = 64;

export interface LexOptions {
  readonly name: string;
}

/** A template's tokens, and the raw blocks that are UUIDs in them (see kestra-raw.ts). */
export interface LexedTemplate {
  readonly tokens: Token[];
  readonly rawBlocks: ShieldedSource['rawBlocks'];
}

/** Splits a template into tokens. Throws `TemplateSyntaxError` with a position on bad input. */
export function tokenize(source: string, options: LexOptions): Token[] {
  return lexTemplate(source, options).tokens;
}

/**
 * `tokenize`, Kestra's raw blocks first replaced by UUIDs as VariableRenderer does. Offsets (of
 * tokens and errors) are the original template's.
 */
export function lexTemplate(source: string, options: LexOptions): LexedTemplate {
  const shielded = shieldRawBlocks(source);
  if (shielded === null) return { tokens: new Lexer(source, options.name, source, null).run(), rawBlocks: [] };
  const toSource = (offset: number): number => shielded.toSource(offset);
  const tokens = new Lexer(shielded.text, options.name, source, toSource)
    .run()
    .map((t) => ({ ...t, start: toSource(t.start), end: toSource(t.end) }));
  return { tokens, rawBlocks: shielded.rawBlocks };
}

class Lexer {
  private pos = 0;
  private readonly tokens: Token[] = [];
  private lines: LineCounter | undefined;
  /** Set by a closing `-}}`/`-%}`/`-#}`: trim leading whitespace of the next text. */
  private trimNext = false;

  constructor(
    private readonly src: string,
    private readonly name: string,
    /** The template as written, and how an offset in `src` maps to it (null: `src` is it). */
    private readonly source: string,
    private readonly toSource: ((offset: number) => number) | null,
  ) {}

  run(): Token[] {
    const src = this.src;
    while (this.pos < src.length) {
      const open = this.findOpen(this.pos);
      if (open === -1) {
        this.pushText(src.slice(this.pos), this.pos, false);
        this.pos = src.length;
        break;
      }
      const trimBefore = src[open + 2] === '-';
      if (open > this.pos) this.pushText(src.slice(this.pos, open), this.pos, trimBefore);
      this.trimNext = false;
      const kind = src[open + 1];
      if (kind === '#') this.lexComment(open);
      else if (kind === '{') this.lexTag(open, 'PRINT');
      else if (!this.lexVerbatim(open)) this.lexTag(open, 'EXECUTE');
    }
    this.tokens.push({ type: 'EOF', value: '', start: src.length, end: src.length });
    return this.tokens;
  }

  private findOpen(from: number): number {
    const src = this.src;
    for (let i = src.indexOf('{', from); i !== -1; i = src.indexOf('{', i + 1)) {
      const c = src[i + 1];
      if (c === '{' || c === '%' || c === '#') return i;
    }
    return -1;
  }

  private pushText(text: string, start: number, trimEnd: boolean): void {
    let value = text;
    if (this.trimNext) value = value.replace(/^\s+/, '');
    if (trimEnd) value = value.replace(/\s+$/, '');
    this.trimNext = false;
    if (value.length > 0) this.tokens.push({ type: 'TEXT', value, start, end: start + text.length });
  }

  private error(message: string, offset: number): TemplateSyntaxError {
    this.lines ??= new LineCounter(this.source);
    const { line, column } = this.lines.position(this.toSource === null ? offset : this.toSource(offset));
    return new TemplateSyntaxError(message, { name: this.name, line, column }, this.source);
  }

  private lexComment(open: number): void {
    const close = this.src.indexOf('#}', open + 2);
    if (close === -1) {
      // Pebble ignores a `{#` that ends the template, and refuses any other unclosed comment.
      if (open + 2 < this.src.length) throw this.error('Unclosed comment.', open);
      this.pos = this.src.length;
      return;
    }
    this.trimNext = this.src[close - 1] === '-' && close - 1 > open + 2;
    this.pos = close + 2;
  }

  /** `{% verbatim %}` becomes literal text. */
  private lexVerbatim(open: number): boolean {
    const src = this.src;
    VERBATIM_OPEN_RE.lastIndex = open;
    const verbatim = VERBATIM_OPEN_RE.exec(src);
    if (!verbatim) return false;
    VERBATIM_CLOSE_RE.lastIndex = VERBATIM_OPEN_RE.lastIndex;
    const close = VERBATIM_CLOSE_RE.exec(src);
    if (!close) throw this.error('Unexpected end of template. Pebble was looking for the "endverbatim" tag', open);
    // Pebble's lexer skips the whitespace that follows the verbatim tag.
    let body = src.slice(VERBATIM_OPEN_RE.lastIndex, close.index).replace(/^\s+/, '');
    if (close[1] === '-') body = body.replace(/\s+$/, '');
    if (body.length > 0) this.tokens.push({ type: 'TEXT', value: body, start: VERBATIM_OPEN_RE.lastIndex, end: close.index });
    this.trimNext = close[2] === '-';
    this.pos = VERBATIM_CLOSE_RE.lastIndex;
    return true;
  }

  private lexTag(open: number, kind: 'PRINT' | 'EXECUTE'): void {
    const src = this.src;
    const hasDash = src[open + 2] === '-';
    this.tokens.push({ type: `${kind}_START`, value: src.slice(open, open + (hasDash ? 3 : 2)), start: open, end: open + 2 });
    this.pos = open + (hasDash ? 3 : 2);
    const closer = kind === 'PRINT' ? '}}' : '%}';
    const brackets: { char: string; offset: number }[] = [];
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= src.length) {
        const top = brackets[brackets.length - 1];
        if (top) throw this.error(`Unclosed "${closingOf(top.char)}"`, top.offset);
        throw this.error(`Unexpected end of template. Expected "${closer}"`, this.pos);
      }
      const c = src[this.pos]!;
      // The closing delimiter, optionally with a trim marker; a `}` closing an open `{` wins.
      const dash = c === '-' && src.startsWith(closer, this.pos + 1);
      if ((dash || src.startsWith(closer, this.pos)) && !(c === '}' && brackets[brackets.length - 1]?.char === '{')) {
        const top = brackets[brackets.length - 1];
        if (top) throw this.error(`Unclosed "${closingOf(top.char)}"`, top.offset);
        const start = this.pos;
        this.pos += dash ? 3 : 2;
        this.tokens.push({ type: `${kind}_END`, value: closer, start, end: this.pos });
        this.trimNext = dash;
        return;
      }
      this.lexExpressionToken(brackets, 0);
    }
  }

  private skipWhitespace(): void {
    WS_RE.lastIndex = this.pos;
    WS_RE.exec(this.src);
    this.pos = WS_RE.lastIndex;
  }

  /** One token of an expression. `brackets` tracks `( [ {` so closers can be matched. */
  private lexExpressionToken(brackets: { char: string; offset: number }[], depth: number): void {
    const src = this.src;
    const start = this.pos;
    const c = src[start]!;
    if (c === '"' || c === "'") {
      this.lexString(c, depth);
      return;
    }
    NUMBER_RE.lastIndex = start;
    if (c >= '0' && c <= '9' && NUMBER_RE.exec(src)) {
      this.pos = NUMBER_RE.lastIndex;
      this.tokens.push({ type: 'NUMBER', value: src.slice(start, this.pos), start, end: this.pos });
      return;
    }
    NAME_RE.lastIndex = start;
    const name = NAME_RE.exec(src);
    if (name) {
      this.pos = NAME_RE.lastIndex;
      const word = name[0];
      this.tokens.push({ type: WORD_OPERATORS.has(word) ? 'OPERATOR' : 'NAME', value: word, start, end: this.pos });
      return;
    }
    for (const op of SYMBOL_OPERATORS) {
      if (src.startsWith(op, start)) {
        // `|` is the filter operator, but Pebble's lexer reads it as punctuation-like operator; keep it an OPERATOR.
        this.pos = start + op.length;
        this.tokens.push({ type: 'OPERATOR', value: op, start, end: this.pos });
        return;
      }
    }
    if (PUNCTUATION.includes(c)) {
      if (c === '(' || c === '[' || c === '{') brackets.push({ char: c, offset: start });
      else if (c === ')' || c === ']' || c === '}') {
        const top = brackets.pop();
        if (!top) throw this.error(`Unexpected "${c}"`, start);
        if (closingOf(top.char) !== c) throw this.error(`Unclosed "${closingOf(top.char)}"`, top.offset);
      }
      this.pos = start + 1;
      this.tokens.push({ type: 'PUNCTUATION', value: c, start, end: this.pos });
      return;
    }
    throw this.error(`Unexpected character "${c}"`, start);
  }

  /**
   * A string literal. Only `\"` and `\'` are unescaped (Pebble keeps `\n`, `\\` as written);
   * double-quoted strings may interpolate `#{expr}` unless the `#` is escaped.
   */
  private lexString(quote: string, depth: number): void {
    const src = this.src;
    const start = this.pos;
    let i = start + 1;
    let buf = '';
    let partStart = i;
    const interpolating = quote === '"';
    let begun = false;
    for (;;) {
      if (i >= src.length) throw this.error(`Unclosed "${quote}"`, start);
      const c = src[i]!;
      if (c === '\\' && i + 1 < src.length) {
        const next = src[i + 1]!;
        buf += next === '"' || next === "'" ? next : c + next;
        i += 2;
        continue;
      }
      if (c === quote) break;
      if (interpolating && c === '#' && src[i + 1] === '{') {
        if (depth >= MAX_INTERPOLATION_DEPTH) throw this.error('String interpolation nested too deeply', i);
        if (!begun) {
          this.tokens.push({ type: 'DQ_BEGIN', value: '"', start, end: start + 1 });
          begun = true;
        }
        if (buf.length > 0) this.tokens.push({ type: 'STRING', value: buf, start: partStart, end: i });
        buf = '';
        this.tokens.push({ type: 'STRING_INTERPOLATION_START', value: '#{', start: i, end: i + 2 });
        this.pos = i + 2;
        const inner: { char: string; offset: number }[] = [];
        for (;;) {
          this.skipWhitespace();
          if (this.pos >= src.length) throw this.error(`Unclosed "${quote}"`, start);
          if (src[this.pos] === '}' && inner.length === 0) break;
          this.lexExpressionToken(inner, depth + 1);
        }
        this.tokens.push({ type: 'STRING_INTERPOLATION_END', value: '}', start: this.pos, end: this.pos + 1 });
        i = this.pos + 1;
        partStart = i;
        continue;
      }
      buf += c;
      i++;
    }
    this.pos = i + 1;
    if (begun) {
      if (buf.length > 0) this.tokens.push({ type: 'STRING', value: buf, start: partStart, end: i });
      this.tokens.push({ type: 'DQ_END', value: '"', start: i, end: i + 1 });
    } else {
      this.tokens.push({ type: 'STRING', value: buf, start, end: this.pos });
    }
  }
}

function closingOf(open: string): string {
  return open === '(' ? ')' : open === '[' ? ']' : '}';
}
