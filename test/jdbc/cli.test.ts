/**
 * The SQL tasks through the real CLI (`pebbleflow run --json`, a child process), and the optional
 * weight: a flow without SQL loads none of the database drivers, a SQLite flow only its own.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, runTs } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pf-sql-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SQLITE_FLOW = `id: sqlite_cli
namespace: company.team
tasks:
  - id: init
    type: io.kestra.plugin.jdbc.sqlite.Queries
    url: jdbc:sqlite:${join(dir, 'cli.db')}
    sql: |
      CREATE TABLE IF NOT EXISTS t (id INTEGER, d DATE, name TEXT);
      DELETE FROM t;
      INSERT INTO t VALUES (1, '2024-02-29', 'a'), (2, '2024-03-01', NULL);
  - id: select
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:${join(dir, 'cli.db')}
    sql: SELECT * FROM t ORDER BY id
    fetchType: FETCH
  - id: store
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:${join(dir, 'cli.db')}
    sql: SELECT * FROM t ORDER BY id
    fetchType: STORE
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.select.rows[0].d }} {{ outputs.select.size }}"
`;

const PLAIN_FLOW = `id: plain
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
`;

test('pebbleflow run --json: rows, sizes and the stored file', async () => {
  writeFileSync(join(dir, 'sqlite.yaml'), SQLITE_FLOW);
  const r = await cli(['run', 'sqlite.yaml', '--json'], { cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as {
    state: string;
    taskRuns: { taskId: string; outputs: Record<string, unknown> }[];
    logs: { message: string }[];
  };
  expect(report.state).toBe('SUCCESS');
  const out = (id: string): Record<string, unknown> => report.taskRuns.find((t) => t.taskId === id)!.outputs;
  expect(out('select')).toEqual({
    row: null,
    rows: [
      { id: 1, d: '2024-02-29', name: 'a' },
      { id: 2, d: '2024-03-01' },
    ],
    size: 2,
  });
  expect(out('store')['size']).toBe(2);
  expect(String(out('store')['uri'])).toMatch(/^kestra:\/\/\/company\/team\/sqlite-cli\/executions\/.*\/tasks\/store\/.*\.ion$/);
  expect(report.logs.map((l) => l.message)).toContain('2024-02-29 2');
});

test('CLI start-up loads no database driver; a SQLite flow loads only its own', async () => {
  const script = fileURLToPath(new URL('../support/loaded-drivers.ts', import.meta.url));
  writeFileSync(join(dir, 'plain.yaml'), PLAIN_FLOW);
  writeFileSync(join(dir, 'sqlite.yaml'), SQLITE_FLOW);
  const plain = await runTs(script, [join(dir, 'plain.yaml'), join(dir, 'storage')]);
  expect(JSON.parse(plain.stdout)).toEqual({ state: 'SUCCESS', loaded: [] });
  const sqlite = await runTs(script, [join(dir, 'sqlite.yaml'), join(dir, 'storage')]);
  expect(JSON.parse(sqlite.stdout)).toEqual({ state: 'SUCCESS', loaded: ['node-sqlite3-wasm'] });
});

test('a missing driver fails the task with the npm command to run (the package hidden from Node’s resolver)', async () => {
  writeFileSync(
    join(dir, 'duck.yaml'),
    'id: duck\nnamespace: company.team\ntasks:\n  - id: q\n    type: io.kestra.plugin.jdbc.duckdb.Query\n    sql: SELECT 1\n',
  );
  const hide = new URL('../support/hide-packages.mjs', import.meta.url).href;
  const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const stdout = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      ['--import', hide, '--import', tsx, main, 'run', 'duck.yaml', '--json'],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HIDE_PACKAGES: '@duckdb/node-api' }, timeout: 60_000 },
      (_error, out) => resolve(out),
    );
  });
  const report = JSON.parse(stdout) as { state: string; logs: { message: string }[] };
  expect(report.state).toBe('FAILED');
  expect(report.logs.map((l) => l.message).join('\n')).toContain(
    'io.kestra.plugin.jdbc.duckdb.Query needs the npm package `@duckdb/node-api`, which is not installed: run `npm install @duckdb/node-api` next to pebbleflow',
  );
});
