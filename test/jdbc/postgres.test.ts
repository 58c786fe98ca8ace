/**
 * io.kestra.plugin.jdbc.postgresql.Query/Queries against a real PostgreSQL started on a free
 * loopback port (test/support/databases.ts), through the runner. Assertions ported from
 * plugin-jdbc's plugin-jdbc-postgres/src/test/java/io/kestra/plugin/jdbc/postgresql/PgsqlTest.java
 * (the "select all types" checkRow, FETCH, FETCH_ONE empty, STORE, void, composite, afterSQL,
 * URL validation) and QueriesPostgresTest.java (multi select, parameters, transactions), on the
 * fixtures of scripts/postgres.sql and scripts/postgres_queries.sql. Java values are compared in
 * the form Kestra's outputs hold them (JSON: dates as ISO text in the worker's zone, UTC here).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'ion-js';
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';
import {
  b64,
  postgresBin,
  requireServer,
  sqlTaskFlow,
  startPostgres,
  storedText,
  successOutputs,
  type DatabaseServer,
} from '../support/databases.js';

process.env['TZ'] = 'UTC';

const available = requireServer('PostgreSQL', postgresBin() !== undefined);
const describeIf = available ? describe : describe.skip;

const PGSQL_TYPES = `
CREATE EXTENSION IF NOT EXISTS hstore;
DROP TABLE IF EXISTS pgsql_types;
DROP TYPE IF EXISTS inventory_item;
CREATE TYPE inventory_item AS (name text, supplier_id integer, price numeric);
CREATE TABLE pgsql_types (
 concert_id serial NOT NULL, available boolean not null, a CHAR(4) not null, b VARCHAR(30) not null, c TEXT not null,
 d VARCHAR(10), play_time smallint not null, library_record BIGINT not null, floatn_test float8 not null,
 double_test double precision not null, real_test real not null, numeric_test numeric not null, date_type DATE not null,
 time_type TIME not null, timez_type TIME WITH TIME ZONE not null, timestamp_type TIMESTAMP not null,
 timestampz_type TIMESTAMP WITH TIME ZONE not null, interval_type INTERVAL not null, pay_by_quarter integer[] not null,
 schedule text[][] not null, json_type JSON not null, jsonb_type JSONB not null, item inventory_item not null,
 blob_type bytea not null, tsvector_col TSVECTOR not null, hstore_type HSTORE not null);
${[1, 2]
  .map(
    () => `INSERT INTO pgsql_types (concert_id, available, a, b, c, d, play_time, library_record, floatn_test, double_test, real_test,
 numeric_test, date_type, time_type, timez_type, timestamp_type, timestampz_type, interval_type, pay_by_quarter, schedule, json_type,
 jsonb_type, item, blob_type, tsvector_col, hstore_type)
VALUES (DEFAULT, true, 'four', 'This is a varchar', 'This is a text column data', NULL, 32767, 9223372036854775807,
 9223372036854776000, 9223372036854776000, 9223372036854776000, 2147483645.1234, '2030-12-25', '04:05:30', '04:05:06 PST',
 '2004-10-19 10:23:54.999999', '2004-10-19 10:23:54.250+04', '10 years 4 months 5 days 10 seconds', '{100,200,300}',
 '{{meeting,lunch},{training,presentation}}', '{"color":"red","value":"#f00"}', '{"color":"blue","value":"#0f0"}',
 Row('fuzzy dice', 42, 1.99), '\\xDEADBEEF', to_tsvector('english', 'fuzzy dice quick brown fox jumps over lazy dog'),
 'foo=>"bar", hello=>"world"');`,
  )
  .join('\n')}`;

const QUERIES_FIXTURES = `
DROP TABLE IF EXISTS employee;
CREATE TABLE employee (employee_id SERIAL, first_name VARCHAR(30), last_name VARCHAR(30), age SMALLINT, PRIMARY KEY (employee_id));
INSERT INTO employee (first_name, last_name, age) VALUES ('John', 'Doe', 45), ('Bryan', 'Grant', 33), ('Jude', 'Philips', 25), ('Michael', 'Page', 62);
DROP TABLE IF EXISTS laptop;
CREATE TABLE laptop (laptop_id SERIAL, brand VARCHAR(30), model VARCHAR(30), cpu_frequency REAL, PRIMARY KEY (laptop_id));
INSERT INTO laptop (brand, model, cpu_frequency) VALUES ('Apple', 'MacBookPro M1 13', 2.2), ('Apple', 'MacBookPro M3 16', 1.5), ('LG', 'Gram', 1.95), ('Lenovo', 'ThinkPad', 1.05);
DROP TABLE IF EXISTS test_transaction;
CREATE TABLE test_transaction (id SERIAL, name VARCHAR(30), PRIMARY KEY (id));
`;

const SELECT_ALL =
  'select concert_id, available, a, b, c, d, play_time, library_record, floatn_test, double_test, real_test, numeric_test, date_type, time_type, timez_type, timestamp_type, timestampz_type, interval_type, pay_by_quarter, schedule, json_type, jsonb_type, blob_type, tsvector_col, hstore_type from pgsql_types';

let server: DatabaseServer;
const storage = mkdtempSync(join(tmpdir(), 'pf-pg-storage-'));

beforeAll(async () => {
  if (!available) return;
  const started = Date.now();
  server = await startPostgres();
  console.log(`postgres started in ${Date.now() - started} ms`);
  server.sql(PGSQL_TYPES);
  server.sql(QUERIES_FIXTURES);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(storage, { recursive: true, force: true });
}, 60_000);

function url(): string {
  return `jdbc:postgresql://127.0.0.1:${server.port}/${server.database}`;
}

/** A flow of one task (YAML lines of its properties after `type`). */
async function run(type: 'Query' | 'Queries', props: string, inputs: Record<string, unknown> = {}): Promise<RunReport> {
  const yaml = sqlTaskFlow(
    'pg',
    `postgresql.${type}`,
    `url: ${url()}\nusername: "{{ secret('PG_USER') }}"\npassword: "{{ secret('PG_PASSWORD') }}"\n${props.trim()}`,
  );
  const report = await runFlow(parseFlow(yaml), {
    storage,
    inputs,
    env: { SECRET_PG_USER: b64(server.user), SECRET_PG_PASSWORD: b64(server.password) },
  });
  expect(JSON.stringify(report)).not.toContain(server.password);
  return report;
}

