/**
 * Tokens → AST, following grammar/pebble.ebnf. Expressions use precedence climbing over the
 * operator table (as Pebble's ExpressionParser does); each tag has its own small parser function.
 */
import type { Arguments, Expression, MacroParameter, Statement, TemplateAst } from './ast.js';
import { LimitExceededError, TemplateSyntaxError } from './errors.js';
import { LineCounter, lexTemplate, type Token, type TokenType } from './lexer.js';
import { BINARY_BY_SYMBOL, UNARY_OPERATORS } from './operators.js';
import { JDouble } from './values.js';

export interface ParseOptions {
  /** Template name used in error messages (Kestra uses the template text itself). */
  readonly name: string;
  /** Deepest nesting of expressions and tags accepted (guards the parser's and evaluator's stacks). */
  readonly maxDepth: number;
}

/** Tags Kestra removes from Pebble (ExtensionCustomizer); refused like any unknown tag. */
const REMOVED_TAGS = new Set(['autoescape', 'extends', 'embed', 'flush', 'import', 'include', 'parallel', 'cache', 'from']);
const LONG_MAX = 9223372036854775807n;

type Macro = Extract<Statement, { kind: 'Macro' }>;
type Block = Extract<Statement, { kind: 'Block' }>;
type TagParser = (parser: Parser, tag: Token) => Statement;

/** One parser function per tag, registered by name (Pebble's TokenParser idea). */
const TAG_PARSERS: Readonly<Record<string, TagParser>> = {
  if: parseIfTag,
  for: parseForTag,
  set: parseSetTag,
  macro: parseMacroTag,
  filter: parseFilterTag,
  block: parseBlockTag,
};

export function parseTemplate(source: string, options: ParseOptions): TemplateAst {
  const { tokens, rawBlocks } = lexTemplate(source, { name: options.name });
  const parser = new Parser(source, tokens, options);
  const { body } = parser.parseBody(null);
  return { body, macros: parser.macros, blocks: parser.blocks, rawBlocks };
}

/** Parses a standalone expression (no delimiters), e.g. for `pebbleflow render` of `x | upper`. */
export function parseExpression(source: string, options: ParseOptions): Expression {
  const ast = parseTemplate(`{{ ${source} }}`, options);
  const first = ast.body[0];
  if (ast.body.length !== 1 || first?.kind !== 'Print')
    throw new TemplateSyntaxError('Expected a single expression', { name: options.name, line: 1, column: 1 }, source);
  return first.expression;
}

