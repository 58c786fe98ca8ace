/**
 * io.kestra.plugin.jdbc.duckdb.Query/Queries in-process on real DuckDB files and in memory,
 * through the runner. Assertions ported from plugin-jdbc's
 * plugin-jdbc-duckdb/src/test/java/io/kestra/plugin/jdbc/duckdb/DuckDbTest.java (the duck_types
 * select, parameters, arrays, STRUCT and JSON, an existing file in the URL, databaseUri and
 * outputDbFile, inputFiles) and DuckDbQueriesTest.java, and the plugin's @Example flows. The
 * duck_types table is made here with the values the test's duck.db holds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';
import { indentLines, sqlTaskFlow, storedText, successOutputs } from '../support/databases.js';
import { closeServer, listen } from '../support/http.js';

process.env['TZ'] = 'UTC';

const dir = mkdtempSync(join(tmpdir(), 'pf-duckdb-'));
const storage = join(dir, 'storage');
const db = join(dir, 'db', 'duck.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DUCK_TYPES = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE duck_types (t_null INTEGER, t_bigint BIGINT, t_boolean BOOLEAN, t_date DATE, t_double DOUBLE, t_decimal DECIMAL(18,3),
  t_hugeint HUGEINT, t_integer INTEGER, t_interval INTERVAL, t_real REAL, t_smallint SMALLINT, t_timestamp TIMESTAMP,
  t_timestamptz TIMESTAMPTZ, t_tinyint TINYINT, t_ubigint UBIGINT, t_uinteger UINTEGER, t_usmallint USMALLINT, t_utinyint UTINYINT,
  t_varchar VARCHAR, t_enum mood);
INSERT INTO duck_types VALUES (NULL, 9223372036854775807, true, '1992-09-20', 12345.12345, 12345.123, 9223372036854775807, 2147483647,
  INTERVAL 28 DAYS, 123.456, 127, '2020-06-10 15:55:23.383345', '2001-08-22 10:04:05.321+00', 127, 9223372036854775807, 2147483647,
  32767, 127, 'test', 'happy');
`;

async function run(type: 'Query' | 'Queries', props: string): Promise<RunReport> {
  return runFlow(parseFlow(sqlTaskFlow('duck', `duckdb.${type}`, props)), { storage, env: {} });
}

const outputs = successOutputs;

beforeAll(async () => {
  outputs(await run('Queries', `url: jdbc:duckdb:${db}\nsql: |\n${indentLines(DUCK_TYPES, '  ')}`));
});

/** DuckDbTest.selectFromExistingFileInUrl's assertions, on the JSON forms. */
function checkDuckTypes(row: Record<string, unknown>): void {
  expect(row).toHaveProperty('t_null', null);
  expect(String(row['t_bigint'])).toBe('9223372036854775807');
  expect(row['t_boolean']).toBe(true);
  expect(row['t_date']).toBe('1992-09-20');
  expect(Number(row['t_double'])).toBe(12345.12345);
  expect(String(row['t_decimal'])).toBe('12345.123'); // BigDecimal.valueOf(12345123L, 3)
  expect(row['t_hugeint']).toBe('9223372036854775807');
  expect(row['t_integer']).toBe(2147483647);
  expect(row['t_interval']).toBe('28 days');
  expect(String(row['t_real'])).toBe('123.456'); // 123.456F
  expect(row['t_smallint']).toBe(127);
  // ZonedDateTime.parse("2020-06-10T15:55:23.383345+02:00[Europe/Paris]"), in the worker's zone (UTC)
  expect(row['t_timestamp']).toBe('2020-06-10T13:55:23.383345Z');
  expect(row['t_timestamptz']).toBe('2001-08-22T10:04:05.321Z'); // OffsetDateTime.parse("2001-08-22T10:04:05.321Z")
  expect(row['t_tinyint']).toBe(127);
  expect(row['t_ubigint']).toBe('9223372036854775807');
  expect(row['t_uinteger']).toBe(2147483647);
  expect(row['t_usmallint']).toBe(32767);
  expect(row['t_utinyint']).toBe(127);
  expect(row['t_varchar']).toBe('test');
  expect(row['t_enum']).toBe('happy');
}

