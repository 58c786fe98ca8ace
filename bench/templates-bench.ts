/**
 * Renders the benchmark templates (the shared five and the project's own) with pebbleflow, nunjucks and liquidjs in one process,
 * on the same context: compile once, render many. Prints renders/s and the ratios.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid } from 'liquidjs';
import nunjucks from 'nunjucks';
import type { createEngine as createEngineFn } from '../src/index.js';

type CreateEngine = typeof createEngineFn;

interface BenchTemplate {
  id: string;
  template: string;
  expect: string;
  nunjucks?: string;
  liquid?: string;
}

/**
 * The same templates in Liquid syntax (filters take `name: args`, `~` is `append`), so that
 * liquidjs does the same work.
 */
function toLiquid(t: BenchTemplate): string {
  if (t.liquid !== undefined) return t.liquid;
  switch (t.id) {
    case 't2_flow':
      return "Project {{ inputs.project_id | upcase }} in {{ inputs.region | default: 'us-east-1' }} flow {{ flow.id }} got {{ outputs.request.code }} tags={{ inputs.tags | join: ',' }}";
    case 't4_concat':
      return "{{ 'id:' | append: flow.id | append: '/' | append: execution.id | append: '/' | append: inputs.project_id | append: '/' | append: outputs.request.code | append: '/' | append: name }}";
    default:
      return t.template
        .replace(/\| upper/g, '| upcase')
        .replace(/\| lower/g, '| downcase')
        .replace(/\| trim/g, '| strip')
        .replace(/\| length/g, '| size');
  }
}

const here = dirname(fileURLToPath(import.meta.url));
interface TemplateFile {
  context: Record<string, unknown>;
  templates: BenchTemplate[];
}
const readTemplates = (file: string): TemplateFile => JSON.parse(readFileSync(join(here, file), 'utf8')) as TemplateFile;

/** Merges `extra` into `base`, object by object (the extra context adds inputs and outputs). */
function mergeContext(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    merged[key] = isObject(current) && isObject(value) ? mergeContext(current, value) : value;
  }
  return merged;
}

// The shared templates (a verbatim copy of ../shared/bench/templates.json) and the project's own.
const shared = readTemplates('templates.json');
const own = readTemplates('templates-extra.json');
const data: TemplateFile = {
  context: mergeContext(shared.context, own.context),
  templates: [...shared.templates, ...own.templates],
};

/** Calls `fn` for about `ms` milliseconds and returns calls per second. */
function opsPerSec(fn: () => unknown, ms: number): number {
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}

async function asyncOpsPerSec(fn: () => Promise<unknown>, ms: number): Promise<number> {
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < 200; i++) await fn();
    n += 200;
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}

const ROUNDS = 7;
const ROUND_MS = 150;

/**
 * Measures several contenders in interleaved rounds and keeps each one's median, so that a
 * burst of load from elsewhere on the machine hits every contender alike instead of one.
 */
async function medianOf(contenders: Record<string, () => number | Promise<number>>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(contenders)) (samples[name] ??= []).push(await run());
  }
  const medians: Record<string, number> = {};
  for (const [name, values] of Object.entries(samples)) {
    values.sort((a, b) => a - b);
    medians[name] = values[Math.floor(values.length / 2)]!;
  }
  return medians;
}

export interface TemplateBenchRow {
  id: string;
  pebbleflowSync: number;
  pebbleflowAsync: number;
  nunjucks: number;
  /** nunjucks's callback render, awaited as a Promise: the same await pebbleflow's column pays. */
  nunjucksAsync: number;
  liquidjs: number;
  compilePebbleflow: number;
  compileLiquidjs: number;
}

