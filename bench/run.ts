/**
 * `npm run bench`: every benchmark of the project, printed as tables.
 *   npm run bench                 all of them
 *   npm run bench -- templates    one of: templates, credentials, kestra
 *
 * The engine is loaded from the build (`npm run bench` builds first) so that what is measured is
 * the JavaScript users run, not tsx's on-the-fly transform (which wraps every closure).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchCredentials } from './credentials.js';
import { benchKestra } from './kestra.js';
import type * as ApiModule from '../src/index.js';
import { benchTemplates, formatTemplateTable } from './templates-bench.js';

type Api = typeof ApiModule;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'index.js');
if (!existsSync(built)) throw new Error('Run `npm run build` first (npm run bench does it for you).');
const api = (await import(pathToFileURL(built).href)) as Api;

const only = process.argv[2];

if (!only || only === 'templates') {
  console.log('## Template rendering (compile once, render many)\n');
  console.log(formatTemplateTable(await benchTemplates(api.createEngine)));
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