describe('duckdb.Query (DuckDbTest)', () => {
  test('selectFromExistingFileInUrl: every type as Kestra converts it', async () => {
    const out = outputs(
      await run('Query', `url: jdbc:duckdb:${db}\nfetchType: FETCH_ONE\ntimeZoneId: Europe/Paris\nsql: SELECT * FROM duck_types`),
    );
    checkDuckTypes(out['row'] as Record<string, unknown>);
    expect(out['outputFiles']).toEqual({});
  });

  test('selectFromExistingFileInUrlWithParameters', async () => {
    const row = outputs(
      await run(
        'Query',
        `url: jdbc:duckdb:${db}\nfetchType: FETCH_ONE\nsql: SELECT * FROM duck_types WHERE t_integer = :num\nparameters:\n  num: 2147483647`,
      ),
    )['row'] as Record<string, unknown>;
    expect(row['t_integer']).toBe(2147483647);
  });

  test('queryContinuesWhenCommunityExtensionInstallFails', async () => {
    const report = await run(
      'Query',
      `fetchType: FETCH_ONE\ncommunityExtensions:\n  - definitely_not_an_extension\nsql: SELECT 1 AS value`,
    );
    expect((outputs(report)['row'] as Record<string, unknown>)['value']).toBe(1);
    expect(report.logs.some((l) => l.level === 'WARN' && l.message.includes("'definitely_not_an_extension'"))).toBe(true);
  });

  test.each(['SELECT [1, 2, 3] AS result', 'SELECT array_value(1, 2, 3) AS result;'])('selectWithDuckDbArray: %s', async (sql) => {
    const rows = outputs(await run('Query', `fetchType: FETCH\nsql: "${sql}"`))['rows'] as Record<string, unknown>[];
    expect(rows).toEqual([{ result: [1, 2, 3] }]);
  });

  test('selectWithDuckDbArray_nestedArray', async () => {
    const rows = outputs(await run('Query', 'fetchType: FETCH\nsql: SELECT array_value(array_value(1, 2), array_value(3, 4)) as result;'))[
      'rows'
    ];
    expect(rows).toEqual([
      {
        result: [
          [1, 2],
          [3, 4],
        ],
      },
    ]);
  });

  test('selectWithStructAndJson: STRUCT and JSON are maps (inputFiles written next to the database)', async () => {
    const rows = outputs(
      await run(
        'Query',
        `fetchType: FETCH\ninputFiles:\n  data.json: '{"a": {"b": 1}}'\nsql: SELECT a AS a_struct, a::JSON AS a_json FROM read_json('data.json')`,
      ),
    )['rows'];
    expect(rows).toEqual([{ a_struct: { b: 1 }, a_json: { b: 1 } }]);
  });

  test('urlNotCorrectFormat_shouldThrowException', async () => {
    const report = await run('Query', 'url: jdbc:postgresql://127.0.0.1:1/x\nsql: SELECT array_value(1, 2, 3);');
    expect(report.logs.map((l) => l.message).join('\n')).toContain('URL scheme is invalid. URL should start with `jdbc:duckdb`');
  });

  test('a BLOB column is not supported, as in Kestra', async () => {
    const report = await run('Query', "fetchType: FETCH\nsql: SELECT 'x'::BLOB AS b");
    expect(report.logs.map((l) => l.message).join('\n')).toContain("for column 'b' is not supported, the column type is 'BLOB'");
  });

  test('STORE writes Kestra’s Ion (ZonedDateTime, OffsetDateTime annotated, LocalDate a timestamp, a Float widened as ion-java does)', async () => {
    const out = outputs(
      await run(
        'Query',
        `url: jdbc:duckdb:${db}\nfetchType: STORE\ntimeZoneId: Europe/Paris\nsql: SELECT t_date, t_timestamp, t_timestamptz, t_real, t_decimal FROM duck_types`,
      ),
    );
    expect(out['size']).toBe(1);
    expect(storedText(storage, String(out['uri']))).toBe(
      '{t_date:1992-09-20,t_timestamp:ZonedDateTime::"2020-06-10T15:55:23.383345+02:00[Europe/Paris]",t_timestamptz:OffsetDateTime::"2001-08-22T10:04:05.321Z",t_real:123.45600128173828e0,t_decimal:12345.123}\n',
    );
  });
});

