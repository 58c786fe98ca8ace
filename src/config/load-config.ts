import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { parseIsoDuration } from './duration.js';
import { SIGNING_ALGORITHMS } from './types.js';
import type { ClientAuthMethod, CredentialConfig, PebbleflowConfig, SecretProviderConfig, SecretRef, SigningAlgorithm } from './types.js';
import { ConfigError, type ConfigIssue } from './errors.js';

interface Position {
  readonly line: number;
  readonly column: number;
}

/** Marks configs that went through `loadConfig`, so that loading one again is a no-op. */
const LOADED = Symbol.for('pebbleflow.config.loaded');

const SECRET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const NAMESPACE = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const DEFAULT_TENANT = 'main';
const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_ASSERTION_LIFETIME_MS = 3_600_000;

/**
 * Loads and validates the project config, from a YAML file path or from the same structure as
 * an object. Every problem is reported at once (file, line, column and what was expected).
 */
export function loadConfig(input: string | object): PebbleflowConfig {
  if (typeof input === 'object' && input !== null && (input as Record<symbol, unknown>)[LOADED] === true) {
    return input as PebbleflowConfig;
  }
  if (typeof input === 'string') return loadConfigFile(input);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('CONFIG_INVALID', [
      { path: '', expected: 'a mapping', message: 'the config must be a mapping (an object) or a file path' },
    ]);
  }
  return validate(input, { baseDir: process.cwd(), inCode: true, positions: new Map() });
}

function loadConfigFile(path: string): PebbleflowConfig {
  const file = resolvePath(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new ConfigError(
      'CONFIG_NOT_FOUND',
      [{ path: '', file, expected: 'a readable YAML file', message: `Config file ${file} ${reason}` }],
      { file },
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'CONFIG_SYNTAX',
      doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        // The yaml message quotes source text; keep only its first sentence so a value on the bad line is not repeated.
        const reason = error.message.split(/\s+at line \d+/)[0]?.split('\n')[0] ?? 'YAML syntax error';
        return {
          path: '',
          file,
          line: pos.line,
          column: pos.col,
          expected: 'valid YAML',
          message: `YAML syntax error (${error.code}): ${reason}`,
        };
      }),
      { file },
    );
  }
  const positions = new Map<string, Position>();
  const plain = doc.contents === null ? {} : toPlain(doc.contents, '', positions, lineCounter);
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      [{ path: '', file, line: 1, column: 1, expected: 'a mapping', message: 'the config must be a mapping at the top level' }],
      { file },
    );
  }
  return validate(plain, { baseDir: dirname(file), inCode: false, positions, file });
}

/** Converts the YAML tree to plain values, remembering where each path (and each key, as `path#key`) starts. */
function toPlain(node: YamlNode, path: string, positions: Map<string, Position>, lc: LineCounter): unknown {
  const remember = (p: string, offset: number | undefined): void => {
    if (offset === undefined) return;
    const pos = lc.linePos(offset);
    positions.set(p, { line: pos.line, column: pos.col });
  };
  remember(path, node.range?.[0]);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const childPath = path ? `${path}.${key}` : key;
      if (isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key)) remember(`${childPath}#key`, (pair.key as YamlNode).range?.[0]);
      out[key] = pair.value === null ? null : toPlain(pair.value as YamlNode, childPath, positions, lc);
      if (!positions.has(childPath)) positions.set(childPath, positions.get(`${childPath}#key`) ?? { line: 1, column: 1 });
    }
    return out;
  }
  if (isSeq(node)) {
    return node.items.map((item, index) => (item === null ? null : toPlain(item as YamlNode, `${path}[${index}]`, positions, lc)));
  }
  if (isScalar(node)) return node.value;
  return (node as { toJSON(): unknown }).toJSON();
}

interface Context {
  readonly baseDir: string;
  readonly inCode: boolean;
  readonly positions: Map<string, Position>;
  readonly file?: string;
}

type Obj = Record<string, unknown>;

/** Collects issues while reading fields, so one run reports every problem. */
class Reader {
  readonly issues: ConfigIssue[] = [];
  private readonly ctx: Context;
  constructor(ctx: Context) {
    this.ctx = ctx;
  }