const outputs = (report: RunReport): Record<string, unknown> => successOutputs(report);

function failure(report: RunReport): string {
  const t = report.taskRuns.find((r) => r.taskId === 't')!;
  expect(t.state).toBe('FAILED');
  return report.logs
    .filter((l) => l.level === 'ERROR')
    .map((l) => l.message)
    .join('\n');
}

/** PgsqlTest.checkRow, on the JSON forms of its Java values. */
function checkRow(row: Record<string, unknown>, concertId: number): void {
  expect(row['concert_id']).toBe(concertId);
  expect(row['available']).toBe(true);
  expect(row['a']).toBe('four');
  expect(row['b']).toBe('This is a varchar');
  expect(row['c']).toBe('This is a text column data');
  expect(row).toHaveProperty('d', null);
  expect(row['play_time']).toBe(32767);
  expect(String(row['library_record'])).toBe('9223372036854775807');
  // floatn_test is not(9223372036854776000F): a Double
  expect(Number(row['floatn_test'])).toBe(9223372036854776000);
  expect(String(row['floatn_test'])).toBe('9.223372036854776E18');
  expect(Number(row['double_test'])).toBe(9223372036854776000);
  // real_test is not(9223372036854776000d): a Float
  expect(String(row['real_test'])).toBe('9.223372E18');
  expect(String(row['numeric_test'])).toBe('2147483645.1234');
  expect(row['date_type']).toBe('2030-12-25');
  expect(row['time_type']).toBe('04:05:30');
  // LocalTime.parse("13:05:06"): 04:05:06 PST read in Europe/Paris
  expect(row['timez_type']).toBe('13:05:06');
  expect(row['timestamp_type']).toBe('2004-10-19T10:23:54.999999');
  // ZonedDateTime.parse("2004-10-19T08:23:54.250+02:00[Europe/Paris]"), written by Jackson in the worker's zone (UTC)
  expect(row['timestampz_type']).toBe('2004-10-19T06:23:54.25Z');
  expect(row['interval_type']).toBe('P10Y4M5DT0H0M10S');
  expect(row['pay_by_quarter']).toEqual([100, 200, 300]);
  expect(row['schedule']).toEqual([
    ['meeting', 'lunch'],
    ['training', 'presentation'],
  ]);
  expect(row['json_type']).toEqual({ color: 'red', value: '#f00' });
  expect(row['jsonb_type']).toEqual({ color: 'blue', value: '#0f0' });
  expect(Buffer.from(String(row['blob_type']), 'base64').toString('hex')).toBe('deadbeef');
  expect(row['tsvector_col']).toBe("'brown':4 'dice':2 'dog':9 'fox':5 'fuzzi':1 'jump':6 'lazi':8 'quick':3");
  expect(row['hstore_type']).toEqual({ foo: 'bar', hello: 'world' });
}

