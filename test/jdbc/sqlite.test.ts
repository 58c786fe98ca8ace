/**
 * io.kestra.plugin.jdbc.sqlite.Query/Queries on real SQLite files and in memory, through the
 * runner. Assertions ported from plugin-jdbc's
 * plugin-jdbc-sqlite/src/test/java/io/kestra/plugin/jdbc/sqlite/SqliteTest.java (select, the
 * configured zone, ISO 8601 datetimes, an existing database file in and out) and
 * SqliteQueriesTest.java, on the fixture of scripts/sqlite.sql, and the plugin's @Example flows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';
import { indentLines, sqlTaskFlow, successOutputs } from '../support/databases.js';

process.env['TZ'] = 'UTC';

const dir = mkdtempSync(join(tmpdir(), 'pf-sqlite-'));
const storage = join(dir, 'storage');
const db = join(dir, 'lite.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LITE_TYPES = `
DROP TABLE IF EXISTS lite_types;
CREATE TABLE lite_types (id INTEGER PRIMARY KEY, boolean_column BOOLEAN, text_column TEXT, float_column REAL, double_column REAL,
  int_column INTEGER, date_column DATE, datetime_column DATETIME, time_column TIME, timestamp_column TIMESTAMP, year_column INTEGER,
  json_column TEXT, blob_column BLOB, d TEXT);
INSERT INTO lite_types (boolean_column, text_column, float_column, double_column, int_column, date_column, datetime_column, time_column,
  timestamp_column, year_column, json_column, blob_column, d)
VALUES (1, 'Sample Text', 3.14, 3.14159265359, 42, '2023-10-30', '2023-10-30 22:59:57.150150', '14:30:00', '2023-10-30 14:30:00.000', 2023,
  '{"key": "value"}', X'0102030405060708', NULL);
INSERT INTO lite_types (boolean_column, text_column, float_column, double_column, int_column, date_column, datetime_column, time_column,
  timestamp_column, year_column, json_column, blob_column, d)
VALUES (0, 'ISO8601 T-sep millis', 0.0, 0.0, 0, '2012-12-26', '2012-12-26T12:06:28.727', '00:00:00', '2012-12-26T12:06:28.727', 2012, 'null', X'00', NULL);
INSERT INTO lite_types (boolean_column, text_column, float_column, double_column, int_column, date_column, datetime_column, time_column,
  timestamp_column, year_column, json_column, blob_column, d)
VALUES (0, 'ISO8601 T-sep no millis', 0.0, 0.0, 0, '2012-12-26', '2012-12-26T12:06:28', '00:00:00', '2012-12-26T12:06:28', 2012, 'null', X'00', NULL);
`;

async function run(type: 'Query' | 'Queries', props: string): Promise<RunReport> {
  return runFlow(parseFlow(sqlTaskFlow('lite', `sqlite.${type}`, props)), { storage, env: {} });
}

const outputs = successOutputs;

beforeAll(async () => {
  outputs(await run('Queries', `url: jdbc:sqlite:${db}\nsql: |\n${indentLines(LITE_TYPES, '  ')}`));
});

describe('sqlite.Query (SqliteTest)', () => {
  test('select: every type as Kestra converts it', async () => {
    const row = outputs(
      await run('Query', `url: jdbc:sqlite:${db}\nfetchType: FETCH_ONE\ntimeZoneId: Europe/Paris\nsql: select * from lite_types`),
    )['row'] as Record<string, unknown>;
    expect(row['id']).toBe(1);
    expect(row['boolean_column']).toBe(1); // "May be boolean"
    expect(row['text_column']).toBe('Sample Text');
    expect(row).toHaveProperty('d', null);
    expect(Number(row['float_column'])).toBe(3.14);
    expect(Number(row['double_column'])).toBe(3.14159265359);
    expect(row['int_column']).toBe(42);
    expect(row['date_column']).toBe('2023-10-30');
    expect(row['datetime_column']).toBe('2023-10-30T21:59:57.150150Z'); // Instant.parse("2023-10-30T21:59:57.150150Z")
    expect(row['time_column']).toBe('14:30:00');
    expect(row['timestamp_column']).toBe('2023-10-30T13:30:00Z'); // Instant.parse("2023-10-30T13:30:00.0Z")
    expect(row['year_column']).toBe(2023);
    expect(row['json_column']).toBe('{"key": "value"}');
    expect(Buffer.from(String(row['blob_column']), 'base64').toString('hex')).toBe('0102030405060708');
  });

  test('selectIso8601DatetimeFormats (UTC)', async () => {
    const out = outputs(
      await run(
        'Query',
        `url: jdbc:sqlite:${db}\nfetchType: FETCH\ntimeZoneId: UTC\nsql: SELECT * FROM lite_types WHERE id > 1 ORDER BY id`,
      ),
    );
    const rows = out['rows'] as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    expect(rows[0]!['datetime_column']).toBe('2012-12-26T12:06:28.727Z');
    expect(rows[0]!['timestamp_column']).toBe('2012-12-26T12:06:28.727Z');
    expect(rows[1]!['datetime_column']).toBe('2012-12-26T12:06:28Z');
    expect(rows[1]!['timestamp_column']).toBe('2012-12-26T12:06:28Z');
  });

  test('a double stays a Double, an integer an Integer, a big one a Long', async () => {
    const row = outputs(
      await run(
        'Query',
        `url: "jdbc:sqlite::memory:"\nfetchType: FETCH_ONE\nsql: SELECT 3.0 AS d, 3 AS i, 9007199254740993 AS l, NULL AS n`,
      ),
    )['row'] as Record<string, unknown>;
    expect(String(row['d'])).toBe('3.0');
    expect(row['i']).toBe(3);
    expect(String(row['l'])).toBe('9007199254740993');
    expect(row).toHaveProperty('n', null);
  });

  test('parameters are bound to :name placeholders', async () => {
    const row = outputs(
      await run(
        'Query',
        `url: jdbc:sqlite:${db}\nfetchType: FETCH_ONE\nsql: SELECT text_column FROM lite_types WHERE int_column = :n AND id = :id\nparameters:\n  n: 42\n  id: "{{ 1 }}"`,
      ),
    )['row'] as Record<string, unknown>;
    expect(row).toEqual({ text_column: 'Sample Text' });
  });

  test('parameters: numbers, null, a missing one, and a list (bound as JSON text)', async () => {
    const row = outputs(
      await run(
        'Query',
        `fetchType: FETCH_ONE\nsql: SELECT :a AS a, :b AS b, :c AS c, :missing AS m, :a * 2 AS twice\nparameters:\n  a: 2.5\n  b: [1, 2]\n  c: null`,
      ),
    )['row'] as Record<string, unknown>;
    expect(Number(row['a'])).toBe(2.5);
    expect(row['b']).toBe('[1,2]');
    expect(row).toHaveProperty('c', null);
    expect(row).toHaveProperty('m', null);
    expect(String(row['twice'])).toBe('5.0');
  });

  test('a missing table fails with SQLite’s message', async () => {
    const report = await run('Query', 'sql: SELECT * FROM nope');
    expect(report.taskRuns[0]!.state).toBe('FAILED');
    expect(report.logs.map((l) => l.message).join('\n')).toContain('no such table: nope');
  });
});

describe('sqlite databases in and out of the storage (the plugin’s examples)', () => {
  test('Queries example: outputDbFile, then sqliteFile, rows rendered into the next statements', async () => {
    const yaml = `id: sqlite_query_using_file
namespace: company.team
tasks:
  - id: init_db
    type: io.kestra.plugin.jdbc.sqlite.Queries
    url: jdbc:sqlite:myfile.db
    outputDbFile: true
    sql: |
      CREATE TABLE IF NOT EXISTS pgsql_types (
        play_time TEXT,
        concert_id INTEGER,
        timestamp_type TEXT
      );
      INSERT INTO pgsql_types (play_time, concert_id, timestamp_type) VALUES ('2024-01', 1, '2024-01-01T12:00:00');
  - id: select
    type: io.kestra.plugin.jdbc.sqlite.Queries
    url: jdbc:sqlite:myfile.db
    sqliteFile: "{{ outputs.init_db.databaseUri }}"
    outputDbFile: true
    sql: SELECT * FROM pgsql_types
    fetchType: FETCH
  - id: use_fetched_data
    type: io.kestra.plugin.jdbc.sqlite.Queries
    url: jdbc:sqlite:myfile.db
    sqliteFile: "{{ outputs.select.databaseUri }}"
    outputDbFile: true
    sql: |
        CREATE TABLE IF NOT EXISTS pl_store_distribute (
          year_month TEXT,
          store_code INTEGER,
          update_date TEXT
        );
        {% for row in outputs.select.outputs[0].rows %}
            INSERT INTO pl_store_distribute (year_month, store_code, update_date)
            VALUES ('{{row.play_time}}', {{row.concert_id}}, '{{row.timestamp_type}}');
        {% endfor %}
  - id: check
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:myfile.db
    sqliteFile: "{{ outputs.use_fetched_data.databaseUri }}"
    sql: SELECT * FROM pl_store_distribute
    fetchType: FETCH
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: {} });
    expect(report.state).toBe('SUCCESS');
    expect(String(outputs(report, 'init_db')['databaseUri'])).toMatch(/^kestra:\/\/\/.*myfile\.db$/);
    expect(outputs(report, 'select')['outputs']).toEqual([
      { row: null, rows: [{ play_time: '2024-01', concert_id: 1, timestamp_type: '2024-01-01T12:00:00' }], size: 1 },
    ]);
    expect(outputs(report, 'check')['rows']).toEqual([{ year_month: '2024-01', store_code: 1, update_date: '2024-01-01T12:00:00' }]);
  });

  test('selectFromExistingDatabaseAndOutputDatabase: insert through sqliteFile, read the new file', async () => {
    const yaml = `id: chinook
namespace: company.team
tasks:
  - id: make
    type: io.kestra.plugin.jdbc.sqlite.Queries
    outputDbFile: true
    sql: |
      CREATE TABLE Genre (GenreId INTEGER PRIMARY KEY, Name TEXT);
      INSERT INTO Genre VALUES (1, 'Rock'), (2, 'Jazz');
  - id: insert
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:Chinook_Sqlite.sqlite
    sqliteFile: "{{ outputs.make.databaseUri }}"
    outputDbFile: true
    fetchType: NONE
    sql: INSERT INTO Genre (GenreId, Name) VALUES (26, 'TestInsert');
  - id: check
    type: io.kestra.plugin.jdbc.sqlite.Query
    url: jdbc:sqlite:Chinook_Sqlite.sqlite
    sqliteFile: "{{ outputs.insert.databaseUri }}"
    fetchType: FETCH
    sql: SELECT * FROM Genre;
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: {} });
    const rows = outputs(report, 'check')['rows'] as Record<string, unknown>[];
    expect(rows).toHaveLength(3);
    expect(rows.some((r) => r['Name'] === 'TestInsert')).toBe(true);
  });
});

describe('sqlite.Queries (SqliteQueriesTest)', () => {
  test('in memory, one output per select; NONE gives an empty output per select', async () => {
    const out = outputs(
      await run(
        'Queries',
        `url: "jdbc:sqlite:"\nfetchType: FETCH\nsql: |\n  CREATE TABLE t (a INTEGER);\n  INSERT INTO t VALUES (1), (2);\n  SELECT a FROM t;\n  SELECT COUNT(*) AS n FROM t;`,
      ),
    );
    expect(out['outputs']).toEqual([
      { row: null, rows: [{ a: 1 }, { a: 2 }], size: 2 },
      { row: null, rows: [{ n: 2 }], size: 1 },
    ]);
    const none = outputs(await run('Queries', `url: "jdbc:sqlite::memory:"\nsql: |\n  SELECT 1;\n  SELECT 2;`));
    expect(none['outputs']).toEqual([{ row: null }, { row: null }]);
  });

  test('a failing statement rolls back the whole transaction; transaction: false keeps what ran', async () => {
    const file = join(dir, 'tx.db');
    outputs(await run('Queries', `url: jdbc:sqlite:${file}\nsql: CREATE TABLE tx (a INTEGER)`));
    const failed = await run('Queries', `url: jdbc:sqlite:${file}\nsql: |\n  INSERT INTO tx VALUES (1);\n  INSERT INTO nope VALUES (2);`);
    expect(failed.taskRuns[0]!.state).toBe('FAILED');
    const count = async (): Promise<unknown> =>
      (
        outputs(await run('Query', `url: jdbc:sqlite:${file}\nfetchType: FETCH_ONE\nsql: SELECT COUNT(*) AS n FROM tx`))['row'] as Record<
          string,
          unknown
        >
      )['n'];
    expect(await count()).toBe(0);
    await run(
      'Queries',
      `url: jdbc:sqlite:${file}\ntransaction: false\nsql: |\n  INSERT INTO tx VALUES (1);\n  INSERT INTO nope VALUES (2);`,
    );
    expect(await count()).toBe(1);
  });

  test('outputFiles: a file the SQL writes is stored (as Kestra’s outputFiles)', async () => {
    const out = outputs(
      await run(
        'Queries',
        `outputFiles:\n  - out\nsql: |\n  ATTACH DATABASE '{{ outputFiles.out }}' AS other;\n  CREATE TABLE other.t (a INTEGER);\n  INSERT INTO other.t VALUES (7);`,
      ),
    );
    expect(String((out['outputFiles'] as Record<string, unknown>)['out'])).toMatch(/^kestra:\/\/\/.*out_\d+\.tmp$/);
  });
});

describe('sanity check all_sqlite.yaml', () => {
  test('plugin-jdbc-sqlite/src/test/resources/sanity-checks/all_sqlite.yaml, as it is', async () => {
    const yaml = `id: all_sqlite
namespace: sanitychecks.plugin-jdbc

tasks:
  - id: create_table
    type: io.kestra.plugin.jdbc.sqlite.Query
    fetchType: NONE
    sql: |
      CREATE TABLE IF NOT EXISTS test(
        field1 INT,
        field2 INT
      );

  - id: insert_data
    type: io.kestra.plugin.jdbc.sqlite.Queries
    sqliteFile: '{{ outputs.create_table.databaseUri }}'
    fetchType: NONE
    sql: |
      INSERT INTO test(field1, field2) VALUES (1, 2);
      INSERT INTO test(field1, field2) VALUES (3, 4);
      INSERT INTO test(field1, field2) VALUES (4, 5);

  - id: query
    type: io.kestra.plugin.jdbc.sqlite.Query
    sqliteFile: '{{ outputs.insert_data.databaseUri }}'
    fetchType: FETCH
    sql: SELECT * FROM test ORDER BY field1;

  - id: queries
    type: io.kestra.plugin.jdbc.sqlite.Queries
    sqliteFile: '{{ outputs.insert_data.databaseUri }}'
    fetchType: STORE
    sql: |
      SELECT * FROM test ORDER BY field1;
      SELECT * FROM test ORDER BY field1 LIMIT 1;

  - id: select_and_store
    type: io.kestra.plugin.jdbc.sqlite.Query
    sqliteFile: '{{ outputs.insert_data.databaseUri }}'
    fetchType: STORE
    sql: SELECT * FROM test ORDER BY field1 LIMIT 2;

  - id: assert
    type: io.kestra.plugin.core.execution.Assert
    conditions:
      - "{{ outputs.query.rows[0].field1 == 1 }}"
      - "{{ outputs.query.rows[1].field2 == 4 }}"
      - "{{ outputs.queries.outputs[0].size == 3 }}"
      - "{{ outputs.queries.outputs[1].size == 1 }}"

finally:
  - id: purge
    type: io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles

pluginDefaults:
  - type: io.kestra.plugin.jdbc.sqlite
    values:
      url: "jdbc:sqlite:myfile.db"
      outputDbFile: true
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: {} });
    expect(report.logs.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual([]);
    expect(report.state).toBe('SUCCESS');
  });
});
