/**
 * Java regular expressions as JavaScript ones. Every expectation is what java.util.regex.Pattern
 * (Java 21) documents; the Javadoc section is named in each test. Translations are checked by
 * matching real inputs, never by the emitted source.
 */
import { createEngine } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';
import { JavaPattern, JavaRegexError, translateJavaRegex } from '../../src/engine/java-regex.js';
import { compileRegex, runsInLinearTime } from '../../src/engine/regex.js';
import { coerceInput } from '../../src/flow/inputs.js';

/** Every match of the Java `pattern` in `input` (Matcher.find, repeated). */
function find(pattern: string, input: string): string[] {
  const re = JavaPattern.compile(pattern, {}, 'g').regexFor(input);
  return Array.from(input.matchAll(re), (m) => m[0]);
}

/** Java's `Pattern.matches(pattern, input)`. */
function matches(pattern: string, input: string): boolean {
  return JavaPattern.compile(pattern).matchesWhole(input);
}

function refused(pattern: string, code: 'SYNTAX' | 'UNSUPPORTED', options = {}): JavaRegexError {
  try {
    translateJavaRegex(pattern, options);
  } catch (e) {
    expect(e).toBeInstanceOf(JavaRegexError);
    expect((e as JavaRegexError).code).toBe(code);
    return e as JavaRegexError;
  }
  throw new Error(`expected ${pattern} to be refused`);
}

