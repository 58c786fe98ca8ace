/**
 * PostgreSQL through `pg` (optional dependency, imported on first use). The JDBC URL
 * (`jdbc:postgresql://host:port/db?user=…&password=…&ssl=…&sslmode=…&currentSchema=…`) becomes
 * pg's client config; every value is read as text and converted as plugin-jdbc's
 * PostgresCellConverter does with pgJDBC's Java types (see `convertCell`). The session's TimeZone
 * is the worker's zone, as pgJDBC sets it.
 */
import { type Instant, LocalDate, LocalDateTime, LocalTime, ZonedDateTime, ZoneOffset } from '@js-joda/core';
import type { ZoneId } from '@js-joda/core';
import { systemZone } from '../../engine/builtins/kestra/dates.js';
import { JFloat, parseBigDecimal } from '../../engine/builtins/kestra/numbers.js';
import { makeDouble } from '../../engine/values.js';
import { importOptional } from '../optional.js';
import { TaskError } from '../types.js';
import type { ConnectRequest, Dialect, SqlConnection, SqlResult } from './run.js';
import { JavaTime, javaLong } from './values.js';
import { jdbcProperties, markUrlSecrets, splitHostPort } from './url.js';

interface PgField {
  name: string;
  dataTypeID: number;
}
interface PgResult {
  fields: PgField[];
  rows: (string | null)[][];
  command: string | null;
}
export interface PgClient {
  connect(): Promise<void>;
  query(config: { text: string; values?: unknown[]; rowMode: 'array'; types: unknown }): Promise<PgResult | PgResult[]>;
  query<T>(stream: T): T;
  end(): Promise<void>;
  on(event: 'error', listener: (e: Error) => void): void;
  processID?: number;
  connection?: { stream?: { destroy(): void } };
}
interface PgModule {
  Client: new (config: Record<string, unknown>) => PgClient;
}

/** Every value as the text PostgreSQL sent. */
const RAW_TYPES = { getTypeParser: () => (value: string) => value };

/** A connected pg client for the task's URL and credentials (CopyIn/CopyOut use it directly). */
export async function pgClient(request: ConnectRequest): Promise<{ client: PgClient; pg: PgModule; config: Record<string, unknown> }> {
  const mod = await importOptional<PgModule | { default: PgModule }>('pg', request.type);
  const pg = 'Client' in mod ? mod : mod.default;
  const config = await clientConfig(request);
  const client = new pg.Client(config);
  // A dropped connection (the server gone, a cancelled statement) fails the query in progress; never the process.
  client.on('error', () => undefined);
  await client.connect();
  return { client, pg, config };
}

export const postgresDialect: Dialect = {
  scheme: 'jdbc:postgresql',
  async connect(request) {
    const { client, pg, config } = await pgClient(request);
    // Cancelling a statement (kill, timeout) is asked of the server from a second connection, as pgJDBC's cancel request.
    const canceller = async (pid: number): Promise<void> => {
      const other = new pg.Client(config);
      other.on('error', () => undefined);
      await other.connect();
      try {
        await other.query({ text: 'SELECT pg_cancel_backend($1)', values: [pid], rowMode: 'array', types: RAW_TYPES });
      } finally {
        await other.end();
      }
    };
    return new PgConnection(client, request.zone, canceller);
  },
};

