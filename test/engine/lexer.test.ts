import { LineCounter, lexTemplate, tokenize, type Token } from '../../src/engine/lexer.js';
import { TemplateSyntaxError } from '../../src/engine/errors.js';

const kinds = (tokens: Token[]): string[] => tokens.map((t) => `${t.type}:${t.value}`);
const lex = (s: string): string[] => kinds(tokenize(s, { name: 't' }));

describe('lexer', () => {
  it('splits text, prints and tags, with offsets', () => {
    const tokens = tokenize('a {{ x }} b', { name: 't' });
    expect(kinds(tokens)).toEqual(['TEXT:a ', 'PRINT_START:{{', 'NAME:x', 'PRINT_END:}}', 'TEXT: b', 'EOF:']);
    expect(tokens[2]).toMatchObject({ start: 5, end: 6 });
  });

  it('reads numbers without exponents or underscores', () => {
    expect(lex('{{ 1.5 }}')).toContain('NUMBER:1.5');
    expect(lex('{{ 1e7 }}')).toEqual(['PRINT_START:{{', 'NUMBER:1', 'NAME:e7', 'PRINT_END:}}', 'EOF:']);
    expect(lex('{{ 1..5 }}')).toEqual(['PRINT_START:{{', 'NUMBER:1', 'OPERATOR:..', 'NUMBER:5', 'PRINT_END:}}', 'EOF:']);
  });

  it('prefers the longest operator and keeps word operators whole', () => {
    expect(lex('{{ a ??? b ?? c }}')).toEqual([
      'PRINT_START:{{',
      'NAME:a',
      'OPERATOR:???',
      'NAME:b',
      'OPERATOR:??',
      'NAME:c',
      'PRINT_END:}}',
      'EOF:',
    ]);
    expect(lex('{{ notes or nothing }}')).toEqual(['PRINT_START:{{', 'NAME:notes', 'OPERATOR:or', 'NAME:nothing', 'PRINT_END:}}', 'EOF:']);
  });

  it('unescapes only quotes in strings', () => {
    expect(tokenize(String.raw`{{ 'it\'s \n' }}`, { name: 't' })[1]!.value).toBe(String.raw`it's \n`);
    expect(tokenize(String.raw`{{ "a\"b\\c" }}`, { name: 't' })[1]!.value).toBe(String.raw`a"b\\c`);
  });

  it('tokenizes #{} interpolation, nested strings included', () => {
    expect(lex('{{ "a#{ "b#{c}" }d" }}')).toEqual([
      'PRINT_START:{{',
      'DQ_BEGIN:"',
      'STRING:a',
      'STRING_INTERPOLATION_START:#{',
      'DQ_BEGIN:"',
      'STRING:b',
      'STRING_INTERPOLATION_START:#{',
      'NAME:c',
      'STRING_INTERPOLATION_END:}',
      'DQ_END:"',
      'STRING_INTERPOLATION_END:}',
      'STRING:d',
      'DQ_END:"',
      'PRINT_END:}}',
      'EOF:',
    ]);
    expect(lex(String.raw`{{ "\#{x}" }}`)).toEqual(['PRINT_START:{{', String.raw`STRING:\#{x}`, 'PRINT_END:}}', 'EOF:']);
  });

  it('lets a map literal close with "}}" inside a print', () => {
    expect(lex('{{ {"a": {"b": 1}} }}').filter((t) => t.startsWith('PUNCTUATION'))).toEqual([
      'PUNCTUATION:{',
      'PUNCTUATION::',
      'PUNCTUATION:{',
      'PUNCTUATION::',
      'PUNCTUATION:}',
      'PUNCTUATION:}',
    ]);
  });

  it('applies whitespace control on both sides', () => {
    expect(lex('a \n {{- x -}} \n b')).toEqual(['TEXT:a', 'PRINT_START:{{-', 'NAME:x', 'PRINT_END:}}', 'TEXT:b', 'EOF:']);
    expect(lex('a {#- c -#} b')).toEqual(['TEXT:a', 'TEXT:b', 'EOF:']);
  });

  it('turns verbatim blocks into text, and single-line Kestra raw blocks into UUIDs wherever they are', () => {
    expect(lex('{% verbatim %} {{ x }} {% endverbatim %}')).toEqual(['TEXT:{{ x }} ', 'EOF:']);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const { tokens, rawBlocks } = lexTemplate("a {%- raw %}{{ x }}{% endraw %}{{ 'q{% raw %}}}{% endraw %}' }}", { name: 't' });
    expect(rawBlocks.map(([, block]) => block)).toEqual(['{%- raw %}{{ x }}{% endraw %}', '{% raw %}}}{% endraw %}']);
    const [first, second] = rawBlocks.map(([placeholder]) => placeholder);
    expect(first).toMatch(uuid);
    expect(kinds(tokens)).toEqual([`TEXT:a ${first}`, 'PRINT_START:{{', `STRING:q${second}`, 'PRINT_END:}}', 'EOF:']);
    // Offsets are the template's as written: as if the first block were text of its length.
    const plain = tokenize(`a ${'x'.repeat(29)}{{ 'q' }}`, { name: 't' });
    expect(tokens[2]!.start).toBe(plain[2]!.start);
    // A raw block across lines reaches the tag parser (and fails there, as in Kestra).
    expect(lex('{% raw %}\n{{ x }}{% endraw %}')[1]).toBe('NAME:raw');
  });

  it('places errors after a raw block in the template as written', () => {
    const failure = (template: string): TemplateSyntaxError => {
      try {
        tokenize(template, { name: 'tpl' });
      } catch (err) {
        return err as TemplateSyntaxError;
      }
      throw new Error('expected a failure');
    };
    const shielded = failure('{% raw %}abc{% endraw %} {{ "oops }}');
    expect(shielded).toBeInstanceOf(TemplateSyntaxError);
    expect(shielded).toMatchObject({ line: 1, column: failure(`${'x'.repeat(24)} {{ "oops }}`).column });
    expect(shielded.column).toBeGreaterThan(24);
  });

  it('reports unclosed strings and brackets with line and column', () => {
    const e = (() => {
      try {
        tokenize('line one\n  {{ "oops }}', { name: 'tpl' });
      } catch (err) {
        return err as TemplateSyntaxError;
      }
      throw new Error('expected a failure');
    })();
    expect(e).toBeInstanceOf(TemplateSyntaxError);
    expect(e.rawMessage).toBe('Unclosed """');
    expect([e.line, e.column]).toEqual([2, 6]);
    expect(e.message).toBe('Unclosed """ (tpl:2)');
    expect(() => tokenize('{{ [1, 2 }}', { name: 't' })).toThrow('Unclosed "]"');
    expect(() => tokenize('{{ (1 }}', { name: 't' })).toThrow('Unclosed ")"');
  });

  it('maps offsets to lines and columns', () => {
    const lc = new LineCounter('ab\ncd\n\nef');
    expect(lc.position(0)).toEqual({ line: 1, column: 1 });
    expect(lc.position(4)).toEqual({ line: 2, column: 2 });
    expect(lc.position(7)).toEqual({ line: 4, column: 1 });
  });
});