describeIf('postgresql.Query (PgsqlTest)', () => {
  test('selectAndFetchOne: every type as Kestra converts it', async () => {
    const out = outputs(await run('Query', `fetchType: FETCH_ONE\ntimeZoneId: Europe/Paris\nsql: ${SELECT_ALL}`));
    checkRow(out['row'] as Record<string, unknown>, 1);
    expect(out['size']).toBe(1);
  });

  test('selectAndFetch: two rows (nulls left out of each, as Jackson writes rows)', async () => {
    const out = outputs(await run('Query', `fetchType: FETCH\ntimeZoneId: Europe/Paris\nsql: ${SELECT_ALL}`));
    const rows = out['rows'] as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    expect(out['size']).toBe(2);
    expect(rows[0]).not.toHaveProperty('d');
    checkRow({ ...rows[1], d: null }, 2);
    expect(out).toHaveProperty('row', null);
  });

  test('selectAndFetchOne_EmptyResult: row null, size 0', async () => {
    const out = outputs(await run('Query', `fetchType: FETCH_ONE\nsql: select concert_id from pgsql_types where b='random'`));
    expect(out['row']).toBeNull();
    expect(out['size']).toBe(0);
  });

  test('selectAndFetchToFile: STORE writes 2 Ion lines with Kestra’s Ion types', async () => {
    const out = outputs(
      await run('Query', `fetchType: STORE\ntimeZoneId: Europe/Paris\nsql: ${SELECT_ALL.replace(', tsvector_col, hstore_type', '')}`),
    );
    expect(out['size']).toBe(2);
    const text = storedText(storage, String(out['uri']));
    expect(text.trim().split('\n')).toHaveLength(2);
    expect(loadAll(text)).toHaveLength(2);
    const first = text.split('\n')[0]!;
    expect(first).toContain('date_type:2030-12-25,');
    expect(first).toContain('time_type:LocalTime::"04:05:30"');
    expect(first).toContain('timestamp_type:LocalDateTime::"2004-10-19T10:23:54.999999"');
    expect(first).toContain('timestampz_type:ZonedDateTime::"2004-10-19T08:23:54.25+02:00[Europe/Paris]"');
    expect(first).toContain('numeric_test:2147483645.1234');
    expect(first).toContain('d:null');
    expect(first).toContain('blob_type:{{3q2+7w==}}');
  });

  test('selectWithVoidObject: void is null', async () => {
    const out = outputs(await run('Query', `fetchType: FETCH_ONE\nsql: SELECT 'someString' as stringvalue, pg_sleep(0) as voidvalue`));
    expect(out['row']).toEqual({ stringvalue: 'someString', voidvalue: null });
  });

  test('selectWithCompositeType: a composite column is not supported', async () => {
    const message = failure(await run('Query', `fetchType: FETCH_ONE\nsql: select item from pgsql_types`));
    expect(message).toContain('PGobject of type [inventory_item] is not supported');
  });

  test('afterSQLExecutesInSameTransaction', async () => {
    outputs(await run('Query', `fetchType: FETCH_ONE\nsql: UPDATE pgsql_types SET b = 'pending'`));
    const out = outputs(
      await run(
        'Query',
        `fetchType: FETCH_ONE\nsql: SELECT b FROM pgsql_types WHERE b = 'pending'\nafterSQL: UPDATE pgsql_types SET b = 'processed'`,
      ),
    );
    expect((out['row'] as Record<string, unknown>)['b']).toBe('pending');
    expect(
      (outputs(await run('Query', `fetchType: FETCH_ONE\nsql: SELECT b FROM pgsql_types`))['row'] as Record<string, unknown>)['b'],
    ).toBe('processed');
    expect(outputs(await run('Query', `fetchType: FETCH_ONE\nsql: SELECT b FROM pgsql_types WHERE b = 'pending'`))['row']).toBeNull();
  });

  test('afterSQLWithTransaction_shouldRollbackOnError', async () => {
    outputs(await run('Query', `fetchType: FETCH_ONE\nsql: UPDATE pgsql_types SET b = 'initial_value'`));
    failure(
      await run(
        'Query',
        `fetchType: FETCH_ONE\nsql: UPDATE pgsql_types SET b = 'changed'\nafterSQL: UPDATE non_existent_table SET x = 'y'`,
      ),
    );
    const out = outputs(await run('Query', `fetchType: FETCH_ONE\nsql: SELECT b FROM pgsql_types`));
    expect((out['row'] as Record<string, unknown>)['b']).toBe('initial_value');
  });

  test('afterSQLWithParameters', async () => {
    outputs(await run('Query', `fetchType: FETCH_ONE\nsql: UPDATE pgsql_types SET b = 'pending'`));
    const out = outputs(
      await run(
        'Query',
        `fetchType: FETCH_ONE\nsql: SELECT b FROM pgsql_types WHERE b = 'pending'\nafterSQL: UPDATE pgsql_types SET b = :newStatus\nparameters:\n  newStatus: "{{ 'complete' ~ 'd' }}"`,
      ),
    );
    expect((out['row'] as Record<string, unknown>)['b']).toBe('pending');
    const verify = outputs(await run('Query', `fetchType: FETCH_ONE\nsql: SELECT b FROM pgsql_types`));
    expect((verify['row'] as Record<string, unknown>)['b']).toBe('completed');
  });

  test('urlNotCorrectFormat_shouldThrowException: a MySQL URL is refused', async () => {
    const yaml = `id: pg
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.jdbc.postgresql.Query
    url: jdbc:mysql://127.0.0.1:64790/kestra
    sql: select 1
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: {} });
    expect(report.logs.map((l) => l.message).join('\n')).toContain('URL scheme is invalid. URL should start with `jdbc:postgresql`');
  });

  test('kill: the task timeout stops a running statement', async () => {
    const started = Date.now();
    const report = await run('Query', 'timeout: PT1S\nsql: SELECT pg_sleep(60)');
    const took = Date.now() - started;
    console.log(`pg_sleep(60) with timeout PT1S ended after ${took} ms`);
    expect(report.taskRuns[0]!.state).toBe('FAILED');
    expect(took).toBeLessThan(30_000);
    // the statement was cancelled on the server (a cancel request, as pgJDBC's Statement.cancel), not left sleeping
    let sleeping: unknown = -1;
    for (let i = 0; i < 20 && sleeping !== 0; i++) {
      const row = outputs(
        await run(
          'Query',
          "fetchType: FETCH_ONE\nsql: SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'",
        ),
      )['row'] as Record<string, unknown>;
      sleeping = row['n'];
      if (sleeping !== 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(sleeping).toBe(0);
  });

  test('TLS: sslMode REQUIRE encrypts; VERIFY_FULL checks the server against sslRootCert', async () => {
    if (server.ca === undefined) {
      console.warn('openssl is missing: the TLS test is skipped');
      return;
    }
    const ssl = 'fetchType: FETCH_ONE\nsql: SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()';
    expect(outputs(await run('Query', `sslMode: REQUIRE\n${ssl}`))['row']).toEqual({ ssl: true });
    const ca = server.ca.trim().split('\n').join('\n  ');
    expect(outputs(await run('Query', `sslMode: VERIFY_FULL\nsslRootCert: |\n  ${ca}\n${ssl}`))['row']).toEqual({ ssl: true });
    const refused = await run('Query', `sslMode: VERIFY_FULL\n${ssl}`);
    expect(refused.taskRuns[0]!.state).toBe('FAILED');
  });

  test('a Query refuses several statements', async () => {
    expect(failure(await run('Query', `sql: "SELECT 1; SELECT 2"`))).toContain(
      'Query task support only a single SQL statement. Use the Queries task to run multiple statements.',
    );
  });

  test('a wrong password fails with the server’s message, the password masked', async () => {
    const yaml = `id: pg
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.jdbc.postgresql.Query
    url: ${url()}?password=url-secret-1234
    username: nobody
    password: "{{ secret('PG_PASSWORD') }}"
    sql: select 1
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: { SECRET_PG_PASSWORD: b64('wrong-secret-5678') } });
    const text = JSON.stringify(report);
    expect(text).toContain('password authentication failed for user');
    expect(text).not.toContain('wrong-secret-5678');
    expect(text).not.toContain('url-secret-1234');
  });
});

