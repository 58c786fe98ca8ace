/**
 * The SQL family (plugin-jdbc): Query and Queries for PostgreSQL, MySQL, MariaDB, SQLite and
 * DuckDB. Definitions only: `run` imports the implementation, and it the database's npm driver
 * (optional dependencies: pg, mysql2, node-sqlite3-wasm, @duckdb/node-api), on first use.
 */
import type { PropertyDefinition, TaskDefinition } from '../definition.js';
import { defineTask } from '../definition.js';
import type { TaskFamily } from '../bundled.js';
import type { Database, Kind } from './tasks.js';

const fetchTypeSchema = { anyOf: [{ enum: ['FETCH', 'FETCH_ONE', 'STORE', 'NONE'] }, { type: 'string', pattern: '\\{\\{' }] };

/** AbstractJdbcBaseQuery's properties. */
const common = {
  url: { kind: 'string', description: 'The JDBC URL (`jdbc:<database>:…`), mapped onto the Node driver.' },
  username: { kind: 'string' },
  password: { kind: 'string', description: 'A secret: masked in every log and error.' },
  sql: {
    kind: 'string',
    required: true,
    // Rendered by the task, with the variables it adds (inputFile, outputFiles, workingDir…).
    dynamic: false,
    schema: { type: 'string' },
    description: 'The SQL (Query: one statement; Queries: several, separated by `;`).',
  },
  afterSQL: {
    kind: 'string',
    dynamic: false,
    schema: { type: 'string' },
    description: 'Query: one statement run after `sql` in the same transaction.',
  },
  fetchType: { kind: 'string', default: 'NONE', schema: fetchTypeSchema, description: 'FETCH, FETCH_ONE, STORE (an Ion file) or NONE.' },
  fetchSize: { kind: 'integer', default: 10000, description: 'Accepted; rows are read in one go.' },
  parameters: { kind: 'map', description: 'Values bound to the `:name` placeholders of the SQL.' },
  timeZoneId: { kind: 'string', description: "Zone of the date/time values (default: the worker's)." },
  connectionPooling: { kind: 'boolean', default: true, description: 'Accepted; each task run opens its own connection.' },
  connectionPoolSize: { kind: 'integer', default: 10, description: 'Accepted; see connectionPooling.' },
  fetch: { kind: 'boolean', default: false, deprecated: true, description: 'Deprecated: fetchType FETCH.' },
  fetchOne: { kind: 'boolean', default: false, deprecated: true, description: 'Deprecated: fetchType FETCH_ONE.' },
  store: { kind: 'boolean', default: false, deprecated: true, description: 'Deprecated: fetchType STORE.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

const queriesOnly = {
  transaction: { kind: 'boolean', default: true, description: 'Run every statement in one transaction, rolled back when one fails.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

const postgres = {
  ssl: { kind: 'boolean', default: false },
  sslMode: { kind: 'string', description: 'DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA or VERIFY_FULL.' },
  sslRootCert: { kind: 'string', description: 'PEM.' },
  sslCert: { kind: 'string', description: 'PEM.' },
  sslKey: { kind: 'string', description: 'PEM; masked.' },
  sslKeyPassword: { kind: 'string', description: 'Masked.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

const mysql = {
  inputFile: { kind: 'string', description: 'A kestra:// file for LOAD DATA LOCAL INFILE, as `{{ inputFile }}` in the SQL.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

const outputFiles = {
  outputFiles: {
    kind: 'list',
    schema: { type: 'array', items: { type: 'string' } },
    description: 'Names of files the SQL writes (`{{ outputFiles.name }}`), stored after the run.',
  },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

const sqlite = {
  url: {
    kind: 'string',
    default: 'jdbc:sqlite:',
    description: '`jdbc:sqlite:<file>`, `jdbc:sqlite::memory:` or `jdbc:sqlite:` (in memory).',
  },
  sqliteFile: { kind: 'string', description: 'A kestra:// SQLite file copied into the working directory and used as the database.' },
  outputDbFile: { kind: 'boolean', default: false, description: 'Store the database file; its URI is `databaseUri`.' },
  ...outputFiles,
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

const duckdb = {
  url: {
    kind: 'string',
    default: 'jdbc:duckdb:',
    description: '`jdbc:duckdb:` (a database file in the working directory) or `jdbc:duckdb:/absolute/file.db`.',
  },
  inputFiles: {
    kind: 'any',
    schema: { anyOf: [{ type: 'object', additionalProperties: { type: 'string' } }, { type: 'string' }] },
    dynamic: false,
    description: 'Files written next to the database: name → content or kestra:// URI (or a JSON text of such a map).',
  },
  databaseUri: { kind: 'string', description: 'A kestra:// DuckDB database file to open.' },
  outputDbFile: { kind: 'boolean', default: false, description: 'Store the database file; its URI is `databaseUri`.' },
  communityExtensions: {
    kind: 'list',
    schema: { type: 'array', items: { type: 'string' } },
    description: 'Extensions to LOAD when already installed (nothing is downloaded).',
  },
  ...outputFiles,
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

const queryOutputs = {
  row: { kind: 'object', description: 'FETCH_ONE: the first row (null when none).' },
  rows: { kind: 'list', description: 'FETCH: every row.' },
  uri: { kind: 'string', description: 'STORE: the Ion file of the rows.' },
  size: { kind: 'integer', description: 'The number of rows fetched or stored.' },
} as const;

const queriesOutputs = {
  outputs: { kind: 'list', description: 'One { row, rows, uri, size } per statement that returned rows.' },
} as const;

const embeddedOutputs = {
  outputFiles: { kind: 'map', description: 'name → URI of the files listed in outputFiles.' },
  databaseUri: { kind: 'string', description: 'With outputDbFile: the database file.' },
} as const;

const TITLES: Record<Database, string> = {
  postgresql: 'PostgreSQL',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  sqlite: 'SQLite',
  duckdb: 'DuckDB',
};

const EXTRA: Record<Database, Readonly<Record<string, PropertyDefinition>>> = {
  postgresql: postgres,
  mysql,
  mariadb: mysql,
  sqlite,
  duckdb,
};

function sqlTask(database: Database, kind: Kind): TaskDefinition {
  const embedded = database === 'sqlite' || database === 'duckdb';
  return defineTask({
    type: `io.kestra.plugin.jdbc.${database}.${kind}`,
    title:
      kind === 'Query'
        ? `Run one SQL statement on ${TITLES[database]} and fetch its rows (FETCH, FETCH_ONE, STORE or NONE).`
        : `Run several SQL statements on ${TITLES[database]}, in one transaction by default.`,
    properties: { ...common, ...(kind === 'Queries' ? queriesOnly : {}), ...EXTRA[database] },
    required: embedded ? ['sql'] : ['url', 'sql'],
    outputs: { ...(kind === 'Query' ? queryOutputs : queriesOutputs), ...(embedded ? embeddedOutputs : {}) },
    async run(ctx) {
      const { runSql } = await import('./tasks.js');
      return { outputs: await runSql(ctx, database, kind) };
    },
  });
}

const DATABASES: readonly Database[] = ['postgresql', 'mysql', 'mariadb', 'sqlite', 'duckdb'];

/** AbstractCopy's properties (PostgreSQL COPY). */
const copyProperties = {
  url: { kind: 'string', required: true, description: 'The JDBC URL (`jdbc:postgresql://host:port/db`).' },
  username: { kind: 'string' },
  password: { kind: 'string', description: 'A secret: masked in every log and error.' },
  ...postgres,
  table: { kind: 'string', description: 'The (optionally schema-qualified) table.' },
  columns: { kind: 'list', schema: { type: 'array', items: { type: 'string' } }, description: 'Columns copied (default: all).' },
  format: {
    kind: 'string',
    default: 'TEXT',
    schema: { anyOf: [{ enum: ['TEXT', 'CSV', 'BINARY'] }, { type: 'string', pattern: '\\{\\{' }] },
  },
  oids: { kind: 'boolean' },
  freeze: { kind: 'boolean' },
  delimiter: { kind: 'string', description: 'One character (default: tab in TEXT, comma in CSV).' },
  nullString: { kind: 'string' },
  header: { kind: 'boolean', description: 'CSV only.' },
  quote: { kind: 'string', description: 'CSV only.' },
  escape: { kind: 'string', description: 'CSV only.' },
  forceQuote: { kind: 'list', schema: { type: 'array', items: { type: 'string' } }, description: 'COPY TO, CSV only (`*` for all).' },
  forceNotNull: { kind: 'list', schema: { type: 'array', items: { type: 'string' } }, description: 'COPY FROM, CSV only.' },
  forceNull: { kind: 'list', schema: { type: 'array', items: { type: 'string' } }, description: 'COPY FROM, CSV only.' },
  encoding: { kind: 'string' },
  socketTimeout: { kind: 'integer', description: 'Accepted; bound the task with `timeout`.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

export const copyInTask = defineTask({
  type: 'io.kestra.plugin.jdbc.postgresql.CopyIn',
  title: 'Load a storage file (TEXT, CSV or BINARY) into a PostgreSQL table with COPY … FROM STDIN.',
  properties: { ...copyProperties, from: { kind: 'string', required: true, description: 'The kestra:// file to load.' } },
  outputs: { rowCount: { kind: 'integer', description: 'The rows copied.' } },
  async run(ctx) {
    return { outputs: await (await import('./copy.js')).runCopyIn(ctx) };
  },
});

export const copyOutTask = defineTask({
  type: 'io.kestra.plugin.jdbc.postgresql.CopyOut',
  title: 'Copy a PostgreSQL table or query result to a storage file with COPY … TO STDOUT.',
  properties: {
    ...copyProperties,
    sql: {
      kind: 'string',
      description: 'A SELECT, VALUES, or INSERT/UPDATE/DELETE … RETURNING whose rows are copied (instead of `table`).',
    },
  },
  outputs: { uri: { kind: 'string', description: 'The file.' }, rowCount: { kind: 'integer', description: 'The rows copied.' } },
  async run(ctx) {
    return { outputs: await (await import('./copy.js')).runCopyOut(ctx) };
  },
});

export const sqlTasks: readonly TaskDefinition[] = [
  ...DATABASES.flatMap((d) => [sqlTask(d, 'Query'), sqlTask(d, 'Queries')]),
  copyInTask,
  copyOutTask,
];

export const sqlFamily: TaskFamily = {
  name: 'jdbc',
  description:
    'SQL on PostgreSQL (pg, pg-copy-streams), MySQL/MariaDB (mysql2), SQLite (node-sqlite3-wasm) and DuckDB (@duckdb/node-api) (plugin-jdbc)',
  tasks: sqlTasks,
};
