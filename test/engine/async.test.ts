import { createEngine, type CallContext } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';

const delay = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('async functions, filters and tests', () => {
  it('awaits async calls where they stand and keeps the output in order', async () => {
    const e = createEngine();
    e.registerFunction('slow', (args) => delay(20, `slow${String(args['0'])}`));
    e.registerFilter('later', async (input) => `${String(input)}!`);
    e.registerTest('eventually', async (input) => input === 'yes');
    const out = await e.render(
      'a{{ slow(1) }}b{{ "x" | later }}c{{ "yes" is eventually }}{% for i in [1, 2] %}[{{ slow(i) }}]{% endfor %}',
      {},
    );
    expect(out).toBe('aslow1bx!ctrue[slow1][slow2]');
  });

  it('supports async values in every position', async () => {
    const e = createEngine();
    e.registerFunction('v', (args) => delay(5, args['0']));
    const t = [
      '{% set s = v("S") %}{{ s }}',
      '{% if v(true) %}T{% else %}F{% endif %}',
      '{% for x in v([1, 2]) %}{{ x }}{% endfor %}',
      '{{ v(null) ?? "coalesced" }}',
      '{{ v(false) ? "y" : "n" }}',
      '{{ "#{v("in")}-#{1}" }}',
      '{{ [v(1), v(2)] }}',
      '{{ {"k": v("m")} }}',
      '{{ v("a") ~ v("b") ~ "c" }}',
      '{{ v(2) + 3 }}',
      '{{ v({"a": {"b": "deep"}}).a.b }}',
      '{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(v("arg")) }}',
      '{% filter upper %}{{ v("f") }}{% endfilter %}',
      '{{ v(" pad ") | trim | upper }}',
      '{{ v(true) and v(false) }}',
    ].join('|');
    expect(await e.render(t, {})).toBe('S|T|12|coalesced|n|in-1|[1,2]|{"k":"m"}|abc|5|deep|<arg>|F|PAD|false');
  });

  it('refuses async calls in renderSync with ASYNC_IN_SYNC_RENDER', () => {
    const e = createEngine();
    e.registerFunction('later', () => Promise.resolve('x'));
    let error: unknown;
    try {
      e.renderSync('ok {{ later() }}', {});
    } catch (x) {
      error = x;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).code).toBe('ASYNC_IN_SYNC_RENDER');
    expect((error as TemplateError).column).toBe(7);
  });

  it('resolves constant-argument prefetch calls concurrently, once per distinct call', async () => {
    const e = createEngine();
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: string[] = [];
    e.registerFunction(
      'fetchIt',
      async (args) => {
        calls.push(String(args['key']));
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await delay(30, null);
        inFlight--;
        return `<${String(args['key'])}>`;
      },
      { argNames: ['key'], prefetch: true },
    );
    const started = Date.now();
    const out = await e.render(
      '{{ fetchIt("A") }} {{ fetchIt("B") }} {{ fetchIt("A") }} {% for i in [1,2] %}{{ fetchIt("C") }}{% endfor %}',
      {},
    );
    const elapsed = Date.now() - started;
    expect(out).toBe('<A> <B> <A> <C><C>');
    expect(calls.sort()).toEqual(['A', 'B', 'C']);
    expect(maxInFlight).toBe(3);
    expect(elapsed).toBeLessThan(30 * 3);
  });

  it('reports a failed prefetch only if the call is reached', async () => {
    const e = createEngine();
    e.registerFunction(
      'lookup',
      async (args) => {
        if (args['key'] === 'bad') throw new Error('no such key');
        return 'ok';
      },
      { argNames: ['key'], prefetch: true },
    );
    expect(await e.render('{% if false %}{{ lookup("bad") }}{% endif %}{{ lookup("good") }}', {})).toBe('ok');
    const error = (await e.render('line\n{{ lookup("bad") }}', {}).catch((x: unknown) => x)) as TemplateError;
    expect(error.code).toBe('FUNCTION_ERROR');
    expect(error.message).toBe('no such key (line\n{{ lookup("bad") }}:2)');
  });

  it('gives a failing async call a code and a position', async () => {
    const e = createEngine();
    e.registerFilter('broken', () => Promise.reject(new TypeError('bad input')));
    const error = (await e.render('{{ "x" | broken }}', {}).catch((x: unknown) => x)) as TemplateError;
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.code).toBe('FUNCTION_ERROR');
    expect(error.line).toBe(1);
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('passes the scope to functions and reports sensitive values', async () => {
    const e = createEngine();
    const seen: string[] = [];
    e.registerFunction(
      'whoami',
      (_args, ctx: CallContext) => {
        const value = `${ctx.scope.tenant}/${ctx.scope.namespace}`;
        ctx.markSensitive(value);
        return value;
      },
      { prefetch: true },
    );
    const out = await e.render('{{ whoami() }}', {}, { tenant: 't1', namespace: 'company.team', onSensitiveValue: (v) => seen.push(v) });
    expect(out).toBe('t1/company.team');
    expect(seen).toEqual(['t1/company.team']);
  });

  it("stops a loop when the scope's signal aborts", async () => {
    const e = createEngine();
    const controller = new AbortController();
    e.registerFunction('tick', (args) => {
      if (args['0'] === 2n) controller.abort();
      return delay(1, '.');
    });
    const error = (await e
      .render('{% for i in 1..10 %}{{ tick(i) }}{% endfor %}', {}, { signal: controller.signal })
      .catch((x: unknown) => x)) as TemplateError;
    expect(error.code).toBe('ABORTED');
  });
});
