/**
 * `npm run bench`: every benchmark of the project, printed as tables.
 *   npm run bench                 all of them
 *   npm run bench -- templates    one of: templates, startup, credentials, kestra, runner, files, serdes, server, attacks (attacks only when named: it takes a minute)
 *   npm run bench -- blueprints DIR   the share of Kestra's blueprints (DIR: the flows/ folder of a kestra-io/blueprints copy) validate accepts
 *
 * The engine is loaded from the build (`npm run bench` builds first) so that what is measured is
 * the JavaScript users run, not tsx's on-the-fly transform (which wraps every closure).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchAttacks, formatAttackTable } from './attacks.js';
import { benchBlueprints } from './blueprints.js';
import { benchCredentials } from './credentials.js';
import { benchKestra } from './kestra.js';
import { benchRunner } from './runner.js';
import { benchFiles, formatFilesTable } from './files.js';
import { benchSerdesFormats, formatSerdesTable } from './serdes-formats.js';
import { benchServer } from './server.js';
import { benchStartup, formatStartupTable } from './startup.js';
import type * as ApiModule from '../src/index.js';
import { benchTemplates, formatTemplateTable } from './templates-bench.js';

type Api = typeof ApiModule;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// What users load: the bundle (package.json's exports).
const built = join(root, 'dist', 'bundle', 'index.js');
if (!existsSync(built)) throw new Error('Run `npm run build` first (npm run bench does it for you).');
const api = (await import(pathToFileURL(built).href)) as Api;

const only = process.argv[2];

if (!only || only === 'templates') {
  console.log('## Template rendering (compile once, render many)\n');
  console.log(formatTemplateTable(await benchTemplates(api.createEngine)));
  console.log();
}

if (!only || only === 'startup') {
  console.log('## Start-up (built CLI, fresh processes, medians of 15)\n');
  console.log(formatStartupTable(benchStartup()));
  console.log();
}

if (!only || only === 'credentials') {
  console.log('## credential()\n');
  const c = await benchCredentials(api.createEngine);
  console.log('| measure | value |\n|---|---:|');
  console.log(`| warm cache: {{ credential('x') }} minus {{ x }}, per render | ${c.warmCacheOverheadMicros.toFixed(3)} µs |`);
  console.log(`| cold cache: concurrent renders | ${c.coldConcurrentRenders} |`);
  console.log(`| cold cache: token requests made | ${c.coldTokenRequests} |`);
  console.log(`| cold cache: wall time | ${c.coldWallMs.toFixed(0)} ms |`);
  console.log();
}

if (!only || only === 'kestra') {
  console.log("## Kestra's date and jq filters (per call, through createEngine)\n");
  console.log('| case | ops/s | µs/call |\n|---|---:|---:|');
  for (const r of await benchKestra()) console.log(`| ${r.name} | ${r.opsPerSec.toLocaleString('en-US')} | ${r.microsPerCall} |`);
}

if (!only || only === 'runner') {
  console.log('\n## The flow runner (ForEach over 1 000 values, Return child)\n');
  const r = await benchRunner(api);
  console.log('| measure | value |\n|---|---:|');
  console.log(`| task runs/s, one value after the other (concurrencyLimit: 1) | ${r.sequentialTaskRunsPerSec.toLocaleString('en-US')} |`);
  console.log(`| task runs/s, all values at once (concurrencyLimit: 0) | ${r.concurrentTaskRunsPerSec.toLocaleString('en-US')} |`);
  console.log(`| per task run (sequential) | ${r.taskRunMicros.toFixed(1)} µs |`);
  console.log(`| bare engine.render of the same property | ${r.bareRenderMicros.toFixed(1)} µs |`);
  console.log(`| runner overhead per task run | ${(r.taskRunMicros - r.bareRenderMicros).toFixed(1)} µs |`);
  console.log(`| a flow of ${r.flatTasks.toLocaleString('en-US')} tasks | ${r.flatMillis.toFixed(0)} ms |`);
}

if (only === 'attacks') {
  console.log('## Hostile templates, default limits\n');
  console.log(formatAttackTable(await benchAttacks(api.createEngine)));
}

if (!only || only === 'files') {
  console.log('\n## Files and storage (Download streamed to storage; serdes chain)\n');
  const files = await benchFiles();
  console.log(formatFilesTable(files));
  if (files.downloadPeakExtraRssMb >= 64) {
    console.error(`Download used ${files.downloadPeakExtraRssMb.toFixed(1)} MB of extra memory, over the 64 MB budget`);
    process.exitCode = 1;
  }
}

if (!only || only === 'files' || only === 'serdes') {
  console.log('\n## Serdes formats (Avro, Parquet, XML, Excel), 100k rows through real files\n');
  console.log(formatSerdesTable(await benchSerdesFormats()));
}

if (!only || only === 'server') {
  console.log('\n## pebbleflow server (built CLI, real processes)\n');
  console.log('| measure | value |\n|---|---:|');
  for (const [name, value] of (await benchServer()).rows) console.log(`| ${name} | ${value} |`);
}

if (only === 'blueprints') {
  const dir = process.argv[3];
  if (dir === undefined)
    throw new Error('Usage: npm run bench -- blueprints DIR (the flows/ folder of a copy of github.com/kestra-io/blueprints)');
  const r = await benchBlueprints(api, dir);
  console.log("\n## Kestra's public blueprints that `pebbleflow validate` accepts as they are\n");
  console.log('| measure | value |\n|---|---:|');
  console.log(`| blueprints | ${r.total} |`);
  console.log(`| accepted | ${r.accepted} (${((100 * r.accepted) / Math.max(1, r.total)).toFixed(1)}%) |`);
  console.log('\n| most frequent refusal | blueprints |\n|---|---:|');
  for (const [message, count] of r.reasons.slice(0, 15)) console.log(`| ${message.replace(/\|/g, '\\|')} | ${count} |`);
}