export class Parser {
  private index = 0;
  private depth = 0;
  private lines: LineCounter | undefined;
  readonly macros = new Map<string, Macro>();
  readonly blocks = new Map<string, Block>();

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
    private readonly options: ParseOptions,
  ) {}

  // --- token stream ---------------------------------------------------------------------------

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  test(type: TokenType, value?: string): boolean {
    const t = this.peek();
    return t.type === type && (value === undefined || t.value === value);
  }

  expect(type: TokenType, value?: string): Token {
    const t = this.peek();
    if (t.type !== type || (value !== undefined && t.value !== value)) {
      throw this.error(
        `Unexpected token of value "${t.value}" and type ${displayType(t.type)}, expected token of type ${displayType(type)}`,
        t,
      );
    }
    return this.next();
  }

  error(message: string, at: Token | number): TemplateSyntaxError {
    this.lines ??= new LineCounter(this.source);
    const { line, column } = this.lines.position(typeof at === 'number' ? at : at.start);
    return new TemplateSyntaxError(message, { name: this.options.name, line, column }, this.source);
  }

  private enter(at: Token): void {
    if (++this.depth > this.options.maxDepth) {
      this.lines ??= new LineCounter(this.source);
      const { line, column } = this.lines.position(at.start);
      throw new LimitExceededError('maxDepth', `Template nesting is deeper than the limit of ${this.options.maxDepth}`, {
        position: { name: this.options.name, line, column },
        source: this.source,
      });
    }
  }

  private leave(): void {
    this.depth--;
  }

  // --- statements -----------------------------------------------------------------------------

  /**
   * Parses statements until one of the `stop` tags (its name is consumed, the rest of the tag is
   * left to the caller) or the end of the template when `stop` is null.
   */
  parseBody(stop: { names: readonly string[]; lookingFor: string } | null): { body: Statement[]; stoppedAt: string | null } {
    const body: Statement[] = [];
    for (;;) {
      const t = this.peek();
      switch (t.type) {
        case 'EOF':
          if (stop) throw this.error(`Unexpected end of template. Pebble was looking for the "${stop.lookingFor}" tag`, t);
          return { body, stoppedAt: null };
        case 'TEXT':
          this.next();
          body.push({ kind: 'Text', start: t.start, text: t.value });
          break;
        case 'PRINT_START': {
          this.next();
          const expression = this.parseExpression();
          this.expect('PRINT_END');
          body.push({ kind: 'Print', start: t.start, expression });
          break;
        }
        case 'EXECUTE_START': {
          const nameToken = this.peek(1);
          if (nameToken.type !== 'NAME' && nameToken.type !== 'OPERATOR') {
            this.next();
            this.expect('NAME');
          }
          if (stop && stop.names.includes(nameToken.value)) {
            this.next();
            this.next();
            return { body, stoppedAt: nameToken.value };
          }
          this.next();
          this.next();
          const parse = REMOVED_TAGS.has(nameToken.value) ? undefined : TAG_PARSERS[nameToken.value];
          if (!parse) throw this.error(`Unexpected tag name "${nameToken.value}"`, nameToken);
          this.enter(nameToken);
          body.push(parse(this, t));
          this.leave();
          break;
        }
        default:
          throw this.error(`Unexpected token "${displayType(t.type)}" of value "${t.value}"`, t);
      }
    }
  }

  // --- expressions ----------------------------------------------------------------------------

  parseExpression(minPrecedence = 0): Expression {
    const first = this.peek();
    this.enter(first);
    let expression: Expression;
    if (first.type === 'OPERATOR' && UNARY_OPERATORS[first.value] !== undefined) {
      this.next();
      const operand = this.parseExpression(UNARY_OPERATORS[first.value]);
      expression = { kind: 'Unary', start: first.start, operator: first.value as 'not' | '-' | '+', operand };
    } else {
      expression = this.parsePrimary();
    }
    let chained = 0;
    for (;;) {
      const t = this.peek();
      if (t.type !== 'OPERATOR') break;
      const op = BINARY_BY_SYMBOL.get(t.value);
      if (!op || op.precedence < minPrecedence) break;
      // Each link of a left-associative chain nests the tree one level deeper.
      this.enter(t);
      chained++;
      this.next();
      if (op.kind === 'filter') {
        expression = this.parseFilterInvocation(expression);
      } else if (op.kind === 'test') {
        const negated = this.test('OPERATOR', 'not');
        if (negated) this.next();
        const name = this.expect('NAME');
        const args = this.test('PUNCTUATION', '(') ? this.parseArguments() : EMPTY_ARGS;
        expression = { kind: 'Test', start: t.start, negated, operand: expression, name: name.value, args };
      } else {
        // All of Pebble's binary operators are left-associative.
        const right = this.parseExpression(op.precedence + 1);
        expression = { kind: 'Binary', start: t.start, operator: op.symbol, left: expression, right };
      }
    }
    if (minPrecedence === 0 && this.test('PUNCTUATION', '?')) {
      const q = this.next();
      const then = this.parseExpression();
      this.expect('PUNCTUATION', ':');
      const otherwise = this.parseExpression();
      expression = { kind: 'Ternary', start: q.start, condition: expression, then, otherwise };
    }
    this.depth -= chained;
    this.leave();
    return expression;
  }

  parseFilterInvocation(input: Expression): Expression {
    const name = this.expect('NAME');
    const args = this.test('PUNCTUATION', '(') ? this.parseArguments() : EMPTY_ARGS;
    return { kind: 'Filter', start: name.start, input, name: name.value, args };
  }

  private parsePrimary(): Expression {
    const t = this.peek();
    let expression: Expression;
    switch (t.type) {
      case 'NAME': {
        this.next();
        switch (t.value) {
          case 'true':
          case 'TRUE':
            expression = { kind: 'Literal', start: t.start, value: true };
            break;
          case 'false':
          case 'FALSE':
            expression = { kind: 'Literal', start: t.start, value: false };
            break;
          case 'null':
          case 'NULL':
          case 'none':
          case 'NONE':
            expression = { kind: 'Literal', start: t.start, value: null };
            break;
          default:
            expression = this.test('PUNCTUATION', '(')
              ? { kind: 'FunctionCall', start: t.start, name: t.value, args: this.parseArguments() }
              : { kind: 'ContextVariable', start: t.start, name: t.value };
        }
        break;
      }
      case 'NUMBER':
        this.next();
        expression = { kind: 'Literal', start: t.start, value: this.numberLiteral(t) };
        break;
      case 'STRING':
        this.next();
        expression = { kind: 'Literal', start: t.start, value: t.value };
        break;
      case 'DQ_BEGIN':
        expression = this.parseInterpolation();
        break;
      case 'PUNCTUATION':
        if (t.value === '(') {
          this.next();
          expression = this.parseExpression();
          this.expect('PUNCTUATION', ')');
        } else if (t.value === '[') {
          // Pebble supports no postfix (`[1, 2][0]`, `{..}.a`) on list and map literals.
          return this.parseList();
        } else if (t.value === '{') {
          return this.parseMap();
        } else {
          throw this.error(`Unexpected token "${displayType(t.type)}" of value "${t.value}"`, t);
        }
        break;
      default:
        throw this.error(`Unexpected token "${displayType(t.type)}" of value "${t.value}"`, t);
    }
    return this.parsePostfix(expression);
  }

  private numberLiteral(t: Token): unknown {
    if (t.value.includes('.')) {
      const d = Number(t.value);
      return Number.isInteger(d) ? new JDouble(d) : d;
    }
    const n = BigInt(t.value);
    if (n > LONG_MAX) throw this.error(`Number literal out of range: ${t.value}`, t);
    return n;
  }

  private parsePostfix(start: Expression): Expression {
    let expression = start;
    for (;;) {
      if (this.test('PUNCTUATION', '.')) {
        this.next();
        const name = this.expect('NAME');
        let args: Expression[] | null = null;
        if (this.test('PUNCTUATION', '(')) {
          const parsed = this.parseArguments();
          if (parsed.named.length > 0) throw this.error('Named arguments are not allowed in method calls', name);
          args = [...parsed.positional];
        }
        expression = {
          kind: 'GetAttribute',
          start: name.start,
          object: expression,
          attribute: { kind: 'Literal', start: name.start, value: name.value },
          args,
        };
      } else if (this.test('PUNCTUATION', '[')) {
        const open = this.next();
        const attribute = this.parseExpression();
        this.expect('PUNCTUATION', ']');
        expression = { kind: 'GetAttribute', start: open.start, object: expression, attribute, args: null };
      } else {
        return expression;
      }
    }
  }

  private parseInterpolation(): Expression {
    const begin = this.expect('DQ_BEGIN');
    const parts: Expression[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === 'DQ_END') break;
      if (t.type === 'STRING') parts.push({ kind: 'Literal', start: t.start, value: t.value });
      else if (t.type === 'STRING_INTERPOLATION_START') {
        parts.push(this.parseExpression());
        this.expect('STRING_INTERPOLATION_END');
      } else throw this.error(`Unexpected token "${displayType(t.type)}" of value "${t.value}"`, t);
    }
    return { kind: 'Interpolation', start: begin.start, parts };
  }

  private parseList(): Expression {
    const open = this.expect('PUNCTUATION', '[');
    const items: Expression[] = [];
    while (!this.test('PUNCTUATION', ']')) {
      if (items.length > 0) this.expect('PUNCTUATION', ',');
      items.push(this.parseExpression());
    }
    this.next();
    return { kind: 'ListLiteral', start: open.start, items };
  }

  private parseMap(): Expression {
    const open = this.expect('PUNCTUATION', '{');
    const entries: (readonly [Expression, Expression])[] = [];
    while (!this.test('PUNCTUATION', '}')) {
      if (entries.length > 0) this.expect('PUNCTUATION', ',');
      const key = this.parseExpression();
      this.expect('PUNCTUATION', ':');
      entries.push([key, this.parseExpression()]);
    }
    this.next();
    return { kind: 'MapLiteral', start: open.start, entries };
  }

  parseArguments(): Arguments {
    this.expect('PUNCTUATION', '(');
    const positional: Expression[] = [];
    const named: (readonly [string, Expression])[] = [];
    while (!this.test('PUNCTUATION', ')')) {
      if (positional.length + named.length > 0) this.expect('PUNCTUATION', ',');
      if (this.test('NAME') && this.peek(1).type === 'PUNCTUATION' && this.peek(1).value === '=') {
        const name = this.next().value;
        this.next();
        named.push([name, this.parseExpression()]);
      } else {
        if (named.length > 0) throw this.error('Positional arguments must come before named arguments', this.peek());
        positional.push(this.parseExpression());
      }
    }
    this.next();
    return { positional, named };
  }

  /**
   * Inside `{% filter %}` bodies macros and blocks are not registered: Pebble's registering
   * visitor does not descend into filter nodes, so they can be neither called nor rendered.
   */
  hiddenDepth = 0;

  registerMacro(macro: Macro): void {
    if (this.hiddenDepth > 0) return;
    if (this.macros.has(macro.name)) throw this.error(`More than one macro can not share the same name: ${macro.name}`, macro.start);
    this.macros.set(macro.name, macro);
  }

  /** Blocks sharing a name: the one that starts last wins, as Pebble's pre-order registration. */
  registerBlock(block: Block): void {
    if (this.hiddenDepth > 0) return;
    const known = this.blocks.get(block.name);
    if (known === undefined || known.start < block.start) this.blocks.set(block.name, block);
  }
}