const engine = createEngine();
const render = (template: string, context: Record<string, unknown> = {}): string => engine.renderSync(template, context);
function renderError(template: string, context: Record<string, unknown> = {}): TemplateError {
  try {
    render(template, context);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error(`expected ${template} to fail`);
}

describe('Java regular expressions: predefined classes (Javadoc "Predefined character classes")', () => {
  it('\\s is [ \\t\\n\\x0B\\f\\r] only, \\d [0-9], \\w [a-zA-Z_0-9]', () => {
    expect(find('\\s', 'a b\u00a0c\u2003d\te')).toEqual([' ', '\t']);
    expect(find('\\S+', 'a\u00a0b c')).toEqual(['a\u00a0b', 'c']);
    expect(find('\\d+', '12٣4')).toEqual(['12', '4']);
    expect(find('\\w+', 'héllo_1')).toEqual(['h', 'llo_1']);
    expect(find('\\W', 'é-')).toEqual(['é', '-']);
  });
  it('\\h is horizontal whitespace, \\v vertical whitespace (Java 8+), \\R a linebreak', () => {
    expect(find('\\h', 'a \u00a0\u2003\nb')).toEqual([' ', '\u00a0', '\u2003']);
    expect(find('\\v', 'a\u000b\n\u2028 b')).toEqual(['\u000b', '\n', '\u2028']);
    expect(find('\\H+', 'ab cd')).toEqual(['ab', 'cd']);
    expect(find('\\V+', 'ab\ncd')).toEqual(['ab', 'cd']);
    expect(find('\\R', 'a\r\nb\nc\u0085d')).toEqual(['\r\n', '\n', '\u0085']);
  });
  it('. excludes \\n \\r \\u0085 \\u2028 \\u2029 (Javadoc "Line terminators"), all of them with DOTALL, only \\n with UNIX_LINES', () => {
    expect(find('.', 'a\u0085b\u2028c\rd')).toEqual(['a', 'b', 'c', 'd']);
    expect(find('(?s).', 'a\u0085')).toEqual(['a', '\u0085']);
    expect(find('(?d).', 'a\r\u0085\n')).toEqual(['a', '\r', '\u0085']);
  });
  it('. and negated classes match a whole supplementary character', () => {
    expect(find('.', 'x😀')).toEqual(['x', '😀']);
    expect(matches('[^a]', '😀')).toBe(true);
    expect(matches('..', '😀')).toBe(false);
    expect(find('\\W', '😀')).toEqual(['😀']);
  });
  it('POSIX classes are US-ASCII only (Javadoc "POSIX character classes (US-ASCII only)")', () => {
    expect(find('\\p{Punct}', 'a!b,é¿')).toEqual(['!', ',']);
    expect(find('\\p{Alpha}+', 'héllo')).toEqual(['h', 'llo']);
    expect(find('\\p{Alnum}+', 'a1-b2')).toEqual(['a1', 'b2']);
    expect(find('\\p{Digit}', '1٣')).toEqual(['1']);
    expect(find('\\p{Upper}', 'AÀ')).toEqual(['A']);
    expect(find('\\p{Lower}', 'aà')).toEqual(['a']);
    expect(find('\\p{Space}', ' \u00a0')).toEqual([' ']);
    expect(find('\\p{XDigit}+', 'fg09')).toEqual(['f', '09']);
    expect(find('\\p{Cntrl}', '\u0001a\u007f\u0085')).toEqual(['\u0001', '\u007f']);
    expect(find('\\p{Print}+', 'a b\u00e9')).toEqual(['a b']);
    expect(find('\\p{Graph}+', 'a b')).toEqual(['a', 'b']);
    expect(find('\\p{Blank}', ' \t\n')).toEqual([' ', '\t']);
    expect(find('\\p{ASCII}+', 'abé')).toEqual(['ab']);
    expect(find('\\P{Punct}+', 'a!b')).toEqual(['a', 'b']);
  });
  it('UNICODE_CHARACTER_CLASS (?U) makes them Unicode (Javadoc "Unicode support")', () => {
    expect(find('(?U)\\w+', 'héllo wörld')).toEqual(['héllo', 'wörld']);
    expect(find('(?U)\\d', '1٣')).toEqual(['1', '٣']);
    expect(find('(?U)\\s', ' \u00a0a')).toEqual([' ', '\u00a0']);
    expect(find('(?U)\\p{Alpha}+', 'héllo')).toEqual(['héllo']);
    expect(find('(?U)\\bé', 'é')).toEqual(['é']);
  });
});

describe('Java regular expressions: Unicode properties (Javadoc "Unicode scripts, blocks, categories and binary properties")', () => {
  it('categories, with or without Is, and general_category=', () => {
    expect(find('\\p{L}+', 'héllo 12')).toEqual(['héllo']);
    expect(find('\\pL+', 'héllo 12')).toEqual(['héllo']);
    expect(find('\\p{IsL}+', 'héllo 12')).toEqual(['héllo']);
    expect(find('\\p{Lu}', 'aÀb')).toEqual(['À']);
    expect(find('\\p{general_category=Lu}', 'aÀb')).toEqual(['À']);
    expect(find('\\p{gc=Nd}+', 'a٣4')).toEqual(['٣4']);
    expect(find('\\P{L}+', 'ab12cd')).toEqual(['12']);
    expect(find('\\p{LC}+', 'aB1')).toEqual(['aB']);
  });
  it('scripts: IsGreek, script=Greek, sc=Latin (case-insensitive names)', () => {
    expect(find('\\p{IsGreek}+', 'abc αβγ')).toEqual(['αβγ']);
    expect(find('\\p{script=Greek}+', 'abc αβγ')).toEqual(['αβγ']);
    expect(find('\\p{sc=LATIN}+', 'abc αβγ')).toEqual(['abc']);
    expect(find('\\p{IsCyrillic}', 'aя')).toEqual(['я']);
  });
  it('blocks: InGreek and other common blocks as ranges; an unknown one is refused', () => {
    expect(find('\\p{InGreek}+', 'abc αβγ')).toEqual(['αβγ']);
    expect(find('\\p{block=BasicLatin}+', 'abc αβγ')).toEqual(['abc ']);
    expect(find('\\p{InLatin-1 Supplement}', 'aé')).toEqual(['é']);
    expect(refused('\\p{InTamil}', 'UNSUPPORTED').message).toContain('block');
  });
  it('binary properties: IsAlphabetic, IsWhite_Space, IsUppercase…', () => {
    expect(find('\\p{IsAlphabetic}+', 'héllo 12')).toEqual(['héllo']);
    expect(find('\\p{IsWhite_Space}', 'a\u00a0b')).toEqual(['\u00a0']);
    expect(find('\\p{IsWhiteSpace}', 'a\u00a0b')).toEqual(['\u00a0']);
    expect(find('\\p{IsUppercase}', 'aÀ')).toEqual(['À']);
    expect(find('\\p{IsPunctuation}', 'a¿')).toEqual(['¿']);
  });
  it('java.lang.Character classes', () => {
    expect(find('\\p{javaLowerCase}+', 'àbC')).toEqual(['àb']);
    expect(find('\\p{javaUpperCase}', 'àbC')).toEqual(['C']);
    expect(find('\\p{javaWhitespace}', 'a\u00a0\u2003\u001c')).toEqual(['\u2003', '\u001c']);
    expect(find('\\p{javaMirrored}', 'a(b]')).toEqual(['(', ']']);
    expect(find('\\p{javaLetterOrDigit}+', 'é1 _')).toEqual(['é1']);
    expect(find('\\p{javaDigit}+', 'a٣1')).toEqual(['٣1']);
    expect(find('\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*', ' $x1 1a')).toEqual(['$x1', 'a']);
    expect(find('\\p{javaSpaceChar}', 'a\u00a0\t')).toEqual(['\u00a0']);
  });
  it('unknown property names are Java syntax errors', () => {
    refused('\\p{Foo}', 'SYNTAX');
    refused('\\p{IsFoo}', 'SYNTAX');
    refused('\\p{foo=bar}', 'SYNTAX');
    refused('\\p{}', 'SYNTAX');
  });
});

describe('Java regular expressions: escapes (Javadoc "Characters", "Quotation")', () => {
  it('\\t \\n \\r \\f \\a \\e \\cX \\0ooo \\xhh \\x{h…} \\uhhhh', () => {
    expect(matches('\\t\\n\\r\\f\\a\\e', '\t\n\r\f\u0007\u001b')).toBe(true);
    expect(matches('\\cA\\cZ', '\u0001\u001a')).toBe(true);
    expect(matches('\\0101\\07\\0377\\0400', 'A\u0007\u00ff\u00200')).toBe(true);
    expect(matches('\\x41\\x{1F600}\\x{41}', 'A😀A')).toBe(true);
    expect(matches('\\u0041\\uD83D\\uDE00', 'A😀')).toBe(true);
  });
  it('\\Q…\\E quotes everything, also inside a class and to the end without \\E', () => {
    expect(find('\\Q.*(\\E+', 'a.*((')).toEqual(['.*((']);
    expect(find('[\\Q]-\\E]', 'a]-')).toEqual([']', '-']);
    expect(find('a\\Q$', 'a$')).toEqual(['a$']);
  });
  it('a backslash before a non-alphabetic character is that character; before an unknown letter it is an error', () => {
    expect(find('\\-\\#\\ \\@', '-# @')).toEqual(['-# @']);
    refused('\\y', 'SYNTAX');
    refused('\\E', 'SYNTAX');
    refused('\\0', 'SYNTAX');
    refused('\\x4', 'SYNTAX');
    refused('\\u004', 'SYNTAX');
    refused('\\x{110000}', 'SYNTAX');
  });
});

describe('Java regular expressions: boundaries (Javadoc "Boundary matchers", "Line terminators")', () => {
  it('$ and \\Z also match before a final line terminator; \\z only at the end', () => {
    expect(find('[0-9]+$', '123\n')).toEqual(['123']);
    expect(find('[0-9]+$', '123\r\n')).toEqual(['123']);
    expect(find('[0-9]+$', '123\u2028')).toEqual(['123']);
    expect(find('[0-9]+$', '123\n\n')).toEqual([]);
    expect(find('[0-9]+\\Z', '123\n')).toEqual(['123']);
    expect(find('[0-9]+\\z', '123\n')).toEqual([]);
    expect(find('$', 'a\r\n').length).toBe(2); // before \r\n and at the end, never between \r and \n
    expect(find('(?d)a$', 'a\r')).toEqual([]);
    expect(find('(?d)a$', 'a\n')).toEqual(['a']);
  });
  it('\\A is the start of input, even in MULTILINE mode', () => {
    expect(find('(?m)\\Aa', 'a\na')).toEqual(['a']);
  });
  it('MULTILINE ^ and $ use every line terminator, never split \\r\\n, and ^ never matches at the end', () => {
    expect(find('(?m)^\\w', 'a\nb\rc\u0085d\u2028e')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(find('(?m)\\w$', 'a\nb\rc\u0085d')).toEqual(['a', 'b', 'c', 'd']);
    expect(find('(?m)$', 'a\r\n').length).toBe(2);
    expect(find('(?m)^', 'a\n').length).toBe(1);
    expect(find('(?md)^.', 'a\rb\nc')).toEqual(['a', 'c']);
  });
  it('\\b and \\B are ASCII word boundaries, a non-spacing mark after a letter staying in the word', () => {
    expect(find('\\bfoo\\b', 'foo foobar (foo)')).toEqual(['foo', 'foo']);
    expect(find('\\Boo', 'foo oo')).toEqual(['oo']);
    expect(find('e\\u0301\\b', 'cafe\u0301 ')).toEqual(['e\u0301']);
    expect(find('e\\b', 'cafe\u0301')).toEqual([]);
  });
});

describe('Java regular expressions: quantifiers and groups (Javadoc "Greedy/Reluctant/Possessive quantifiers", "Special constructs")', () => {
  it('possessive quantifiers never give back', () => {
    expect(find('a*+a', 'aaa')).toEqual([]);
    expect(find('a++b', 'aab')).toEqual(['aab']);
    expect(find('a?+a', 'a')).toEqual([]);
    expect(find('a{1,3}+a', 'aaaa')).toEqual(['aaaa']);
    expect(find('a{1,3}+a', 'aaa')).toEqual([]);
    expect(find('"[^"]*+"', '"x" "y')).toEqual(['"x"']);
  });
  it('atomic groups keep their first match', () => {
    expect(find('(?>a|ab)c', 'abc ac')).toEqual(['ac']);
    expect(find('(?>a+)b', 'aab')).toEqual(['aab']);
  });
  it('reluctant quantifiers and counted repetitions', () => {
    expect(find('a+?', 'aa')).toEqual(['a', 'a']);
    expect(find('a{2}', 'aaaaa')).toEqual(['aa', 'aa']);
    expect(find('a{2,}', 'aaaaa')).toEqual(['aaaaa']);
    expect(find('a{1,2}?', 'aa')).toEqual(['a', 'a']);
  });
  it('backreferences and named groups', () => {
    expect(find('(\\w)\\1', 'aabcc')).toEqual(['aa', 'cc']);
    expect(find('(?<y>\\d{2})-\\k<y>', '12-12 12-13')).toEqual(['12-12']);
    expect(find('(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10', 'abcdefghijj')).toEqual(['abcdefghijj']);
    // Java: \11 with ten groups is \1 followed by "1"
    expect(find('(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\11', 'abcdefghija1')).toEqual(['abcdefghija1']);
  });
  it('backreferences after possessive quantifiers still name the user’s groups', () => {
    expect(find('(a)++(b)\\2', 'aabb')).toEqual(['aabb']);
    expect(find('(?>(x))(y)\\2\\1', 'xyyx')).toEqual(['xyyx']);
  });
  it('lookahead and lookbehind; lookbehind needs a bounded length', () => {
    expect(find('a(?=b)', 'ab ac')).toEqual(['a']);
    expect(find('a(?!b)', 'ab ac')).toEqual(['a']);
    expect(find('(?<=x)a', 'xa ya')).toEqual(['a']);
    expect(find('(?<!x)a', 'xa ya')).toEqual(['a']);
    expect(find('(?<=a{1,3})b', 'aab')).toEqual(['b']);
    refused('(?<=a*)b', 'SYNTAX');
    refused('(?<=a+)b', 'SYNTAX');
  });
  it('quantified assertions are accepted, as Java accepts them', () => {
    expect(find('^*a', 'a')).toEqual(['a']);
    expect(find('(?=a)+a', 'a')).toEqual(['a']);
  });
});

describe('Java regular expressions: classes (Javadoc "Character classes")', () => {
  it('unions, ranges, nested classes', () => {
    expect(find('[a-d[m-p]]+', 'amzq')).toEqual(['am']);
    expect(find('[]a]+', ']a b')).toEqual([']a']);
    expect(find('[a-]+', 'a-b')).toEqual(['a-']);
    expect(find('[\\d-z]', '5-z_')).toEqual(['5', '-', 'z']); // a '-' after a class escape is a literal
  });
  it('intersections, with negation inside (Java 9+: ^ negates the whole class)', () => {
    expect(find('[a-z&&[def]]+', 'abcdefg')).toEqual(['def']);
    expect(find('[a-z&&[^bc]]+', 'abcd')).toEqual(['a', 'd']);
    expect(find('[a-z&&[^m-p]]+', 'lmnoq')).toEqual(['l', 'q']);
    expect(find('[^a-z&&[^aeiou]]+', 'bae1')).toEqual(['ae1']);
    expect(find('[\\p{L}&&[^\\p{Lu}]]+', 'abCdé')).toEqual(['ab', 'dé']);
    expect(find('[\\w&&[^\\d]]+', 'ab1c')).toEqual(['ab', 'c']);
    expect(find('[^a[b]]', 'abc')).toEqual(['c']);
  });
  it('bad classes are Java syntax errors', () => {
    refused('[a', 'SYNTAX');
    refused('[z-a]', 'SYNTAX');
    refused('[]', 'SYNTAX');
    refused('[\\b]', 'SYNTAX');
  });
});

describe('Java regular expressions: flags (Javadoc "Special constructs", field summary)', () => {
  it('(?i) is ASCII-only case folding; (?iu) folds Unicode', () => {
    expect(find('(?i)abc', 'ABC aBc')).toEqual(['ABC', 'aBc']);
    expect(find('(?i)é', 'É')).toEqual([]);
    expect(find('(?iu)é', 'É')).toEqual(['É']);
    expect(find('(?i)[a-c]+', 'ABCD')).toEqual(['ABC']);
    expect(find('(?i)[^a]', 'aAb')).toEqual(['b']);
    expect(find('(?iu)[à-â]+', 'ÀÂ')).toEqual(['ÀÂ']);
    expect(find('(?i)straße', 'STRASSE')).toEqual([]);
  });
  it('flags in the middle last to the end of the enclosing group; (?i:…) only inside; (?-i) turns off', () => {
    expect(find('a(?i)b', 'aB AB')).toEqual(['aB']);
    expect(find('(a(?i)b)c', 'aBc aBC')).toEqual(['aBc']);
    expect(find('a(?i:b)c', 'aBc aBC')).toEqual(['aBc']);
    expect(find('(?i)a(?-i)b', 'Ab AB')).toEqual(['Ab']);
    expect(find('x(?i)a|b', 'B xA')).toEqual(['B', 'xA']); // the flag carries into the next alternative
  });
  it('scoped s, m, d flags', () => {
    expect(find('a(?s:.)b', 'a\nb')).toEqual(['a\nb']);
    expect(find('a(?s:.).', 'a\n\n')).toEqual([]);
    expect(find('(?m:^b)|^a', 'a\nb')).toEqual(['a', 'b']);
  });
  it('comments mode (?x) drops whitespace and # comments, also in classes, not in \\Q…\\E or escaped', () => {
    expect(find('(?x) a b # a comment\n c', 'abc')).toEqual(['abc']);
    expect(find('(?x)[a b]+', 'a b')).toEqual(['a', 'b']);
    expect(find('(?x)a\\ b', 'a b')).toEqual(['a b']);
    expect(find('(?x)\\Qa b\\E', 'a b')).toEqual(['a b']);
    expect(find('a(?x: b )c', 'abc')).toEqual(['abc']);
    expect(find('a(?x: b ) c', 'ab c')).toEqual(['ab c']);
  });
  it('compile flags given by the caller', () => {
    const p = JavaPattern.compile('a.', { flags: 'is' }, 'g');
    expect('A\n'.match(p.regexFor('A\n'))).toEqual(['A\n']);
  });
  it('unknown inline flags are errors, CANON_EQ is refused', () => {
    refused('(?q)a', 'SYNTAX');
    refused('(?c)a', 'UNSUPPORTED');
  });
});

describe('Java regular expressions: what cannot be emulated is refused, Java syntax errors are errors', () => {
  it.each(['\\G', '\\X', '\\b{g}', '\\N{LATIN SMALL LETTER A}'])('refuses %s', (pattern) => {
    expect(refused(pattern, 'UNSUPPORTED').message).toContain('not supported');
  });
  it('refuses backreferences that may point at a group that did not match (Java fails them, JavaScript matches empty)', () => {
    refused('(a)?b\\1', 'UNSUPPORTED');
    refused('(?:(a)|b)\\1', 'UNSUPPORTED');
    refused('(a\\1)', 'UNSUPPORTED');
    refused('(?i)(a)\\1', 'UNSUPPORTED');
  });
  it('refuses read captures that differ: a group that may skip the last repetition, a group in a lookbehind', () => {
    refused('(?:(a)|b)+', 'UNSUPPORTED');
    refused('(?<=(a))b', 'UNSUPPORTED');
    // …but split and matches read no groups
    expect(() => translateJavaRegex('(?:(a)|b)+', { capturesRead: false })).not.toThrow();
    expect(find('(a)+', 'aa')).toEqual(['aa']);
  });
  it.each([
    ['(a', 'Unclosed group'],
    ['a)', "Unmatched closing ')'"],
    ['*a', 'Dangling meta character'],
    ['a**', 'Dangling meta character'],
    ['a{', 'Illegal repetition'],
    ['{1}', 'Illegal repetition'],
    ['a{3,1}', 'Illegal repetition range'],
    ['(?<1a>x)', 'capturing group name'],
    ['(?<a>x)(?<a>y)', 'already defined'],
    ['\\k<zz>', 'does not exist'],
  ])('%s is a Java syntax error', (pattern, text) => {
    expect(refused(pattern, 'SYNTAX').message).toContain(text);
  });
});

describe('Java regular expressions: speed', () => {
  it('common patterns stay on the linear-time engine', () => {
    for (const pattern of [
      ',',
      '\\s+',
      '[0-9]+',
      '\\d+',
      '\\w+',
      '\\p{Punct}',
      '[^a-z]+',
      '(?i)abc',
      '.',
      '[0-9]+$',
      '\\bword\\b',
      'a|b',
      '(\\w+)@(\\w+)',
    ]) {
      const re = JavaPattern.compile(pattern, {}, 'g').regexFor('plain input');
      expect([pattern, runsInLinearTime(re)]).toEqual([pattern, true]);
    }
    // The exact `$` for an input ending with a line terminator needs a lookahead.
    expect(runsInLinearTime(JavaPattern.compile('[0-9]+$', {}, 'g').regexFor('1\n'))).toBe(false);
    expect(runsInLinearTime(compileRegex('\\p{L}', 'gu'))).toBe(false);
  });
  it('the u flag only where a construct needs it, v only for set operations on properties', () => {
    expect(translateJavaRegex('[a-z&&[^aeiou]]').plain.flags).toBe('');
    expect(translateJavaRegex('\\p{L}').plain.flags).toBe('u');
    expect(translateJavaRegex('[\\p{L}&&[^\\p{Lu}]]').plain.flags).toBe('v');
  });
  it('a pattern is translated once (a split in a loop), per flags and use of its groups', () => {
    const comma = JavaPattern.compile(',', {}, 'g');
    expect(JavaPattern.compile(',', {}, 'g')).toBe(comma);
    expect(JavaPattern.compile(',', {}, '')).not.toBe(comma);
    expect(JavaPattern.compile(',', { flags: 'i' }, 'g')).not.toBe(comma);
    expect(JavaPattern.compile(',', { capturesRead: true }, 'g')).not.toBe(comma);
    // A shared pattern keeps no state between uses.
    expect(createEngine().renderSync("{{ 'a,b' | split(',') | length }}{{ 'c,d,e' | split(',') | length }}", {})).toBe('23');
  });
});

describe('Java regular expressions through the filters', () => {
  it('Kestra replace(regexp=true): possessive, POSIX, $ before a final newline, groups through the map', () => {
    expect(render("{{ 'a1b22' | replace({'[0-9]++': '#'}, regexp=true) }}")).toBe('a#b#');
    expect(render("{{ 'a,b;c' | replace({'\\p{Punct}': ' '}, regexp=true) }}")).toBe('a b c');
    expect(render("{{ s | replace({'[0-9]+$': 'N'}, regexp=true) }}", { s: '123\n' })).toBe('N\n');
    expect(render("{{ 'aab' | replace({'(a)++(b)': '$2$1'}, regexp=true) }}")).toBe('ba');
    expect(render("{{ 'x=1' | replace({'(?>(?<k>\\w))=(?<v>\\d)': '${v}${k}'}, regexp=true) }}")).toBe('1x');
    expect(render("{{ 'Straße' | replace({'(?i)S': '_'}, regexp=true) }}")).toBe('_traße');
  });
  it('a refused or invalid pattern is a FUNCTION_ERROR naming it', () => {
    const e = renderError("{{ 'x' | replace({'\\G': '_'}, regexp=true) }}");
    expect(e.code).toBe('FUNCTION_ERROR');
    expect(e.rawMessage).toContain("Invalid regular expression '\\G'");
    expect(renderError("{{ 'x' | replace({'a{': '_'}, regexp=true) }}").rawMessage).toContain('Illegal repetition');
    expect(renderError("{{ 'x' | split('\\y') }}").rawMessage).toContain('Invalid regular expression');
  });
  it('split: Java classes, helper groups never show, empty trailing strings dropped', () => {
    expect(render("{{ 'a b\u00a0c' | split('\\s+') }}")).toBe('["a","b\u00a0c"]');
    expect(render("{{ 'a1b22c' | split('[0-9]++') }}")).toBe('["a","b","c"]');
    expect(render("{{ 'a,b;c' | split('\\p{Punct}') }}")).toBe('["a","b","c"]');
    expect(render("{{ 'x-y-z' | split('(?>-)', 2) }}")).toBe('["x","y-z"]');
  });
  it('core replace with regexp shares the Java replacement rules', async () => {
    const { coreFilters } = await import('../../src/engine/builtins/core/filters.js');
    const replace = coreFilters['replace']!;
    const ctx = { budget: undefined } as never;
    expect(replace.call('a1b22', { replace_pairs: { '([0-9])++': '<$1>' }, regexp: true }, ctx)).toBe('a<1>b<2>');
    expect(replace.call('x=1', { replace_pairs: { '(?<k>\\w)=(?<v>\\d)': '${v}=${k}\\$' }, regexp: true }, ctx)).toBe('1=x$');
    expect(() => replace.call('x', { replace_pairs: { x: '$2' }, regexp: true }, ctx)).toThrow('No group 2');
    expect(replace.call('123\n', { replace_pairs: { '\\d+$': 'N' }, regexp: true }, ctx)).toBe('N\n');
  });
  it('input validators are Java patterns matched against the whole value', () => {
    const validate = (validator: string, value: string): string => {
      try {
        return String(coerceInput({ type: 'STRING', validator }, value));
      } catch (e) {
        return `invalid: ${(e as Error).message}`;
      }
    };
    expect(validate('\\p{Upper}{3}', 'ABC')).toBe('ABC');
    expect(validate('\\p{Upper}{3}', 'ÀBC')).toMatch(/^invalid: it must match/);
    expect(validate('\\w+\\s\\w+', 'a\u00a0b')).toMatch(/^invalid: it must match/);
    expect(validate('[a-z]++[a-z]', 'abc')).toMatch(/^invalid: it must match/);
    expect(validate('a|ab', 'ab')).toBe('ab');
    expect(validate('\\d+$', '12\n')).toMatch(/^invalid/); // matches() needs the whole value, \n included
    expect(validate('(', 'x')).toMatch(/^invalid: its validator/);
  });
});
