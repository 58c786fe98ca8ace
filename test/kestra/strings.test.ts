import { javaRegex, javaUrlDecode, slugify } from '../../src/engine/builtins/kestra/strings.js';
import { expectTemplateError, filter, render } from '../support/kestra.js';

describe('substring filters (StringUtils semantics)', () => {
  it('cut at the first or last separator', () => {
    expect(filter('substringBefore', 'a.b.c', ['.'])).toBe('a');
    expect(filter('substringAfter', 'a.b.c', ['.'])).toBe('b.c');
    expect(filter('substringBeforeLast', 'a.b.c', ['.'])).toBe('a.b');
    expect(filter('substringAfterLast', 'a.b.c', ['.'])).toBe('c');
  });
  it('handle a missing separator, an empty one and empty input as StringUtils does', () => {
    expect(filter('substringBefore', 'abc', ['z'])).toBe('abc');
    expect(filter('substringAfter', 'abc', ['z'])).toBe('');
    expect(filter('substringBeforeLast', 'abc', ['z'])).toBe('abc');
    expect(filter('substringAfterLast', 'abc', ['z'])).toBe('');
    expect(filter('substringBefore', 'abc', [''])).toBe('');
    expect(filter('substringAfter', 'abc', [''])).toBe('abc');
    expect(filter('substringAfterLast', 'abc.', ['.'])).toBe('');
    expect(filter('substringAfter', '', ['.'])).toBe('');
  });
  it('use toString() for non-strings and return null for null', () => {
    expect(filter('substringBefore', 12.5, ['.'])).toBe('12');
    for (const name of ['substringBefore', 'substringAfter', 'substringBeforeLast', 'substringAfterLast']) {
      expect(filter(name, null, ['.'])).toBeNull();
      expectTemplateError(() => filter(name, 'a.b'), "expects an argument 'separator'");
      expectTemplateError(() => filter(name, 'a.b', [1]), 'cannot be cast');
    }
  });
  it('work through the engine with a named separator', async () => {
    expect(await render("{{ 'a.b.c' | substringAfter(separator='.') }}")).toBe('b.c');
  });
});

describe('startsWith / endsWith', () => {
  it('compare prefixes and suffixes of toString()', () => {
    expect(filter('startsWith', 'Hello World', ['Hello'])).toBe(true);
    expect(filter('endsWith', 'report.csv', ['.csv'])).toBe(true);
    expect(filter('endsWith', 'report.csv', ['.txt'])).toBe(false);
    expect(filter('startsWith', 12345, [12])).toBe(true);
  });
  it('fail on null input and a missing value (Kestra throws a NullPointerException)', () => {
    expectTemplateError(() => filter('startsWith', null, ['a']));
    expectTemplateError(() => filter('endsWith', 'a', []));
  });
  it('work through the engine', async () => {
    expect(await render("{{ s | trim | startsWith('Quarterly') }}", { s: '  Quarterly Report ' })).toBe('true');
  });
});

describe('slugify', () => {
  it('lower-cases, dashes whitespace, drops accents and punctuation', () => {
    expect(slugify('Hello World!')).toBe('hello-world');
    expect(slugify('Test\t\t\ntest*')).toBe('test-test');
    expect(slugify('  Quarterly Report: Q1 2025 (FINAL)  ')).toBe('quarterly-report-q1-2025-final');
    expect(slugify('Élève_à l’école')).toBe('eleve-a-lecole');
  });
  it('returns null for null and uses toString() for other values', () => {
    expect(filter('slugify', null)).toBeNull();
    expect(filter('slugify', 1.5)).toBe('15');
    expect(filter('slugify', ['A B'])).toBe('a-b');
  });
});

describe('escapeChar', () => {
  it('escapes quotes for single, double and shell', () => {
    expect(filter('escapeChar', "it's", ['single'])).toBe("it\\'s");
    expect(filter('escapeChar', '"Hello"', ['DOUBLE'])).toBe('\\"Hello\\"');
    expect(filter('escapeChar', "L'eau", ['shell'])).toBe("L'\\''eau");
  });
  it('recurses into lists and maps (a map comes back in Java HashMap order)', () => {
    expect(filter('escapeChar', ["it's", 1], ['single'])).toEqual(["it\\'s", '1']);
    const out = filter('escapeChar', { zz: "'", a: 'x', b: ["'"] }, ['single']) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['zz', 'a', 'b']);
    expect(out['zz']).toBe("\\'");
  });
  it('returns null for null; rejects a missing or unknown type', () => {
    expect(filter('escapeChar', null, ['single'])).toBeNull();
    expectTemplateError(() => filter('escapeChar', 'x'), "expects an argument 'type'");
    expectTemplateError(() => filter('escapeChar', 'x', ['foo']), "'single', 'double', or 'shell'");
  });
  it('works through the engine, printing a list as JSON', async () => {
    expect(await render("{{ l | escapeChar('single') }}", { l: ["it's", 'ok'] })).toBe('["it\\\\\'s","ok"]');
  });
});

