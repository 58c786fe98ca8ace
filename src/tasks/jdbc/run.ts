/**
 * Query and Queries as plugin-jdbc's AbstractJdbcQuery / AbstractJdbcQueries run them, over a
 * driver adapter (postgres.ts, mysql.ts, sqlite.ts, duckdb.ts) that maps the JDBC URL onto a Node
 * driver and converts cells as the database's CellConverter does.
 */
import type { ZoneId } from '@js-joda/core';
import { JBigDecimal, JBigInteger } from '../../engine/builtins/kestra/numbers.js';
import { JDouble } from '../../engine/values.js';
import { RunStorage } from '../../storage/run-storage.js';
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';
import { onlyComments, splitSql } from './splitter.js';
import { ionRow, outputRow, zoneOf } from './values.js';

/** One result set: column labels and converted cells (Java-typed, see values.ts). */
export interface SqlResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface SqlConnection {
  /** Runs SQL (one statement, or several where the driver allows it); returns its result sets (none for an update). */
  execute(sql: string, params: readonly unknown[] | undefined): Promise<SqlResult[]>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
  /** Stops the running statement (the task was killed or timed out). */
  cancel(): Promise<void>;
  /** The driver's placeholder for the n-th parameter (1-based). */
  placeholder(n: number): string;
  /** MySQL with allowMultiQueries=true: the whole script goes in one call (Kestra's supportsMultiStatements). */
  readonly multiStatements: boolean;
}

export interface ConnectRequest {
  readonly url: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly zone: ZoneId;
  readonly ctx: TaskRunContext;
  /** The task type (for error messages). */
  readonly type: string;
  /** The task's working directory (embedded databases' files, MySQL's LOAD DATA LOCAL INFILE). */
  readonly workingDir: string;
  readonly kind: 'Query' | 'Queries';
}

/** What a database adds to the common run: its URL scheme, its connection, and what it does around the SQL. */
export interface Dialect {
  /** Kestra's `getScheme()`: the URL must start with it. */
  readonly scheme: string;
  connect(request: ConnectRequest): Promise<SqlConnection>;
}

export type FetchType = 'FETCH' | 'FETCH_ONE' | 'STORE' | 'NONE';
const FETCH_TYPES: readonly FetchType[] = ['FETCH', 'FETCH_ONE', 'STORE', 'NONE'];

/** The common part of every task: what it renders before connecting. */
export interface Prepared {
  readonly url: string;
  readonly zone: ZoneId;
  readonly fetchType: FetchType;
  readonly sql: string;
  readonly afterSQL: string | undefined;
  readonly parameters: Readonly<Record<string, unknown>> | undefined;
  readonly workingDir: string;
}

/** Kestra's `renderFetchType`: the deprecated booleans first (fetch, fetchOne, store), then `fetchType` (default NONE). */
export async function fetchTypeOf(ctx: TaskRunContext): Promise<FetchType> {
  if ((await ctx.property<boolean>('fetch')) === true) return 'FETCH';
  if ((await ctx.property<boolean>('fetchOne')) === true) return 'FETCH_ONE';
  if ((await ctx.property<boolean>('store')) === true) return 'STORE';
  const value = ((await ctx.property<string>('fetchType')) ?? 'NONE').trim().toUpperCase();
  if (!(FETCH_TYPES as readonly string[]).includes(value))
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`fetchType\`: expected one of ${FETCH_TYPES.join(', ')}, got \`${value}\``);
  return value as FetchType;
}

/** Kestra's `validateUrl`: rendered, not blank, with the database's scheme. */
export function validateUrl(url: string | undefined, scheme: string): string {
  if (url === undefined || url.trim() === '') throw new TaskError('INVALID_PROPERTY', 'Rendered value of `url` is blank.');
  if (!url.startsWith(scheme)) throw new TaskError('INVALID_PROPERTY', `URL scheme is invalid. URL should start with \`${scheme}\``);
  return url;
}

