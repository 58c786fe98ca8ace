/**
 * `npm run bench`: every benchmark of the project, printed as tables.
 *
 * The engine is loaded from the build (`npm run build` runs first) so that what is measured is
 * the JavaScript users run, not tsx's on-the-fly transform (which wraps every closure).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchTemplates, formatTemplateTable } from './templates-bench.js';

type Api = typeof import('../src/index.js');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'index.js');
if (!existsSync(built)) throw new Error('Run `npm run build` first (npm run bench does it for you).');
const api = (await import(pathToFileURL(built).href)) as Api;

const only = process.argv[2];

if (!only || only === 'templates') {
  console.log('## Template rendering (compile once, render many)\n');
  console.log(formatTemplateTable(await benchTemplates(api.createEngine)));
}