const EMPTY_ARGS: Arguments = { positional: [], named: [] };

function displayType(type: TokenType): string {
  switch (type) {
    case 'DQ_BEGIN':
    case 'DQ_END':
      return 'STRING';
    default:
      return type;
  }
}

// --- tag parsers (one per tag) ------------------------------------------------------------------

function parseIfTag(p: Parser, tag: Token): Statement {
  const branches: (readonly [Expression, readonly Statement[]])[] = [];
  let condition = p.parseExpression();
  let otherwise: Statement[] | null = null;
  p.expect('EXECUTE_END');
  for (;;) {
    const { body, stoppedAt } = p.parseBody({ names: ['elseif', 'else', 'endif'], lookingFor: 'endif' });
    if (otherwise !== null) {
      // Only `endif` may follow `else`.
      if (stoppedAt !== 'endif') throw p.error(`Unexpected tag name "${stoppedAt}"`, p.peek());
      otherwise = body;
      p.expect('EXECUTE_END');
      break;
    }
    branches.push([condition, body]);
    if (stoppedAt === 'elseif') {
      condition = p.parseExpression();
      p.expect('EXECUTE_END');
    } else if (stoppedAt === 'else') {
      p.expect('EXECUTE_END');
      otherwise = [];
    } else {
      p.expect('EXECUTE_END');
      break;
    }
  }
  return { kind: 'If', start: tag.start, branches, otherwise: otherwise };
}

