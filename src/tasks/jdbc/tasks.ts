/**
 * What each database's Query/Queries adds around the common run (run.ts), as plugin-jdbc's
 * classes do: MySQL/MariaDB's `inputFile` for LOAD DATA LOCAL INFILE, SQLite's `sqliteFile` and
 * `outputDbFile`, DuckDB's database file in the working directory, `inputFiles`, `databaseUri`,
 * `outputDbFile`, and the embedded databases' `outputFiles`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { writeInputFiles, type ScriptHost } from '../../scripts/script-task.js';
import type { WorkingDir } from '../../storage/working-dir.js';
import type { TaskRunContext } from '../definition.js';
import { withWorkingDir } from '../storage/common.js';
import { TaskError } from '../types.js';
import { duckdbDialect } from './duckdb.js';
import { mysqlDialect } from './mysql.js';
import { postgresDialect } from './postgres.js';
import { prepare, runQueries, runQuery, sqlError, validateUrl, type Dialect, type SqlConnection } from './run.js';
import { sqliteDialect } from './sqlite.js';
import { jdbcProperties, markUrlSecrets } from './url.js';

export type Database = 'postgresql' | 'mysql' | 'mariadb' | 'sqlite' | 'duckdb';
export type Kind = 'Query' | 'Queries';

export async function runSql(ctx: TaskRunContext, database: Database, kind: Kind): Promise<Record<string, unknown>> {
  const type = `io.kestra.plugin.jdbc.${database}.${kind}`;
  return withWorkingDir(ctx, async (wd) => {
    switch (database) {
      case 'postgresql':
        return remote(ctx, postgresDialect, type, kind, wd, {});
      case 'mysql':
      case 'mariadb':
        return remote(ctx, mysqlDialect(database), type, kind, wd, await inputFile(ctx, wd));
      case 'sqlite':
        return sqlite(ctx, type, kind, wd);
      case 'duckdb':
        return duckdb(ctx, type, kind, wd);
    }
  });
}

function host(ctx: TaskRunContext, wd: WorkingDir): ScriptHost {
  return {
    storage: ctx.storage,
    workingDir: wd,
    signal: ctx.signal,
    render: (t, extra) => ctx.render(t, extra),
    log: (l, m) => ctx.log(l, m),
  };
}

async function run(
  ctx: TaskRunContext,
  dialect: Dialect,
  type: string,
  kind: Kind,
  url: string,
  wd: string,
  extra: Record<string, unknown>,
  transform?: (sql: string) => string,
) {
  const rendered = await prepare(ctx, validateUrl(url, dialect.scheme), wd, extra);
  const prepared = transform === undefined ? rendered : { ...rendered, sql: transform(rendered.sql) };
  return kind === 'Query' ? runQuery(ctx, dialect, type, prepared) : runQueries(ctx, dialect, type, prepared);
}

async function renderedUrl(ctx: TaskRunContext, fallback?: string): Promise<string> {
  const url = (await ctx.property<string>('url')) ?? fallback;
  if (url !== undefined) markUrlSecrets(ctx, jdbcProperties(url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''));
  return url ?? '';
}

async function remote(ctx: TaskRunContext, dialect: Dialect, type: string, kind: Kind, wd: WorkingDir, extra: Record<string, unknown>) {
  return { ...(await run(ctx, dialect, type, kind, await renderedUrl(ctx), wd.path, extra)) };
}

/** MySQL's `inputFile`: copied to `<workingDir>/inputFile`, whose path the SQL sees as `{{ inputFile }}`. */
async function inputFile(ctx: TaskRunContext, wd: WorkingDir): Promise<Record<string, unknown>> {
  const value = await ctx.property<string>('inputFile');
  if (value !== undefined && value !== '') await writeInputFiles(host(ctx, wd), wd, { inputFile: value });
  return { inputFile: join(wd.path, 'inputFile') };
}

/** PluginUtilsService.createOutputFiles: `<name>_<random>.tmp` files in `dir`, as `outputFiles.<name>` (and `temp`). */
async function createOutputFiles(ctx: TaskRunContext, dir: string, extra: Record<string, unknown>): Promise<Record<string, string>> {
  const names = ((await ctx.property<unknown[]>('outputFiles')) ?? []).map(String);
  const files: Record<string, string> = {};
  for (const name of names) {
    if (!/^[^/\\]+$/.test(name) || name === '.' || name === '..')
      throw new TaskError('INVALID_PROPERTY', `Invalid outputFiles name '${name}'`);
    const file = join(dir, `${name.length < 2 ? `_${name}`.padStart(3, '_') : name}_${randomBytes(8).readBigUInt64BE().toString()}.tmp`);
    await writeFile(file, '');
    files[name] = file;
  }
  if (names.length > 0) {
    extra['outputFiles'] = files;
    extra['temp'] = files;
  }
  return files;
}