  issue(path: string, expected: string, message: string, atKey = false): void {
    // One problem per field: the first (most specific) explanation wins.
    if (this.issues.some((existing) => existing.path === path)) return;
    const pos = this.position(path, atKey);
    this.issues.push({ path, expected, message, file: this.ctx.file, line: pos?.line, column: pos?.column });
  }

  private position(path: string, atKey: boolean): Position | undefined {
    if (this.ctx.file === undefined) return undefined;
    const exact = atKey ? this.ctx.positions.get(`${path}#key`) : this.ctx.positions.get(path);
    if (exact) return exact;
    // A missing field is reported where its parent starts.
    let parent = path;
    while (parent) {
      parent = parent.replace(/(?:\.[^.[\]]+|\[\d+\])$/, '');
      const pos = this.ctx.positions.get(parent);
      if (pos) return pos;
      if (!/[.[]/.test(parent)) break;
    }
    return this.ctx.positions.get('') ?? { line: 1, column: 1 };
  }

  object(value: unknown, path: string, what: string): Obj | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Obj;
    this.issue(path, what, `expected ${what}`);
    return undefined;
  }

  onlyKnown(obj: Obj, path: string, known: readonly string[], what: string): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) {
        this.issue(
          join(path, key),
          `one of the fields of ${what}: ${known.join(', ')}`,
          `unknown field '${key}' for ${what} (allowed: ${known.join(', ')})`,
          true,
        );
      }
    }
  }

  string(
    obj: Obj,
    path: string,
    field: string,
    opts: { required?: boolean; pattern?: RegExp; patternText?: string } = {},
  ): string | undefined {
    const value = obj[field];
    const p = join(path, field);
    if (value === undefined || value === null) {
      if (opts.required) this.issue(p, 'a value', `required field '${field}' is missing`);
      return undefined;
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      this.issue(p, 'a string', `expected a string`);
      return undefined;
    }
    const text = String(value);
    if (text.trim() === '') {
      this.issue(p, 'a non-empty string', 'must not be empty');
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(text)) {
      this.issue(
        p,
        opts.patternText ?? `a value matching ${opts.pattern}`,
        `expected ${opts.patternText ?? `a value matching ${opts.pattern}`}`,
      );
      return undefined;
    }
    return text;
  }

  url(obj: Obj, path: string, field: string, required: boolean): string | undefined {
    const text = this.string(obj, path, field, { required });
    if (text === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      this.issue(join(path, field), 'an absolute http(s) URL', 'expected an absolute http(s) URL');
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      this.issue(join(path, field), 'an absolute http(s) URL', 'expected an http:// or https:// URL');
      return undefined;
    }
    if (url.username || url.password) {
      this.issue(join(path, field), 'a URL without user info', 'a URL must not carry a user name or password; use clientSecret');
      return undefined;
    }
    return text;
  }

  oneOf<T extends string>(obj: Obj, path: string, field: string, allowed: readonly T[], fallback?: T): T | undefined {
    const value = obj[field];
    if (value === undefined || value === null) {
      if (fallback === undefined)
        this.issue(
          join(path, field),
          `one of ${allowed.join(', ')}`,
          `required field '${field}' is missing (one of ${allowed.join(', ')})`,
        );
      return fallback;
    }
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.issue(join(path, field), `one of ${allowed.join(', ')}`, `expected one of ${allowed.join(', ')}`);
    return undefined;
  }

  boolean(obj: Obj, path: string, field: string, fallback: boolean): boolean {
    const value = obj[field];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    this.issue(join(path, field), 'true or false', 'expected true or false');
    return fallback;
  }

  duration(obj: Obj, path: string, field: string, fallback: number, max?: number): number {
    const value = obj[field];
    if (value === undefined || value === null) return fallback;
    const ms = typeof value === 'string' ? parseIsoDuration(value) : undefined;
    if (ms === undefined) {
      this.issue(join(path, field), 'an ISO-8601 duration such as PT1M or PT30S', 'expected an ISO-8601 duration such as PT1M or PT30S');
      return fallback;
    }
    if (max !== undefined && ms > max) {
      this.issue(join(path, field), `a duration of at most ${max / 1000} seconds`, `must be at most ${max / 1000} seconds`);
      return max;
    }
    return ms;
  }

  stringList(obj: Obj, path: string, field: string): string[] | undefined {
    const value = obj[field];
    if (value === undefined || value === null) return undefined;
    // A single space-separated string is accepted too, as Google's docs write scopes that way.
    if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
    this.issue(join(path, field), 'a list of strings', 'expected a list of strings');
    return undefined;
  }

  stringMap(obj: Obj, path: string, field: string): Record<string, string> | undefined {
    const value = obj[field];
    if (value === undefined || value === null) return undefined;
    const map = this.object(value, join(path, field), 'a mapping of names to strings');
    if (!map) return undefined;
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(map)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
      else this.issue(join(join(path, field), key), 'a string', 'expected a string');
    }
    return out;
  }

  /** A sensitive field: only `{ secret: NAME }` is accepted, and a literal is refused without being echoed. */
  secretRef(obj: Obj, path: string, field: string, required: boolean): SecretRef | undefined {
    const value = obj[field];
    const p = join(path, field);
    const expected = 'a secret reference { secret: NAME }';
    if (value === undefined || value === null) {
      if (required) this.issue(p, expected, `required field '${field}' is missing (expected ${expected})`);
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.issue(p, expected, `'${field}' is sensitive and must be ${expected}; a literal value is refused (the value is not shown)`);
      return undefined;
    }
    const ref = value as Obj;
    const extra = Object.keys(ref).filter((k) => k !== 'secret');
    if (extra.length > 0 || typeof ref.secret !== 'string' || !SECRET_NAME.test(ref.secret)) {
      this.issue(
        p,
        expected,
        `'${field}' must be ${expected} with a secret name made of letters, digits, '_', '.', '-' (the value is not shown)`,
      );
      return undefined;
    }
    return Object.freeze({ secret: ref.secret });
  }
}