describe('duckdb files in and out of the storage', () => {
  test('createLocalDbAndOutputDatabaseFile, then queryWithExistingFileAndOutputDatabase through databaseUri', async () => {
    const yaml = `id: duck_files
namespace: company.team
tasks:
  - id: csv
    type: io.kestra.plugin.core.storage.Write
    content: |
      order_id,customer_name,total
      1,Alice,10.5
      2,Bob,20
      3,Carol,7.25
    extension: .csv
  - id: create
    type: io.kestra.plugin.jdbc.duckdb.Query
    inputFiles:
      in.csv: "{{ outputs.csv.uri }}"
    sql: CREATE TABLE new_tbl AS SELECT * FROM read_csv_auto('in.csv', header=True);
    outputDbFile: true
  - id: insert
    type: io.kestra.plugin.jdbc.duckdb.Query
    databaseUri: "{{ outputs.create.databaseUri }}"
    sql: INSERT INTO new_tbl VALUES (4, 'Dan', 1);
    outputDbFile: true
  - id: select
    type: io.kestra.plugin.jdbc.duckdb.Query
    databaseUri: "{{ outputs.insert.databaseUri }}"
    sql: SELECT * FROM new_tbl ORDER BY order_id;
    fetchType: FETCH
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: {} });
    const rows = outputs(report, 'select')['rows'] as Record<string, unknown>[];
    expect(rows.map((r) => r['customer_name'])).toEqual(['Alice', 'Bob', 'Carol', 'Dan']);
    expect(Object.keys(rows[0]!)).toHaveLength(3);
  });

  test('Queries example: read a CSV, COPY a result to an output file', async () => {
    const yaml = `id: query_duckdb
namespace: company.team
tasks:
  - id: http_download
    type: io.kestra.plugin.core.storage.Write
    content: |
      order_id,customer_name
      1,Alice
      2,Bob
    extension: .csv
  - id: query
    type: io.kestra.plugin.jdbc.duckdb.Queries
    url: 'jdbc:duckdb:'
    timeZoneId: Europe/Paris
    sql: |-
      CREATE TABLE new_tbl AS SELECT * FROM read_csv_auto('data.csv', header=True);
      COPY (SELECT order_id, customer_name FROM new_tbl) TO '{{ outputFiles.out }}' (HEADER, DELIMITER ',');
    inputFiles:
      data.csv: "{{ outputs.http_download.uri }}"
    outputFiles:
       - out
  - id: queries
    type: io.kestra.plugin.jdbc.duckdb.Queries
    url: 'jdbc:duckdb:'
    fetchType: FETCH
    sql: |-
      CREATE TABLE new_tbl AS SELECT * FROM read_csv_auto('in.csv', header=True);
      SELECT count(customer_name) AS n FROM new_tbl;
      SELECT customer_name FROM new_tbl;
    inputFiles:
      in.csv: "{{ outputs.query.outputFiles.out }}"
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: {} });
    const uri = String((outputs(report, 'query')['outputFiles'] as Record<string, unknown>)['out']);
    expect(storedText(storage, uri).trim().split('\n')).toEqual(['order_id,customer_name', '1,Alice', '2,Bob']);
    expect(outputs(report, 'queries')['outputs']).toEqual([
      { row: null, rows: [{ n: 2 }], size: 1 },
      { row: null, rows: [{ customer_name: 'Alice' }, { customer_name: 'Bob' }], size: 2 },
    ]);
  });

  test('query_multiple_csv_files example: filename=true is relative to the working directory; store: true (deprecated) is STORE', async () => {
    const out = outputs(
      await run(
        'Query',
        `inputFiles:\n  jan-outcomes.csv: "a,b\\n1,x\\n"\n  feb-outcomes.csv: "a,b\\n2,y\\n"\nsql: SELECT * FROM read_csv_auto('*-outcomes.csv', union_by_name=true, filename=true) ORDER BY a;\nstore: true\noutputDbFile: true`,
      ),
    );
    expect(out['size']).toBe(2);
    expect(storedText(storage, String(out['uri']))).toBe(
      '{a:1,b:"x",filename:"jan-outcomes.csv"}\n{a:2,b:"y",filename:"feb-outcomes.csv"}\n',
    );
    expect(String(out['databaseUri'])).toMatch(/^kestra:\/\/\/.*\.db$/);
  });

  test('Queries refuses a relative database path; a failing statement rolls back', async () => {
    const report = await run('Queries', 'url: jdbc:duckdb:relative.db\nsql: SELECT 1');
    expect(report.logs.map((l) => l.message).join('\n')).toContain(
      'The database file path is not valid (Path to database file must be absolute)',
    );
    const file = join(dir, 'tx', 'tx.db');
    outputs(await run('Queries', `url: jdbc:duckdb:${file}\nsql: CREATE TABLE tx (a INTEGER)`));
    const failed = await run('Queries', `url: jdbc:duckdb:${file}\nsql: |\n  INSERT INTO tx VALUES (1);\n  INSERT INTO nope VALUES (2);`);
    expect(failed.taskRuns[0]!.state).toBe('FAILED');
    const row = outputs(await run('Query', `url: jdbc:duckdb:${file}\nfetchType: FETCH_ONE\nsql: SELECT COUNT(*) AS n FROM tx`))['row'];
    expect(row).toEqual({ n: 0 });
    expect(readFileSync(file).length).toBeGreaterThan(0);
  });
});

