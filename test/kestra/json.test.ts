import { JDouble, isMap } from '../../src/engine/values.js';
import { parseJson, parseYaml, writeJson, writeYaml } from '../../src/engine/builtins/kestra/json.js';
import { JFloat } from '../../src/engine/builtins/kestra/numbers.js';
import { expectTemplateError, filter, fn, kestraTest, render, renderError } from '../support/kestra.js';

describe('toJson / json filter', () => {
  it('writes compact JSON with Java numbers and drops null map entries', () => {
    expect(filter('toJson', { a: 1, b: null, c: [1, null, new JDouble(2)], d: 1.5, e: 10n })).toBe(
      '{"a":1,"c":[1,null,2.0],"d":1.5,"e":10}',
    );
  });
  it('keeps null entries with includeNulls=true', () => {
    expect(filter('toJson', { a: null }, [true])).toBe('{"a":null}');
  });
  it('gives the string "null" for null input', () => {
    expect(filter('toJson', null)).toBe('null');
    expect(filter('toJson', undefined)).toBe('null');
  });
  it('escapes like Jackson (upper-case hex for control characters, no escaping of /)', () => {
    expect(filter('toJson', 'a"b\\c/\n\u001f')).toBe('"a\\"b\\\\c/\\n\\u001F"');
  });
  it('is also registered as json', () => {
    expect(filter('json', [1, 'a'])).toBe('[1,"a"]');
  });
  it('writes a Float box as Java prints it', () => {
    expect(writeJson([new JFloat(12.3)])).toBe('[12.3]');
  });
});

describe('fromJson / json function', () => {
  it('parses losslessly: doubles stay doubles, big integers stay exact', () => {
    const v = fn('fromJson', ['[1, 2.0, 3000000000, 12345678901234567890, 1e2]']) as unknown[];
    expect(v[0]).toBe(1);
    expect(v[1]).toBeInstanceOf(JDouble);
    expect(v[2]).toBe(3000000000n);
    expect(v[3]).toBe(12345678901234567890n);
    expect(v[4]).toBeInstanceOf(JDouble);
  });
  it('keeps __proto__ as a plain key of a prototype-less map', () => {
    const v = fn('fromJson', ['{"__proto__": {"polluted": true}, "a": 1}']) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(isMap(v)).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
  it('returns null for null', () => {
    expect(fn('fromJson', [null])).toBeNull();
  });
  it('rejects a non-string argument and a missing one', () => {
    expectTemplateError(() => fn('fromJson', [123]), "expects an argument 'json' with type string");
    expectTemplateError(() => fn('fromJson', []), "expects an argument 'json'");
  });
  it("reports bad JSON with Kestra's prefix", () => {
    expectTemplateError(() => fn('fromJson', ['{bad']), 'Invalid json: ');
    expectTemplateError(() => fn('json', ['']), 'Invalid json: No content');
  });
  it('ignores content after the first value, as Jackson readValue does', () => {
    expect(fn('json', ['{"a":1} trailing'])).toEqual(parseJson('{"a":1}'));
  });
  it('works through the engine', async () => {
    expect(await render(`{{ fromJson('{"a": {"b": [1, 2]}}').a.b[1] }}`)).toBe('2');
    expect(await render('{{ json(x).k }}', { x: '{"k":"v"}' })).toBe('v');
  });
});

describe('yaml filter', () => {
  it('writes block YAML with indented arrays and a trailing newline', () => {
    expect(filter('yaml', { a: 1, b: [1, { c: 'x', d: [] }], e: { f: 'true', g: null } })).toBe(
      'a: 1\nb:\n - 1\n - c: x\n   d: []\ne:\n  f: "true"\n  g: null\n',
    );
    expect(filter('yaml', [[1, 2], 'x: y'])).toBe(' - - 1\n   - 2\n - "x: y"\n');
  });
  it('writes scalars on one line', () => {
    expect(filter('yaml', 'string')).toBe('string\n');
    expect(filter('yaml', 1.123)).toBe('1.123\n');
    expect(filter('yaml', '')).toBe('""\n');
  });
  it('gives "null" for null input', () => {
    expect(filter('yaml', null)).toBe('null');
  });
  it('writes multi-line strings as literal blocks and quotes only where YAML needs it', () => {
    expect(filter('yaml', { a: 'line1\nline2', t: 'end\n', c: '-abc', d: '- x', e: 'a #b', num: '12', b: 'no' })).toBe(
      'a: |-\n  line1\n  line2\nt: |\n  end\nc: -abc\nd: "- x"\ne: "a #b"\nnum: "12"\nb: "no"\n',
    );
  });
  it('round-trips through the yaml function', () => {
    const value = { a: 'yes', b: ['1', 2, { c: '' }, 'x\ny'], d: ' padded', e: '#x', f: { g: 'multi\nline\n' }, h: '?q' };
    expect(parseYaml(writeYaml(value))).toEqual(value);
  });
});

describe('yaml function', () => {
  it('resolves plain scalars as Jackson (YAML 1.1) does and keeps quoted ones as strings', () => {
    const v = fn('yaml', ['a: yes\nb: 0x1F\nc: 1_000\nd: 2024-01-01\ne: ~\nf: 1.0\ng: "123"\nh: 3000000000']) as Record<string, unknown>;
    expect(v['a']).toBe(true);
    expect(v['b']).toBe(31);
    expect(v['c']).toBe(1000);
    expect(v['d']).toBe('2024-01-01');
    expect(v['e']).toBeNull();
    expect(v['f']).toBeInstanceOf(JDouble);
    expect(v['g']).toBe('123');
    expect(v['h']).toBe(3000000000n);
  });
  it('allows duplicate keys (last wins) and resolves aliases', () => {
    expect(fn('yaml', ['a: 1\na: 2'])).toEqual(parseJson('{"a":2}'));
    expect(fn('yaml', ['x: &v [1]\ny: *v'])).toEqual(parseJson('{"x":[1],"y":[1]}'));
  });
  it('rejects null and non-strings, and reports bad YAML', () => {
    expectTemplateError(() => fn('yaml', [null]), 'with type string');
    expectTemplateError(() => fn('yaml', [12]), 'with type string');
    expectTemplateError(() => fn('yaml', ['a: [1, 2']), 'Invalid yaml: ');
  });
  it('works through the engine', async () => {
    expect(await render('{{ yaml(y).list[1] }}', { y: 'list:\n  - a\n  - b' })).toBe('b');
  });
});

describe('json test', () => {
  it('is true for valid JSON strings, maps and lists', () => {
    expect(kestraTest('json', '{"a":1}')).toBe(true);
    expect(kestraTest('json', '12')).toBe(true);
    expect(kestraTest('json', { a: 1 })).toBe(true);
    expect(kestraTest('json', [1])).toBe(true);
  });
  it('is false for null, other types and invalid JSON', () => {
    expect(kestraTest('json', null)).toBe(false);
    expect(kestraTest('json', 12)).toBe(false);
    expect(kestraTest('json', 'value 1')).toBe(false);
  });
  it('works through the engine', async () => {
    expect(await render('{{ v is json }}/{{ w is not json }}', { v: '[1]', w: 'x' })).toBe('true/true');
  });
  it('errors on an undefined variable, as strict Pebble does', async () => {
    expect((await renderError('{{ nope is json }}')).code).toBe('UNDEFINED_VARIABLE');
  });
});
