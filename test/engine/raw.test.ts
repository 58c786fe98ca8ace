/**
 * Kestra's `{% raw %}…{% endraw %}` and whitespace control. Kestra handles raw blocks outside Pebble
 * (core/src/main/java/io/kestra/core/runners/VariableRenderer.java, develop @58c1ca2d: RAW_PATTERN
 * `\{%-*\s*raw\s*-*%}(.*?)\{%-*\s*endraw\s*-*%}`, replaceRawTags / putBackRawTags, then
 * `replaceAll("$2")` on the output): while Pebble renders, a block is a UUID, wherever it is
 * (text, string literal, comment). Hence:
 * - the `-` markers of the raw and endraw tags are accepted and trim nothing;
 * - a neighbouring tag's marker (`-}}`, `{{-`) trims the text up to the block, never into it
 *   (a UUID is not whitespace), so the block's content keeps its spaces;
 * - a block spanning lines is not matched and reaches Pebble, which refuses the `raw` tag;
 * - raw tags left in the output (from a value) are stripped;
 * - a block inside an expression is a 36-character UUID to every filter and operator, and is put
 *   back (then stripped) only where the UUID reaches the output unchanged.
 */
import { TemplateError } from '../../src/engine/errors.js';
import { createEngine } from '../../src/index.js';

const engine = createEngine();
const render = (template: string): string =>
  engine.renderSync(template, { x: 'X', v: '{% raw %}q{% endraw %} {%- raw -%} r {% endraw %}' });