/** `jdbc:postgresql://host[:port][,host2…]/database?props`, `jdbc:postgresql:database`, `jdbc:postgresql:/`. */
async function clientConfig(request: ConnectRequest): Promise<Record<string, unknown>> {
  const { ctx } = request;
  const rest = request.url.slice('jdbc:postgresql:'.length);
  const [location, query] = splitOnce(rest, '?');
  const props = jdbcProperties(query);
  markUrlSecrets(ctx, props);
  let host = 'localhost';
  let port = 5432;
  let database: string | undefined;
  if (location.startsWith('//')) {
    const [hosts, path] = splitOnce(location.slice(2), '/');
    const first = hosts.split(',')[0] ?? '';
    if (first !== '') [host, port] = splitHostPort(first, 5432);
    database = path === '' ? undefined : decodeURIComponent(path);
  } else if (location !== '' && location !== '/') database = decodeURIComponent(location.replace(/^\//, ''));
  const user = request.username ?? props['user'];
  const password = request.password ?? props['password'];
  const config: Record<string, unknown> = {
    host,
    port,
    ...(database === undefined ? {} : { database }),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    types: RAW_TYPES,
    application_name: props['ApplicationName'] ?? 'pebbleflow',
  };
  const options = [`-c TimeZone=${systemZone().id()}`];
  if (props['currentSchema'] !== undefined) options.push(`-c search_path=${props['currentSchema']}`);
  if (props['options'] !== undefined) options.push(props['options']);
  config['options'] = options.join(' ');
  if (props['connectTimeout'] !== undefined) config['connectionTimeoutMillis'] = Number(props['connectTimeout']) * 1000;
  const ssl = await sslConfig(request, props);
  if (ssl !== undefined) config['ssl'] = ssl;
  return config;
}

/** Kestra's ssl, sslMode, sslRootCert, sslCert, sslKey, sslKeyPassword (and the URL's ssl/sslmode) as Node TLS options. */
async function sslConfig(request: ConnectRequest, props: Record<string, string>): Promise<Record<string, unknown> | undefined> {
  const { ctx } = request;
  const ssl = (await ctx.property<boolean>('ssl')) === true || props['ssl'] === 'true';
  const mode = ((await ctx.property<string>('sslMode')) ?? props['sslmode'] ?? '').trim().toUpperCase().replace('-', '_');
  if (!ssl && (mode === '' || mode === 'DISABLE' || mode === 'ALLOW' || mode === 'PREFER')) return undefined;
  const ca = await ctx.property<string>('sslRootCert');
  const cert = await ctx.property<string>('sslCert');
  const key = await ctx.property<string>('sslKey');
  const passphrase = await ctx.property<string>('sslKeyPassword');
  if (key !== undefined && key !== '') ctx.sensitive(key);
  if (passphrase !== undefined && passphrase !== '') ctx.sensitive(passphrase);
  // pgJDBC: ssl=true alone verifies the certificate chain (verify-full); REQUIRE only encrypts.
  const verify = mode === '' || mode === 'VERIFY_CA' || mode === 'VERIFY_FULL';
  return {
    rejectUnauthorized: verify,
    ...(mode === 'VERIFY_CA' ? { checkServerIdentity: () => undefined } : {}),
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(passphrase === undefined ? {} : { passphrase }),
  };
}

function splitOnce(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

interface TypeInfo {
  readonly name: string;
  /** pg_type.typtype: b base, c composite, d domain, e enum, p pseudo, r range. */
  readonly kind: string;
  readonly category: string;
  readonly elem: number;
}

/** The built-in types pgJDBC maps (oid → name, array element). */
const BUILTIN: Record<number, TypeInfo> = {};
function builtin(oid: number, name: string, elem = 0): void {
  BUILTIN[oid] = { name, kind: 'b', category: elem === 0 ? '' : 'A', elem };
}
[
  [16, 'bool'],
  [17, 'bytea'],
  [18, 'char'],
  [19, 'name'],
  [20, 'int8'],
  [21, 'int2'],
  [23, 'int4'],
  [25, 'text'],
  [26, 'oid'],
  [114, 'json'],
  [142, 'xml'],
  [700, 'float4'],
  [701, 'float8'],
  [790, 'money'],
  [1042, 'bpchar'],
  [1043, 'varchar'],
  [1082, 'date'],
  [1083, 'time'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1186, 'interval'],
  [1266, 'timetz'],
  [1700, 'numeric'],
  [2278, 'void'],
  [2950, 'uuid'],
  [3614, 'tsvector'],
  [3802, 'jsonb'],
  [705, 'unknown'],
].forEach(([oid, name]) => builtin(oid as number, name as string));
[
  [1000, 16],
  [1001, 17],
  [1002, 18],
  [1005, 21],
  [1007, 23],
  [1009, 25],
  [1014, 1042],
  [1015, 1043],
  [1016, 20],
  [1021, 700],
  [1022, 701],
  [1028, 26],
  [1115, 1114],
  [1182, 1082],
  [1183, 1083],
  [1185, 1184],
  [1187, 1186],
  [1231, 1700],
  [199, 114],
  [2951, 2950],
  [3807, 3802],
].forEach(([oid, elem]) => builtin(oid!, `_${BUILTIN[elem!]!.name}`, elem));

class PgConnection implements SqlConnection {
  readonly multiStatements = false;
  private readonly types = new Map<number, TypeInfo>();

  constructor(
    private readonly client: PgClient,
    private readonly zone: ZoneId,
    private readonly canceller: (pid: number) => Promise<void>,
  ) {}

  placeholder(n: number): string {
    return `$${n}`;
  }

  async execute(sql: string, params: readonly unknown[] | undefined): Promise<SqlResult[]> {
    let answer: PgResult | PgResult[];
    try {
      answer = await this.client.query({
        text: sql,
        ...(params === undefined ? {} : { values: params.map(bindValue) }),
        rowMode: 'array',
        types: RAW_TYPES,
      });
    } catch (e) {
      throw pgError(e);
    }
    const results = (Array.isArray(answer) ? answer : [answer]).filter((r) => r.fields.length > 0 && r.command === 'SELECT');
    const out: SqlResult[] = [];
    for (const r of results) {
      await this.loadTypes(r.fields.map((f) => f.dataTypeID));
      out.push({
        columns: r.fields.map((f) => f.name),
        rows: r.rows.map((row) => row.map((cell, i) => this.convert(cell, r.fields[i]!.dataTypeID, r.fields[i]!.name))),
      });
    }
    return out;
  }

  private async loadTypes(oids: readonly number[]): Promise<void> {
    const missing = [...new Set(oids)].filter((oid) => BUILTIN[oid] === undefined && !this.types.has(oid));
    if (missing.length === 0) return;
    const r = (await this.client.query({
      text: 'SELECT oid, typname, typtype, typcategory, typelem FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])',
      values: [`{${missing.join(',')}}`],
      rowMode: 'array',
      types: RAW_TYPES,
    })) as PgResult;
    for (const [oid, name, kind, category, elem] of r.rows)
      this.types.set(Number(oid), { name: name ?? '', kind: kind ?? 'b', category: category ?? '', elem: Number(elem ?? 0) });
    for (const info of this.types.values()) if (info.elem !== 0 && BUILTIN[info.elem] === undefined) await this.loadTypes([info.elem]);
  }

  private typeOf(oid: number): TypeInfo {
    return BUILTIN[oid] ?? this.types.get(oid) ?? { name: String(oid), kind: 'b', category: '', elem: 0 };
  }

  /** PostgresCellConverter.convertCell on what pgJDBC's getObject would return. */
  private convert(text: string | null, oid: number, column: string): unknown {
    if (text === null) return null;
    const type = this.typeOf(oid);
    if (type.category === 'A' && type.elem !== 0) return parseArray(text, (t) => this.convert(t, type.elem, column));
    if (type.kind === 'e') return text;
    switch (type.name) {
      case 'bool':
        return text === 't';
      case 'int2':
      case 'int4':
        return Number(text);
      case 'int8':
      case 'oid':
        return javaLong(text);
      case 'float4':
        return new JFloat(parseFloat(text));
      case 'float8':
        return makeDouble(parseFloat(text));
      case 'money':
        return makeDouble(parseFloat(text.replace(/[^0-9.-]/g, '')));
      case 'numeric':
        return text === 'NaN' ? makeDouble(NaN) : parseBigDecimal(text);
      case 'bytea':
        return Buffer.from(text.replace(/^\\x/, ''), 'hex');
      case 'date':
        return JavaTime.localDate(LocalDate.parse(text));
      case 'time':
        // java.sql.Time: whole seconds.
        return JavaTime.localTime(LocalTime.parse(text.slice(0, 8)));
      case 'timetz':
        return JavaTime.localTime(timetz(text, this.zone));
      case 'timestamp':
        return JavaTime.localDateTime(LocalDateTime.parse(text.replace(' ', 'T')));
      case 'timestamptz':
        return JavaTime.zoned(offsetDateTime(text).withZoneSameInstant(this.zone));
      case 'interval':
        return isoInterval(text);
      case 'hstore':
        return parseHstore(text);
      case 'json':
      case 'jsonb':
        return jsonMap(text, type.name);
      case 'void':
        return null;
      case 'tsvector':
      case 'text':
      case 'varchar':
      case 'bpchar':
      case 'char':
      case 'name':
      case 'uuid':
      case 'unknown':
        return text;
      default:
        if (type.kind === 'c' || type.kind === 'b' || type.kind === 'r' || type.kind === 'm')
          throw new TaskError('SQL_FAILED', `PGobject of type [${type.name}] is not supported`);
        return text;
    }
  }

  async begin(): Promise<void> {
    await this.client.query({ text: 'BEGIN', rowMode: 'array', types: RAW_TYPES });
  }
  async commit(): Promise<void> {
    await this.client.query({ text: 'COMMIT', rowMode: 'array', types: RAW_TYPES });
  }
  async rollback(): Promise<void> {
    await this.client.query({ text: 'ROLLBACK', rowMode: 'array', types: RAW_TYPES });
  }
  async close(): Promise<void> {
    await this.client.end();
  }
  async cancel(): Promise<void> {
    const pid = this.client.processID;
    try {
      if (pid !== undefined) await this.canceller(pid);
    } finally {
      this.client.connection?.stream?.destroy();
    }
  }
}

function bindValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  return value;
}

/** pgJDBC's PSQLException text starts with the severity. */
export function pgError(e: unknown): unknown {
  if (e instanceof Error && typeof (e as { severity?: unknown }).severity === 'string') {
    const err = e as Error & { severity: string; position?: string };
    const position = err.position === undefined ? '' : `\n  Position: ${err.position}`;
    return new TaskError('SQL_FAILED', `${err.severity}: ${err.message}${position}`, { cause: e });
  }
  return e;
}

/** `+02`, `+05:30`, `+00:53:28` → a ZoneOffset. */
function offsetOf(text: string): ZoneOffset {
  const m = /^([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(text);
  if (!m) return ZoneOffset.UTC;
  const sign = m[1] === '-' ? -1 : 1;
  return ZoneOffset.ofHoursMinutesSeconds(sign * Number(m[2]), sign * Number(m[3] ?? 0), sign * Number(m[4] ?? 0));
}

function offsetDateTime(text: string): ZonedDateTime {
  const m = /^(.*?)([+-]\d{2}(?::\d{2}){0,2})$/.exec(text.replace(' ', 'T'));
  const local = LocalDateTime.parse(m?.[1] ?? text);
  return ZonedDateTime.of(local, offsetOf(m?.[2] ?? '+00'));
}

/** pgJDBC's getTimestamp of a timetz is on 1970-01-01; Kestra then reads its time in the task's zone. */
function timetz(text: string, zone: ZoneId): LocalTime {
  const m = /^(\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-].*)$/.exec(text);
  const time = LocalTime.parse(m?.[1] ?? text);
  const instant: Instant = ZonedDateTime.of(LocalDate.of(1970, 1, 1), time, offsetOf(m?.[2] ?? '+00')).toInstant();
  return ZonedDateTime.ofInstant(instant, zone).toLocalTime();
}

/** PGInterval → Kestra's `P{y}Y{m}M{d}DT{h}H{m}M{s}S` (whole seconds). */
function isoInterval(text: string): string {
  let years = 0;
  let months = 0;
  let days = 0;
  let hours = 0;
  let minutes = 0;
  let seconds = 0;
  const unit = /(-?\d+)\s+(year|years|mon|mons|day|days)\b/g;
  for (let m = unit.exec(text); m !== null; m = unit.exec(text)) {
    const n = Number(m[1]);
    if (m[2]!.startsWith('year')) years = n;
    else if (m[2]!.startsWith('mon')) months = n;
    else days = n;
  }
  const time = /([+-])?(\d+):(\d{2}):(\d{2})(?:\.\d+)?/.exec(text);
  if (time) {
    const sign = time[1] === '-' ? -1 : 1;
    hours = sign * Number(time[2]);
    minutes = sign * Number(time[3]);
    seconds = sign * Number(time[4]);
  }
  const z = (n: number): number => (Object.is(n, -0) ? 0 : n);
  return `P${z(years)}Y${z(months)}M${z(days)}DT${z(hours)}H${z(minutes)}M${z(seconds)}S`;
}

/** JacksonMapper.toMap: a JSON object, else Kestra's error. */
function jsonMap(text: string, type: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // below
  }
  throw new TaskError('SQL_FAILED', `Invalid data type [${type}] with value [${text}]`);
}

/** A PostgreSQL array literal (`{1,2}`, `{{a,b},{c,d}}`, quoted items, NULL). */
export function parseArray(text: string, item: (text: string | null) => unknown): unknown[] {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0; // dimension decoration [1:2]={…}
  const parse = (): unknown[] => {
    const out: unknown[] = [];
    i++; // {
    while (i < text.length) {
      const c = text[i];
      if (c === '}') {
        i++;
        return out;
      }
      if (c === ',') {
        i++;
        continue;
      }
      if (c === '{') {
        out.push(parse());
        continue;
      }
      if (c === '"') {
        let s = '';
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i];
          i++;
        }
        i++;
        out.push(item(s));
        continue;
      }
      let s = '';
      while (i < text.length && text[i] !== ',' && text[i] !== '}') s += text[i++];
      out.push(s === 'NULL' ? null : item(s.trim()));
    }
    return out;
  };
  return parse();
}

/** hstore's text (`"a"=>"b", "c"=>NULL`) as a map. */
function parseHstore(text: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const pair = /"((?:[^"\\]|\\.)*)"\s*=>\s*(NULL|"((?:[^"\\]|\\.)*)")/g;
  const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');
  for (let m = pair.exec(text); m !== null; m = pair.exec(text)) out[unescape(m[1]!)] = m[2] === 'NULL' ? null : unescape(m[3] ?? '');
  return out;
}
