/**
 * `pebbleflow.yaml` (or the same structure in code) → a validated, defaulted, frozen config. The
 * config is described as schema data (`./schema.ts`, from the credential-type and secret-provider
 * descriptors) and checked with ajv through the YAML-check kit, so every problem is reported at
 * once with file, line, column, field path and what was expected — and never with a value.
 */
import { dirname, join as joinPath, resolve as resolvePath } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { CREDENTIAL_TYPES, type CredentialType } from '../credentials/types/index.js';
import { isSecretProvider } from '../secrets/provider.js';
import { SECRET_PROVIDER_TYPES, type SecretProviderType } from '../secrets/providers/index.js';
import {
  createAjv,
  parseYaml,
  pointerToPath,
  precompiledValidator,
  ProblemList,
  readSourceFile,
  SourceFileError,
  type Path,
  type PositionIndex,
} from '../yaml-check/index.js';
import type { RenderLimits } from '../engine/budget.js';
import { parseJavaLocale } from '../engine/locale.js';
import { parseIsoDuration } from './duration.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import {
  EXPECTED,
  SECRET_NAME_PATTERN,
  SECRET_REF_EXPECTED,
  SENSITIVE,
  SENSITIVE_FIELDS,
  type FieldReader,
  type JsonSchema,
} from './fields.js';
import { credentialEntrySchema, credentialHeadSchema, instanceEntrySchema, providerEntrySchema, topLevelSchema } from './schema.js';
import type {
  CredentialCommonConfig,
  CredentialConfig,
  InstanceSecretProviderConfig,
  PebbleflowConfig,
  PluginSpec,
  SecretProviderConfig,
  SecretProviderScope,
  SecretRef,
  ServerConfig,
  VariablesConfig,
} from './types.js';

/** Marks configs that went through `loadConfig`, so that loading one again is a no-op. */
const LOADED = Symbol.for('pebbleflow.config.loaded');
const DEFAULT_TENANT = 'main';
const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const SECRET_NAME = new RegExp(SECRET_NAME_PATTERN);

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Loads and validates the project config, from a YAML file path or from the same structure as
 * an object. Every problem is reported at once (file, line, column and what was expected).
 */
export function loadConfig(input: string | object): PebbleflowConfig {
  if (typeof input === 'object' && input !== null && (input as Record<symbol, unknown>)[LOADED] === true) {
    return input as PebbleflowConfig;
  }
  if (typeof input === 'string') return loadConfigFile(input);
  if (!isObject(input)) {
    throw new ConfigError('CONFIG_INVALID', [
      { code: 'CONFIG_INVALID', path: '', expected: 'a mapping', message: 'the config must be a mapping (an object) or a file path' },
    ]);
  }
  return check(input, { baseDir: process.cwd(), inCode: true, index: undefined });
}

function loadConfigFile(path: string): PebbleflowConfig {
  const file = resolvePath(path);
  let text: string;
  try {
    text = readSourceFile(file);
  } catch (cause) {
    if (!(cause instanceof SourceFileError)) throw cause;
    const code = cause.code === 'NOT_A_FILE' ? 'CONFIG_NOT_A_FILE' : cause.code === 'TOO_LARGE' ? 'CONFIG_TOO_LARGE' : 'CONFIG_NOT_FOUND';
    const reason =
      cause.code === 'NOT_FOUND' ? 'does not exist' : cause.code === 'UNREADABLE' ? 'cannot be read' : `cannot be read: ${cause.message}`;
    throw new ConfigError(code, [{ code, path: '', file, expected: 'a readable YAML file', message: `Config file ${file} ${reason}` }], {
      file,
    });
  }
  const { documents, index, syntax, duplicates } = parseYaml(text, { file });
  const yamlIssues = new ProblemList<ConfigIssue>(index);
  for (const e of syntax) {
    // The yaml message quotes source text; keep only its first sentence so a value on the bad line is not repeated.
    const reason = e.message.split(/\s+at line \d+/)[0] ?? 'YAML syntax error';
    yamlIssues.addAt('CONFIG_SYNTAX', `YAML syntax error (${e.code}): ${reason}`, [], e.offset, { expected: 'valid YAML' });
  }
  for (const d of duplicates)
    yamlIssues.addAt('CONFIG_SYNTAX', 'YAML syntax error (DUPLICATE_KEY): Map keys must be unique', d.path, d.offset, {
      expected: 'valid YAML',
    });
  const extra = documents[1];
  if (extra !== undefined)
    yamlIssues.addAt('CONFIG_SYNTAX', 'YAML syntax error (MULTIPLE_DOCS): a config is one YAML document', [], extra.range[0], {
      expected: 'valid YAML',
    });
  if (yamlIssues.size > 0) throw new ConfigError('CONFIG_SYNTAX', yamlIssues.sorted(), { file });
  let plain: unknown;
  try {
    plain = documents[0]?.toJS({ maxAliasCount: 1000 }) ?? null;
  } catch (e) {
    throw new ConfigError(
      'CONFIG_SYNTAX',
      [
        {
          code: 'CONFIG_SYNTAX',
          path: '',
          file,
          line: 1,
          column: 1,
          expected: 'valid YAML',
          message: `YAML error: ${(e as Error).message}`,
        },
      ],
      { file },
    );
  }
  if (plain === null || plain === undefined) plain = {};
  if (!isObject(plain)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      [
        {
          code: 'CONFIG_INVALID',
          path: '',
          file,
          line: 1,
          column: 1,
          expected: 'a mapping',
          message: 'the config must be a mapping at the top level',
        },
      ],
      { file },
    );
  }
  return check(plain, { baseDir: dirname(file), inCode: false, index, file });
}

