/**
 * Hostile templates (issue 9), each rendered with the default limits in `renderSync` and in
 * `render`: how each one ends, how long it took, and — for `render` — the longest the event loop
 * waited meanwhile (a 10 ms interval timer; a long wait means the render froze the thread).
 * `npm run bench -- attacks`, or `npx tsx bench/attacks.ts [name filter]`.
 */
import { pathToFileURL } from 'node:url';
import type { createEngine as createEngineFn } from '../src/index.js';

type CreateEngine = typeof createEngineFn;

const CATASTROPHIC = 'a'.repeat(40) + '!';

/** A billion laughs: ten levels of nine aliases each (9^9 strings once expanded). */
const LAUGHS = (() => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const previous = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array<string>(9).fill(`*${previous}`).join(',')}]`);
  }
  return lines.join('\n');
})();

export const ATTACKS: ReadonlyArray<{ name: string; template: string; context?: Record<string, unknown> }> = [
  { name: 'nested loops 1..1000000', template: '{% for i in 1..1000000 %}{% for j in 1..1000000 %}{% endfor %}{% endfor %}' },
  { name: 'list doubled 30 times', template: '{% set l = [1] %}{% for i in 1..30 %}{% set l = l + l %}{% endfor %}{{ l | length }}' },
  { name: 'list nested in itself twice, 40 times', template: '{% set l = [1] %}{% for i in 1..40 %}{% set l = [l, l] %}{% endfor %}' },
  {
    name: 'map merged with itself, 40 times',
    template: '{% set m = {"a": 1} %}{% for i in 1..40 %}{% set m = m | merge({"x" ~ i: m, "y" ~ i: m}) %}{% endfor %}',
  },
  { name: 'string doubled 40 times (~)', template: "{% set s = 'ab' %}{% for i in 1..40 %}{% set s = s ~ s %}{% endfor %}" },
  { name: 'string doubled 40 times (concat)', template: "{% set s = 'ab' %}{% for i in 1..40 %}{% set s = s.concat(s) %}{% endfor %}" },
  { name: 'range(0, 999999) built 100 000 times', template: '{% for i in 1..100000 %}{% set r = range(0, 999999) %}{% endfor %}' },
  { name: 'macro recursing twice per call', template: '{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}' },
  { name: 'printing a list that holds itself twice', template: '{% set l = [1] %}{% set l = l + [l, l] %}{{ l ~ "" }}' },
  { name: "jq('[repeat(.)]')", template: "{{ {'a': 1} | jq('[repeat(.)]') }}" },
  { name: "jq('def f: f; f')", template: "{{ {'a': 1} | jq('def f: f; f') }}" },
  { name: "split('(a+)+$') on 40 a's and !", template: "{{ s | split('(a+)+$') }}", context: { s: CATASTROPHIC } },
  {
    name: "replace('(?i)(a+)+$', regexp=true)",
    template: "{{ s | replace({'(?i)(a+)+$': 'x'}, regexp=true) }}",
    context: { s: CATASTROPHIC },
  },
  { name: "split('(?=(a+)+$)') (lookahead)", template: "{{ s | split('(?=(a+)+$)') }}", context: { s: CATASTROPHIC } },
  { name: 'yaml() of a billion laughs', template: '{{ yaml(doc) | length }}', context: { doc: LAUGHS } },
];

export interface AttackResult {
  name: string;
  mode: 'renderSync' | 'render';
  millis: number;
  /** Longest event-loop delay seen while `render` ran (undefined for renderSync, which holds the thread by design). */
  loopDelayMillis: number | undefined;
  outcome: string;
}

export async function benchAttacks(createEngine: CreateEngine, filter?: string): Promise<AttackResult[]> {
  const engine = createEngine();
  const results: AttackResult[] = [];
  for (const attack of ATTACKS) {
    if (filter !== undefined && !attack.name.includes(filter)) continue;
    for (const mode of ['renderSync', 'render'] as const) {
      let worst = 0;
      let last = performance.now();
      const timer =
        mode === 'render'
          ? setInterval(() => ((worst = Math.max(worst, performance.now() - last - 10)), (last = performance.now())), 10)
          : null;
      const start = performance.now();
      let outcome: string;
      try {
        const out =
          mode === 'renderSync' ? engine.renderSync(attack.template, attack.context) : await engine.render(attack.template, attack.context);
        outcome = `rendered ${out.length} characters`;
      } catch (e) {
        const error = e as { code?: string; limit?: string; rawMessage?: string; message: string };
        outcome = `${error.code ?? 'error'}${error.limit === undefined ? '' : ` (${error.limit})`}: ${(error.rawMessage ?? error.message).slice(0, 110)}`;
      }
      const millis = performance.now() - start;
      if (timer !== null) {
        clearInterval(timer);
        // The wait the timer was in when the render ended counts too.
        worst = Math.max(worst, performance.now() - last - 10);
      }
      results.push({ name: attack.name, mode, millis, loopDelayMillis: timer === null ? undefined : Math.max(0, worst), outcome });
    }
  }
  return results;
}

export function formatAttackTable(results: readonly AttackResult[]): string {
  const lines = ['| attack | mode | ends after | event loop blocked at most | outcome |', '|---|---|---:|---:|---|'];
  for (const r of results) {
    const delay = r.loopDelayMillis === undefined ? '(sync)' : `${r.loopDelayMillis.toFixed(0)} ms`;
    lines.push(`| ${r.name} | ${r.mode} | ${r.millis.toFixed(0)} ms | ${delay} | ${r.outcome.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { createEngine } = await import('../src/index.js');
  console.log(formatAttackTable(await benchAttacks(createEngine, process.argv[2])));
}
