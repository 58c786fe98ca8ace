/**
 * io.kestra.plugin.jdbc.mysql.* and io.kestra.plugin.jdbc.mariadb.* against a real MariaDB
 * (Debian's mariadb-server) started on a free loopback port (test/support/databases.ts), through
 * the runner. Assertions ported from plugin-jdbc's
 * plugin-jdbc-mysql/src/test/java/io/kestra/plugin/jdbc/mysql/MysqlTest.java (select, aliasQuery,
 * empty result, update with every fetch type) and QueriesMysqlTest.java, on the fixtures of
 * scripts/mysql.sql and scripts/mysql_queries.sql. One difference is the server's, not ours:
 * MariaDB keeps a JSON column's text as written, where MySQL normalises it (`{"color": "red", …}`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';
import { b64, mariadbBin, requireServer, sqlTaskFlow, startMariadb, successOutputs, type DatabaseServer } from '../support/databases.js';

process.env['TZ'] = 'UTC';

const available = requireServer('MariaDB', mariadbBin() !== undefined);
const describeIf = available ? describe : describe.skip;

const MYSQL_TYPES = `
DROP TABLE IF EXISTS mysql_types;
CREATE TABLE mysql_types (
 concert_id SERIAL, available TINYINT not null, a CHAR(4) not null, b VARCHAR(30) not null, c TEXT not null, d VARCHAR(10),
 play_time BIGINT not null, library_record BIGINT not null, bitn_test BIT(6) not null, floatn_test FLOAT not null,
 double_test DOUBLE not null, doublen_test DOUBLE(18,4) not null, numeric_test NUMERIC(3,2) not null, salary_decimal DECIMAL(5,2),
 date_type DATE not null, datetime_type DATETIME(6) not null, time_type TIME not null, timestamp_type TIMESTAMP(6) not null,
 year_type YEAR(4) not null, json_type JSON not null, blob_type BLOB not null, PRIMARY KEY (concert_id));
INSERT INTO mysql_types (concert_id, available, a, b, c, d, play_time, library_record, bitn_test, floatn_test, double_test, doublen_test,
 numeric_test, salary_decimal, date_type, datetime_type, time_type, timestamp_type, year_type, json_type, blob_type)
VALUES (DEFAULT, true, 'four', 'This is a varchar', 'This is a text column data', NULL, -9223372036854775808, 1844674407370955161,
 b'000101', 9223372036854776000, 9223372036854776000, 2147483645.1234, 5.36, 999.99, '2030-12-25', '2050-12-31 22:59:57.150150',
 '04:05:30', '2004-10-19 10:23:54.999999', '2025', '{"color":"red","value":"#f00"}', x'DEADBEEF');
DROP TABLE IF EXISTS employee;
CREATE TABLE employee (employee_id SERIAL, firstName VARCHAR(30), lastName VARCHAR(30), age SMALLINT, PRIMARY KEY (employee_id));
INSERT INTO employee (firstName, lastName, age) VALUES ('John', 'Doe', 45), ('Bryan', 'Grant', 33), ('Jude', 'Philips', 25), ('Michael', 'Page', 62);
DROP TABLE IF EXISTS laptop;
CREATE TABLE laptop (laptop_id SERIAL, brand VARCHAR(30), model VARCHAR(30), cpu_frequency REAL, PRIMARY KEY (laptop_id));
INSERT INTO laptop (brand, model, cpu_frequency) VALUES ('Apple', 'MacBookPro M1 13', 2.2), ('Apple', 'MacBookPro M3 16', 1.5), ('LG', 'Gram', 1.95), ('Lenovo', 'ThinkPad', 1.05);
`;

let server: DatabaseServer;
const storage = mkdtempSync(join(tmpdir(), 'pf-my-storage-'));

beforeAll(async () => {
  if (!available) return;
  const started = Date.now();
  server = await startMariadb();
  console.log(`mariadbd started in ${Date.now() - started} ms`);
  server.sql(MYSQL_TYPES);
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(storage, { recursive: true, force: true });
}, 60_000);

async function run(type: string, props: string, urlSuffix = ''): Promise<RunReport> {
  const scheme = type.startsWith('mariadb') ? 'mariadb' : 'mysql';
  const yaml = sqlTaskFlow(
    'my',
    type,
    `url: jdbc:${scheme}://127.0.0.1:${server.port}/kestra${urlSuffix}\nusername: kestra\npassword: "{{ secret('MYSQL_PASSWORD') }}"\n${props.trim()}`,
  );
  const report = await runFlow(parseFlow(yaml), { storage, env: { SECRET_MYSQL_PASSWORD: b64(server.password) } });
  expect(JSON.stringify(report)).not.toContain(server.password);
  return report;
}

const outputs = (report: RunReport): Record<string, unknown> => successOutputs(report);

describeIf('mysql.Query (MysqlTest)', () => {
  test('select: every type as Kestra converts it', async () => {
    const row = outputs(await run('mysql.Query', 'fetchType: FETCH_ONE\ntimeZoneId: Europe/Paris\nsql: select * from mysql_types'))[
      'row'
    ] as Record<string, unknown>;
    expect(row['concert_id']).toBe('1'); // BIGINT UNSIGNED: a BigInteger, hence its text
    expect(row['available']).toBe(1);
    expect(row['a']).toBe('four');
    expect(row['b']).toBe('This is a varchar');
    expect(row['c']).toBe('This is a text column data');
    expect(row).toHaveProperty('d', null);
    expect(String(row['play_time'])).toBe('-9223372036854775808');
    expect(String(row['library_record'])).toBe('1844674407370955161');
    expect(Buffer.from(String(row['bitn_test']), 'base64')).toEqual(Buffer.from([0b000101]));
    expect(String(row['floatn_test'])).toBe('9.22337E18'); // is(9.22337E18F)
    expect(Number(row['double_test'])).toBe(9223372036854776000);
    expect(Number(row['doublen_test'])).toBe(2147483645.1234);
    expect(String(row['numeric_test'])).toBe('5.36');
    expect(String(row['salary_decimal'])).toBe('999.99');
    expect(row['date_type']).toBe('2030-12-25');
    expect(row['datetime_type']).toBe('2050-12-31T22:59:57.15015'); // LocalDateTime.parse("2050-12-31T22:59:57.150150")
    expect(row['time_type']).toBe('04:05:30');
    expect(row['timestamp_type']).toBe('2004-10-19T10:23:54.999999Z'); // Instant.parse(...)
    expect(row['year_type']).toBe('2025-01-01');
    expect(JSON.parse(String(row['json_type']))).toEqual({ color: 'red', value: '#f00' });
    expect(Buffer.from(String(row['blob_type']), 'base64').toString('hex')).toBe('deadbeef');
  });

  test('aliasQuery: labels are the aliases', async () => {
    const row = outputs(
      await run(
        'mysql.Query',
        `fetchType: FETCH_ONE
timeZoneId: Europe/Paris
sql: |
  select concert_id as myConcertId, a as char_column, b as varchar_column, c as text_column, d as null_column,
  date_type as date_column, datetime_type as datetime_column, timestamp_type as timestamp_column from mysql_types`,
      ),
    )['row'] as Record<string, unknown>;
    expect(row).toEqual({
      myConcertId: '1',
      char_column: 'four',
      varchar_column: 'This is a varchar',
      text_column: 'This is a text column data',
      null_column: null,
      date_column: '2030-12-25',
      datetime_column: '2050-12-31T22:59:57.15015',
      timestamp_column: '2004-10-19T10:23:54.999999Z',
    });
  });

  test('selectQueryReturnNoValue_sizeShouldBeZero', async () => {
    const out = outputs(await run('mysql.Query', "fetchType: FETCH_ONE\nsql: select * from mysql_types where concert_id='random'"));
    expect(out['row']).toBeNull();
    expect(out['size']).toBe(0);
  });

  test.each(['FETCH', 'FETCH_ONE', 'STORE', 'NONE'])('updateWithAllFetchType %s', async (fetchType) => {
    const value = `v-${fetchType}-${Math.random().toString(36).slice(2)}`;
    outputs(await run('mysql.Query', `fetchType: ${fetchType}\nsql: update mysql_types set c = '${value}'`));
    const row = outputs(await run('mysql.Query', 'fetchType: FETCH_ONE\nsql: select c from mysql_types'))['row'] as Record<string, unknown>;
    expect(row['c']).toBe(value);
  });

  test('LOAD DATA LOCAL INFILE from inputFile (the plugin example)', async () => {
    server.sql('DROP TABLE IF EXISTS products; CREATE TABLE products (id INT, name VARCHAR(30))');
    const csv = join(storage, 'products.csv');
    writeFileSync(csv, 'id,name\n1,"pen"\n2,"ink"\n');
    const yaml = `id: load
namespace: company.team
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "id,name\\n1,\\"pen\\"\\n2,\\"ink\\"\\n"
    extension: .csv
  - id: t
    type: io.kestra.plugin.jdbc.mysql.Query
    url: jdbc:mysql://127.0.0.1:${server.port}/kestra?allowLoadLocalInfile=true
    username: kestra
    password: "{{ secret('MYSQL_PASSWORD') }}"
    inputFile: "{{ outputs.write.uri }}"
    sql: |
      LOAD DATA LOCAL INFILE '{{ inputFile }}'
      INTO TABLE products
      FIELDS TERMINATED BY ','
      ENCLOSED BY '"'
      LINES TERMINATED BY '\\n'
      IGNORE 1 ROWS;
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: { SECRET_MYSQL_PASSWORD: b64(server.password) } });
    expect(report.state).toBe('SUCCESS');
    const rows = outputs(await run('mysql.Query', 'fetchType: FETCH\nsql: select id, name from products order by id'))['rows'];
    expect(rows).toEqual([
      { id: 1, name: 'pen' },
      { id: 2, name: 'ink' },
    ]);
  });
});

describeIf('mysql.Queries (QueriesMysqlTest)', () => {
  test('testMultiSelect', async () => {
    const list = outputs(
      await run('mysql.Queries', 'fetchType: FETCH\nsql: |\n  SELECT firstName, lastName FROM employee;\n  SELECT brand FROM laptop;'),
    )['outputs'] as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    expect(list[1]!['rows']).toHaveLength(4);
  });

  test('testMultiSelectWithParameters', async () => {
    const list = outputs(
      await run(
        'mysql.Queries',
        `fetchType: FETCH
sql: |
  SELECT firstName, lastName, age FROM employee where age > :age and age < :age + 10;
  SELECT brand, model FROM laptop where brand = :brand and cpu_frequency > :cpu_frequency;
parameters:
  age: 40
  brand: Apple
  cpu_frequency: 1.5`,
      ),
    )['outputs'] as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    expect(list[0]!['rows']).toEqual([{ firstName: 'John', lastName: 'Doe', age: 45 }]);
    expect((list[1]!['rows'] as Record<string, unknown>[]).map((r) => r['brand'])).toEqual(['Apple']);
  });

  test('testMultiQueriesOnlySelectOutputs', async () => {
    const list = outputs(
      await run(
        'mysql.Queries',
        `fetchType: FETCH_ONE
sql: |
  DROP TABLE IF EXISTS animals;
  CREATE TABLE animals (id SERIAL PRIMARY KEY, name VARCHAR(100));
  INSERT INTO animals (name) VALUES ('cat'),('dog');
  SELECT COUNT(id) as animals_count FROM animals;
  INSERT INTO animals (name) VALUES ('ostrich'),('snake'),('whale');
  SELECT COUNT(id) as animals_count FROM animals;`,
      ),
    )['outputs'] as Record<string, Record<string, unknown>>[];
    expect(list.map((o) => o['row']!['animals_count'])).toEqual([2, 5]);
  });

  test('a failing statement rolls the transaction back', async () => {
    server.sql('DROP TABLE IF EXISTS tx; CREATE TABLE tx (id INT) ENGINE=InnoDB');
    const report = await run('mysql.Queries', 'sql: |\n  INSERT INTO tx VALUES (1);\n  INSERT INTO nope VALUES (2);');
    expect(report.taskRuns[0]!.state).toBe('FAILED');
    expect(report.logs.map((l) => l.message).join('\n')).toContain("Table 'kestra.nope' doesn't exist");
    const row = outputs(await run('mysql.Query', 'fetchType: FETCH_ONE\nsql: SELECT COUNT(*) AS n FROM tx'))['row'] as Record<
      string,
      unknown
    >;
    expect(row['n']).toBe(0);
  });
});

describeIf('mariadb.Query (MariaDbCellConverter)', () => {
  test('DATETIME and TIMESTAMP are ZonedDateTimes in the task’s zone; a jdbc:mysql URL is refused', async () => {
    const row = outputs(
      await run(
        'mariadb.Query',
        'fetchType: FETCH_ONE\ntimeZoneId: Europe/Paris\nsql: select datetime_type, timestamp_type, date_type from mysql_types',
      ),
    )['row'] as Record<string, unknown>;
    // The worker's zone is UTC here: the wall clock is UTC, written back in UTC by Jackson.
    expect(row).toEqual({
      datetime_type: '2050-12-31T22:59:57.15015Z',
      timestamp_type: '2004-10-19T10:23:54.999999Z',
      date_type: '2030-12-25',
    });
    const report = await runFlow(
      parseFlow(`id: m
namespace: company.team
tasks:
  - id: t
    type: io.kestra.plugin.jdbc.mariadb.Query
    url: jdbc:mysql://127.0.0.1:${server.port}/kestra
    sql: select 1
`),
      { storage, env: {} },
    );
    expect(report.logs.map((l) => l.message).join('\n')).toContain('URL should start with `jdbc:mariadb`');
  });
});

describeIf('sanity check all_mysql.yaml', () => {
  test('plugin-jdbc-mysql/src/test/resources/sanity-checks/all_mysql.yaml (the docker container replaced by the test server)', async () => {
    server.sql('DROP TABLE IF EXISTS test');
    const yaml = `id: all_mysql
namespace: sanitychecks.plugin-jdbc

tasks:
  - id: create_table
    type: io.kestra.plugin.jdbc.mysql.Query
    fetchType: NONE
    sql: |
      CREATE TABLE IF NOT EXISTS test (
        field1 INT,
        field2 INT
      );

  - id: insert_data
    type: io.kestra.plugin.jdbc.mysql.Queries
    fetchType: NONE
    sql: |
      INSERT INTO test VALUES (1, 2);
      INSERT INTO test VALUES (3, 4);
      INSERT INTO test VALUES (4, 5);

  - id: query
    type: io.kestra.plugin.jdbc.mysql.Query
    fetchType: FETCH
    sql: SELECT * FROM test ORDER BY field1;

  - id: queries
    type: io.kestra.plugin.jdbc.mysql.Queries
    fetchType: STORE
    sql: |
      SELECT * FROM test ORDER BY field1;
      SELECT * FROM test ORDER BY field1 LIMIT 1;

  - id: select_and_store
    type: io.kestra.plugin.jdbc.mysql.Query
    fetchType: STORE
    sql: SELECT * FROM test ORDER BY field1 LIMIT 2;

  - id: assert
    type: io.kestra.plugin.core.execution.Assert
    conditions:
      - "{{ outputs.query.rows[0].field1 == 1 }}"
      - "{{ outputs.query.rows[1].field2 == 4 }}"
      - "{{ outputs.queries.outputs[0].size == 3 }}"
      - "{{ outputs.queries.outputs[1].size == 1 }}"
      - "{{ outputs.select_and_store.size == 2 }}"

finally:
  - id: purge
    type: io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles

pluginDefaults:
  - type: io.kestra.plugin.jdbc.mysql
    values:
      url: "jdbc:mysql://127.0.0.1:${server.port}/kestra?allowMultiQueries=true&useSSL=false&allowPublicKeyRetrieval=true"
      username: kestra
      password: "{{ secret('MYSQL_PASSWORD') }}"
`;
    const report = await runFlow(parseFlow(yaml), { storage, env: { SECRET_MYSQL_PASSWORD: b64(server.password) } });
    expect(report.logs.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual([]);
    expect(report.state).toBe('SUCCESS');
  });
});
