import { parseExpression, parseTemplate } from '../../src/engine/parser.js';
import { BINARY_OPERATORS, OPERATOR_SYMBOLS, UNARY_OPERATORS } from '../../src/engine/operators.js';
import type { Expression } from '../../src/engine/ast.js';
import { TemplateError, TemplateSyntaxError } from '../../src/engine/errors.js';

const opts = { name: 't', maxDepth: 200 };

/** A compact S-expression of an expression, to check precedence. */
function show(e: Expression): string {
  switch (e.kind) {
    case 'Literal':
      return typeof e.value === 'string' ? `'${e.value}'` : String(e.value);
    case 'ContextVariable':
      return e.name;
    case 'Binary':
      return `(${e.operator} ${show(e.left)} ${show(e.right)})`;
    case 'Unary':
      return `(${e.operator} ${show(e.operand)})`;
    case 'Filter':
      return `(| ${show(e.input)} ${e.name})`;
    case 'Test':
      return `(${e.negated ? 'is not' : 'is'} ${show(e.operand)} ${e.name})`;
    case 'Ternary':
      return `(? ${show(e.condition)} ${show(e.then)} ${show(e.otherwise)})`;
    case 'GetAttribute':
      return `(. ${show(e.object)} ${show(e.attribute)})`;
    default:
      return e.kind;
  }
}

const tree = (src: string): string => show(parseExpression(src, opts));

describe('operator table', () => {
  it("is Pebble's table plus Kestra's coalescing operators", () => {
    expect(Object.fromEntries(BINARY_OPERATORS.map((o) => [o.symbol, o.precedence]))).toEqual({
      or: 10,
      and: 15,
      is: 20,
      'is not': 20,
      contains: 20,
      '==': 30,
      equals: 30,
      '!=': 30,
      '<': 30,
      '>': 30,
      '<=': 30,
      '>=': 30,
      '+': 40,
      '-': 40,
      '*': 60,
      '/': 60,
      '%': 60,
      '|': 100,
      '~': 110,
      '..': 120,
      '??': 120,
      '???': 120,
    });
    expect(UNARY_OPERATORS).toEqual({ not: 500, '-': 500, '+': 500 });
    expect(OPERATOR_SYMBOLS.indexOf('???')).toBeLessThan(OPERATOR_SYMBOLS.indexOf('??'));
  });
});

describe('expression parsing', () => {
  it.each([
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['10 - 2 - 3', '(- (- 10 2) 3)'],
    ['"x" ~ 1 + 2', "(+ (~ 'x' 1) 2)"],
    ['5 / 2 ~ ""', "(/ 5 (~ 2 ''))"],
    ['a + b | abs', '(+ a (| b abs))'],
    ['a ?? "d" | upper', "(| (?? a 'd') upper)"],
    ["'a' ~ x ?? 'b'", "(~ 'a' (?? x 'b'))"],
    ['not n is even', '(is (not n) even)'],
    ['n is not odd', '(is not n odd)'],
    ['-l[0] | abs', '(| (- (. l 0)) abs)'],
    ['a or b and c', '(or a (and b c))'],
    ['true ? false ? 1 : 2 : 3', '(? true (? false 1 2) 3)'],
    ['n > 3 ? "x" : "y" ~ "!"', "(? (> n 3) 'x' (~ 'y' '!'))"],
    ['user.address.city', "(. (. user 'address') 'city')"],
  ])('%s', (src, expected) => {
    expect(tree(src)).toBe(expected);
  });

  it('reads integer literals as longs and decimals as doubles', () => {
    const big = parseExpression('9223372036854775807', opts);
    expect(big).toMatchObject({ kind: 'Literal', value: 9223372036854775807n });
    expect(() => parseExpression('9223372036854775808', opts)).toThrow(TemplateSyntaxError);
  });
});

describe('template parsing', () => {
  it('registers macros and blocks', () => {
    const ast = parseTemplate('{% macro m(a, b=2) %}x{% endmacro %}{% block b %}y{% endblock %}', opts);
    expect([...ast.macros.keys()]).toEqual(['m']);
    expect(ast.macros.get('m')!.parameters.map((p) => p.name)).toEqual(['a', 'b']);
    expect([...ast.blocks.keys()]).toEqual(['b']);
  });

  it.each([
    ['{{ }}', 'Unexpected token "PRINT_END" of value "}}"'],
    ['{{ 1 2 }}', 'Unexpected token of value "2" and type NUMBER, expected token of type PRINT_END'],
    ['{{ list.0 }}', 'Unexpected token of value "0" and type NUMBER, expected token of type NAME'],
    ['{{ n | }}', 'Unexpected token of value "}}" and type PRINT_END, expected token of type NAME'],
    ['{% set %}', 'Unexpected token of value "%}" and type EXECUTE_END, expected token of type NAME'],
    ['{% if true %}no end', 'Unexpected end of template. Pebble was looking for the "endif" tag'],
    ['{% for k, v in m %}{% endfor %}', 'Unexpected token of value "," and type PUNCTUATION, expected token of type NAME'],
    ['{% if t %}a{% elif f %}b{% endif %}', 'Unexpected tag name "elif"'],
    ['{% include "x" %}', 'Unexpected tag name "include"'],
    ['{% autoescape %}x{% endautoescape %}', 'Unexpected tag name "autoescape"'],
    ['{{ {"a": } }}', 'Unexpected token "PUNCTUATION" of value "}"'],
  ])("refuses %s with Pebble's message", (src, message) => {
    let error: unknown;
    try {
      parseTemplate(src, opts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateSyntaxError);
    expect((error as TemplateSyntaxError).rawMessage).toBe(message);
    expect((error as TemplateSyntaxError).code).toBe('PARSE_ERROR');
    expect((error as TemplateSyntaxError).line).toBe(1);
  });

  it('positions errors on later lines and columns', () => {
    try {
      parseTemplate('ok\n{% if x %}\n  {{ a + }}\n{% endif %}', opts);
      throw new Error('expected a failure');
    } catch (e) {
      const err = e as TemplateSyntaxError;
      expect([err.line, err.column]).toEqual([3, 10]);
      expect(err.formatFrame()).toContain('>> 3|   {{ a + }}');
      const lines = err.formatFrame().split('\n');
      const at = lines.findIndex((l) => l.startsWith('>> 3|'));
      // The caret sits under column 10 of the source line ("}}").
      expect(lines[at + 1]!.indexOf('^')).toBe('>> 3| '.length + 9);
    }
  });

  it('stops at the nesting limit with LIMIT_EXCEEDED, not a stack overflow', () => {
    const deep = '{{ ' + '('.repeat(20000) + '1' + ')'.repeat(20000) + ' }}';
    expect(() => parseTemplate(deep, opts)).toThrow(TemplateError);
    try {
      parseTemplate(deep, opts);
    } catch (e) {
      expect((e as TemplateError).code).toBe('LIMIT_EXCEEDED');
    }
    const tags = '{% if true %}'.repeat(5000) + '{% endif %}'.repeat(5000);
    expect(() => parseTemplate(tags, opts)).toThrow(/nesting is deeper/);
  });
});
