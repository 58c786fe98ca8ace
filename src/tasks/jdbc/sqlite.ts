/**
 * SQLite in-process through `node-sqlite3-wasm` (optional dependency: SQLite compiled to
 * WebAssembly, no native build, works on Node 20), on a file or in memory. Cells are converted as
 * plugin-jdbc's SqliteCellConverter does with the xerial driver's Java types: INTEGER an Integer
 * (a Long past 32 bits), REAL a Double, TEXT a String, BLOB byte[]; a column declared DATE is a
 * LocalDate, DATETIME/TIMESTAMP an Instant (text read in the task's zone, numbers as epoch
 * milliseconds), TIME a LocalTime. The declared type comes from the column's table
 * (`PRAGMA table_info`): an aliased or computed column has none, as xerial's has only its value's.
 */
import { Instant, LocalDate, LocalDateTime, LocalTime, ZonedDateTime, ZoneOffset } from '@js-joda/core';
import type { ZoneId } from '@js-joda/core';
import { makeDouble } from '../../engine/values.js';
import { importOptional } from '../optional.js';
import { TaskError } from '../types.js';
import type { Dialect, SqlConnection, SqlResult } from './run.js';
import { JavaTime, javaLong } from './values.js';

interface WasmStatement {
  _ptr: number;
  _bind(values: unknown): void;
  _step(): boolean;
  _getColumnNames(): string[];
  _getRow(columns: string[], expand: boolean): Record<string, unknown>;
  finalize(): void;
}
interface WasmDatabase {
  prepare(sql: string): WasmStatement;
  exec(sql: string): void;
  close(): void;
  all(sql: string, values?: unknown): Record<string, unknown>[];
}
interface SqliteWasm {
  Database: new (filename: string) => WasmDatabase;
  _sqlite3_column_type(stmt: number, column: number): number;
  _sqlite3_column_count(stmt: number): number;
}

const SQLITE_INTEGER = 1;
const SQLITE_FLOAT = 2;

export const SQLITE_PACKAGE = 'node-sqlite3-wasm';

/** Opens `file` (`:memory:` for a private in-memory database). */
export function sqliteDialect(file: string): Dialect {
  return {
    scheme: 'jdbc:sqlite',
    async connect(request) {
      const mod = await importOptional<SqliteWasm | { default: SqliteWasm }>(SQLITE_PACKAGE, request.type);
      const wasm = 'Database' in mod ? mod : mod.default;
      let db: WasmDatabase;
      try {
        db = new wasm.Database(file);
      } catch (e) {
        throw new TaskError('SQL_FAILED', `[SQLITE_CANTOPEN] Unable to open the database file (${(e as Error).message})`, { cause: e });
      }
      return new SqliteConnection(wasm, db, request.zone);
    },
  };
}

class SqliteConnection implements SqlConnection {
  readonly multiStatements = false;
  private readonly declared = new Map<string, Map<string, string>>();

  constructor(
    private readonly wasm: SqliteWasm,
    private readonly db: WasmDatabase,
    private readonly zone: ZoneId,
  ) {}

  placeholder(): string {
    return '?';
  }

  execute(sql: string, params: readonly unknown[] | undefined): Promise<SqlResult[]> {
    try {
      return Promise.resolve(this.run(sql, params));
    } catch (e) {
      return Promise.reject(new TaskError('SQL_FAILED', (e as Error).message, { cause: e }));
    }
  }

  private run(sql: string, params: readonly unknown[] | undefined): SqlResult[] {
    const stmt = this.db.prepare(sql);
    try {
      stmt._bind(params === undefined ? undefined : [...params]);
      const count = this.wasm._sqlite3_column_count(stmt._ptr);
      if (count === 0) {
        while (stmt._step());
        return [];
      }
      const columns = stmt._getColumnNames();
      const rows: unknown[][] = [];
      let types: (string | undefined)[] | undefined;
      while (stmt._step()) {
        if (types === undefined) types = this.declaredTypes(stmt, columns);
        const values = stmt._getRow(columns, false);
        rows.push(columns.map((c, i) => this.convert(values[c], this.wasm._sqlite3_column_type(stmt._ptr, i), types![i])));
      }
      return [{ columns, rows }];
    } finally {
      stmt.finalize();
    }
  }

  /** Each column's declared type, from its table's schema (the first row says which table a column comes from). */
  private declaredTypes(stmt: WasmStatement, columns: string[]): (string | undefined)[] {
    const expanded = stmt._getRow(columns, true);
    const tableOf = new Map<string, string>();
    for (const [table, cols] of Object.entries(expanded)) {
      if (table === '$') continue;
      for (const c of Object.keys(cols as Record<string, unknown>)) tableOf.set(c, table);
    }
    return columns.map((c) => {
      const table = tableOf.get(c);
      return table === undefined ? undefined : this.schema(table).get(c.toLowerCase());
    });
  }

  private schema(table: string): Map<string, string> {
    let cols = this.declared.get(table);
    if (cols === undefined) {
      cols = new Map();
      for (const row of this.db.all(`PRAGMA table_info("${table.replace(/"/g, '""')}")`))
        cols.set(String(row['name']).toLowerCase(), String(row['type'] ?? ''));
      this.declared.set(table, cols);
    }
    return cols;
  }

  private convert(value: unknown, storage: number, declared: string | undefined): unknown {
    if (value === null || value === undefined) return null;
    switch ((declared ?? '').toLowerCase()) {
      case 'date':
        return JavaTime.localDate(LocalDate.parse(String(value)));
      case 'datetime':
      case 'timestamp':
        if (typeof value === 'string') return JavaTime.instant(parseSqliteDateTime(value, this.zone));
        return JavaTime.instant(Instant.ofEpochMilli(Number(value)));
      case 'time':
        return JavaTime.localTime(LocalTime.parse(String(value)));
      default:
        break;
    }
    if (storage === SQLITE_INTEGER) return javaLong(value as number | bigint);
    if (storage === SQLITE_FLOAT) return makeDouble(Number(value));
    if (value instanceof Uint8Array) return Buffer.from(value);
    return value;
  }

  begin(): Promise<void> {
    this.db.exec('BEGIN');
    return Promise.resolve();
  }
  commit(): Promise<void> {
    this.db.exec('COMMIT');
    return Promise.resolve();
  }
  rollback(): Promise<void> {
    this.db.exec('ROLLBACK');
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
  cancel(): Promise<void> {
    // Statements run synchronously in-process: nothing is running when this is called.
    return Promise.resolve();
  }
}

/** SqliteCellConverter's formats: ISO zoned/offset/local date-time, `date time`, or a date; a local one is in `zone`. */
export function parseSqliteDateTime(text: string, zone: ZoneId): Instant {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)?(?:\[([^\]]+)\])?$/.exec(
    text.trim(),
  );
  if (!m) throw new TaskError('SQL_FAILED', `Unsupported SQLite datetime format: ${text}`);
  const date = LocalDate.parse(m[1]!);
  if (m[2] === undefined) return date.atStartOfDay(zone).toInstant();
  const local = LocalDateTime.of(date, LocalTime.parse(m[2]));
  if (m[3] !== undefined) return ZonedDateTime.of(local, m[3] === 'Z' ? ZoneOffset.UTC : ZoneOffset.of(m[3])).toInstant();
  return local.atZone(zone).toInstant();
}
