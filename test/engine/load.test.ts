/**
 * One tenant's hostile templates cannot hold up the others (issue 9): while a CPU-bound template,
 * a catastrophic regular expression and a jq program that never ends are being rendered, 200
 * ordinary asynchronous renders all complete, and the CPU-bound one is still running when they
 * do (it yields to the event loop). Nothing here measures speed: the assertions are about order.
 */
import { jest } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { createEngine } from '../../src/index.js';
import { TemplateError } from '../../src/engine/errors.js';

jest.setTimeout(180_000);

describe('200 concurrent renders beside a hostile tenant', () => {
  it('all finish while the hostile templates are still running, which then end with a clear error', async () => {
    const engine = createEngine();
    engine.registerFunction('lookup', async (args) => {
      await delay(2);
      return `v${String(args['0'])}`;
    });

    const hostile = new AbortController();
    let cpuSettled = false;
    const cpu = engine
      .render(
        '{% for i in 1..1000000 %}{% for j in 1..1000000 %}{{ j | abs }}{% endfor %}{% endfor %}',
        {},
        {
          signal: hostile.signal,
          limits: { maxSteps: Infinity, maxRenderTime: Infinity },
        },
      )
      .then(
        () => new Error('the hostile template rendered'),
        (e: unknown) => e,
      )
      .finally(() => (cpuSettled = true));
    const regex = engine.render("{{ s | split('(?=(a+)+$)') }}", { s: 'a'.repeat(40) + '!' }, { limits: { maxRegexTime: 3000 } }).then(
      () => new Error('the catastrophic pattern rendered'),
      (e: unknown) => e,
    );
    const jq = engine.render("{{ m | jq('def f: f; f') }}", { m: {} }, { limits: { maxJqTime: 3000 } }).then(
      () => new Error('the endless jq program rendered'),
      (e: unknown) => e,
    );

    const ordinary = Array.from({ length: 200 }, (_, n) =>
      engine.render(
        "{% for i in 1..50 %}{{ i | abs }},{% endfor %}{{ lookup(n) }} {{ name | upper }} {{ 'a-b-c' | split('-') | length }}",
        { n, name: `tenant${n}` },
        { tenant: `t${n}` },
      ),
    );
    const outputs = await Promise.all(ordinary);
    outputs.forEach((out, n) => expect(out.endsWith(`v${n} TENANT${n} 3`)).toBe(true));
    // The others did not wait for the CPU-bound template: it is still running.
    expect(cpuSettled).toBe(false);

    hostile.abort();
    const cpuError = await cpu;
    expect(cpuError).toBeInstanceOf(TemplateError);
    expect((cpuError as TemplateError).code).toBe('ABORTED');
    for (const [result, limit] of [
      [await regex, 'maxRegexTime'],
      [await jq, 'maxJqTime'],
    ] as const) {
      expect(result).toBeInstanceOf(TemplateError);
      expect((result as TemplateError).code).toBe('LIMIT_EXCEEDED');
      expect((result as TemplateError).message).toContain(limit);
    }
  });
});