async function uploadOutputFiles(ctx: TaskRunContext, files: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, file] of Object.entries(files)) out[name] = await ctx.storage.putFile(file);
  return out;
}

function isMemory(path: string): boolean {
  const p = path.trim().toLowerCase();
  return p === '' || p === ':memory:' || p.startsWith('file::memory:') || (p.startsWith('file:') && p.includes('mode=memory'));
}

/** SQLite's Query/Queries: `url` (default `jdbc:sqlite:`), `sqliteFile`, `outputDbFile`, `outputFiles`. */
async function sqlite(ctx: TaskRunContext, type: string, kind: Kind, wd: WorkingDir) {
  const url = validateUrl(await renderedUrl(ctx, 'jdbc:sqlite:'), 'jdbc:sqlite');
  const dbPath = url.replace(/^jdbc:sqlite:/, '').replace(/\?.*$/, '');
  const sqliteFile = await ctx.property<string>('sqliteFile');
  const outputDbFile = (await ctx.property<boolean>('outputDbFile')) ?? false;
  const extra: Record<string, unknown> = { workingDir: wd.path };
  let file: string;
  if ((sqliteFile !== undefined && sqliteFile !== '') || outputDbFile) {
    const name = isMemory(dbPath) ? basename(await wd.createTempFile('.sqlite')) : basename(dbPath);
    file = join(wd.path, name);
    if (sqliteFile !== undefined && sqliteFile !== '') await writeInputFiles(host(ctx, wd), wd, { [name]: sqliteFile });
  } else if (isMemory(dbPath)) file = ':memory:';
  else {
    // SqliteQueryUtils: a file of that name in the working directory wins; else the path as the driver reads it.
    const inWd = join(wd.path, dbPath);
    file = !isAbsolute(dbPath) && existsSync(inWd) ? inWd : resolve(dbPath.replace(/^file:/, ''));
  }
  const outputFiles = await createOutputFiles(ctx, wd.path, extra);
  const result = await run(ctx, sqliteDialect(file), type, kind, url, wd.path, extra);
  let databaseUri: string | undefined;
  if (outputDbFile && file !== ':memory:') {
    if (!existsSync(file)) await writeFile(file, '');
    databaseUri = await ctx.storage.putFile(file, basename(file));
  }
  const uploaded = await uploadOutputFiles(ctx, outputFiles);
  return {
    ...result,
    ...(Object.keys(uploaded).length === 0 ? {} : { outputFiles: uploaded }),
    ...(databaseUri === undefined ? {} : { databaseUri }),
  };
}

const DUCKDB_DEFAULT_URL = 'jdbc:duckdb:';

