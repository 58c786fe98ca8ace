/**
 * Run as a child process (test/jdbc/cli.test.ts): loads the CLI's task registry, runs the flow file
 * given as argument through the runner, then prints which SQL drivers Node has loaded (they are
 * CommonJS packages: they show in require's cache once imported).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';

const DRIVERS = ['pg', 'mysql2', 'node-sqlite3-wasm', '@duckdb/node-api', '@duckdb/node-bindings'];

const file = process.argv[2]!;
const report = await runFlow(parseFlow(readFileSync(file, 'utf8')), { env: {}, storage: process.argv[3]! });
const cache = Object.keys(createRequire(import.meta.url).cache);
const loaded = DRIVERS.filter((d) => cache.some((path) => path.includes(`/node_modules/${d}/`)));
process.stdout.write(`${JSON.stringify({ state: report.state, loaded })}\n`);