describe('whitespace control around {% raw %}', () => {
  it.each([
    ['a  {%- raw %} {{ y }} {% endraw -%}  b', 'a   {{ y }}   b'],
    ['a  {% raw -%} {{ y }} {%- endraw %}  b', 'a   {{ y }}   b'],
    ['a  {%- raw -%} {{ y }} {%- endraw -%}  b', 'a   {{ y }}   b'],
    ['a\n{%- raw %}y{% endraw -%}\nb', 'a\ny\nb'],
    ['{%- raw -%}{{ x }}{%- endraw -%}', '{{ x }}'],
    ['{{ x -}}  {% raw %}  y  {% endraw %}  {{- x }}', 'X  y  X'],
    ['{{ x -}}\n{%- raw -%}\t{% endraw -%}\n{{- x }}', 'X\tX'],
    ['{% if true -%}  {% raw %} k {% endraw %}  {%- endif %}', ' k '],
    ['{%raw%}{{ x }}{%endraw%} {% raw %}{%- if -%}{% endraw %}', '{{ x }} {%- if -%}'],
  ])('%p → %p', (template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it('a block over several lines reaches Pebble, which has no raw tag', () => {
    expect(() => render('{% raw %}a\nb{% endraw %}')).toThrow(TemplateError);
    expect(() => render('{% raw %}a\nb{% endraw %}')).toThrow('Unexpected tag name "raw"');
  });

  it('raw tags printed from a value are stripped, as Kestra strips them from the output', () => {
    expect(render('{{ v }}')).toBe('q  r ');
    expect(render('{{ v }}{% raw %}{{ v }}{% endraw %}')).toBe('q  r {{ v }}');
  });

  // A printed concatenation looks for `%` in its operands, not in the joined string (see
  // Output.appendChecked): a tag split over operands, or printed from a map, is still stripped.
  it('raw tags a concatenation prints are stripped, wherever its operands split them', () => {
    const parts = { a: '{', b: '% raw %}in', c: '{% endraw', d: ' %}', m: { k: '{% raw %}m{% endraw %}' }, n: 5 };
    const cases: [string, string][] = [
      ['{{ a ~ b ~ c ~ d }}', 'in'],
      ["{{ a ~ '% raw %}' ~ n ~ c ~ d }}", '5'],
      ["{{ '{' ~ b ~ '{% endraw %}' ~ n }}", 'in5'],
      ["{{ 'x' ~ m ~ 'y' }}", 'x{k=m}y'],
      ['{{ a ~ b }}|{{ c ~ d }}', 'in|'],
      ["{{ 'no tag: ' ~ a ~ n ~ '%' }}", 'no tag: {5%'],
    ];
    for (const [template, expected] of cases) expect(engine.renderSync(template, parts)).toBe(expected);
  });

  // The JSON writer remembers the last map text it wrote without a `%` (values.knownPercentFree),
  // so the output need not look in it: a map holding a tag, in its key or a value, is still read.
  it('raw tags in toJson text, or in a printed map, are stripped after a map without any', () => {
    const maps = {
      plain: { a: 'x', n: 1 },
      tagged: { k: '{% raw %}t{% endraw %}' },
      key: { '{% raw %}k{% endraw %}': 'v', n: 2 },
    };
    const cases: [string, string][] = [
      ["{{ 'p=' ~ (plain | toJson) ~ '&t=' ~ (tagged | toJson) }}", 'p={"a":"x","n":1}&t={"k":"t"}'],
      ['{{ plain }}{{ tagged }}', '{"a":"x","n":1}{"k":"t"}'],
      ['{{ (plain | toJson) ~ (key | toJson) }}', '{"a":"x","n":1}{"k":"v","n":2}'],
      ['{{ plain | toJson }}|{{ key }}', '{"a":"x","n":1}|{"k":"v","n":2}'],
    ];
    for (const [template, expected] of cases) {
      // Twice: the second time the percent-free memo holds `plain`'s text from the first.
      expect(engine.renderSync(template, maps)).toBe(expected);
      expect(engine.renderSync(template, maps)).toBe(expected);
    }
  });

  it('the same when an operand is resolved asynchronously', async () => {
    const asyncEngine = createEngine().registerFunction('later', (args) => Promise.resolve(String(args[0])));
    const tags = { open: '{% raw %}', close: 'y{% endraw %}', brace: '{', rest: '% raw %}q{% endraw %}' };
    await expect(asyncEngine.render("{{ 'x' ~ later(open) ~ close ~ later('z') }}", tags)).resolves.toBe('xyz');
    await expect(asyncEngine.render('{{ later(brace) ~ rest }}', tags)).resolves.toBe('q');
  });

  it('a block inside an expression is a UUID while the template renders, as in Kestra', () => {
    expect(render("{{ '{% raw %}ab{% endraw %}' }}")).toBe('ab');
    expect(render("{{ 'x{% raw %}{{ y }}{% endraw %}' ~ x }}")).toBe('x{{ y }}X');
    expect(render("{{ '{% raw %}ab{% endraw %}' | length }}")).toBe('36');
    expect(render("{{ 'a{% raw %}b{% endraw %}' == 'ab' }}")).toBe('false');
    expect(render("{{ '{% raw %}ab{% endraw %}' | upper }}")).toMatch(
      /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/,
    );
    // In a comment, the block hides what would have ended it.
    expect(render('{# {% raw %}#}{% endraw %} #}z')).toBe('z');
    // Put back whole, then stripped with the rest of the output: a value's tag can pair with it.
    expect(engine.renderSync('{% raw %}{% raw %}{% endraw %}{{ v }}', { v: 'b{% endraw %}' })).toBe('{% raw %}b{% endraw %}');
  });

  it('is the same in every render of a compiled template, in macros and in render()', () => {
    const compiled = engine.compile('{% macro m() %}[{% raw %}{{ m }}{% endraw %}]{% endmacro %}{{ m() }}{{ render(t) }}');
    for (let i = 0; i < 3; i++) expect(compiled.renderSync({ t: '{% raw %}{{ t }}{% endraw %}' })).toBe('[{{ m }}]{{ t }}');
  });

  it("uses Java's whitespace and line terminators, not JavaScript's", () => {
    // A no-break space is not Java's \s, so this is not a raw tag (Pebble then refuses the tag name).
    expect(() => render('{%\u00a0raw %}a{% endraw %}')).toThrow(TemplateError);
    // NEL ends a line for Java's `.`: the block is not single-line.
    expect(() => render('{% raw %}a\u0085b{% endraw %}')).toThrow('Unexpected tag name "raw"');
    expect(render('{%\x0braw\x0b%}a{%\fendraw\t%}')).toBe('a');
  });
});