function join(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

const TOP_FIELDS = ['tenant', 'secrets', 'credentials'] as const;
const COMMON_FIELDS = ['id', 'type', 'namespace', 'tenant', 'description', 'cacheEnabled', 'refreshBeforeExpiry', 'timeout'] as const;
const FIELDS = {
  CLIENT_CREDENTIALS: [
    ...COMMON_FIELDS,
    'authConfigType',
    'tokenEndpoint',
    'clientId',
    'clientSecret',
    'clientAuthMethod',
    'scopes',
    'audience',
    'resource',
    'extraParams',
  ],
  JWT_BEARER: [
    ...COMMON_FIELDS,
    'authConfigType',
    'tokenEndpoint',
    'issuer',
    'subject',
    'audience',
    'privateKey',
    'keyId',
    'algorithm',
    'additionalClaims',
    'scopes',
    'assertionLifetime',
  ],
  PRIVATE_KEY_JWT: [
    ...COMMON_FIELDS,
    'authConfigType',
    'tokenEndpoint',
    'clientId',
    'privateKey',
    'keyId',
    'algorithm',
    'scopes',
    'audience',
    'resource',
    'extraParams',
  ],
  GITHUB_APP: [
    ...COMMON_FIELDS,
    'appId',
    'clientId',
    'installationId',
    'privateKey',
    'apiUrl',
    'repositories',
    'repositoryIds',
    'permissions',
  ],
} as const;
/** Sensitive field names that any credential type refuses as literals, even where the type does not use them. */
const SENSITIVE_FIELDS = ['clientSecret', 'privateKey', 'certificate', 'password', 'token'];

function validate(input: object, ctx: Context): PebbleflowConfig {
  const r = new Reader(ctx);
  const root = input as Obj;
  r.onlyKnown(root, '', TOP_FIELDS, 'the config');
  const tenant = r.string(root, '', 'tenant', { pattern: ID, patternText: 'a tenant id (letters, digits, _, ., -)' }) ?? DEFAULT_TENANT;

  const secrets: SecretProviderConfig[] = [];
  // Without a `secrets` section, Kestra OSS's behaviour: SECRET_<KEY> environment variables. `secrets: []` means none.
  const rawSecrets = root.secrets === undefined || root.secrets === null ? [{ type: 'env' }] : root.secrets;
  if (!Array.isArray(rawSecrets)) r.issue('secrets', 'a list of secret providers', 'expected a list of secret providers');
  else
    rawSecrets.forEach((raw, index) => {
      const provider = readProvider(r, raw, `secrets[${index}]`, tenant, ctx);
      if (provider) secrets.push(provider);
    });

  const credentials: CredentialConfig[] = [];
  const rawCredentials = root.credentials ?? [];
  if (!Array.isArray(rawCredentials)) r.issue('credentials', 'a list of credentials', 'expected a list of credentials');
  else {
    const seen = new Map<string, string>();
    rawCredentials.forEach((raw, index) => {
      const path = `credentials[${index}]`;
      const credential = readCredential(r, raw, path, tenant);
      if (!credential) return;
      const identity = `${credential.tenant}\u0000${credential.namespace ?? ''}\u0000${credential.id}`;
      const previous = seen.get(identity);
      if (previous !== undefined) {
        r.issue(
          `${path}.id`,
          'an id unique at its level',
          `credential '${credential.id}' is already defined at the same level by ${previous}`,
        );
        return;
      }
      seen.set(identity, path);
      credentials.push(credential);
    });
  }

  if (r.issues.length > 0) throw new ConfigError('CONFIG_INVALID', r.issues, { file: ctx.file });
  const config: PebbleflowConfig = { tenant, secrets, credentials, ...(ctx.file === undefined ? {} : { source: ctx.file }) };
  Object.defineProperty(config, LOADED, { value: true, enumerable: false });
  return Object.freeze(config);
}

/** Parameters that carry credentials or change the grant must come from the credential's own fields, never as literals here. */
const RESERVED_PARAMS = [
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'assertion',
  'password',
  'refresh_token',
  'code',
];

function readExtraParams(r: Reader, obj: Obj, path: string): Record<string, string> {
  const params = r.stringMap(obj, path, 'extraParams') ?? {};
  for (const name of Object.keys(params)) {
    if (RESERVED_PARAMS.includes(name.toLowerCase())) {
      r.issue(
        `${path}.extraParams.${name}`,
        'a parameter other than credentials or the grant type',
        `'${name}' cannot be set in extraParams (the value is not shown); use the credential's own fields`,
        true,
      );
      delete params[name];
    }
  }
  return params;
}

function readScope(r: Reader, obj: Obj, path: string, tenant: string): { tenant: string; namespace?: string } {
  const ownTenant = r.string(obj, path, 'tenant', { pattern: ID, patternText: 'a tenant id (letters, digits, _, ., -)' }) ?? tenant;
  const namespace = r.string(obj, path, 'namespace', { pattern: NAMESPACE, patternText: 'a namespace such as company.team' });
  return namespace === undefined ? { tenant: ownTenant } : { tenant: ownTenant, namespace };
}

function readProvider(r: Reader, raw: unknown, path: string, tenant: string, ctx: Context): SecretProviderConfig | undefined {
  const obj = r.object(raw, path, 'a secret provider mapping with a type');
  if (!obj) return undefined;
  const type = r.oneOf(obj, path, 'type', ['env', 'file', 'memory'] as const);
  if (type === undefined) return undefined;
  const scope = readScope(r, obj, path, tenant);
  switch (type) {
    case 'env': {
      r.onlyKnown(obj, path, ['type', 'encoding', 'tenant', 'namespace'], 'an env secret provider');
      const encoding = r.oneOf(obj, path, 'encoding', ['BASE64', 'RAW'] as const, 'BASE64') ?? 'BASE64';
      return Object.freeze({ type, encoding, ...scope });
    }
    case 'file': {
      r.onlyKnown(obj, path, ['type', 'dir', 'tenant', 'namespace'], 'a file secret provider');
      const dir = r.string(obj, path, 'dir', { required: true });
      return dir === undefined ? undefined : Object.freeze({ type, dir: resolvePath(ctx.baseDir, dir), ...scope });
    }
    case 'memory': {
      r.onlyKnown(obj, path, ['type', 'values', 'tenant', 'namespace'], 'a memory secret provider');
      if (!ctx.inCode) {
        // A file would then hold the secrets in plain text, which is what providers exist to avoid.
        r.issue(`${path}.type`, 'env or file', "the 'memory' secret provider is only accepted in code, not in a config file");
        return undefined;
      }
      const values = obj.values === undefined ? {} : r.object(obj.values, `${path}.values`, 'a mapping of secret names to string values');
      if (!values) return undefined;
      const copy: Record<string, string> = {};
      for (const [name, value] of Object.entries(values)) {
        if (typeof value === 'string') copy[name] = value;
        else r.issue(`${path}.values.${name}`, 'a string', 'expected a string value (the value is not shown)');
      }
      const provider = { type, ...scope } as SecretProviderConfig;
      Object.defineProperty(provider, 'values', { value: Object.freeze(copy), enumerable: false });
      return Object.freeze(provider);
    }
  }
}

function readCredential(r: Reader, raw: unknown, path: string, tenant: string): CredentialConfig | undefined {
  const obj = r.object(raw, path, 'a credential mapping');
  if (!obj) return undefined;
  const before = r.issues.length;
  // Sensitive literals are refused first and whatever the type, so a typo in `type` cannot hide one.
  for (const field of SENSITIVE_FIELDS) if (obj[field] !== undefined) r.secretRef(obj, path, field, false);
  const sensitiveIssues = r.issues.length;
  const id = r.string(obj, path, 'id', { required: true, pattern: ID, patternText: 'an id made of letters, digits, _, ., -' });
  const type = r.oneOf(obj, path, 'type', ['OAUTH2', 'GITHUB_APP'] as const);
  if (type === undefined) return undefined;
  const scope = readScope(r, obj, path, tenant);
  const description = r.string(obj, path, 'description');
  const common = {
    id: id ?? '',
    ...scope,
    ...(description === undefined ? {} : { description }),
    cacheEnabled: r.boolean(obj, path, 'cacheEnabled', true),
    refreshBeforeExpiryMs: r.duration(obj, path, 'refreshBeforeExpiry', DEFAULT_REFRESH_BEFORE_EXPIRY_MS),
    timeoutMs: r.duration(obj, path, 'timeout', DEFAULT_TIMEOUT_MS),
  };
  if (common.timeoutMs <= 0) r.issue(`${path}.timeout`, 'a positive duration', 'must be a positive duration');
  const only = (fields: readonly string[], what: string): void => r.onlyKnown(obj, path, fields, what);
  const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
    value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
  let credential: CredentialConfig | undefined;
  // Secret refs were validated above; re-read quietly to get their values.
  const ref = (field: string): SecretRef | undefined => {
    const value = obj[field];
    if (value === undefined || value === null) {
      r.issue(
        join(path, field),
        'a secret reference { secret: NAME }',
        `required field '${field}' is missing (expected a secret reference { secret: NAME })`,
      );
      return undefined;
    }
    return typeof value === 'object' && typeof (value as Obj).secret === 'string'
      ? Object.freeze({ secret: (value as Obj).secret as string })
      : undefined;
  };

  if (type === 'GITHUB_APP') {
    only(FIELDS.GITHUB_APP, 'a GITHUB_APP credential');
    const appId = r.string(obj, path, 'appId');
    const clientId = r.string(obj, path, 'clientId');
    if (appId === undefined && clientId === undefined)
      r.issue(`${path}.appId`, 'appId or clientId', "one of 'appId' or 'clientId' is required");
    const installationId = r.string(obj, path, 'installationId', {
      required: true,
      pattern: /^\d+$/,
      patternText: 'a numeric installation id',
    });
    const privateKey = ref('privateKey');
    const apiUrl = (r.url(obj, path, 'apiUrl', false) ?? 'https://api.github.com').replace(/\/+$/, '');
    const repositories = r.stringList(obj, path, 'repositories');
    const rawIds = r.stringList(obj, path, 'repositoryIds');
    const repositoryIds = rawIds?.map(Number);
    if (repositoryIds?.some((n) => !Number.isSafeInteger(n) || n <= 0))
      r.issue(`${path}.repositoryIds`, 'a list of numeric repository ids', 'expected a list of numeric repository ids');
    const permissions = r.stringMap(obj, path, 'permissions');
    if (permissions && Object.values(permissions).some((v) => !['read', 'write', 'admin'].includes(v))) {
      r.issue(`${path}.permissions`, 'permission levels read, write or admin', 'each permission must be read, write or admin');
    }
    if (installationId !== undefined && privateKey !== undefined) {
      credential = {
        type,
        ...common,
        ...optional('appId', appId),
        ...optional('clientId', clientId),
        installationId,
        privateKey,
        apiUrl,
        ...optional('repositories', repositories),
        ...optional('repositoryIds', repositoryIds),
        ...optional('permissions', permissions),
      };
    }
  } else {
    const authConfigType = r.oneOf(obj, path, 'authConfigType', ['CLIENT_CREDENTIALS', 'JWT_BEARER', 'PRIVATE_KEY_JWT'] as const);
    if (authConfigType === undefined) return undefined;
    only(FIELDS[authConfigType], `an OAUTH2 ${authConfigType} credential`);
    const tokenEndpoint = r.url(obj, path, 'tokenEndpoint', true);
    const scopes = r.stringList(obj, path, 'scopes') ?? [];
    if (authConfigType === 'CLIENT_CREDENTIALS') {
      const clientId = r.string(obj, path, 'clientId', { required: true });
      const clientSecret = ref('clientSecret');
      const clientAuthMethod = r.oneOf<ClientAuthMethod>(
        obj,
        path,
        'clientAuthMethod',
        ['CLIENT_SECRET_BASIC', 'CLIENT_SECRET_POST'],
        'CLIENT_SECRET_BASIC',
      );
      const audience = r.string(obj, path, 'audience');
      const resource = r.string(obj, path, 'resource');
      const extraParams = readExtraParams(r, obj, path);
      if (tokenEndpoint && clientId && clientSecret && clientAuthMethod) {
        credential = {
          type,
          authConfigType,
          ...common,
          tokenEndpoint,
          clientId,
          clientSecret,
          clientAuthMethod,
          scopes,
          ...optional('audience', audience),
          ...optional('resource', resource),
          extraParams,
        };
      }
    } else {
      const privateKey = ref('privateKey');
      const keyId = r.string(obj, path, 'keyId');
      const algorithm = r.oneOf<SigningAlgorithm>(obj, path, 'algorithm', SIGNING_ALGORITHMS, 'RS256');
      const audience = r.string(obj, path, 'audience');
      if (authConfigType === 'JWT_BEARER') {
        const issuer = r.string(obj, path, 'issuer', { required: true });
        const subject = r.string(obj, path, 'subject');
        const claims =
          obj.additionalClaims === undefined || obj.additionalClaims === null
            ? {}
            : r.object(obj.additionalClaims, `${path}.additionalClaims`, 'a mapping of claim names to values');
        const reserved = ['iss', 'aud', 'iat', 'exp', 'nbf'];
        for (const name of Object.keys(claims ?? {})) {
          if (reserved.includes(name))
            r.issue(
              `${path}.additionalClaims.${name}`,
              'a claim other than iss, aud, iat, exp, nbf',
              `claim '${name}' is set from the credential's own fields and cannot be overridden`,
              true,
            );
        }
        const assertionLifetimeMs = r.duration(obj, path, 'assertionLifetime', MAX_ASSERTION_LIFETIME_MS, MAX_ASSERTION_LIFETIME_MS);
        if (assertionLifetimeMs <= 0) r.issue(`${path}.assertionLifetime`, 'a positive duration', 'must be a positive duration');
        if (tokenEndpoint && issuer && privateKey && algorithm && claims) {
          credential = {
            type,
            authConfigType,
            ...common,
            tokenEndpoint,
            issuer,
            ...optional('subject', subject),
            audience: audience ?? tokenEndpoint,
            privateKey,
            ...optional('keyId', keyId),
            algorithm,
            additionalClaims: Object.freeze({ ...claims }),
            scopes,
            assertionLifetimeMs,
          };
        }
      } else {
        const clientId = r.string(obj, path, 'clientId', { required: true });
        const resource = r.string(obj, path, 'resource');
        const extraParams = readExtraParams(r, obj, path);
        if (tokenEndpoint && clientId && privateKey && algorithm) {
          credential = {
            type,
            authConfigType,
            ...common,
            tokenEndpoint,
            clientId,
            privateKey,
            ...optional('keyId', keyId),
            algorithm,
            scopes,
            audience: audience ?? tokenEndpoint,
            ...optional('resource', resource),
            extraParams,
          };
        }
      }
    }
  }
  if (r.issues.length > before || sensitiveIssues > before) return undefined;
  return credential === undefined ? undefined : Object.freeze(credential);
}
