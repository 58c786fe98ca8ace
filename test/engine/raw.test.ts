/**
 * Kestra's `{% raw %}…{% endraw %}` and whitespace control. Kestra handles raw blocks outside Pebble
 * (core/src/main/java/io/kestra/core/runners/VariableRenderer.java, develop @58c1ca2d: RAW_PATTERN
 * `\{%-*\s*raw\s*-*%}(.*?)\{%-*\s*endraw\s*-*%}`, replaceRawTags / putBackRawTags, then
 * `replaceAll("$2")` on the output): while Pebble renders, a block is a UUID. Hence:
 * - the `-` markers of the raw and endraw tags are accepted and trim nothing;
 * - a neighbouring tag's marker (`-}}`, `{{-`) trims the text up to the block, never into it
 *   (a UUID is not whitespace), so the block's content keeps its spaces;
 * - a block spanning lines is not matched and reaches Pebble, which refuses the `raw` tag;
 * - raw tags left in the output (from a value) are stripped.
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

  it('the same when an operand is resolved asynchronously', async () => {
    const asyncEngine = createEngine().registerFunction('later', (args) => Promise.resolve(String(args[0])));
    const tags = { open: '{% raw %}', close: 'y{% endraw %}', brace: '{', rest: '% raw %}q{% endraw %}' };
    await expect(asyncEngine.render("{{ 'x' ~ later(open) ~ close ~ later('z') }}", tags)).resolves.toBe('xyz');
    await expect(asyncEngine.render('{{ later(brace) ~ rest }}', tags)).resolves.toBe('q');
  });
});