/** Renders what every SQL task reads; `extra` are the variables the SQL sees besides the run's (`inputFile`, `outputFiles`, `workingDir`…). */
export async function prepare(
  ctx: TaskRunContext,
  url: string,
  workingDir: string,
  extra: Readonly<Record<string, unknown>>,
): Promise<Prepared> {
  const timeZoneId = await ctx.property<string>('timeZoneId');
  let zone: ZoneId;
  try {
    zone = zoneOf(timeZoneId);
  } catch {
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`timeZoneId\`: unknown time zone \`${timeZoneId ?? ''}\``);
  }
  const fetchType = await fetchTypeOf(ctx);
  const rawSql = ctx.task.properties['sql'];
  if (rawSql === undefined || rawSql === null) throw new TaskError('INVALID_PROPERTY', 'Missing required property `sql`');
  const sql = await ctx.render(String(rawSql), extra);
  const rawAfter = ctx.task.properties['afterSQL'];
  const afterSQL = rawAfter === undefined || rawAfter === null ? undefined : await ctx.render(String(rawAfter), extra);
  const parameters = await ctx.property<Record<string, unknown>>('parameters');
  return { url, zone, fetchType, sql, afterSQL, parameters, workingDir };
}

/** Kestra's prepareStatement: every `:name` becomes a placeholder, bound to the parameter of that name (null when absent). */
export function bindNamed(
  sql: string,
  parameters: Readonly<Record<string, unknown>>,
  placeholder: (n: number) => string,
): [string, unknown[]] {
  const values: unknown[] = [];
  const text = sql.replace(/:\w+/g, (m) => {
    values.push(parameterValue(parameters[m.slice(1)]));
    return placeholder(values.length);
  });
  return [text, values];
}

/** A rendered parameter as the driver binds it: Java number boxes as numbers (exact ones as text), maps and lists as JSON. */
function parameterValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof JBigDecimal || value instanceof JBigInteger) return value.toString();
  if (value instanceof JDouble) return value.value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) return JSON.stringify(value);
  return value;
}

interface QueryOutput {
  row: Record<string, unknown> | null;
  rows?: Record<string, unknown>[];
  uri?: string;
  size?: number;
}

async function fetchInto(ctx: TaskRunContext, fetchType: FetchType, result: SqlResult, forQueries: boolean): Promise<QueryOutput> {
  const asMap = (cells: readonly unknown[]): Record<string, unknown> => {
    const map: Record<string, unknown> = {};
    result.columns.forEach((c, i) => (map[c] = cells[i] ?? null));
    return map;
  };
  switch (fetchType) {
    case 'FETCH_ONE': {
      const first = result.rows[0];
      // Queries counts 1 even for an empty result (AbstractJdbcQueries sets size 1L before fetching).
      return { row: first === undefined ? null : outputRow(asMap(first), true), size: forQueries || first !== undefined ? 1 : 0 };
    }
    case 'FETCH':
      return { row: null, rows: result.rows.map((r) => outputRow(asMap(r), false)), size: result.rows.length };
    case 'STORE': {
      const text = result.rows.map((r) => `${ionRow(asMap(r))}\n`).join('');
      const uri = await ctx.storage.putData(text, RunStorage.fileName(undefined, '.ion'));
      return { row: null, uri, size: result.rows.length };
    }
    case 'NONE':
      if (forQueries) ctx.log('INFO', 'fetchType is set to NONE, no output will be returned');
      return { row: null };
  }
}

/** Cancels the running statement when the task run is aborted (timeout, kill). */
function onAbort(ctx: TaskRunContext, conn: SqlConnection): () => void {
  const listener = (): void => {
    void conn.cancel().catch(() => undefined);
  };
  ctx.signal.addEventListener('abort', listener, { once: true });
  return () => ctx.signal.removeEventListener('abort', listener);
}

function statementsOf(sql: string): string[] {
  return splitSql(sql).filter((s) => s.trim() !== '' && !onlyComments(s));
}