describe('urldecode', () => {
  it('decodes form encoding: + is a space, %XX is UTF-8', () => {
    expect(javaUrlDecode('a%20b%2Fc+d')).toBe('a b/c d');
    expect(filter('urldecode', '%C3%A9t%C3%A9')).toBe('été');
  });
  it('returns null for null; rejects non-strings and bad escapes', () => {
    expect(filter('urldecode', null)).toBeNull();
    expectTemplateError(() => filter('urldecode', 12), 'cannot be cast');
    expectTemplateError(() => filter('urldecode', '%zz'), 'Illegal hex characters');
    expectTemplateError(() => filter('urldecode', 'abc%4'), 'Incomplete trailing escape');
  });
  it('round-trips urlencode through the engine', async () => {
    expect(await render("{{ 'Kestra rulez !' | urlencode | urldecode }}")).toBe('Kestra rulez !');
  });
});

describe('indent / nindent', () => {
  it('indent pads every line but the first; nindent adds a leading newline', () => {
    expect(filter('indent', 'first line\r\nsecond line', [2])).toBe('first line\r\n  second line');
    expect(filter('nindent', 'a\nb', [2])).toBe('\n  a\n  b');
    expect(filter('nindent', '\n\n', [2])).toBe('\n  \n  \n  ');
    expect(filter('indent', 'a\nb', [1, '> '])).toBe('a\n> b');
    expect(filter('nindent', 'string', [2])).toBe('\n  string');
  });
  it('return null for null and the empty string unchanged', () => {
    expect(filter('indent', null, [2])).toBeNull();
    expect(filter('nindent', '', [2])).toBe('');
  });
  it('reject a missing, negative or non-integral amount', () => {
    expectTemplateError(() => filter('indent', 'a'), "expects an integer as argument 'amount'");
    expectTemplateError(() => filter('nindent', 'a', [-1]), 'positive integer');
    expectTemplateError(() => filter('indent', 'a', ['2']), 'cannot be cast');
  });
  it('work through the engine', async () => {
    expect(await render('{{ text | nindent(4) }}', { text: 'a: 1\nb: 2' })).toBe('\n    a: 1\n    b: 2');
  });
});

describe('replace (Kestra)', () => {
  it('replaces every occurrence of each pair, literally', () => {
    expect(filter('replace', 'john doe is john doe', [{ john: 'jane' }])).toBe('jane doe is jane doe');
    expect(filter('replace', 'a$b', [{ $: '$$' }])).toBe('a$$b');
  });
  it('treats keys as Java regexes with regexp=true ($1 and ${name} groups)', () => {
    expect(filter('replace', 'a.b.c', [{ '.': '-' }, true])).toBe('-----');
    expect(filter('replace', 'a1b22', [{ '(\\d+)': '<$1>' }], { regexp: true })).toBe('a<1>b<22>');
    expect(filter('replace', 'x=1', [{ '(?<k>\\w)=(?<v>\\d)': '${v}=${k}' }], { regexp: true })).toBe('1=x');
    expect(filter('replace', 'ABC', [{ '(?i)b': '\\$' }], { regexp: true })).toBe('A$C');
    expect(javaRegex('\\Aab\\z').regexFor('ab').test('ab')).toBe(true);
  });
  it('recurses into lists and maps, turning other leaves into strings', () => {
    expect(filter('replace', ['a-b', ['c-d'], 1], [{ '-': '_' }])).toEqual(['a_b', ['c_d'], '1']);
    expect(filter('replace', { b: 'x-y', a: { c: 'z-z' } }, [{ '-': '+' }])).toEqual({ a: { c: 'z+z' }, b: 'x+y' });
  });
  it('returns null for null; rejects missing pairs, non-map pairs, a non-boolean regexp, bad regexes', () => {
    expect(filter('replace', null, [{ a: 'b' }])).toBeNull();
    expectTemplateError(() => filter('replace', 'x'), "The argument 'replace_pairs' is required.");
    expectTemplateError(() => filter('replace', 'x', ['a']), 'cannot be cast');
    expectTemplateError(() => filter('replace', 'x', [{ a: 'b' }, 'yes']), 'cannot be cast');
    expectTemplateError(() => filter('replace', 'x', [{ '(': 'b' }, true]), 'Invalid regular expression');
    expectTemplateError(() => filter('replace', 'x', [{ x: '$2' }, true]), 'No group 2');
  });
  it('works through the engine with a map literal', async () => {
    expect(await render('{{ "I like %this% and %that%." | replace({\'%this%\': foo, \'%that%\': "bar"}) }}', { foo: 'apples' })).toBe(
      'I like apples and bar.',
    );
  });
});
