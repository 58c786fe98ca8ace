/**
 * Per-call cost of Kestra's `date` and `jq` filters, rendered through `createEngine()` (each
 * template compiled once, then rendered synchronously many times), after a warm-up.
 * jq runs jq's own `main` per call (jq-web), so most of its cost is jq compiling its builtins.
 * Run alone with `npx tsx bench/kestra.ts`.
 */
import { pathToFileURL } from 'node:url';
import { createEngine } from '../src/index.js';
import { jqReady, kestraExtension } from '../src/engine/builtins/kestra/index.js';

export interface KestraBenchResult {
  name: string;
  opsPerSec: number;
  microsPerCall: number;
}

const body = JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => ({ id: `item-${i}`, n: i, tags: ['a', 'b'] })) });

const CASES: ReadonlyArray<{ name: string; template: string; context: Record<string, unknown> }> = [
  {
    name: 'date (pattern, zone)',
    template: '{{ ts | date("yyyy-MM-dd HH:mm:ss", timeZone="Europe/Paris") }}',
    context: { ts: '2024-03-15T14:30:45.123456Z' },
  },
  { name: 'date (default iso)', template: '{{ ts | date }}', context: { ts: '2024-03-15T14:30:45.123456Z' } },
  { name: 'date (epoch Long, z name)', template: '{{ 1378653552 | date("yyyy-MM-dd HH:mm z", timeZone="Australia/Perth") }}', context: {} },
  { name: 'dateAdd + date', template: '{{ ts | dateAdd(1, "DAYS") | date("yyyy-MM-dd") }}', context: { ts: '2024-03-15T14:30:45Z' } },
  { name: 'jq (small map, .a.b)', template: '{{ m | jq(".a.b") | first }}', context: { m: { a: { b: 'x' } } } },
  {
    name: 'jq (7 KB JSON string, map)',
    template: '{{ body | jq("[.items[] | select(.n > 90) | .id]") | first | length }}',
    context: { body },
  },
  { name: 'split (regex V8 runs in linear time)', template: "{{ s | split('[,;]') | length }}", context: { s: 'a,b;c,d;e' } },
  {
    name: 'replace (?i) (regex run on the worker thread)',
    template: "{{ s | replace({'(?i)b+': 'x'}, regexp=true) }}",
    context: { s: 'aBbc,abbbd' },
  },
];

/** Runs for `warmupMillis` first: V8 tiers jq's WebAssembly up only after ~1000 calls. */
function measure(run: () => unknown, warmupMillis: number, minMillis = 500): number {
  const warmEnd = performance.now() + warmupMillis;
  do run();
  while (performance.now() < warmEnd);
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMillis) {
    for (let i = 0; i < 20; i++) run();
    calls += 20;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1000) / calls;
}

export async function benchKestra(): Promise<KestraBenchResult[]> {
  await jqReady();
  const engine = createEngine({ extensions: [kestraExtension()] });
  const results: KestraBenchResult[] = [];
  for (const c of CASES) {
    const compiled = engine.compile(c.template);
    const micros = measure(() => compiled.renderSync(c.context), c.name.startsWith('jq') || c.name.includes('worker') ? 2000 : 100);
    results.push({ name: c.name, opsPerSec: Math.round(1e6 / micros), microsPerCall: Math.round(micros * 10) / 10 });
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchKestra();
  console.log('| case | ops/s | µs/call |\n|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.name} | ${r.opsPerSec} | ${r.microsPerCall} |`);
}