/** AbstractJdbcQuery.run: one statement, optional afterSQL in the same transaction. */
export async function runQuery(ctx: TaskRunContext, dialect: Dialect, type: string, prepared: Prepared): Promise<QueryOutput> {
  const { sql, afterSQL, fetchType, parameters } = prepared;
  const conn = await connect(ctx, dialect, type, prepared, 'Query');
  const detach = onAbort(ctx, conn);
  let inTx = false;
  try {
    if (!conn.multiStatements) {
      const count = statementsOf(sql).filter((s) => !s.toLowerCase().startsWith('set file_search_path')).length;
      if (count > 1)
        throw new TaskError(
          'INVALID_PROPERTY',
          'Query task support only a single SQL statement. Use the Queries task to run multiple statements.',
        );
    }
    if (afterSQL !== undefined) {
      await conn.begin();
      inTx = true;
    }
    ctx.log('DEBUG', `Starting query: ${sql}`);
    const results = await execute(conn, sql, parameters);
    const first = results[0];
    let output: QueryOutput = { row: null };
    if (first !== undefined && fetchType !== 'NONE') output = await fetchInto(ctx, fetchType, first, false);
    if (fetchType === 'FETCH' && first !== undefined) {
      // AbstractJdbcBaseQuery.fetch goes on with the statement's further result sets.
      const rows = output.rows ?? [];
      for (const more of results.slice(1)) rows.push(...(await fetchInto(ctx, 'FETCH', more, false)).rows!);
      output = { ...output, rows, size: rows.length };
    }
    if (afterSQL !== undefined) {
      const after = afterSQL
        .split(/;[^']/)
        .map((s) => s.trim())
        .filter((s) => s !== '' && !s.toLowerCase().startsWith('set file_search_path'));
      if (after.length > 1)
        throw new TaskError(
          'INVALID_PROPERTY',
          'Query task afterSQL supports only a single SQL statement. Use the Queries task to run multiple statements.',
        );
      if (after.length === 1) {
        ctx.log('DEBUG', `Executing afterSQL: ${afterSQL}`);
        await execute(conn, afterSQL, parameters);
      }
      await conn.commit();
      inTx = false;
    }
    return output;
  } catch (e) {
    if (inTx) await conn.rollback().catch(() => undefined);
    throw sqlError(e, ctx);
  } finally {
    detach();
    await conn.close().catch(() => undefined);
  }
}

/** AbstractJdbcQueries.run: the statements one by one (in one transaction unless `transaction: false`), one output per result set. */
export async function runQueries(
  ctx: TaskRunContext,
  dialect: Dialect,
  type: string,
  prepared: Prepared,
): Promise<{ outputs: QueryOutput[] }> {
  const { sql, fetchType, parameters } = prepared;
  const transaction = (await ctx.property<boolean>('transaction')) ?? true;
  const conn = await connect(ctx, dialect, type, prepared, 'Queries');
  const detach = onAbort(ctx, conn);
  const outputs: QueryOutput[] = [];
  let inTx = false;
  try {
    if (transaction) {
      await conn.begin();
      inTx = true;
    }
    const batch = conn.multiStatements && transaction;
    const queries = batch ? [sql] : statementsOf(sql);
    for (const query of queries) {
      if (ctx.signal.aborted) break;
      ctx.log('DEBUG', `Starting query: ${query}`);
      const results = await execute(conn, query, parameters ?? {});
      for (const result of batch ? results : results.slice(0, 1)) outputs.push(await fetchInto(ctx, fetchType, result, true));
    }
    if (inTx) {
      await conn.commit();
      inTx = false;
    }
    return { outputs };
  } catch (e) {
    if (inTx) await conn.rollback().catch(() => undefined);
    throw sqlError(e, ctx);
  } finally {
    detach();
    await conn.close().catch(() => undefined);
  }
}

async function connect(
  ctx: TaskRunContext,
  dialect: Dialect,
  type: string,
  prepared: Prepared,
  kind: 'Query' | 'Queries',
): Promise<SqlConnection> {
  const username = await ctx.property<string>('username');
  const password = await ctx.property<string>('password');
  if (password !== undefined && password !== '') ctx.sensitive(password);
  try {
    return await dialect.connect({
      url: prepared.url,
      username,
      password,
      zone: prepared.zone,
      ctx,
      type,
      workingDir: prepared.workingDir,
      kind,
    });
  } catch (e) {
    throw sqlError(e, ctx);
  }
}

function execute(conn: SqlConnection, sql: string, parameters: Readonly<Record<string, unknown>> | undefined): Promise<SqlResult[]> {
  // Kestra's prepareStatement: no parameters (or an empty map), the SQL as it is.
  if (parameters === undefined || Object.keys(parameters).length === 0) return conn.execute(sql, undefined);
  const [text, values] = bindNamed(sql, parameters, (n) => conn.placeholder(n));
  return conn.execute(text, values);
}

/** A driver's failure as a TaskError (its own message: the runner masks the secrets the task marked). */
export function sqlError(e: unknown, ctx: TaskRunContext): Error {
  if (e instanceof TaskError) return e;
  if (ctx.signal.aborted) return new TaskError('CANCELLED', 'The query was cancelled', { cause: e });
  const message = e instanceof Error ? e.message : String(e);
  return new TaskError('SQL_FAILED', message, { cause: e });
}