describe('sanity check all_duckdb.yaml', () => {
  test('plugin-jdbc-duckdb/src/test/resources/sanity-checks/all_duckdb.yaml (orders.csv served on loopback: 100 orders)', async () => {
    const csv = ['order_id,customer_name,customer_email,product_id,price,quantity,total']
      .concat(
        Array.from(
          { length: 100 },
          (_, i) =>
            `${i + 1},Customer ${i + 1},c${i + 1}@example.com,${(i % 20) + 1},${(i % 7) + 1}.5,${(i % 3) + 1},${((i % 7) + 1.5) * ((i % 3) + 1)}`,
        ),
      )
      .join('\n');
    const { server, origin } = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(`${csv}\n`);
    });
    try {
      const yaml = `id: all_duckdb
namespace: sanitychecks.plugin-jdbc

tasks:
  - id: http_download
    type: io.kestra.plugin.core.http.Download
    uri: "${origin}/datasets/kestra/datasets/raw/main/csv/orders.csv"

  - id: check_query
    type: io.kestra.plugin.jdbc.duckdb.Query
    url: 'jdbc:duckdb:'
    inputFiles:
      data.csv: "{{ outputs.http_download.uri }}"
    fetchType: STORE
    sql: |
      SELECT * FROM read_csv_auto('data.csv', header=True);


  - id: check_queries
    type: io.kestra.plugin.jdbc.duckdb.Queries
    url: 'jdbc:duckdb:'
    inputFiles:
      data.csv: "{{ outputs.http_download.uri }}"
    fetchType: STORE
    sql: |
      CREATE TABLE t1 AS SELECT * FROM read_csv_auto('data.csv', header=True);
      INSERT INTO t1 SELECT * FROM t1 LIMIT 3;
      SELECT * FROM t1;
      SELECT * FROM t1 LIMIT 2;

  - id: assert_size
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ outputs.check_queries.outputs[0].size != 103}}"

  - id: assert_size2
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ outputs.check_queries.outputs[1].size != 2}}"


  - id: check_query_fetch
    type: io.kestra.plugin.jdbc.duckdb.Query
    url: 'jdbc:duckdb:'
    inputFiles:
      data.csv: "{{ outputs.http_download.uri }}"
    fetchType: FETCH_ONE
    sql: |
      SELECT * FROM read_csv_auto('data.csv', header=True);

  - id: assert_size3
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ outputs.check_query_fetch.size != 1}}"
`;
      const report = await runFlow(parseFlow(yaml), { storage, env: {} });
      expect(report.logs.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual([]);
      expect(report.state).toBe('SUCCESS');
      expect(report.taskRuns.find((t) => t.taskId === 'check_query')!.outputs['size']).toBe(100);
    } finally {
      await closeServer(server);
    }
  });
});
