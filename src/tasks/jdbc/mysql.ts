/**
 * MySQL (and MariaDB servers) through `mysql2` (optional dependency, imported on first use). The
 * JDBC URL `jdbc:mysql://[user:password@]host:port/db?allowMultiQueries=true&…` becomes mysql2's
 * options; cells are read as text and converted as plugin-jdbc's MysqlCellConverter does with
 * Connector/J's Java types: TINYINT(1) Boolean, BIGINT UNSIGNED a BigInteger (hence a string),
 * DECIMAL BigDecimal, FLOAT Float, DATETIME LocalDateTime, TIMESTAMP an Instant (its wall clock
 * read as UTC), YEAR a LocalDate (1 January), BIT and binary strings byte[], JSON its text.
 */
import { createReadStream } from 'node:fs';
import { resolve, sep } from 'node:path';
import { LocalDate, LocalDateTime, LocalTime, ZoneOffset } from '@js-joda/core';
import type { ZoneId } from '@js-joda/core';
import { systemZone } from '../../engine/builtins/kestra/dates.js';
import { JFloat, parseBigDecimal } from '../../engine/builtins/kestra/numbers.js';
import { makeDouble } from '../../engine/values.js';
import { importOptional } from '../optional.js';
import { TaskError } from '../types.js';
import type { ConnectRequest, Dialect, SqlConnection, SqlResult } from './run.js';
import { JavaTime, javaLong } from './values.js';
import { jdbcProperties, markUrlSecrets, splitHostPort, userInfo } from './url.js';

interface MysqlField {
  name: string;
  columnType: number;
  flags: number;
  columnLength: number;
  characterSet: number;
}
interface MysqlConnectionLike {
  query(options: { sql: string; rowsAsArray: boolean; values?: unknown[] }): Promise<[unknown, MysqlField[] | MysqlField[][] | undefined]>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  end(): Promise<void>;
  destroy(): void;
  on(event: 'error', listener: (e: Error) => void): void;
}
interface Mysql2 {
  createConnectionPromise(options: Record<string, unknown>): Promise<MysqlConnectionLike>;
}

const UNSIGNED = 32;
const BINARY = 128;
const BINARY_CHARSET = 63;

/** `jdbc:mysql` (MysqlCellConverter), or `jdbc:mariadb` (MariaDbCellConverter: DATETIME and TIMESTAMP a ZonedDateTime in the task's zone). */
export function mysqlDialect(flavour: 'mysql' | 'mariadb'): Dialect {
  return {
    scheme: `jdbc:${flavour}`,
    async connect(request) {
      // The package itself (not its mysql2/promise entry), so that a missing install is named as such.
      const mod = await importOptional<Mysql2 | { default: Mysql2 }>('mysql2', request.type);
      const mysql = 'createConnectionPromise' in mod ? mod : mod.default;
      const { options, multiStatements } = connectionOptions(request, flavour);
      const conn = await mysql.createConnectionPromise(options);
      // A dropped connection fails the query in progress; never the process.
      conn.on('error', () => undefined);
      return new MysqlConnection(conn, multiStatements, flavour, request.zone);
    },
  };
}