/** DuckDB's Query/Queries: the database file (in the working directory by default), inputFiles, databaseUri, outputFiles, outputDbFile. */
async function duckdb(ctx: TaskRunContext, type: string, kind: Kind, wd: WorkingDir) {
  const url = validateUrl(await renderedUrl(ctx, DUCKDB_DEFAULT_URL), 'jdbc:duckdb');
  const extra: Record<string, unknown> = {};
  let dir: string | undefined;
  let file: string;
  if (url !== DUCKDB_DEFAULT_URL) {
    const path = url.slice(DUCKDB_DEFAULT_URL.length);
    if (isAbsolute(path)) {
      await mkdir(dirname(path), { recursive: true });
      dir = dirname(path);
      file = path;
      extra['dbFilePath'] = path;
    } else if (kind === 'Queries') {
      throw new TaskError('INVALID_PROPERTY', 'The database file path is not valid (Path to database file must be absolute)');
    } else {
      // Query keeps any other URL (`:memory:`, a relative path, MotherDuck's md:…) for the driver.
      file = path === '' ? ':memory:' : path;
      if (file.startsWith('md:'))
        throw new TaskError('UNSUPPORTED', 'MotherDuck (jdbc:duckdb:md:…) needs the network: it is not supported by pebbleflow');
    }
  } else {
    const temp = await wd.createTempFile('.db');
    await import('node:fs/promises').then((fs) => fs.rm(temp));
    file = temp;
    dir = wd.path;
  }
  if (dir !== undefined) extra['workingDir'] = dir;
  const inputFiles = ctx.task.properties['inputFiles'];
  if (inputFiles !== undefined && inputFiles !== null) {
    if (dir === undefined)
      throw new TaskError(
        'INVALID_PROPERTY',
        '`inputFiles` needs a DuckDB database file in the working directory (url `jdbc:duckdb:` or an absolute path)',
      );
    await writeInputFiles(host(ctx, wd), await wdAt(wd, dir), await inputFilesMap(ctx, inputFiles, extra));
  }
  const databaseUri = await ctx.property<string>('databaseUri');
  if (databaseUri !== undefined && databaseUri !== '') {
    const target = dir ?? wd.path;
    const name = randomBytes(11).toString('base64url');
    await writeInputFiles(host(ctx, wd), await wdAt(wd, target), { [name]: databaseUri });
    file = join(target, name);
  }
  const outputFiles = dir === undefined ? {} : await createOutputFiles(ctx, dir, extra);
  const communityExtensions = await ctx.property<unknown[]>('communityExtensions');
  const setup = async (conn: SqlConnection): Promise<void> => {
    if (dir !== undefined) await conn.execute(`SET file_search_path='${dir.replace(/'/g, "''")}'`, undefined);
    for (const ext of (communityExtensions ?? ['ion']).map(String)) {
      if (!/^[A-Za-z0-9_]+$/.test(ext)) {
        ctx.log('WARN', `Skipping DuckDB community extension '${ext}' because the name contains unsupported characters.`);
        continue;
      }
      try {
        // Only an extension already installed on this machine loads: nothing is downloaded.
        await conn.execute(`LOAD ${ext}`, undefined);
      } catch (e) {
        ctx.log(
          communityExtensions === undefined ? 'DEBUG' : 'WARN',
          `Failed to install/load DuckDB community extension '${ext}'. Continuing without it. message=${(e as Error).message.split('\n')[0] ?? ''}`,
        );
      }
    }
  };
  let result: Record<string, unknown>;
  try {
    // Query: with read_csv(…, filename=true), the filename column is made relative to the working directory.
    const relativeFilenames = (sql: string): string => {
      if (dir === undefined || kind !== 'Query' || !/filename\s*=\s*(true|1)/i.test(sql.replace(/\n/g, ' '))) return sql;
      const escaped = dir.replace(/\\/g, '\\\\').replace(/\//g, '\\/');
      return `SELECT * REPLACE(regexp_replace(filename, '^${escaped}/', '') AS filename) FROM (${sql.replace(/;\s*$/, '')})`;
    };
    result = { ...(await run(ctx, duckdbDialect(file, setup), type, kind, url, dir ?? wd.path, extra, relativeFilenames)) };
  } catch (e) {
    throw sqlError(e, ctx);
  }
  const uploaded = await uploadOutputFiles(ctx, outputFiles);
  let dbUri: string | undefined;
  if ((await ctx.property<boolean>('outputDbFile')) === true && file !== ':memory:') dbUri = await ctx.storage.putFile(file);
  return { ...result, outputFiles: uploaded, ...(dbUri === undefined ? {} : { databaseUri: dbUri }) };
}

/** Kestra's PluginUtilsService.transformInputFiles: a map (null values dropped), or a JSON text of one. */
async function inputFilesMap(ctx: TaskRunContext, raw: unknown, extra: Record<string, unknown>): Promise<Record<string, string>> {
  if (typeof raw === 'string') {
    const text = await ctx.render(raw, extra);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new TaskError('INVALID_PROPERTY', 'Invalid value for `inputFiles`: expected a map of file name → content or kestra:// URI');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new TaskError('INVALID_PROPERTY', 'Invalid value for `inputFiles`: expected a map of file name → content or kestra:// URI');
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (v === null || v === undefined) continue;
      out[await ctx.render(k, extra)] = await ctx.render(String(v), extra);
    }
    return out;
  }
  throw new TaskError('INVALID_PROPERTY', "Invalid `files` properties with type '" + typeof raw + "'");
}

async function wdAt(wd: WorkingDir, dir: string): Promise<WorkingDir> {
  if (resolve(dir) === wd.path) return wd;
  const { WorkingDir: WD } = await import('../../storage/working-dir.js');
  return WD.at(dir);
}
