import { JDouble } from '../../src/engine/values.js';
import { jqReady } from '../../src/engine/builtins/kestra/index.js';
import { expectTemplateError, filter, render, renderError } from '../support/kestra.js';

beforeAll(() => jqReady());

describe('jq filter', () => {
  it('always returns a list of results', () => {
    expect(filter('jq', { a: { b: 'x' } }, ['.a.b'])).toEqual(['x']);
    expect(filter('jq', [1, 2, 3], ['.[]'])).toEqual([1, 2, 3]);
    expect(filter('jq', { a: 1 }, ['empty'])).toEqual([]);
    expect(filter('jq', { a: 1 }, ['.missing'])).toEqual([null]);
  });
  it('parses a string input as JSON first', () => {
    expect(filter('jq', '{"key":"my-complex","value":{"sub":1}}', ['.value.sub'])).toEqual([1]);
  });
  it('keeps Java number types: Integer, Long, Double (2.0 stays a double)', () => {
    const [i, l, d, f] = filter('jq', '{"i":1,"l":3000000000,"d":2.0,"f":1.5}', ['.i, .l, .d, .f']) as unknown[];
    expect(i).toBe(1);
    expect(l).toBe(3000000000n);
    expect(d).toBeInstanceOf(JDouble);
    expect(f).toBe(1.5);
  });
  it('drops null map entries of an object input (Kestra converts it with its NON_NULL mapper)', () => {
    expect(filter('jq', { a: null, b: 1 }, ['keys'])).toEqual([['b']]);
  });
  it('returns null for null input', () => {
    expect(filter('jq', null, ['.'])).toBeNull();
  });
  it('wraps scalars too', () => {
    expect(filter('jq', 5, ['. + 1'])).toEqual([6]);
    expect(filter('jq', true, ['not'])).toEqual([false]);
  });
  it("fails with Kestra's message on a bad expression, a runtime error or a non-JSON string", () => {
    expectTemplateError(() => filter('jq', { a: 1 }, ['.a[']), 'Unable to parse jq value');
    expectTemplateError(() => filter('jq', { a: 1 }, ['error("boom")']), 'boom');
    expectTemplateError(() => filter('jq', 'value 1', ['.']), "Unable to parse jq value 'value 1' with type 'java.lang.String'");
    expectTemplateError(() => filter('jq', { a: 1 }, [42]), 'Unable to parse jq value');
    expectTemplateError(() => filter('jq', { a: 1 }), "expects an argument 'expression'");
  });
  it('cannot read host files or environment', () => {
    expectTemplateError(() => filter('jq', {}, ['import "/etc/hostname" as $h; $h']), 'module not found');
    expect(filter('jq', {}, ['$ENV | has("PATH") and ($ENV.PATH | test("/usr"))'])).toEqual([false]);
  });
  it('leaves the process exit code alone when a query fails', () => {
    const before = process.exitCode;
    expectTemplateError(() => filter('jq', { a: 1 }, ['error("x")']));
    expectTemplateError(() => filter('jq', { a: 1 }, ['.a[']));
    expect(process.exitCode).toBe(before);
  });
  it('survives many calls in one process', () => {
    for (let i = 0; i < 1000; i++) expect(filter('jq', { n: i }, ['.n'])).toEqual([i]);
  });
  it('works through the engine', async () => {
    expect(await render('{{ vars | jq(".second.list") | first }}', { vars: { second: { list: ['string', 1, 1.123] } } })).toBe(
      '["string",1,1.123]',
    );
    expect(await render("{{ [1, 2, 3] | jq('.') }}")).toBe('[[1,2,3]]');
    expect((await renderError("{{ m | jq('.a[') }}", { m: { a: 1 } })).message).toContain('Unable to parse jq value');
  });
});
