import { createEngine } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';

const engine = createEngine();
const r = (t: string, ctx: Record<string, unknown> = {}): Promise<string> => engine.render(t, ctx);
const code = async (t: string, ctx: Record<string, unknown> = {}): Promise<string> =>
  r(t, ctx).then(
    (out) => `rendered:${out}`,
    (e: unknown) => (e instanceof TemplateError ? e.code : `not a TemplateError: ${String(e)}`),
  );

const ctx = { s: 'hello world', n: -7, i: 4, d: -2.5, l: [3, 1, 2], w: ['b', 'a', 'c'], m: { a: 1, b: 2 }, nul: null, e: '' };

describe('core filters', () => {
  it.each([
    ['{{ s | abbreviate(8) }}', 'hello...'],
    ['{{ s | abbreviate(20) }}', 'hello world'],
    ['{{ nul | abbreviate(2) }}', ''],
    ['{{ n | abs }}|{{ d | abs }}|{{ -3.0 | abs }}', '7|2.5|3.0'],
    ['{{ "hé" | base64encode }}|{{ "aMOp" | base64decode }}|{{ 5 | base64encode }}|{{ [1, 2] | base64encode }}', 'aMOp|hé|NQ==|WzEsIDJd'],
    ['{{ "  word up" | capitalize }}|{{ "" | capitalize }}', '  Word up|'],
    [
      '{{ nul | default("d") }}|{{ missing | default("m") }}|{{ 0 | default("z") }}|{{ false | default("f") }}|{{ [] | default("e") }}',
      'd|m|0|false|e',
    ],
    ['{{ l | first }}|{{ l | last }}|{{ s | first }}|{{ s | last }}|{{ [] | first }}', '3|2|h|d|'],
    ['{{ l | join }}|{{ l | join(", ") }}|{{ [1, null] | join("-") }}', '312|3, 1, 2|1-null'],
    ['{{ s | length }}|{{ l | length }}|{{ m | length }}|{{ nul | length }}|{{ 5 | length }}', '11|3|2|0|0'],
    ['{{ "ÀB" | lower }}|{{ "straße" | upper }}|{{ 12 | upper }}', 'àb|STRASSE|12'],
    ['{{ l | merge([9]) }}|{{ m | merge({"c": 3}) }}|{{ nul | merge([1]) }}', '[3,1,2,9]|{"a":1,"b":2,"c":3}|[1]'],
    [
      '{{ 1234567.891 | numberFormat("#,##0.00") }}|{{ 0.125 | numberFormat("0.00") }}|{{ 2.5 | numberFormat("0") }}|{{ 1234.5 | numberFormat }}',
      '1,234,567.89|0.12|2|1,234.5',
    ],
    ['{{ 0.5 | numberFormat("0%") }}|{{ 42 | numberFormat("000") }}|{{ -1.5 | numberFormat("0.0") }}', '50%|042|-1.5'],
    ['{{ [1, 2, 3] | reverse }}|{{ w | sort }}|{{ [10, 9, 100] | rsort }}', '[3,2,1]|["a","b","c"]|[100,10,9]'],
    ['{{ "abc" | sha256 }}', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['{{ s | slice(0, 5) }}|{{ [1, 2, 3] | slice(1) }}', 'hello|[2,3]'],
    [
      '{{ "a,b,,c,," | split(",") }}|{{ "a.b" | split(".") }}|{{ "a1b" | split("\\d") }}|{{ "a,b,c" | split(",", -1) | length }}',
      '["a","b","","c"]|[]|["a","b"]|3',
    ],
    ['{{ "hello big  world" | title }}', 'Hello Big  World'],
    // Pebble keeps "\t" as two characters, so trim leaves it; real tabs are trimmed.
    ['{{ " \\t x \\t " | trim }}|{{ "\t x \n" | trim }}', '\\t x \\t|x'],
    ['{{ "a b&c=d/é~" | urlencode }}', 'a+b%26c%3Dd%2F%C3%A9%7E'],
    ['{{ "a\\nb" | nl2br }}', 'a\\nb'],
    [
      '{{ "aaa" | replace({"a": "b"}) }}|{{ ["xa", {"k": "a"}] | replace({"a": "z"}) }}|{{ "a1b22" | replace({"(\\d)+": "<$1>"}, regexp=true) }}',
      'bbb|["xz",{"k":"z"}]|a<1>b<2>',
    ],
  ])('%s', async (t, expected) => {
    expect(await r(t, { ...ctx, l: [3, 1, 2], w: ['b', 'a', 'c'] })).toBe(expected);
  });

  it('sorts and reverses lists in place, as Pebble does', async () => {
    const list = [3, 1, 2];
    expect(await r('{{ l | sort }}{{ l }}', { l: list })).toBe('[1,2,3][1,2,3]');
    expect(list).toEqual([1, 2, 3]);
  });

  it.each([
    ['{{ "x" | abs }}', 'TYPE_ERROR'],
    ['{{ nul | abs }}', 'FUNCTION_ERROR'],
    ['{{ "%%%" | base64decode }}', 'FUNCTION_ERROR'],
    ['{{ 5 | capitalize }}', 'TYPE_ERROR'],
    ['{{ m | first }}', 'TYPE_ERROR'],
    ['{{ e | last }}', 'TYPE_ERROR'],
    ['{{ "s" | join(",") }}', 'TYPE_ERROR'],
    ['{{ "x" | numberFormat("0") }}', 'TYPE_ERROR'],
    ['{{ s | reverse }}', 'TYPE_ERROR'],
    ['{{ [2.5, 1] | sort }}', 'TYPE_ERROR'],
    ['{{ [1, "a"] | sort }}', 'TYPE_ERROR'],
    ['{{ s | sort }}', 'TYPE_ERROR'],
    ['{{ 5 | sha256 }}', 'TYPE_ERROR'],
    ['{{ s | slice(3, 2) }}', 'FUNCTION_ERROR'],
    ['{{ s | slice(0, 99) }}', 'FUNCTION_ERROR'],
    ['{{ 5 | slice(0, 1) }}', 'TYPE_ERROR'],
    ['{{ 5 | split(",") }}', 'TYPE_ERROR'],
    ['{{ s | split }}', 'FUNCTION_ERROR'],
    ['{{ 5 | title }}', 'TYPE_ERROR'],
    ['{{ 5 | trim }}', 'TYPE_ERROR'],
    ['{{ 5 | urlencode }}', 'TYPE_ERROR'],
    ['{{ nul | merge(nul) }}', 'FUNCTION_ERROR'],
    ['{{ s | escape }}', 'UNKNOWN_FILTER'],
    ['{{ s | raw }}', 'UNKNOWN_FILTER'],
    ['{{ 1 | numberformat("0") }}', 'UNKNOWN_FILTER'],
  ])('%s fails with %s', async (t, expected) => {
    expect(await code(t, ctx)).toBe(expected);
  });

  it('leaves null alone in string filters', async () => {
    for (const f of [
      'capitalize',
      'lower',
      'upper',
      'title',
      'trim',
      'urlencode',
      'base64encode',
      'base64decode',
      'sha256',
      'reverse',
      'sort',
      'rsort',
      'first',
      'last',
      'join',
      'nl2br',
    ]) {
      expect(await r(`[{{ nul | ${f} }}]`, { nul: null })).toBe('[]');
    }
  });
});

describe('core functions', () => {
  it.each([
    ['{{ max(1, 5, 3) }}|{{ min(4, 2, 8) }}|{{ max(1.5, 1) }}|{{ max() }}|{{ max(1, null) }}', '5|2|1.5||1'],
    [
      '{{ range(0, 10, 3) }}|{{ range(5, 1, -2) }}|{{ range("a", "d") }}|{{ 5..3 }}|{{ 1..3 }}',
      '[0,3,6,9]|[5,3,1]|["a","b","c","d"]|[]|[1,2,3]',
    ],
    // Java longs, exact at the edges of JavaScript's safe integers and past them.
    [
      '{{ range(-9007199254740991, 2, 3002399751580331) }}|{{ 9007199254740990..9007199254740993 }}|{{ range(1, 1) }}|{{ range(-2, 2, 2) }}',
      '[-9007199254740991,-6004799503160660,-3002399751580329,2]|[9007199254740990,9007199254740991,9007199254740992,9007199254740993]|[1]|[-2,0,2]',
    ],
  ])('%s', async (t, expected) => {
    expect(await r(t)).toBe(expected);
  });

  it.each([
    ['{{ max("a", "b") }}', 'TYPE_ERROR'],
    ['{{ range(1, 5, 0) }}', 'FUNCTION_ERROR'],
    ['{{ range("ab", "c") }}', 'FUNCTION_ERROR'],
    ['{{ range(1, "c") }}', 'FUNCTION_ERROR'],
  ])('%s fails with %s', async (t, expected) => {
    expect(await code(t)).toBe(expected);
  });
});

describe('core tests', () => {
  it.each([
    ['{{ 4 is even }}{{ 3 is odd }}{{ 3 is even }}{{ 4 is not odd }}', 'truetruefalsetrue'],
    [
      '{{ "" is empty }}{{ "  " is empty }}{{ [] is empty }}{{ {} is empty }}{{ nul is empty }}{{ 0 is empty }}',
      'truetruetruetruetruefalse',
    ],
    [
      '{{ nul is null }}{{ "" is null }}{{ nul is defined }}{{ missing is defined }}{{ m.a is defined }}{{ m.zz is defined }}',
      'truefalsefalsefalsetruefalse',
    ],
    ['{{ [1] is iterable }}{{ m is iterable }}{{ "s" is iterable }}{{ m is map }}{{ [] is map }}', 'truefalsefalsetruefalse'],
  ])('%s', async (t, expected) => {
    expect(await r(t, ctx)).toBe(expected);
  });

  it.each([
    ['{{ nul is even }}', 'FUNCTION_ERROR'],
    ['{{ 2.0 is even }}', 'TYPE_ERROR'],
    ['{{ missing is null }}', 'UNDEFINED_VARIABLE'],
  ])('%s fails with %s', async (t, expected) => {
    expect(await code(t, ctx)).toBe(expected);
  });
});

describe('merge into a map', () => {
  it("iterates in java.util.HashMap order, as Pebble's merge returns a HashMap", async () => {
    // Orders recorded from java.util.HashMap on JDK 17.
    expect(
      await r('{% for e in m | merge({"b": 1, "apple": 2, "Zebra": 3, "key10": 4}) %}{{ e.key }},{% endfor %}', {
        m: { zeta: 1, alpha: 2, name: 3 },
      }),
    ).toBe('zeta,b,Zebra,key10,apple,alpha,name,');
    expect(await r('{% for e in m | merge(["x", "q", true]) %}{{ e.key }},{% endfor %}', { m: { zeta: 1, alpha: 2, name: 3 } })).toBe(
      'zeta,true,q,alpha,name,x,',
    );
  });
});