export async function benchTemplates(createEngine: CreateEngine): Promise<TemplateBenchRow[]> {
  const engine = createEngine();
  // Compile time is measured without the template cache (liquidjs's parse() does not cache either).
  const uncached = createEngine({ cacheSize: 0 });
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
  const liquid = new Liquid({ strictVariables: false });
  const rows: TemplateBenchRow[] = [];
  for (const t of data.templates) {
    const ctx = data.context;
    const compiled = engine.compile(t.template);
    const nj = nunjucks.compile(t.nunjucks ?? t.template, env);
    const liquidSource = toLiquid(t);
    const lq = liquid.parse(liquidSource);
    const check = (engineName: string, out: string): void => {
      if (out !== t.expect) throw new Error(`${engineName} rendered ${t.id} wrongly: ${out}`);
    };
    check('pebbleflow', compiled.renderSync(ctx));
    check('pebbleflow (async)', await compiled.render(ctx));
    check('nunjucks', nj.render(ctx));
    const njAsync = (): Promise<string> =>
      new Promise((resolve, reject) => nj.render(ctx, (err, out) => (err ? reject(err) : resolve(out!))));
    check('nunjucks (async)', await njAsync());
    check('liquidjs', liquid.renderSync(lq, ctx) as string);
    let uniq = 0;
    // Warm-up: every contender's code reaches the optimizing tier before it is measured.
    for (let i = 0; i < 5000; i++) {
      compiled.renderSync(ctx);
      await compiled.render(ctx);
      nj.render(ctx);
      await njAsync();
      liquid.renderSync(lq, ctx);
    }
    const render = await medianOf({
      pebbleflowSync: () => opsPerSec(() => compiled.renderSync(ctx), ROUND_MS),
      pebbleflowAsync: () => asyncOpsPerSec(() => compiled.render(ctx), ROUND_MS),
      nunjucks: () => opsPerSec(() => nj.render(ctx), ROUND_MS),
      nunjucksAsync: () => asyncOpsPerSec(njAsync, ROUND_MS),
      liquidjs: () => opsPerSec(() => liquid.renderSync(lq, ctx), ROUND_MS),
    });
    // A fresh source each time defeats the compile caches (a comment changes nothing rendered).
    const compile = await medianOf({
      pebbleflow: () => opsPerSec(() => uncached.compile(t.template + `{# ${++uniq} #}`), ROUND_MS / 2),
      liquidjs: () => opsPerSec(() => liquid.parse(liquidSource + `{% comment %}${++uniq}{% endcomment %}`), ROUND_MS / 2),
    });
    rows.push({
      id: t.id,
      pebbleflowSync: render['pebbleflowSync']!,
      pebbleflowAsync: render['pebbleflowAsync']!,
      nunjucks: render['nunjucks']!,
      nunjucksAsync: render['nunjucksAsync']!,
      liquidjs: render['liquidjs']!,
      compilePebbleflow: compile['pebbleflow']!,
      compileLiquidjs: compile['liquidjs']!,
    });
  }
  return rows;
}

export function formatTemplateTable(rows: TemplateBenchRow[]): string {
  const f = (n: number): string => (Number.isNaN(n) ? 'n/a' : Math.round(n).toLocaleString('en-US'));
  const r = (a: number, b: number): string => (Number.isNaN(b) ? 'n/a' : (a / b).toFixed(2) + '×');
  const lines = [
    `Median of ${ROUNDS} interleaved rounds per contender. Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
    '',
    '| template | pebbleflow sync r/s | pebbleflow await r/s | nunjucks r/s | nunjucks await r/s | liquidjs r/s | sync vs nunjucks | await vs nunjucks sync | await vs nunjucks await | await vs sync | compile/s pebbleflow | compile/s liquidjs | compile vs liquidjs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.id} | ${f(row.pebbleflowSync)} | ${f(row.pebbleflowAsync)} | ${f(row.nunjucks)} | ${f(row.nunjucksAsync)} | ${f(row.liquidjs)} | ${r(row.pebbleflowSync, row.nunjucks)} | ${r(row.pebbleflowAsync, row.nunjucks)} | ${r(row.pebbleflowAsync, row.nunjucksAsync)} | ${r(row.pebbleflowAsync, row.pebbleflowSync)} | ${f(row.compilePebbleflow)} | ${f(row.compileLiquidjs)} | ${r(row.compilePebbleflow, row.compileLiquidjs)} |`,
    );
  }
  const lowest = (name: string, ratio: (row: TemplateBenchRow) => number): string => {
    const worst = rows.reduce((a, b) => (ratio(b) < ratio(a) ? b : a));
    return `${name} ${ratio(worst).toFixed(2)}× (${worst.id})`;
  };
  lines.push(
    '',
    `Lowest across templates: ${[
      lowest('sync vs nunjucks', (row) => row.pebbleflowSync / row.nunjucks),
      lowest('await vs nunjucks sync', (row) => row.pebbleflowAsync / row.nunjucks),
      lowest('await vs nunjucks await', (row) => row.pebbleflowAsync / row.nunjucksAsync),
    ].join(', ')}.`,
  );
  return lines.join('\n');
}
