import { dumpBinary } from 'ion-js';
import { JDouble } from '../../src/engine/values.js';
import { parseJson } from '../../src/engine/builtins/kestra/json.js';
import { JBigDecimal, JFloat } from '../../src/engine/builtins/kestra/numbers.js';
import { expectTemplateError, filter, fn, render } from '../support/kestra.js';

describe('toIon', () => {
  it('writes Ion text: symbols for field names, floats with an exponent', () => {
    expect(filter('toIon', { string: 'string', int: 1, float: 1.123, list: ['a', 2n], bool: true })).toBe(
      '{string:"string",int:1,float:1.123e0,list:["a",2],bool:true}',
    );
    expect(filter('toIon', new JDouble(2))).toBe('2e0');
    expect(filter('toIon', new JBigDecimal(15n, 1))).toBe('1.5');
    expect(filter('toIon', [new JFloat(1.123)])).toBe('[1.1230000257492065e0]');
    expect(filter('toIon', { empty_object: {} })).toBe('{empty_object:{}}');
  });
  it('leaves out null map entries and writes scalars alone', () => {
    expect(filter('toIon', { a: null, 'b c': 1 })).toBe("{'b c':1}");
    expect(filter('toIon', 'string')).toBe('"string"');
  });
  it('gives "null" for null', () => {
    expect(filter('toIon', null)).toBe('null');
  });
});

describe('fromIon', () => {
  it('reads the first value, or every value with allRows=true', () => {
    const v = fn('fromIon', ['{a:1, b:[1.5e0, 2e0, "x", sym], c:null} {a:2}']) as Record<string, unknown>;
    expect(v['a']).toBe(1);
    expect((v['b'] as unknown[])[1]).toBeInstanceOf(JDouble);
    expect((v['b'] as unknown[]).slice(2)).toEqual(['x', 'sym']);
    expect(v['c']).toBeNull();
    expect(fn('fromIon', ['1 2 3'], { allRows: true })).toEqual([1, 2, 3]);
    expect(fn('fromIon', [''])).toBeNull();
    expect(fn('fromIon', ['{date:2024-04-21T23:00:00.000Z, title:"Main_Page",views:109787}'])).toMatchObject({
      title: 'Main_Page',
      views: 109787,
    });
    expect(fn('fromIon', [dumpBinary({ id: 3 })])).toEqual(parseJson('{"id":3}'));
  });
  it('returns null for null and rejects non-strings, a non-boolean allRows and bad Ion', () => {
    expect(fn('fromIon', [null])).toBeNull();
    expectTemplateError(() => fn('fromIon', [12]), "expects an argument 'ion' with type string");
    expectTemplateError(() => fn('fromIon', ['1'], { allRows: 'yes' }), "'allRows' with type boolean");
    expectTemplateError(() => fn('fromIon', ['{not: ion']), 'Invalid ion: ');
    expectTemplateError(() => fn('fromIon', []), "expects an argument 'ion'");
  });
  it('round-trips through the engine', async () => {
    expect(await render('{{ fromIon(m | toIon).list[1] }}', { m: { list: ['a', 'b'] } })).toBe('b');
    expect(await render('{{ vars.bool | toIon }}', { vars: { bool: true } })).toBe('true');
  });
});
