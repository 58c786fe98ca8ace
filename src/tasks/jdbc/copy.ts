/**
 * PostgreSQL's CopyIn and CopyOut (plugin-jdbc's AbstractCopy): the COPY statement Kestra builds
 * from `table`/`columns` or `sql`, `format` and its options, streamed through `pg-copy-streams`
 * (optional dependency) from a storage file (CopyIn, output `rowCount`) or to one (CopyOut,
 * outputs `uri`, `rowCount`).
 */
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { TaskRunContext } from '../definition.js';
import { importOptional } from '../optional.js';
import { TaskError } from '../types.js';
import { pgClient, pgError } from './postgres.js';
import { sqlError, validateUrl } from './run.js';
import { zoneOf } from './values.js';
import { jdbcProperties, markUrlSecrets } from './url.js';

interface CopyStreams {
  from(sql: string): Writable & { rowCount?: number };
  to(sql: string): Readable & { rowCount?: number };
}

const FORMATS = ['TEXT', 'CSV', 'BINARY'] as const;

/** AbstractCopy.query: `COPY <table> [(columns)] | (<sql>) <dest> [WITH (options)]`. */
async function copyStatement(ctx: TaskRunContext, query: string | undefined, dest: string): Promise<string> {
  const sql = ['COPY'];
  if (query === undefined) {
    const table = await ctx.property<string>('table');
    if (table === undefined || table.trim() === '') throw new TaskError('INVALID_PROPERTY', 'Missing required property `table`');
    sql.push(table);
    const columns = ((await ctx.property<unknown[]>('columns')) ?? []).map(String);
    if (columns.length > 0) sql.push(`(${columns.join(', ')})`);
  } else sql.push(`(${query})`);
  sql.push(dest);
  const options: string[] = [];
  const format = ((await ctx.property<string>('format')) ?? 'TEXT').trim().toUpperCase();
  if (!(FORMATS as readonly string[]).includes(format))
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`format\`: expected one of ${FORMATS.join(', ')}, got \`${format}\``);
  if (format !== 'TEXT') options.push(`FORMAT ${format}`);
  if ((await ctx.property<boolean>('oids')) === true) options.push('OIDS');
  if ((await ctx.property<boolean>('freeze')) === true) options.push('FREEZE');
  const delimiter = await ctx.property<string>('delimiter');
  if (delimiter !== undefined) options.push(`DELIMITER '${delimiter}'`);
  const nullString = await ctx.property<string>('nullString');
  if (nullString !== undefined) options.push(`NULL '${nullString}'`);
  const header = await ctx.property<boolean>('header');
  if (header !== undefined) options.push(`HEADER ${header ? 'TRUE' : 'FALSE'}`);
  const quote = await ctx.property<string>('quote');
  if (quote !== undefined) options.push(`QUOTE '${quote}'`);
  const escape = await ctx.property<string>('escape');
  if (escape !== undefined) options.push(`ESCAPE '${escape}'`);
  const forceQuote = ((await ctx.property<unknown[]>('forceQuote')) ?? []).map(String);
  if (forceQuote.length > 0)
    options.push(`FORCE_QUOTE ${forceQuote.length === 1 && forceQuote[0] === '*' ? '*' : `(${forceQuote.join(', ')})`}`);
  const forceNotNull = ((await ctx.property<unknown[]>('forceNotNull')) ?? []).map(String);
  if (forceNotNull.length > 0) options.push(`FORCE_NOT_NULL (${forceNotNull.join(', ')})`);
  const forceNull = ((await ctx.property<unknown[]>('forceNull')) ?? []).map(String);
  if (forceNull.length > 0) options.push(`FORCE_NULL (${forceNull.join(', ')})`);
  const encoding = await ctx.property<string>('encoding');
  if (encoding !== undefined) options.push(`ENCODING '${encoding}'`);
  if (options.length > 0) sql.push(`WITH (${options.join(', ')})`);
  return sql.join(' ');
}

async function connect(ctx: TaskRunContext, type: string) {
  const url = validateUrl(await ctx.property<string>('url'), 'jdbc:postgresql');
  markUrlSecrets(ctx, jdbcProperties(url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''));
  const username = await ctx.property<string>('username');
  const password = await ctx.property<string>('password');
  if (password !== undefined && password !== '') ctx.sensitive(password);
  try {
    return await pgClient({ url, username, password, zone: zoneOf(undefined), ctx, type, workingDir: '', kind: 'Query' });
  } catch (e) {
    throw sqlError(e, ctx);
  }
}

async function copyStreams(type: string): Promise<CopyStreams> {
  const mod = await importOptional<CopyStreams | { default: CopyStreams }>('pg-copy-streams', type);
  return 'from' in mod ? mod : mod.default;
}

export async function runCopyIn(ctx: TaskRunContext): Promise<Record<string, unknown>> {
  const type = 'io.kestra.plugin.jdbc.postgresql.CopyIn';
  const from = await ctx.property<string>('from');
  if (from === undefined || from === '') throw new TaskError('INVALID_PROPERTY', 'Missing required property `from`');
  const sql = await copyStatement(ctx, undefined, 'FROM STDIN');
  const streams = await copyStreams(type);
  const { client } = await connect(ctx, type);
  try {
    ctx.log('DEBUG', `Starting query: ${sql}`);
    const sink = client.query(streams.from(sql));
    await pipeline(await ctx.storage.getFile(from), sink);
    return { rowCount: sink.rowCount ?? 0 };
  } catch (e) {
    throw sqlError(pgError(e), ctx);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function runCopyOut(ctx: TaskRunContext): Promise<Record<string, unknown>> {
  const type = 'io.kestra.plugin.jdbc.postgresql.CopyOut';
  const query = await ctx.property<string>('sql');
  const sql = await copyStatement(ctx, query, 'TO STDOUT');
  const streams = await copyStreams(type);
  const { client } = await connect(ctx, type);
  try {
    ctx.log('DEBUG', `Starting query: ${sql}`);
    const source = client.query(streams.to(sql));
    const uri = await ctx.storage.putData(source, 'copy-out');
    return { uri, rowCount: source.rowCount ?? 0 };
  } catch (e) {
    throw sqlError(pgError(e), ctx);
  } finally {
    await client.end().catch(() => undefined);
  }
}