describeIf('postgresql.Queries (QueriesPostgresTest)', () => {
  test('testMultiSelect: one output per select', async () => {
    const out = outputs(
      await run('Queries', 'fetchType: FETCH\nsql: |\n  SELECT first_name, last_name FROM employee;\n  SELECT brand FROM laptop;'),
    );
    const list = out['outputs'] as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    expect((list[0]!['rows'] as unknown[]).length).toBe(4);
  });

  test('testMultiSelectWithParameters', async () => {
    const out = outputs(
      await run(
        'Queries',
        `fetchType: FETCH
sql: |
  SELECT first_name, last_name, age FROM employee where age > :age and age < :age + 10;
  SELECT brand, model FROM laptop where brand = :brand and cpu_frequency > :cpu_frequency;
parameters:
  age: 40
  brand: Apple
  cpu_frequency: 1.5`,
      ),
    );
    const [employees, laptops] = (out['outputs'] as Record<string, unknown>[]).map((o) => o['rows'] as Record<string, unknown>[]);
    expect(employees).toEqual([{ first_name: 'John', last_name: 'Doe', age: 45 }]);
    expect(laptops).toHaveLength(1);
    expect(laptops![0]!['brand']).toBe('Apple');
  });

  test('testMultiQueriesOnlySelectOutputs: counts are Longs', async () => {
    const out = outputs(
      await run(
        'Queries',
        `fetchType: FETCH_ONE
sql: |
  DROP TABLE IF EXISTS animals;
  CREATE TABLE animals (id SERIAL PRIMARY KEY, name VARCHAR(100));
  INSERT INTO animals (name) VALUES ('cat'),('dog');
  SELECT COUNT(id) as animals_count FROM animals;
  INSERT INTO animals (name) VALUES ('ostrich'),('snake'),('whale');
  SELECT COUNT(id) as animals_count FROM animals;`,
      ),
    );
    const list = out['outputs'] as Record<string, Record<string, unknown>>[];
    expect(list).toHaveLength(2);
    expect(list[0]!['row']!['animals_count']).toBe(2);
    expect(list[1]!['row']!['animals_count']).toBe(5);
  });

  test('testMultiQueriesTransactionalShouldRollback', async () => {
    const first = outputs(
      await run(
        'Queries',
        `fetchType: FETCH_ONE\nsql: |\n  INSERT INTO test_transaction (name) VALUES ('test_1');\n  SELECT COUNT(id) as transaction_count FROM test_transaction;`,
      ),
    );
    const count = (first['outputs'] as Record<string, Record<string, unknown>>[])[0]!['row']!['transaction_count'];
    failure(
      await run(
        'Queries',
        `fetchType: FETCH_ONE\nsql: |\n  INSERT INTO test_transaction (name) VALUES ('test_2');\n  INSERT INTO test_transaction (name) VALUES (1000f);`,
      ),
    );
    const verify = outputs(await run('Queries', `fetchType: FETCH_ONE\nsql: SELECT COUNT(id) as transaction_count FROM test_transaction;`));
    expect((verify['outputs'] as Record<string, Record<string, unknown>>[])[0]!['row']!['transaction_count']).toBe(count);
  });

  test('testMultiQueriesNonTransactionalShouldNotRollback', async () => {
    const before = outputs(await run('Queries', `fetchType: FETCH_ONE\nsql: SELECT COUNT(id) as c FROM test_transaction;`));
    const count = Number((before['outputs'] as Record<string, Record<string, unknown>>[])[0]!['row']!['c']);
    failure(
      await run(
        'Queries',
        `transaction: false\nsql: |\n  INSERT INTO test_transaction (name) VALUES ('test_3');\n  INSERT INTO test_transaction (name) VALUES (1000f);`,
      ),
    );
    const after = outputs(await run('Queries', `fetchType: FETCH_ONE\nsql: SELECT COUNT(id) as c FROM test_transaction;`));
    expect((after['outputs'] as Record<string, Record<string, unknown>>[])[0]!['row']!['c']).toBe(count + 1);
  });

  test('the Query then Queries example flow of the plugin (rows rendered into the next SQL)', async () => {
    server.sql(
      'DROP TABLE IF EXISTS pl_store_distribute; CREATE TABLE pl_store_distribute (id serial, year_month numeric(6,0) NOT NULL, store_code numeric NOT NULL, update_date timestamp(0))',
    );
    const yaml = `id: postgres_query
namespace: company.team
tasks:
  - id: fetch
    type: io.kestra.plugin.jdbc.postgresql.Query
    url: ${url()}
    username: "{{ secret('PG_USER') }}"
    password: "{{ secret('PG_PASSWORD') }}"
    sql: SELECT concert_id, available, a, b, c, d, play_time, library_record, floatn_test, double_test, real_test, numeric_test, date_type, time_type, timez_type, timestamp_type, timestampz_type, interval_type, pay_by_quarter, schedule, json_type, blob_type FROM pgsql_types
    fetchType: FETCH
  - id: use_fetched_data
    type: io.kestra.plugin.jdbc.postgresql.Queries
    url: ${url()}
    username: "{{ secret('PG_USER') }}"
    password: "{{ secret('PG_PASSWORD') }}"
    sql:  "{% for row in outputs.fetch.rows %} INSERT INTO pl_store_distribute (year_month,store_code, update_date) values ({{row.play_time}}, {{row.concert_id}}, TO_TIMESTAMP('{{row.timestamp_type}}', 'YYYY-MM-DDTHH:MI:SS.US') ); {% endfor %}"
`;
    const report = await runFlow(parseFlow(yaml), {
      storage,
      env: { SECRET_PG_USER: b64(server.user), SECRET_PG_PASSWORD: b64(server.password) },
    });
    expect(report.state).toBe('SUCCESS');
    const check = outputs(
      await run('Query', `fetchType: FETCH\nsql: SELECT year_month, store_code FROM pl_store_distribute ORDER BY store_code`),
    );
    expect((check['rows'] as Record<string, unknown>[]).map((r) => [String(r['year_month']), String(r['store_code'])])).toEqual([
      ['32767', '1'],
      ['32767', '2'],
    ]);
  });
});

