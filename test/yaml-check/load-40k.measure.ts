/**
 * Run by kit.test.ts as a child process: times checkFlow on a flow with 40 000 variables in plain
 * Node (jest's vm context makes every global lookup of the YAML parser slower, which is not what a
 * user sees). Prints `{ bestMs, problems }`.
 */
import { checkFlow } from '../../src/flow/loader.js';

const lines = ['id: big', 'namespace: company.team', 'variables:'];
for (let i = 0; i < 40_000; i++) lines.push(`  v${i}: value ${i}`);
lines.push('  v7: again', 'tasks:', '  - id: log', '    type: io.kestra.plugin.core.log.Log', '    message: hi');
const source = lines.join('\n');
let best = Number.POSITIVE_INFINITY;
let problems: string[] = [];
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  problems = checkFlow(source).problems.map((p) => `${p.line}: ${p.message}`);
  best = Math.min(best, performance.now() - started);
}
process.stdout.write(JSON.stringify({ bestMs: Math.round(best), problems }));
