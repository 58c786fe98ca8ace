/**
 * Every @Example flow of plugin-jdbc's Query and Queries classes for PostgreSQL, MySQL, MariaDB,
 * SQLite and DuckDB, and of PostgreSQL's CopyIn and CopyOut (copied from the Java files named with each; the one that needs
 * plugin-compress left out) loads: the task types, their properties and values are accepted as
 * Kestra's documentation writes them. The flows run against real databases in postgres.test.ts,
 * mysql.test.ts, sqlite.test.ts and duckdb.test.ts.
 */
import { parseFlow } from '../../src/flow/loader.js';

const EXAMPLES: [string, string][] = [
  [
    'io/kestra/plugin/jdbc/postgresql/Query.java',
    "id: postgres_query\nnamespace: company.team\n\ntasks:\n  - id: fetch\n    type: io.kestra.plugin.jdbc.postgresql.Query\n    url: jdbc:postgresql://127.0.0.1:56982/\n    username: \"{{ secret('POSTGRES_USERNAME') }}\"\n    password: \"{{ secret('POSTGRES_PASSWORD') }}\"\n    sql: SELECT concert_id, available, a, b, c, d, play_time, library_record, floatn_test, double_test, real_test, numeric_test, date_type, time_type, timez_type, timestamp_type, timestampz_type, interval_type, pay_by_quarter, schedule, json_type, blob_type FROM pgsql_types\n    fetchType: FETCH\n\n  - id: use_fetched_data\n    type: io.kestra.plugin.jdbc.postgresql.Queries\n    url: jdbc:postgresql://127.0.0.1:56982/\n    username: \"{{ secret('POSTGRES_USERNAME') }}\"\n    password: \"{{ secret('POSTGRES_PASSWORD') }}\"\n    sql:  \"{% for row in outputs.fetch.rows %} INSERT INTO pl_store_distribute (year_month,store_code, update_date) values ({{row.play_time}}, {{row.concert_id}}, TO_TIMESTAMP('{{row.timestamp_type}}', 'YYYY-MM-DDTHH:MI:SS.US') ); {% endfor %}\"\n",
  ],
  [
    'io/kestra/plugin/jdbc/postgresql/Queries.java',
    'id: postgres_query\nnamespace: company.team\n\ntasks:\n  - id: fetch\n    type: io.kestra.plugin.jdbc.postgresql.Queries\n    url: jdbc:postgresql://127.0.0.1:56982/\n    username: "{{ secret(\'POSTGRES_USERNAME\') }}"\n    password: "{{ secret(\'POSTGRES_PASSWORD\') }}"\n    sql: |\n      SELECT firstName, lastName FROM employee;\n      SELECT brand FROM laptop;\n    fetchType: FETCH\n',
  ],
  [
    'io/kestra/plugin/jdbc/postgresql/Queries.java',
    "id: postgres_queries\nnamespace: company.team\n\ntasks:\n  - id: init_products\n    type: io.kestra.plugin.jdbc.postgresql.Queries\n    url: \"jdbc:postgresql://{{secret('POSTGRES_HOST')}}:5432/postgres\"\n    username: \"{{ secret('POSTGRES_USERNAME') }}\"\n    password: \"{{ secret('POSTGRES_PASSWORD') }}\"\n    sql: |\n      CREATE TABLE IF NOT EXISTS products(\n        product_id SERIAL PRIMARY KEY,\n        product_name varchar(100),\n        product_category varchar(50),\n        brand varchar(50)\n      );\n      INSERT INTO products VALUES(1, 'streamline turn-key systems','Electronics','gomez') ON CONFLICT (product_id) DO NOTHING;\n      INSERT INTO products VALUES(2, 'morph viral applications','Household','wolfe') ON CONFLICT (product_id) DO NOTHING;\n      INSERT INTO products VALUES(3, 'expedite front-end schemas','Household','davis-martinez') ON CONFLICT (product_id) DO NOTHING;\n      INSERT INTO products VALUES(4, 'syndicate robust ROI','Outdoor','ruiz-price') ON CONFLICT (product_id) DO NOTHING;\n    fetchType: NONE\n",
  ],
  [
    'io/kestra/plugin/jdbc/mysql/Query.java',
    'id: mysql_query\nnamespace: company.team\n\ntasks:\n  - id: query\n    type: io.kestra.plugin.jdbc.mysql.Query\n    url: jdbc:mysql://127.0.0.1:3306/\n    username: mysql_user\n    password: "{{ secret(\'MYSQL_PASSWORD\') }}"\n    sql: select * from mysql_types\n    fetchType: FETCH_ONE\n',
  ],
  [
    'io/kestra/plugin/jdbc/mysql/Query.java',
    "id: mysql_query\nnamespace: company.team\n\ntasks:\n  - id: http_download\n    type: io.kestra.plugin.core.http.Download\n    uri: https://huggingface.co/datasets/kestra/datasets/raw/main/csv/products.csv\n\n  - id: query\n    type: io.kestra.plugin.jdbc.mysql.Query\n    url: jdbc:mysql://127.0.0.1:3306/products?allowLoadLocalInfile=true\n    username: mysql_user\n    password: \"{{ secret('MYSQL_PASSWORD') }}\"\n    inputFile: \"{{ outputs.http_download.uri }}\"\n    sql: |\n      LOAD DATA LOCAL INFILE '{{ inputFile }}'\n      INTO TABLE products\n      FIELDS TERMINATED BY ','\n      ENCLOSED BY '\"'\n      LINES TERMINATED BY '\\n'\n      IGNORE 1 ROWS;\n",
  ],
  [
    'io/kestra/plugin/jdbc/mysql/Queries.java',
    'id: send_multiple_queries\nnamespace: test.queries\ntasks:\n  - id: test_queries_insert\n    type: io.kestra.plugin.jdbc.mysql.Queries\n    fetchType: FETCH\n    url: jdbc:mysql://mysql:3306/kestra?allowMultiQueries=true\n    username: "${{secret(\'MYSQL_USERNAME\')}}"\n    password: "${{secret(\'MYSQL_PASSWORD\')}}"\n    sql: "{{ read(\'populate.sql\') }}"\n\n  - id: test_queries_select\n    type: io.kestra.plugin.jdbc.mysql.Queries\n    fetchType: FETCH\n    url: jdbc:mysql://mysql:3306/kestra\n    username: root\n    password: "{{ secret(\'MYSQL_PASSWD\') }}"\n    sql: |\n      SELECT firstName, lastName FROM employee;\n      SELECT brand FROM laptop;\n',
  ],
  [
    'io/kestra/plugin/jdbc/mariadb/Query.java',
    'id: mariadb_query\nnamespace: company.team\n\ntasks:\n  - id: query\n    type: io.kestra.plugin.jdbc.mariadb.Query\n    url: jdbc:mariadb://127.0.0.1:3306/\n    username: mariadb_user\n    password: "{{ secret(\'MARIADB_PASSWORD\') }}"\n    sql: select * from mariadb_types\n    fetchType: FETCH_ONE\n',
  ],
  [
    'io/kestra/plugin/jdbc/mariadb/Query.java',
    "id: mariadb_query\nnamespace: company.team\n\ntasks:\n  - id: http_download\n    type: io.kestra.plugin.core.http.Download\n    uri: https://huggingface.co/datasets/kestra/datasets/raw/main/csv/products.csv\n\n  - id: query\n    type: io.kestra.plugin.jdbc.mariadb.Query\n    url: jdbc:mariadb://127.0.0.1:3306/products?allowLoadLocalInfile=true\n    username: mariadb_user\n    password: \"{{ secret('MARIADB_PASSWORD') }}\"\n    inputFile: \"{{ outputs.http_download.uri }}\"\n    sql: |\n      LOAD DATA LOCAL INFILE '{{ inputFile }}'\n      INTO TABLE products\n      FIELDS TERMINATED BY ','\n      ENCLOSED BY '\"'\n      LINES TERMINATED BY '\\n'\n      IGNORE 1 ROWS;\n    fetchType: NONE\n",
  ],
  [
    'io/kestra/plugin/jdbc/mariadb/Queries.java',
    'id: send_multiple_queries\nnamespace: test.queries\ntasks:\n  - id: test_queries_insert\n    type: io.kestra.plugin.jdbc.mariadb.Queries\n    fetchType: FETCH\n    url: jdbc:mariadb://mariadb:3306/kestra?allowMultiQueries=true\n    username: "${{secret(\'MARIADB_USERNAME\')}}"\n    password: "${{secret(\'MARIADB_PASSWORD\')}}"\n    sql: "{{ read(\'populate.sql\') }}"\n\n  - id: test_queries_select\n    type: io.kestra.plugin.jdbc.mariadb.Queries\n    fetchType: FETCH\n    url: jdbc:mariadb://mariadb:3306/kestra\n    username: root\n    password: "{{ secret(\'MARIADB_PASSWD\') }}"\n    sql: |\n      SELECT firstName, lastName FROM employee;\n      SELECT brand FROM laptop;\n',
  ],
  [
    'io/kestra/plugin/jdbc/sqlite/Query.java',
    'id: sqlite_query\nnamespace: company.team\n\ntasks:\n  - id: create_table\n    type: io.kestra.plugin.jdbc.sqlite.Query\n    url: jdbc:sqlite:myfile.db\n    outputDbFile: true\n    sql: |\n      CREATE TABLE IF NOT EXISTS pgsql_types (\n          concert_id INTEGER,\n          available INTEGER,\n          a TEXT,\n          b TEXT,\n          c TEXT,\n          d TEXT,\n          play_time TEXT,\n          library_record TEXT,\n          floatn_test REAL,\n          double_test REAL,\n          real_test REAL,\n          numeric_test NUMERIC,\n          date_type DATE,\n          time_type TIME,\n          timez_type DATETIME,\n          timestamp_type DATETIME,\n          timestampz_type DATETIME,\n          interval_type TEXT,\n          pay_by_quarter TEXT,\n          schedule TEXT,\n          json_type TEXT,\n          blob_type BLOB\n      );\n    fetchType: NONE\n\n  - id: select\n    type: io.kestra.plugin.jdbc.sqlite.Query\n    url: jdbc:sqlite:myfile.db\n    sqliteFile: "{{ outputs.create_table.databaseUri }}"\n    outputDbFile: true\n    sql: |\n      SELECT concert_id, available, a, b, c, d, play_time, library_record, floatn_test, double_test, real_test, numeric_test, date_type, time_type, timez_type, timestamp_type, timestampz_type, interval_type, pay_by_quarter, schedule, json_type, blob_type FROM pgsql_types;\n    fetchType: FETCH\n\n  - id: iterate_and_insert\n    type: io.kestra.plugin.core.flow.ForEach\n    values: "{{ outputs.select.rows }}"\n    tasks:\n      - id: insert_row\n        type: io.kestra.plugin.jdbc.sqlite.Query\n        url: jdbc:sqlite:myfile.db\n        sqliteFile: "{{ outputs.select.databaseUri }}"\n        sql: |\n          INSERT INTO pl_store_distribute (year_month, store_code, update_date)\n          VALUES (\'{{ taskrun.value.play_time }}\', {{ taskrun.value.concert_id }}, \'{{ taskrun.value.timestamp_type }}\');\n        fetchType: NONE\n',
  ],
  [
    'io/kestra/plugin/jdbc/sqlite/Queries.java',
    "id: sqlite_query_using_file\nnamespace: company.team\n\ntasks:\n  - id: init_db\n    type: io.kestra.plugin.jdbc.sqlite.Queries\n    url: jdbc:sqlite:myfile.db\n    outputDbFile: true\n    sql: |\n      CREATE TABLE IF NOT EXISTS pgsql_types (\n        play_time TEXT,\n        concert_id INTEGER,\n        timestamp_type TEXT\n      );\n      INSERT INTO pgsql_types (play_time, concert_id, timestamp_type) VALUES ('2024-01', 1, '2024-01-01T12:00:00');\n\n  - id: select\n    type: io.kestra.plugin.jdbc.sqlite.Queries\n    url: jdbc:sqlite:myfile.db\n    sqliteFile: \"{{ outputs.init_db.databaseUri }}\"\n    outputDbFile: true\n    sql: SELECT * FROM pgsql_types\n    fetchType: FETCH\n\n  - id: use_fetched_data\n    type: io.kestra.plugin.jdbc.sqlite.Queries\n    url: jdbc:sqlite:myfile.db\n    sqliteFile: \"{{ outputs.select.databaseUri }}\"\n    sql: |\n        CREATE TABLE IF NOT EXISTS pl_store_distribute (\n          year_month TEXT,\n          store_code INTEGER,\n          update_date TEXT\n        );\n        {% for row in outputs.select.outputs[0].rows %}\n            INSERT INTO pl_store_distribute (year_month, store_code, update_date)\n            VALUES ('{{row.play_time}}', {{row.concert_id}}, '{{row.timestamp_type}}');\n        {% endfor %}\n",
  ],
  [
    'io/kestra/plugin/jdbc/duckdb/Query.java',
    'id: query_duckdb\nnamespace: company.team\n\ninputs:\n  - id: my_db\n    type: FILE\n\ntasks:\n  - id: query1\n    type: io.kestra.plugin.jdbc.duckdb.Query\n    databaseUri: "{{ inputs.my_db }}"\n    sql: SELECT * FROM table_name;\n    fetchType: STORE\n',
  ],
  [
    'io/kestra/plugin/jdbc/duckdb/Query.java',
    'id: read_ion_file\nnamespace: company.team\n\ntasks:\n  - id: read\n    type: io.kestra.plugin.jdbc.duckdb.Query\n    inputFiles:\n      sample.ion: |\n        {a: 1, b: "x"}\n    sql: |\n      SELECT a, b\n      FROM read_ion(\'sample.ion\');\n    fetchType: FETCH_ONE\n',
  ],
  [
    'io/kestra/plugin/jdbc/duckdb/Query.java',
    'id: motherduck\nnamespace: company.team\n\ntasks:\n  - id: query\n    type: io.kestra.plugin.jdbc.duckdb.Query\n    sql: |\n      SELECT by, COUNT(*) as nr_comments\n      FROM sample_data.hn.hacker_news\n      GROUP BY by\n      ORDER BY nr_comments DESC;\n    fetchType: STORE\n\n  - id: csv\n    type: io.kestra.plugin.serdes.csv.IonToCsv\n    from: "{{ outputs.query.uri }}"\n\npluginDefaults:\n  - type: io.kestra.plugin.jdbc.duckdb.Query\n    values:\n      url: jdbc:duckdb:md:my_db?motherduck_token={{ secret(\'MOTHERDUCK_TOKEN\') }}\n      timeZoneId: Europe/Berlin\n',
  ],
  [
    'io/kestra/plugin/jdbc/duckdb/Queries.java',
    'id: queries_duckdb\nnamespace: company.team\n\ntasks:\n  - id: http_download\n    type: io.kestra.plugin.core.http.Download\n    uri: "https://huggingface.co/datasets/kestra/datasets/raw/main/csv/orders.csv"\n\n  - id: queries\n    type: io.kestra.plugin.jdbc.duckdb.Queries\n    url: \'jdbc:duckdb:\'\n    timeZoneId: Europe/Paris\n    sql: |-\n      CREATE TABLE new_tbl AS SELECT * FROM read_csv_auto(\'in.csv\', header=True);\n      SELECT count(customer_name) FROM new_tbl;\n      SELECT customer_name FROM new_tbl;\n    inputFiles:\n      in.csv: "{{ outputs.http_download.uri }}"\n',
  ],
  [
    'io/kestra/plugin/jdbc/duckdb/Queries.java',
    "id: query_duckdb\nnamespace: company.team\n\ntasks:\n  - id: http_download\n    type: io.kestra.plugin.core.http.Download\n    uri: \"https://huggingface.co/datasets/kestra/datasets/raw/main/csv/orders.csv\"\n\n  - id: query\n    type: io.kestra.plugin.jdbc.duckdb.Queries\n    url: 'jdbc:duckdb:'\n    timeZoneId: Europe/Paris\n    sql: |-\n      CREATE TABLE new_tbl AS SELECT * FROM read_csv_auto('data.csv', header=True);\n\n      COPY (SELECT order_id, customer_name FROM new_tbl) TO '{{ outputFiles.out }}' (HEADER, DELIMITER ',');\n    inputFiles:\n      data.csv: \"{{ outputs.http_download.uri }}\"\n    outputFiles:\n       - out\n",
  ],
  [
    'io/kestra/plugin/jdbc/postgresql/CopyIn.java',
    'id: postgres_copy_in\nnamespace: company.team\n\ntasks:\n  - id: copy_in\n    type: io.kestra.plugin.jdbc.postgresql.CopyIn\n    url: jdbc:postgresql://127.0.0.1:5432/\n    username: "{{ secret(\'POSTGRES_USERNAME\') }}"\n    password: "{{ secret(\'POSTGRES_PASSWORD\') }}"\n    format: CSV\n    from: "{{ outputs.export.uri }}"\n    table: my_destination_table\n    header: true\n    delimiter: "\\t"\n',
  ],
  [
    'io/kestra/plugin/jdbc/postgresql/CopyIn.java',
    'id: postgres_copyin\nnamespace: company.team\n\ntasks:\n  - id: download_products\n    type: io.kestra.plugin.core.http.Download\n    uri: https://huggingface.co/datasets/kestra/datasets/raw/main/csv/products.csv\n\n  - id: create_products_table\n    type: io.kestra.plugin.jdbc.postgresql.Query\n    url: "jdbc:postgresql://{{ secret(\'POSTGRES_HOST\') }}:5432/postgres"\n    username: "{{ secret(\'POSTGRES_USERNAME\') }}"\n    password: "{{ secret(\'POSTGRES_PASSWORD\') }}"\n    sql: |\n      CREATE TABLE IF NOT EXISTS products(\n        product_id varchar(5),\n        product_name varchar(100),\n        product_category varchar(50),\n        brand varchar(50)\n      );\n\n  - id: copyin_products\n    type: io.kestra.plugin.jdbc.postgresql.CopyIn\n    url: "jdbc:postgresql://{{ secret(\'POSTGRES_HOST\') }}:5432/postgres"\n    username: "{{ secret(\'POSTGRES_USERNAME\') }}"\n    password: "{{ secret(\'POSTGRES_PASSWORD\') }}"\n    format: CSV\n    from: "{{ outputs.download_products.uri }}"\n    table: products\n    header: true\n    delimiter: ","\n',
  ],
  [
    'io/kestra/plugin/jdbc/postgresql/CopyOut.java',
    "id: postgres_copy_out\nnamespace: company.team\n\ntasks:\n  - id: copy_out\n    type: io.kestra.plugin.jdbc.postgresql.CopyOut\n    url: jdbc:postgresql://sample_postgres:5432/world\n    username: \"{{ secret('POSTGRES_USERNAME') }}\"\n    password: \"{{ secret('POSTGRES_PASSWORD') }}\"\n    format: CSV\n    sql: SELECT 1 AS int, 't'::bool AS bool UNION SELECT 2 AS int, 'f'::bool AS bool\n    header: true\n    delimiter: \"\\t\"\n",
  ],
  [
    'io/kestra/plugin/jdbc/postgresql/CopyOut.java',
    'id: export_from_postgres\nnamespace: company.team\n\ntasks:\n  - id: export\n    type: io.kestra.plugin.jdbc.postgresql.CopyOut\n    url: jdbc:postgresql://sample_postgres:5432/world\n    username: "{{ secret(\'POSTGRES_USERNAME\') }}"\n    password: "{{ secret(\'POSTGRES_PASSWORD\') }}"\n    format: CSV\n    header: true\n    sql: SELECT * FROM country LIMIT 10\n    delimiter: ","\n\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "{{ outputs.export.rowCount }}"\n',
  ],
];

test.each(EXAMPLES)('%s example loads', (_file, yaml) => {
  const flow = parseFlow(yaml);
  expect(flow.tasks.length).toBeGreaterThan(0);
});