describeIf('postgresql.CopyOut / CopyIn (CopyTest)', () => {
  test('copy: a query out as CSV, the file back into a new table', async () => {
    const destination = `d${Math.random().toString(36).slice(2, 10)}`;
    const yaml = `id: copy
namespace: company.team
tasks:
  - id: copy_out
    type: io.kestra.plugin.jdbc.postgresql.CopyOut
    url: ${url()}
    username: "{{ secret('PG_USER') }}"
    password: "{{ secret('PG_PASSWORD') }}"
    format: CSV
    header: true
    delimiter: "\\t"
    escape: '"'
    forceQuote:
      - int
    sql: "SELECT 1 AS int, 't'::bool AS bool UNION SELECT 2 AS int, 'f'::bool AS bool "
  - id: create
    type: io.kestra.plugin.jdbc.postgresql.Query
    url: ${url()}
    username: "{{ secret('PG_USER') }}"
    password: "{{ secret('PG_PASSWORD') }}"
    fetchType: FETCH_ONE
    sql: CREATE TABLE ${destination} (int INT, bool BOOL);
  - id: copy_in
    type: io.kestra.plugin.jdbc.postgresql.CopyIn
    url: ${url()}
    username: "{{ secret('PG_USER') }}"
    password: "{{ secret('PG_PASSWORD') }}"
    from: "{{ outputs.copy_out.uri }}"
    format: CSV
    header: true
    delimiter: "\\t"
    escape: '"'
    table: ${destination}
`;
    const report = await runFlow(parseFlow(yaml), {
      storage,
      env: { SECRET_PG_USER: b64(server.user), SECRET_PG_PASSWORD: b64(server.password) },
    });
    const out = (id: string): Record<string, unknown> => report.taskRuns.find((t) => t.taskId === id)!.outputs;
    expect(report.state).toBe('SUCCESS');
    expect(out('copy_out')['rowCount']).toBe(2);
    expect(
      storedText(storage, String(out('copy_out')['uri']))
        .split('\n')
        .sort(),
    ).toEqual(['', '"1"\tt', '"2"\tf', 'int\tbool']);
    expect(out('copy_in')['rowCount']).toBe(2);
    const rows = outputs(await run('Query', `fetchType: FETCH\nsql: SELECT * FROM ${destination} ORDER BY int`))['rows'];
    expect(rows).toEqual([
      { int: 1, bool: true },
      { int: 2, bool: false },
    ]);
  });
});

