/**
 * DuckDB in-process through `@duckdb/node-api` (optional dependency; its prebuilt engine comes
 * from npm as a platform package). Cells are converted as plugin-jdbc's DuckDbCellConverter does
 * with the DuckDB JDBC driver's Java types: TINYINT an Integer, SMALLINT/UTINYINT a Short,
 * USMALLINT an Integer, UINTEGER a Long, HUGEINT/UBIGINT a BigInteger (hence a string), DECIMAL a
 * BigDecimal, FLOAT a Float, TIMESTAMP a ZonedDateTime (its wall clock in the task's zone),
 * TIMESTAMPTZ an OffsetDateTime in UTC, INTERVAL its text, LIST an array, STRUCT and JSON a map.
 * A BLOB is not supported, as in Kestra.
 */
import { Instant, LocalDate, LocalDateTime, LocalTime, ZonedDateTime, ZoneOffset } from '@js-joda/core';
import type { ZoneId } from '@js-joda/core';
import { JBigDecimal, JFloat } from '../../engine/builtins/kestra/numbers.js';
import { makeDouble } from '../../engine/values.js';
import { importOptional } from '../optional.js';
import { TaskError } from '../types.js';
import type { Dialect, SqlConnection, SqlResult } from './run.js';
import { JavaTime, javaLong } from './values.js';

interface DuckType {
  readonly typeId: number;
  readonly alias?: string;
  toString(): string;
  readonly valueType?: DuckType;
}
interface DuckReader {
  readonly returnType: number;
  columnNames(): string[];
  columnTypes(): DuckType[];
  getRows(): unknown[][];
}
interface DuckConnection {
  runAndReadAll(sql: string, values?: unknown[]): Promise<DuckReader>;
  interrupt(): void;
  closeSync(): void;
}
interface DuckInstance {
  connect(): Promise<DuckConnection>;
  closeSync(): void;
}
interface DuckModule {
  DuckDBInstance: { create(path: string, options?: Record<string, string>): Promise<DuckInstance> };
}

export const DUCKDB_PACKAGE = '@duckdb/node-api';

const QUERY_RESULT = 3;

// DuckDB type ids (duckdb.h DUCKDB_TYPE_*).
const T = {
  BOOLEAN: 1,
  TINYINT: 2,
  SMALLINT: 3,
  INTEGER: 4,
  BIGINT: 5,
  UTINYINT: 6,
  USMALLINT: 7,
  UINTEGER: 8,
  UBIGINT: 9,
  FLOAT: 10,
  DOUBLE: 11,
  TIMESTAMP: 12,
  DATE: 13,
  TIME: 14,
  INTERVAL: 15,
  HUGEINT: 16,
  VARCHAR: 17,
  BLOB: 18,
  DECIMAL: 19,
  TIMESTAMP_S: 20,
  TIMESTAMP_MS: 21,
  TIMESTAMP_NS: 22,
  ENUM: 23,
  LIST: 24,
  STRUCT: 25,
  MAP: 26,
  ARRAY: 33,
  UUID: 27,
  UNION: 28,
  BIT: 29,
  TIME_TZ: 30,
  TIMESTAMP_TZ: 31,
  UHUGEINT: 32,
} as const;

/**
 * Opens `path` (`:memory:` for an in-memory database); `setup` runs first (file_search_path,
 * extensions), as Kestra's DuckDbConnectionSetup.
 */
export function duckdbDialect(path: string, setup: (conn: SqlConnection) => Promise<void>): Dialect {
  return {
    scheme: 'jdbc:duckdb',
    async connect(request) {
      const mod = await importOptional<DuckModule | { default: DuckModule }>(DUCKDB_PACKAGE, request.type);
      const duck = 'DuckDBInstance' in mod ? mod : mod.default;
      let instance: DuckInstance;
      try {
        // No network: extensions are not downloaded on demand (a flow that needs one fails clearly).
        instance = await duck.DuckDBInstance.create(path, { autoinstall_known_extensions: 'false' });
      } catch (e) {
        throw new TaskError('SQL_FAILED', (e as Error).message, { cause: e });
      }
      const conn = new DuckConnectionAdapter(instance, await instance.connect(), request.zone);
      await setup(conn);
      return conn;
    },
  };
}

class DuckConnectionAdapter implements SqlConnection {
  readonly multiStatements = false;

  constructor(
    private readonly instance: DuckInstance,
    private readonly conn: DuckConnection,
    private readonly zone: ZoneId,
  ) {}

  placeholder(n: number): string {
    return `$${n}`;
  }

  async execute(sql: string, params: readonly unknown[] | undefined): Promise<SqlResult[]> {
    let reader: DuckReader;
    try {
      reader = await this.conn.runAndReadAll(sql, params === undefined ? undefined : params.map(bindValue));
    } catch (e) {
      throw new TaskError('SQL_FAILED', (e as Error).message, { cause: e });
    }
    if (reader.returnType !== QUERY_RESULT) return [];
    const columns = reader.columnNames();
    const types = reader.columnTypes();
    return [{ columns, rows: reader.getRows().map((row) => row.map((v, i) => this.convert(v, types[i]!, columns[i]!))) }];
  }

