import { TemplateError } from '../../src/engine/errors.js';
import { expectTemplateError, fn, render, renderError } from '../support/kestra.js';
import { callContext } from '../support/call-context.js';

describe('render function', () => {
  const vars = { first: '1', second: '{{first}}', third: '{{second}}' };

  it('re-renders until the text stops changing (recursive by default)', () => {
    const ctx = callContext({}, { variables: vars });
    expect(fn('render', ['{{third}}'], {}, ctx)).toBe('1');
    expect(ctx.rendered).toEqual(['{{third}}', '{{second}}', '{{first}}', '1']);
  });
  it('renders once with recursive=false', () => {
    expect(fn('render', ['{{third}}', false], {}, callContext({}, { variables: vars }))).toBe('{{second}}');
  });
  it('renders map keys and values and list items, and leaves other values alone', () => {
    const ctx = callContext({}, { variables: { ...vars, k: 'key' } });
    expect(fn('render', [{ '{{k}}': '{{third}}' }], {}, ctx)).toEqual({ key: '1' });
    expect(fn('render', [['{{third}}', 2]], {}, ctx)).toEqual(['1', 2]);
    expect(fn('render', [42], {}, ctx)).toBe(42);
    expect(fn('render', [null], {}, ctx)).toBeNull();
  });
  it('keeps the first of two keys that render the same', () => {
    const ctx = callContext({}, { variables: { a: 'x', b: 'x' } });
    expect(fn('render', [{ '{{a}}': 1, '{{b}}': 2 }], {}, ctx)).toEqual({ x: 1 });
  });
  it('stops after 100 passes with "Too many rendering attempts"', () => {
    let n = 0;
    const ctx = callContext({}, { renderNested: () => `{{ v${n++} }}` });
    expectTemplateError(() => fn('render', ['{{ start }}'], {}, ctx), 'Too many rendering attempts', 'LIMIT_EXCEEDED');
  });
  it('rejects a non-boolean recursive and a missing argument', () => {
    expectTemplateError(() => fn('render', ['x', 'yes']), "optional argument 'recursive' with type boolean");
    expectTemplateError(() => fn('render', []), "expects an argument 'toRender'");
  });
  it('continues asynchronously when rendering returns a Promise', async () => {
    const ctx = callContext({}, { renderNested: async (t) => (t === '{{a}}' ? 'done' : t) });
    await expect(fn('render', [['{{a}}', '{{a}}']], {}, ctx)).resolves.toEqual(['done', 'done']);
  });
});

describe('renderOnce function', () => {
  it('renders exactly once', () => {
    const ctx = callContext({}, { variables: { input: '{{someOtherVar}}', someOtherVar: '{{yetAnotherVar}}' } });
    expect(fn('renderOnce', ['{{someOtherVar}}'], {}, ctx)).toBe('{{yetAnotherVar}}');
    expect(ctx.rendered).toHaveLength(1);
  });
  it('returns null for null and rejects a missing argument', () => {
    expect(fn('renderOnce', [null])).toBeNull();
    expectTemplateError(() => fn('renderOnce', []), "expects an argument 'toRender'");
  });
});

describe('render through the engine', () => {
  it("renders nested templates with the caller's variables", async () => {
    const ctx = { input: '{{someOtherVar}}', someOtherVar: '{{yetAnotherVar}}', yetAnotherVar: 'test' };
    expect(await render('{{ render(input) }}', ctx)).toBe('test');
    expect(await render('{{ renderOnce(input) }}', ctx)).toBe('{{yetAnotherVar}}');
    expect(await render('{% set local = "{{ yetAnotherVar }}!" %}{{ render(local) }}', ctx)).toBe('test!');
  });
  it('fails on a cycle', async () => {
    const e = await renderError('{{ render(first) }}', { first: '{{second}}', second: '{{first}}' });
    expect(e.message).toContain('Too many rendering attempts');
  });
  it('limits nesting depth to 16', async () => {
    const ctx: Record<string, unknown> = { v0: 'bottom' };
    for (let i = 1; i <= 20; i++) ctx[`v${i}`] = `{{ render(v${i - 1}) }}`;
    expect(await render('{{ render(v10) }}', ctx)).toBe('bottom');
    const e = await renderError('{{ render(v20) }}', ctx);
    expect(e).toBeInstanceOf(TemplateError);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toContain('Maximum render() nesting depth (16) exceeded');
  });
  it("reports a render() that renders itself as too deep, in Kestra's words", async () => {
    const e = await renderError('{{ render(input) }}', { input: '{{ render(input) }}' });
    expect(e.message).toContain('Maximum render() nesting depth');
  });
  it('renders scalars to their printed form', async () => {
    expect(await render('{{ render(i) }}/{{ render(b) }}/{{ render(n) }}', { i: 42, b: true, n: null })).toBe('42/true/');
  });
});