function parseForTag(p: Parser, tag: Token): Statement {
  const variable = p.expect('NAME').value;
  p.expect('NAME', 'in');
  const iterable = p.parseExpression();
  p.expect('EXECUTE_END');
  const first = p.parseBody({ names: ['else', 'endfor'], lookingFor: 'endfor' });
  p.expect('EXECUTE_END');
  let otherwise: Statement[] | null = null;
  if (first.stoppedAt === 'else') {
    otherwise = p.parseBody({ names: ['endfor'], lookingFor: 'endfor' }).body;
    p.expect('EXECUTE_END');
  }
  return { kind: 'For', start: tag.start, variable, iterable, body: first.body, otherwise };
}

function parseSetTag(p: Parser, tag: Token): Statement {
  const name = p.expect('NAME').value;
  p.expect('PUNCTUATION', '=');
  const value = p.parseExpression();
  p.expect('EXECUTE_END');
  return { kind: 'Set', start: tag.start, name, value };
}

function parseMacroTag(p: Parser, tag: Token): Statement {
  const name = p.expect('NAME').value;
  p.expect('PUNCTUATION', '(');
  const parameters: MacroParameter[] = [];
  while (!p.test('PUNCTUATION', ')')) {
    if (parameters.length > 0) p.expect('PUNCTUATION', ',');
    const param = p.expect('NAME').value;
    let defaultValue: Expression | null = null;
    if (p.test('PUNCTUATION', '=')) {
      p.next();
      defaultValue = p.parseExpression();
    }
    parameters.push({ name: param, defaultValue });
  }
  p.next();
  p.expect('EXECUTE_END');
  const { body } = p.parseBody({ names: ['endmacro'], lookingFor: 'endmacro' });
  if (p.test('NAME')) p.next(); // `{% endmacro name %}`
  p.expect('EXECUTE_END');
  const macro = { kind: 'Macro', start: tag.start, name, parameters, body } as const;
  p.registerMacro(macro);
  return macro;
}

function parseFilterTag(p: Parser, tag: Token): Statement {
  // `{% filter upper | trim %}`: the filters apply to the body's output, left to right.
  const placeholder: Expression = { kind: 'ContextVariable', start: tag.start, name: '' };
  const filters: Expression[] = [p.parseFilterInvocation(placeholder)];
  while (p.test('OPERATOR', '|')) {
    p.next();
    filters.push(p.parseFilterInvocation(placeholder));
  }
  p.expect('EXECUTE_END');
  p.hiddenDepth++;
  const { body } = p.parseBody({ names: ['endfilter'], lookingFor: 'endfilter' });
  p.hiddenDepth--;
  p.expect('EXECUTE_END');
  return { kind: 'FilterBlock', start: tag.start, filters, body };
}

function parseBlockTag(p: Parser, tag: Token): Statement {
  const nameToken = p.peek();
  if (nameToken.type !== 'NAME' && nameToken.type !== 'STRING') p.expect('NAME');
  p.next();
  p.expect('EXECUTE_END');
  const { body } = p.parseBody({ names: ['endblock'], lookingFor: 'endblock' });
  if (p.test('NAME') || p.test('STRING')) p.next();
  p.expect('EXECUTE_END');
  const block = { kind: 'Block', start: tag.start, name: nameToken.value, body } as const;
  p.registerBlock(block);
  return block;
}