describeIf('sanity check all_postgres.yaml', () => {
  test('plugin-jdbc-postgres/src/test/resources/sanity-checks/all_postgres.yaml (the docker container replaced by the test server)', async () => {
    const yaml = `id: all_postgres
namespace: sanitychecks.plugin-jdbc

tasks:
  - id: create_table
    type: io.kestra.plugin.jdbc.postgresql.Queries
    sql: |
      CREATE SCHEMA IF NOT EXISTS sanitychecks;
      CREATE TABLE IF NOT EXISTS sanitychecks.test(
        field1 INT,
        field2 INT
      );

  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: |
      field1,field2
      1,2
      3,4
      4,5
    extension: .csv

  - id: copyin
    type: io.kestra.plugin.jdbc.postgresql.CopyIn
    from: "{{ outputs.write.uri }}"
    table: sanitychecks.test
    header: true
    delimiter: ','

  - id: query
    type: io.kestra.plugin.jdbc.postgresql.Query
    fetchType: FETCH
    sql: SELECT * FROM sanitychecks.test ORDER BY field1;

  - id: queries
    type: io.kestra.plugin.jdbc.postgresql.Queries
    fetchType: STORE
    sql: |
      SELECT * FROM sanitychecks.test ORDER BY field1;
      SELECT * FROM sanitychecks.test ORDER BY field1 LIMIT 1;

  - id: copyout
    type: io.kestra.plugin.jdbc.postgresql.CopyOut
    format: CSV
    sql: SELECT * FROM sanitychecks.test ORDER BY field1 LIMIT 2
    header: true
    delimiter: ","

  - id: assert
    type: io.kestra.plugin.core.execution.Assert
    conditions:
      - "{{ outputs.copyin.rowCount == 3 }}"
      - "{{ outputs.query.rows[0].field1 == 1 }}"
      - "{{ outputs.query.rows[1].field2 == 4 }}"
      - "{{ outputs.queries.outputs[0].size == 3 }}"
      - "{{ outputs.queries.outputs[1].size == 1 }}"
      - "{{ outputs.copyout.rowCount == 2 }}"

finally:
  - id: purge
    type: io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles

pluginDefaults:
  - type: io.kestra.plugin.jdbc.postgresql
    values:
      username: "{{ secret('PG_USER') }}"
      password: "{{ secret('PG_PASSWORD') }}"
      url: "jdbc:postgresql://127.0.0.1:${server.port}/${server.database}"
`;
    const report = await runFlow(parseFlow(yaml), {
      storage,
      env: { SECRET_PG_USER: b64(server.user), SECRET_PG_PASSWORD: b64(server.password) },
    });
    expect(report.logs.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual([]);
    expect(report.state).toBe('SUCCESS');
  });
});