interface Context {
  readonly baseDir: string;
  readonly inCode: boolean;
  /** Positions of the file; `undefined` for a config given in code. */
  readonly index: PositionIndex | undefined;
  readonly file?: string;
}

// ---------------------------------------------------------------------------------------------
// Problems, worded for the config: fields by name, what was expected, never a value.
// ---------------------------------------------------------------------------------------------

class ConfigChecker extends ProblemList<ConfigIssue> {
  constructor(index: PositionIndex | undefined) {
    super(index, { onePerPath: true });
  }

  issue(path: Path, expected: string, message: string, atKey = false): void {
    this.add('CONFIG_INVALID', message, path, atKey ? 'key' : 'value', { expected });
  }

  /** Turns ajv's errors for the value at `base` into issues. */
  schemaErrors(errors: readonly ErrorObject[] | null | undefined, base: Path): void {
    for (const e of errors ?? []) {
      // anyOf branches and if/then report once, through their parent.
      if (e.keyword === 'if' || /\/anyOf\/\d+\//.test(e.schemaPath)) continue;
      const path = [...base, ...pointerToPath(e.instancePath)];
      const schema = (e.parentSchema ?? {}) as JsonSchema;
      const expectedText = typeof schema[EXPECTED] === 'string' ? schema[EXPECTED] : undefined;
      switch (e.keyword) {
        case 'required': {
          const name = (e.params as { missingProperty: string }).missingProperty;
          const property = (schema.properties as Record<string, JsonSchema> | undefined)?.[name] ?? {};
          const choices = Array.isArray(property.enum) ? property.enum.join(', ') : undefined;
          const expected =
            choices !== undefined ? `one of ${choices}` : typeof property[EXPECTED] === 'string' ? property[EXPECTED] : 'a value';
          const hint =
            choices !== undefined ? ` (one of ${choices})` : property[SENSITIVE] === true ? ` (expected ${SECRET_REF_EXPECTED})` : '';
          this.issue([...path, name], expected, `required field '${name}' is missing${hint}`);
          break;
        }
        case 'additionalProperties': {
          const name = (e.params as { additionalProperty: string }).additionalProperty;
          const known = Object.keys((schema.properties as object | undefined) ?? {}).join(', ');
          const what = typeof schema.title === 'string' ? schema.title : 'this mapping';
          this.issue(
            [...path, name],
            `one of the fields of ${what}: ${known}`,
            `unknown field '${name}' for ${what} (allowed: ${known})`,
            true,
          );
          break;
        }
        case 'enum':
        case 'const': {
          const allowed =
            e.keyword === 'enum'
              ? (e.params as { allowedValues: unknown[] }).allowedValues
              : [(e.params as { allowedValue: unknown }).allowedValue];
          this.issue(path, `one of ${allowed.join(', ')}`, `expected one of ${allowed.join(', ')}`);
          break;
        }
        default: {
          const expected =
            expectedText ??
            (e.keyword === 'type' ? `a ${String((e.params as { type: unknown }).type).replace(',', ' or ')}` : 'a valid value');
          this.issue(path, expected, `expected ${expected}`);
        }
      }
    }
  }
}

/** A literal in a sensitive field is refused, and its value never shown. */
function checkSecretRef(c: ConfigChecker, value: unknown, path: Path, name: string): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    c.issue(
      path,
      SECRET_REF_EXPECTED,
      `'${name}' is sensitive and must be ${SECRET_REF_EXPECTED}; a literal value is refused (the value is not shown)`,
    );
    return;
  }
  if (Object.keys(value).some((k) => k !== 'secret') || typeof value.secret !== 'string' || !SECRET_NAME.test(value.secret)) {
    c.issue(
      path,
      SECRET_REF_EXPECTED,
      `'${name}' must be ${SECRET_REF_EXPECTED} with a secret name made of letters, digits, '_', '.', '-' (the value is not shown)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Validators, compiled once per entry kind.
// ---------------------------------------------------------------------------------------------

let ajv: ReturnType<typeof createAjv> | undefined;
const validators = new Map<object, ValidateFunction>();

function validatorFor(key: object, schema: () => JsonSchema): ValidateFunction {
  let v = validators.get(key);
  if (v === undefined) {
    const s = schema();
    v = precompiledValidator(s, CONFIG_KEYWORDS) ?? (ajv ??= createAjv(CONFIG_KEYWORDS)).compile(s);
    validators.set(key, v);
  }
  return v;
}

/** The annotation keywords of the config checker's ajv (part of a precompiled validator's name). */
export const CONFIG_KEYWORDS: readonly string[] = [EXPECTED, SENSITIVE];

/** Every schema the config checker compiles for the built-in types (what the build precompiles). */
export function builtInConfigSchemas(): JsonSchema[] {
  return [
    topLevelSchema,
    instanceEntrySchema,
    credentialHeadSchema,
    ...SECRET_PROVIDER_TYPES.map((kind) =>
      providerEntrySchema(kind as unknown as SecretProviderType<SecretProviderConfig & { type: string }>),
    ),
    ...CREDENTIAL_TYPES.map((descriptor) => credentialEntrySchema(descriptor)),
  ];
}

function validate(c: ConfigChecker, key: object, schema: () => JsonSchema, value: unknown, path: Path): void {
  const v = validatorFor(key, schema);
  if (!v(value)) c.schemaErrors(v.errors, path);
}

// ---------------------------------------------------------------------------------------------

/** Reads one entry's fields for a descriptor; problems go to the checker at the entry's path. */
class EntryReader implements FieldReader {
  readonly path: Path;
  readonly inCode: boolean;
  readonly baseDir: string;
  private readonly obj: Obj;
  private readonly c: ConfigChecker;

  constructor(c: ConfigChecker, path: Path, obj: Obj, ctx: Context) {
    this.c = c;
    this.path = path;
    this.obj = obj;
    this.inCode = ctx.inCode;
    this.baseDir = ctx.baseDir;
  }

  raw(name: string): unknown {
    return this.obj[name];
  }

  string(name: string): string | undefined {
    const value = this.obj[name];
    return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  }

  url(name: string): string | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      this.issue(name, 'an absolute http(s) URL', 'expected an absolute http(s) URL');
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      this.issue(name, 'an absolute http(s) URL', 'expected an http:// or https:// URL');
      return undefined;
    }
    if (url.username || url.password) {
      this.issue(name, 'a URL without user info', 'a URL must not carry a user name or password; use clientSecret');
      return undefined;
    }
    return text;
  }

  duration(name: string, fallback: number, max?: number): number {
    const value = this.obj[name];
    if (value === undefined) return fallback;
    const ms = typeof value === 'string' ? parseIsoDuration(value) : undefined;
    if (ms === undefined) {
      this.issue(name, 'an ISO-8601 duration such as PT1M or PT30S', 'expected an ISO-8601 duration such as PT1M or PT30S');
      return fallback;
    }
    if (max !== undefined && ms > max) {
      this.issue(name, `a duration of at most ${max / 1000} seconds`, `must be at most ${max / 1000} seconds`);
      return max;
    }
    return ms;
  }

  stringList(name: string): string[] | undefined {
    const value = this.obj[name];
    if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
    return undefined;
  }

  stringMap(name: string): Record<string, string> | undefined {
    const value = this.obj[name];
    if (!isObject(value)) return undefined;
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(value))
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
    return out;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.obj[name];
    return typeof value === 'boolean' ? value : fallback;
  }

  secretRef(name: string): SecretRef | undefined {
    const value = this.obj[name];
    return isObject(value) && typeof value.secret === 'string' && SECRET_NAME.test(value.secret)
      ? Object.freeze({ secret: value.secret })
      : undefined;
  }

  issue(name: string | Path, expected: string, message: string, atKey = false): void {
    this.c.issue([...this.path, ...(typeof name === 'string' ? [name] : name)], expected, message, atKey);
  }
}

/** YAML `key:` with no value means "not set", as it always has. */
/** `variables:` (each run takes a copy of the globals: `sort` and `+` change lists in place, as in Pebble). */
function variablesOf(section: Obj): VariablesConfig {
  const globals = isObject(section.globals) ? section.globals : undefined;
  const prefix = typeof section.envVarsPrefix === 'string' ? section.envVarsPrefix : undefined;
  return Object.freeze({ ...(globals === undefined ? {} : { globals }), ...(prefix === undefined ? {} : { envVarsPrefix: prefix }) });
}

function withoutNulls(obj: Obj): Obj {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null));
}

function check(input: Obj, ctx: Context): PebbleflowConfig {
  const c = new ConfigChecker(ctx.index);
  const root = withoutNulls(input);
  // Sensitive literals first, so their message (which never shows the value) is the one reported.
  const rawServer = isObject(root.server) ? withoutNulls(root.server) : undefined;
  const rawAuth = rawServer !== undefined && isObject(rawServer.basicAuth) ? rawServer.basicAuth : undefined;
  checkSecretRef(c, rawAuth?.password, ['server', 'basicAuth', 'password'], 'password');
  checkSecretRef(c, rawServer?.encryptionKey, ['server', 'encryptionKey'], 'encryptionKey');
  validate(c, topLevelSchema, () => topLevelSchema, root, []);
  const tenant = typeof root.tenant === 'string' ? root.tenant : DEFAULT_TENANT;

  const secrets: SecretProviderConfig[] = [];
  // Without a `secrets` section, Kestra OSS's behaviour: SECRET_<KEY> environment variables. `secrets: []` means none.
  const rawSecrets = root.secrets === undefined ? [{ type: 'env' }] : root.secrets;
  if (Array.isArray(rawSecrets))
    rawSecrets.forEach((raw, index) => {
      const provider = readProvider(c, raw, ['secrets', index], tenant, ctx);
      if (provider) secrets.push(provider);
    });

  const credentials: CredentialConfig[] = [];
  if (Array.isArray(root.credentials)) {
    const seen = new Map<string, string>();
    root.credentials.forEach((raw, index) => {
      const path = ['credentials', index];
      const credential = readCredential(c, raw, path, tenant, ctx);
      if (!credential) return;
      const identity = `${credential.tenant}\u0000${credential.namespace ?? ''}\u0000${credential.id}`;
      const previous = seen.get(identity);
      if (previous !== undefined) {
        c.issue(
          [...path, 'id'],
          'an id unique at its level',
          `credential '${credential.id}' is already defined at the same level by ${previous}`,
        );
        return;
      }
      seen.set(identity, `credentials[${index}]`);
      credentials.push(credential);
    });
  }

  const server = rawServer === undefined ? undefined : readServer(c, rawServer, ctx);
  const locale = typeof root.locale === 'string' ? root.locale : undefined;
  if (locale !== undefined) {
    try {
      parseJavaLocale(locale);
    } catch {
      c.issue(
        ['locale'],
        'a Java locale such as en_US or fr_FR',
        `'${locale}' is not a locale Java reads (language, then _COUNTRY: fr_FR)`,
      );
    }
  }

  if (c.size > 0) {
    const issues = ctx.index === undefined ? inDocumentOrder(c.problems, input) : c.sorted();
    throw new ConfigError('CONFIG_INVALID', issues, { ...(ctx.file === undefined ? {} : { file: ctx.file }) });
  }
  // Folders, relative to the config file: the internal storage (default .pebbleflow/storage beside it) and the namespace files.
  const folder = (value: unknown): string | undefined =>
    typeof value === 'string' || typeof value === 'number' ? resolvePath(ctx.baseDir, String(value)) : undefined;
  const namespaceFiles = folder(root.namespaceFiles);
  const plugins: PluginSpec[] = Array.isArray(root.plugins)
    ? root.plugins.map((specifier) => Object.freeze({ specifier: String(specifier).trim(), baseDir: ctx.baseDir }))
    : [];
  const url = typeof root.url === 'string' ? root.url.replace(/\/+$/, '') : undefined;
  // Already checked by the schema: globals a mapping, envVarsPrefix a string.
  const variables = isObject(root.variables) ? variablesOf(root.variables) : undefined;
  // Already checked by the schema: a mapping of known limit names to numbers >= 0.
  const renderLimits = isObject(root.renderLimits) ? (Object.freeze({ ...withoutNulls(root.renderLimits) }) as RenderLimits) : undefined;
  const config: PebbleflowConfig = {
    tenant,
    secrets,
    credentials,
    storage: folder(root.storage) ?? resolvePath(ctx.baseDir, joinPath('.pebbleflow', 'storage')),
    ...(namespaceFiles === undefined ? {} : { namespaceFiles }),
    ...(server === undefined ? {} : { server }),
    plugins: Object.freeze(plugins),
    ...(renderLimits === undefined ? {} : { renderLimits }),
    ...(locale === undefined ? {} : { locale }),
    ...(url === undefined ? {} : { url }),
    ...(variables === undefined ? {} : { variables }),
    ...(ctx.file === undefined ? {} : { source: ctx.file }),
  };
  Object.defineProperty(config, LOADED, { value: true, enumerable: false });
  return Object.freeze(config);
}

/** `server:`, already checked against its schema: basic auth and the SECRET-input key, as references. */
function readServer(c: ConfigChecker, raw: Obj, ctx: Context): ServerConfig {
  const auth = isObject(raw.basicAuth) ? raw.basicAuth : undefined;
  const username = typeof auth?.username === 'string' ? auth.username : undefined;
  const password = auth === undefined ? undefined : new EntryReader(c, ['server', 'basicAuth'], auth, ctx).secretRef('password');
  const encryptionKey = new EntryReader(c, ['server'], raw, ctx).secretRef('encryptionKey');
  return Object.freeze({
    ...(username === undefined || password === undefined ? {} : { basicAuth: Object.freeze({ username, password }) }),
    ...(encryptionKey === undefined ? {} : { encryptionKey }),
  });
}

/** Issues of a config given in code, in the order its keys are written (there are no lines to sort by). */
function inDocumentOrder(issues: readonly ConfigIssue[], input: Obj): ConfigIssue[] {
  const order = new Map<string, number>();
  const walk = (value: unknown, path: string): void => {
    order.set(path, order.size);
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (isObject(value) && !isSecretProvider(value))
      for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
  };
  walk(input, '');
  const rank = (path: string): number => {
    for (let p = path; ; p = p.replace(/(?:\.[^.[\]]+|\[\d+\])$/, '')) {
      const found = order.get(p);
      if (found !== undefined || p === '') return found ?? 0;
    }
  };
  return issues
    .map((issue, i) => ({ issue, i, rank: rank(issue.path) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.issue);
}

function readScope(r: EntryReader, tenant: string): { tenant: string; namespace?: string } {
  const namespace = r.string('namespace');
  const ownTenant = r.string('tenant') ?? tenant;
  return namespace === undefined ? { tenant: ownTenant } : { tenant: ownTenant, namespace };
}

function readProviderScope(r: EntryReader, tenant: string): SecretProviderScope {
  const scope = readScope(r, tenant);
  const allowed = r.raw('allowedNamespaces');
  if (!Array.isArray(allowed)) return scope;
  if (scope.namespace === undefined) {
    r.issue(
      'allowedNamespaces',
      'allowedNamespaces on a namespace-level provider',
      'allowedNamespaces only applies to a provider with a namespace (a tenant-level provider serves every namespace already)',
      true,
    );
  }
  return { ...scope, allowedNamespaces: Object.freeze(allowed.filter((n): n is string => typeof n === 'string')) };
}

function readProvider(c: ConfigChecker, raw: unknown, path: Path, tenant: string, ctx: Context): SecretProviderConfig | undefined {
  if (isSecretProvider(raw)) raw = { provider: raw };
  if (!isObject(raw)) {
    c.issue(path, 'a secret provider mapping with a type', 'expected a secret provider mapping with a type');
    return undefined;
  }
  const obj = withoutNulls(raw);
  const before = c.size;
  const r = new EntryReader(c, path, obj, ctx);
  if (obj.provider !== undefined && obj.type === undefined) return readInstance(c, r, obj, path, tenant, ctx, before);
  const types = SECRET_PROVIDER_TYPES.map((d) => d.type);
  const descriptor = SECRET_PROVIDER_TYPES.find((d) => d.type === obj.type);
  if (descriptor === undefined) {
    c.issue(
      [...path, 'type'],
      `one of ${types.join(', ')}`,
      obj.type === undefined ? `required field 'type' is missing (one of ${types.join(', ')})` : `expected one of ${types.join(', ')}`,
    );
    return undefined;
  }
  const kind = descriptor as unknown as SecretProviderType<SecretProviderConfig & { type: string }>;
  validate(c, kind, () => providerEntrySchema(kind), obj, path);
  if (kind.inCodeOnly === true && !ctx.inCode) {
    c.issue([...path, 'type'], 'env or file', `the '${kind.type}' secret provider is only accepted in code, not in a config file`);
    return undefined;
  }
  const config = kind.read(r, readProviderScope(r, tenant));
  return c.size > before || config === undefined ? undefined : Object.freeze(config);
}

function readInstance(
  c: ConfigChecker,
  r: EntryReader,
  obj: Obj,
  path: Path,
  tenant: string,
  ctx: Context,
  before: number,
): SecretProviderConfig | undefined {
  validate(c, instanceEntrySchema, () => instanceEntrySchema, obj, path);
  if (!ctx.inCode || !isSecretProvider(obj.provider)) {
    c.issue(
      [...path, 'provider'],
      'a secret provider object with a get(key) function',
      'expected a secret provider object with a get(key) function (given in code)',
    );
    return undefined;
  }
  const scope = readProviderScope(r, tenant);
  if (c.size > before) return undefined;
  const config = { type: 'instance' as const, ...scope } as InstanceSecretProviderConfig;
  Object.defineProperty(config, 'provider', { value: obj.provider, enumerable: false });
  return Object.freeze(config);
}

function readCredential(c: ConfigChecker, raw: unknown, path: Path, tenant: string, ctx: Context): CredentialConfig | undefined {
  if (!isObject(raw)) {
    c.issue(path, 'a credential mapping', 'expected a credential mapping');
    return undefined;
  }
  const obj = withoutNulls(raw);
  const before = c.size;
  // Sensitive literals are refused first and whatever the type, so a typo in `type` cannot hide one.
  for (const name of SENSITIVE_FIELDS) checkSecretRef(c, obj[name], [...path, name], name);
  const descriptor = credentialType(c, obj, path);
  if (descriptor === undefined) {
    validate(c, credentialHeadSchema, () => credentialHeadSchema, obj, path);
    return undefined;
  }
  validate(c, descriptor, () => credentialEntrySchema(descriptor), obj, path);
  const r = new EntryReader(c, path, obj, ctx);
  const common: CredentialCommonConfig = {
    id: r.string('id') ?? '',
    ...readScope(r, tenant),
    ...(r.string('description') === undefined ? {} : { description: r.string('description') }),
    cacheEnabled: r.boolean('cacheEnabled', true),
    refreshBeforeExpiryMs: r.duration('refreshBeforeExpiry', DEFAULT_REFRESH_BEFORE_EXPIRY_MS),
    timeoutMs: r.duration('timeout', DEFAULT_TIMEOUT_MS),
  };
  if (common.timeoutMs <= 0) r.issue('timeout', 'a positive duration', 'must be a positive duration');
  const credential = descriptor.read(r, common);
  return c.size > before || credential === undefined ? undefined : Object.freeze(credential);
}

/** The descriptor an entry's `type` (and `authConfigType`) select, or an issue saying which values exist. */
function credentialType(c: ConfigChecker, obj: Obj, path: Path): CredentialType<CredentialConfig> | undefined {
  const all = CREDENTIAL_TYPES as readonly CredentialType<CredentialConfig>[];
  const types: string[] = [...new Set(all.map((d) => d.type))];
  if (!types.includes(obj.type as string)) {
    c.issue(
      [...path, 'type'],
      `one of ${types.join(', ')}`,
      obj.type === undefined ? `required field 'type' is missing (one of ${types.join(', ')})` : `expected one of ${types.join(', ')}`,
    );
    return undefined;
  }
  const candidates = all.filter((d) => d.type === obj.type);
  const subtypes = candidates.map((d) => d.authConfigType).filter((a): a is string => a !== undefined);
  if (subtypes.length === 0) return candidates[0];
  const found = candidates.find((d) => d.authConfigType === obj.authConfigType);
  if (found === undefined) {
    c.issue(
      [...path, 'authConfigType'],
      `one of ${subtypes.join(', ')}`,
      obj.authConfigType === undefined
        ? `required field 'authConfigType' is missing (one of ${subtypes.join(', ')})`
        : `expected one of ${subtypes.join(', ')}`,
    );
  }
  return found;
}