function connectionOptions(
  request: ConnectRequest,
  _flavour: 'mysql' | 'mariadb',
): { options: Record<string, unknown>; multiStatements: boolean } {
  const { ctx } = request;
  const rest = request.url.replace(/^jdbc:(mysql|mariadb):\/\//, '');
  const q = rest.indexOf('?');
  const location = q < 0 ? rest : rest.slice(0, q);
  const props = jdbcProperties(q < 0 ? '' : rest.slice(q + 1));
  markUrlSecrets(ctx, props);
  const slash = location.indexOf('/');
  const hosts = slash < 0 ? location : location.slice(0, slash);
  const database = slash < 0 ? '' : decodeURIComponent(location.slice(slash + 1));
  const first = hosts.split(',')[0] ?? '';
  const info = userInfo(ctx, first);
  const [host, port] = first === '' ? ['localhost', 3306] : splitHostPort(first, 3306);
  // Queries adds allowMultiQueries=true to the URL itself (createMysqlProperties / MariaDbUtils); a Query only when the URL has it.
  const multiStatements = request.kind === 'Queries' || (props['allowMultiQueries'] ?? '').toLowerCase() === 'true';
  const workingDir = resolve(request.workingDir);
  const user = request.username ?? props['user'] ?? info.user;
  const password = request.password ?? props['password'] ?? info.password;
  const options: Record<string, unknown> = {
    host: host === '' ? 'localhost' : host,
    port,
    ...(database === '' ? {} : { database }),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    multipleStatements: multiStatements,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    decimalNumbers: false,
    jsonStrings: true,
    connectTimeout: props['connectTimeout'] === undefined ? 10_000 : Number(props['connectTimeout']),
    // Kestra: LOAD DATA LOCAL INFILE only from the task's working directory (allowLoadLocalInfileInPath).
    infileStreamFactory: (path: string) => {
      const full = resolve(workingDir, path);
      if (!full.startsWith(workingDir + sep))
        throw new TaskError('INVALID_PROPERTY', `LOAD DATA LOCAL INFILE '${path}' is outside the working directory`);
      return createReadStream(full);
    },
  };
  const sslMode = (props['sslMode'] ?? '').toUpperCase();
  if (props['useSSL'] === 'true' || sslMode === 'REQUIRED' || sslMode.startsWith('VERIFY'))
    options['ssl'] = { rejectUnauthorized: sslMode.startsWith('VERIFY') };
  return { options, multiStatements };
}

class MysqlConnection implements SqlConnection {
  constructor(
    private readonly conn: MysqlConnectionLike,
    readonly multiStatements: boolean,
    private readonly flavour: 'mysql' | 'mariadb',
    private readonly zone: ZoneId,
  ) {}

  placeholder(): string {
    return '?';
  }

  async execute(sql: string, params: readonly unknown[] | undefined): Promise<SqlResult[]> {
    let rows: unknown;
    let fields: MysqlField[] | MysqlField[][] | undefined;
    try {
      [rows, fields] = await this.conn.query({
        sql,
        rowsAsArray: true,
        ...(params === undefined ? {} : { values: params.map(bindValue) }),
      });
    } catch (e) {
      throw mysqlError(e);
    }
    if (fields === undefined) return [];
    // Several statements: one entry per statement (no fields for an update).
    const perStatement = fields.length > 0 && (fields[0] === undefined || Array.isArray(fields[0]));
    const sets: [unknown, MysqlField[] | undefined][] = perStatement
      ? (rows as unknown[]).map((r, i) => [r, (fields as (MysqlField[] | undefined)[])[i]])
      : [[rows, fields as MysqlField[]]];
    const out: SqlResult[] = [];
    for (const [r, f] of sets) {
      if (f === undefined || !Array.isArray(r)) continue;
      out.push({ columns: f.map((c) => c.name), rows: (r as unknown[][]).map((row) => row.map((cell, i) => this.convert(cell, f[i]!))) });
    }
    return out;
  }

  begin(): Promise<void> {
    return this.conn.beginTransaction();
  }
  commit(): Promise<void> {
    return this.conn.commit();
  }
  rollback(): Promise<void> {
    return this.conn.rollback();
  }
  close(): Promise<void> {
    return this.conn.end();
  }
  cancel(): Promise<void> {
    this.conn.destroy();
    return Promise.resolve();
  }

  private convert(cell: unknown, field: MysqlField): unknown {
    if (this.flavour === 'mariadb' && cell !== null && (field.columnType === 7 || field.columnType === 12)) {
      // mariadb-java-client: a Timestamp of the wall clock in the worker's zone, then atZone(task zone).
      const text = String(cell);
      if (text.startsWith('0000-00-00')) return null;
      return JavaTime.zoned(LocalDateTime.parse(text.replace(' ', 'T')).atZone(systemZone()).withZoneSameInstant(this.zone));
    }
    return convert(cell, field);
  }
}

function bindValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  return value;
}

function mysqlError(e: unknown): unknown {
  const err = e as { code?: unknown; sqlMessage?: unknown; message?: unknown };
  if (typeof err.sqlMessage === 'string') return new TaskError('SQL_FAILED', err.sqlMessage, { cause: e });
  return e;
}

/** MysqlCellConverter.convertCell on what Connector/J's getObject would return. */
function convert(cell: unknown, field: MysqlField): unknown {
  if (cell === null || cell === undefined) return null;
  const unsigned = (field.flags & UNSIGNED) !== 0;
  const text = typeof cell === 'string' ? cell : cell instanceof Uint8Array ? Buffer.from(cell).toString('utf8') : String(cell);
  switch (field.columnType) {
    case 0:
    case 246:
      return parseBigDecimal(text);
    case 1:
      return field.columnLength === 1 ? Number(text) !== 0 : Number(text);
    case 2:
    case 9:
      return Number(text);
    case 3:
      return Number(text);
    case 8: {
      if (unsigned) return text; // a BigInteger: AbstractCellConverter gives its text
      return javaLong(text);
    }
    case 4:
      return new JFloat(parseFloat(text));
    case 5:
      return makeDouble(parseFloat(text));
    case 6:
      return null;
    case 7:
      if (text.startsWith('0000-00-00')) return null;
      return JavaTime.instant(LocalDateTime.parse(text.replace(' ', 'T')).toInstant(ZoneOffset.UTC));
    case 10:
    case 14:
      if (text.startsWith('0000-00-00')) return null;
      return JavaTime.localDate(LocalDate.parse(text));
    case 12:
      if (text.startsWith('0000-00-00')) return null;
      return JavaTime.localDateTime(LocalDateTime.parse(text.replace(' ', 'T')));
    case 11:
      return /^\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text) ? JavaTime.localTime(LocalTime.parse(text)) : text;
    case 13:
      return JavaTime.localDate(LocalDate.of(Number(text), 1, 1));
    case 16:
    case 255:
      return cell instanceof Uint8Array ? Buffer.from(cell) : Buffer.from(text, 'binary');
    default:
      if (cell instanceof Uint8Array)
        return field.characterSet === BINARY_CHARSET || (field.flags & BINARY) !== 0 ? Buffer.from(cell) : text;
      return text;
  }
}