  /** DuckDbCellConverter.convertCell on what the JDBC driver's getObject would return. */
  private convert(value: unknown, type: DuckType, column: string): unknown {
    if (value === null || value === undefined) return null;
    if (type.alias === 'JSON') {
      try {
        const parsed: unknown = JSON.parse(String(value));
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
      } catch {
        // below
      }
      throw new TaskError('SQL_FAILED', `Invalid data type [JSON] with value [${String(value)}]`);
    }
    switch (type.typeId) {
      case T.BOOLEAN:
      case T.VARCHAR:
      case T.ENUM:
        return value;
      case T.TINYINT:
      case T.SMALLINT:
      case T.INTEGER:
      case T.UTINYINT:
      case T.USMALLINT:
      case T.UINTEGER:
        return Number(value);
      case T.BIGINT:
        return javaLong(value as bigint);
      case T.HUGEINT:
      case T.UHUGEINT:
      case T.UBIGINT:
        return String(value);
      case T.FLOAT:
        return new JFloat(Number(value));
      case T.DOUBLE:
        return makeDouble(Number(value));
      case T.DECIMAL: {
        const d = value as { value: bigint; scale: number };
        return new JBigDecimal(BigInt(d.value), d.scale);
      }
      case T.DATE:
        return JavaTime.localDate(LocalDate.ofEpochDay((value as { days: number }).days));
      case T.TIME:
        return JavaTime.localTime(LocalTime.ofNanoOfDay(Number((value as { micros: bigint }).micros) * 1000));
      case T.TIMESTAMP:
      case T.TIMESTAMP_S:
      case T.TIMESTAMP_MS:
      case T.TIMESTAMP_NS:
        return JavaTime.zoned(LocalDateTime.ofInstant(instantOf(value), ZoneOffset.UTC).atZone(this.zone));
      case T.TIMESTAMP_TZ:
        return JavaTime.offset(ZonedDateTime.ofInstant(instantOf(value), ZoneOffset.UTC));
      case T.INTERVAL:
      case T.UUID:
      case T.BIT:
      case T.TIME_TZ:
        return String(value);
      case T.LIST:
      case T.ARRAY: {
        const items = (value as { items: unknown[] }).items;
        const child = (type as unknown as { valueType?: DuckType }).valueType;
        return items.map((v) => (child === undefined ? plain(v) : this.convert(v, child, column)));
      }
      case T.STRUCT: {
        const entries = (value as { entries: Record<string, unknown> }).entries;
        const fieldTypes = (type as unknown as { entryTypes?: DuckType[]; entryNames?: string[] }).entryTypes;
        const names = (type as unknown as { entryNames?: string[] }).entryNames;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(entries)) {
          const idx = names?.indexOf(k) ?? -1;
          out[k] = idx >= 0 && fieldTypes?.[idx] !== undefined ? this.convert(v, fieldTypes[idx], column) : plain(v);
        }
        return out;
      }
      case T.MAP: {
        const out: Record<string, unknown> = {};
        for (const e of (value as { entries: { key: unknown; value: unknown }[] }).entries) out[String(e.key)] = plain(e.value);
        return out;
      }
      case T.BLOB:
        throw new TaskError(
          'SQL_FAILED',
          `Data of type 'class org.duckdb.DuckDBResultSet$DuckDBBlobResult' for column '${column}' is not supported, the column type is 'BLOB'`,
        );
      default:
        return String(value);
    }
  }

  async begin(): Promise<void> {
    await this.execute('BEGIN TRANSACTION', undefined);
  }
  async commit(): Promise<void> {
    await this.execute('COMMIT', undefined);
  }
  async rollback(): Promise<void> {
    await this.execute('ROLLBACK', undefined);
  }
  close(): Promise<void> {
    this.conn.closeSync();
    this.instance.closeSync();
    return Promise.resolve();
  }
  cancel(): Promise<void> {
    this.conn.interrupt();
    return Promise.resolve();
  }
}

function instantOf(value: unknown): Instant {
  const v = value as { micros?: bigint; millis?: bigint; seconds?: bigint; nanos?: bigint };
  if (v.micros !== undefined) return micros(BigInt(v.micros));
  if (v.millis !== undefined) return Instant.ofEpochMilli(Number(v.millis));
  if (v.seconds !== undefined) return Instant.ofEpochSecond(Number(v.seconds));
  if (v.nanos !== undefined) {
    const n = BigInt(v.nanos);
    return Instant.ofEpochSecond(Number(n / 1_000_000_000n), Number(n % 1_000_000_000n));
  }
  return Instant.EPOCH;
}

function micros(us: bigint): Instant {
  let seconds = us / 1_000_000n;
  let rest = us % 1_000_000n;
  if (rest < 0n) {
    seconds -= 1n;
    rest += 1_000_000n;
  }
  return Instant.ofEpochSecond(Number(seconds), Number(rest) * 1000);
}

/** A nested value without its type: numbers and strings as they are, the rest as text. */
function plain(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v ?? null;
  if (typeof v === 'bigint') return javaLong(v);
  if (typeof v === 'object' && 'items' in v) return (v as { items: unknown[] }).items.map(plain);
  if (typeof v === 'object' && 'entries' in v && !Array.isArray(v.entries)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries((v as { entries: Record<string, unknown> }).entries)) out[k] = plain(x);
    return out;
  }
  return String(v);
}

function bindValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('binary');
  return value;
}
