/**
 * Input values → typed `inputs`, with Kestra's coercions and error texts
 * (``Invalid input for `id`, <reason>, but received `value` ``). As in Kestra, a value for an id
 * the flow does not declare is ignored (`ResolvedInputs.ignored` names them).
 */
import { parseJson, parseYaml } from '../engine/builtins/kestra/json.js';
import { JavaPattern } from '../engine/java-regex.js';
import { javaClassName, makeDouble } from '../engine/values.js';
import { Masker } from '../masking/masker.js';
import { formatJavaDuration, parseDuration } from './duration.js';
import { InputValidationError } from './errors.js';
import type { InputDefinition } from './model.js';
import type { InputType } from './schema.js';

export interface ResolvedInputs {
  /** Typed values; dotted ids become nested maps (`a.b` → `{ a: { b } }`). */
  readonly values: Record<string, unknown>;
  /** Values of SECRET inputs, to be masked wherever they would be shown. */
  readonly sensitive: readonly string[];
  /** Ids given a value that the flow does not declare: ignored, as Kestra ignores them. */
  readonly ignored: readonly string[];
}

export interface ResolveInputsOptions {
  /** Renders `dependsOn.condition` (with the inputs resolved so far); without it conditions are refused. */
  readonly render?: (template: string, inputs: Record<string, unknown>) => Promise<string>;
  /**
   * The run's masker: it already knows every `secret()`/`credential()` value `render` produced, and
   * SECRET inputs are added to it as soon as they resolve. Every error message passes through it.
   * Without one, what an expression rendered is treated as sensitive and never quoted.
   */
  readonly masker?: Pick<Masker, 'add' | 'mask'>;
  /**
   * Stores a FILE input's content (the value is a local path, `@` prefix allowed) and returns its
   * `kestra:///…` URI; a failure's message becomes the input's problem. Without it, FILE inputs
   * accept only `kestra:///` URIs.
   */
  readonly storeFile?: (inputId: string, value: string) => Promise<string>;
}

const URI_PATTERN = /^[a-z]+:\/\/(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*)$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
const DATETIME_PATTERN = /^(\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Thrown inside a coercion; `reason` is the part between the input id and the received value. */
class Invalid extends Error {}

function shown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}

/** A validator is a Java pattern that must match the whole value (Kestra: `Pattern.matches`). */
function validatorPattern(validator: string): JavaPattern {
  try {
    return JavaPattern.compile(validator, { capturesRead: false });
  } catch (e) {
    throw new Invalid(`its validator \`${validator}\` is not a valid regular expression: ${(e as Error).message}`);
  }
}

const expected = (type: string): Invalid => new Invalid(`Expected \`${type}\``);

function javaList(values: readonly unknown[]): string {
  return `[${values.map((v) => String(v)).join(', ')}]`;
}

/** Coerces one raw value to its input type (no required/default handling). */
export function coerceInput(
  def: Pick<InputDefinition, 'type' | 'validator' | 'min' | 'max' | 'after' | 'before' | 'values' | 'allowCustomValue' | 'itemType'>,
  raw: unknown,
): unknown {
  const type = def.type;
  switch (type) {
    case 'STRING':
    case 'SECRET': {
      const s = typeof raw === 'string' ? raw : shown(raw);
      if (def.validator !== undefined && !validatorPattern(def.validator).matchesWhole(s)) {
        throw new Invalid(`it must match the pattern \`${def.validator}\``);
      }
      return s;
    }
    case 'EMAIL': {
      const s = String(raw);
      if (!EMAIL_PATTERN.test(s)) throw expected('EMAIL');
      return s;
    }
    case 'URI': {
      const s = String(raw);
      if (!URI_PATTERN.test(s)) throw expected('URI');
      return s;
    }
    case 'FILE': {
      // A `kestra:///` URI, or a local path that the runner stores (see ResolveInputsOptions.storeFile).
      if (typeof raw !== 'string' || raw.trim() === '') throw expected('FILE');
      return raw.trim();
    }
    case 'INT': {
      const n = typeof raw === 'number' ? raw : /^[+-]?\d+$/.test(String(raw).trim()) ? Number(String(raw).trim()) : NaN;
      if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) throw expected('INT');
      checkRange(n, def.min, def.max, (x) => Number(x), false);
      return n;
    }
    case 'FLOAT': {
      const text = String(raw).trim();
      const n =
        typeof raw === 'number'
          ? raw
          : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/.test(text)
            ? Number(text.replace(/[fFdD]$/, ''))
            : NaN;
      if (!Number.isFinite(n)) throw expected('FLOAT');
      checkRange(n, def.min, def.max, (x) => Number(x), false);
      // A Java Float: 2 prints as 2.0 in templates.
      return makeDouble(n);
    }
    case 'BOOLEAN': {
      // FlowInputOutput: `current instanceof Boolean ? current : Boolean.valueOf((String) current)`,
      // so any text but `true` (in any case, untrimmed) is false.
      if (typeof raw === 'boolean') return raw;
      if (typeof raw !== 'string') {
        throw new Invalid(`class ${javaClassName(raw)} cannot be cast to class java.lang.String`);
      }
      return raw.toLowerCase() === 'true';
    }
    case 'DATETIME': {
      const text = String(raw).trim();
      const ms = DATETIME_PATTERN.test(text) ? Date.parse(text) : NaN;
      if (Number.isNaN(ms)) throw expected('DATETIME');
      checkRange(ms, def.after, def.before, (x) => Date.parse(x), true);
      return instantString(ms, DATETIME_PATTERN.exec(text)?.[7]);
    }
    case 'DATE': {
      const text = String(raw).trim();
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      if (m === null || !validDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw expected('DATE');
      checkRange(text, def.after, def.before, (x) => x, true);
      return text;
    }
    case 'TIME': {
      const text = String(raw).trim();
      const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?$/.exec(text);
      if (m === null || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) throw expected('TIME');
      checkRange(text, def.after, def.before, (x) => x, true);
      return text;
    }
    case 'DURATION': {
      const ms = parseDuration(String(raw));
      if (ms === undefined) throw expected('DURATION');
      const toMs = (x: string | number): number => parseDuration(String(x)) ?? NaN;
      if (def.min !== undefined && ms < toMs(def.min)) throw new Invalid(`It must be more than \`${def.min}\``);
      if (def.max !== undefined && ms > toMs(def.max)) throw new Invalid(`It must be less than \`${def.max}\``);
      return formatJavaDuration(ms);
    }
    case 'JSON': {
      if (typeof raw !== 'string') return raw;
      try {
        // Read as Jackson reads it: 2.0 stays a Double, big integers stay exact.
        return parseJson(raw);
      } catch (e) {
        throw new Invalid(`Expected \`JSON\` (${(e as Error).message})`);
      }
    }
    case 'YAML': {
      if (typeof raw !== 'string') return raw;
      try {
        return parseYaml(raw);
      } catch (e) {
        throw new Invalid(`Expected \`YAML\` (${(e as Error).message.split('\n')[0]})`);
      }
    }
    case 'SELECT': {
      const s = String(raw);
      if (def.values !== undefined && def.allowCustomValue !== true && !def.values.includes(s))
        throw new Invalid(`it must match the values \`${javaList(def.values)}\``);
      return s;
    }
    case 'MULTISELECT':
    case 'ARRAY': {
      const list = toList(raw, type);
      if (type === 'MULTISELECT') {
        const values = def.values ?? (def as { options?: readonly string[] }).options;
        return list.map((item) => {
          const s = String(item);
          if (values !== undefined && def.allowCustomValue !== true && !values.includes(s))
            throw new Invalid(`it must match the values \`${javaList(values)}\``);
          return s;
        });
      }
      const itemType = def.itemType ?? 'STRING';
      return list.map((item) => {
        try {
          return coerceInput({ type: itemType }, item);
        } catch (e) {
          if (e instanceof Invalid) throw new Invalid(`Unable to parse array element as \`${itemType}\` on \`${shown(item)}\``);
          throw e;
        }
      });
    }
  }
}

function toList(raw: unknown, type: InputType): unknown[] {
  if (Array.isArray(raw)) return raw;
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // not JSON
    }
  }
  throw expected(type);
}

function checkRange<T>(value: T, min: unknown, max: unknown, convert: (x: string) => T, dates: boolean): void {
  if (min !== undefined && min !== null) {
    const bound = convert(String(min));
    if (dates ? !(value > bound) : value < bound) throw new Invalid(`it must be ${dates ? 'after' : 'more than'} \`${String(min)}\``);
  }
  if (max !== undefined && max !== null) {
    const bound = convert(String(max));
    if (dates ? !(value < bound) : value > bound) throw new Invalid(`it must be ${dates ? 'before' : 'less than'} \`${String(max)}\``);
  }
}

function validDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Java's `Instant.toString()`: UTC, fraction only when non-zero (kept to the digits given, ≥ ms). */
function instantString(ms: number, fraction: string | undefined): string {
  const iso = new Date(ms).toISOString();
  const base = iso.slice(0, 19);
  const frac = fraction === undefined ? iso.slice(20, 23) : fraction.padEnd(3, '0');
  const trimmed = /^0+$/.test(frac) ? '' : `.${frac.length <= 3 ? frac : frac.length <= 6 ? frac.padEnd(6, '0') : frac.padEnd(9, '0')}`;
  return `${base}${trimmed}Z`;
}

function setNested(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

/** One declared input as `reportInputs` saw it (Kestra's `InputAndValue`). */
export interface InputReport {
  readonly definition: InputDefinition;
  /**
   * The typed value when the input resolved; otherwise what was given (or its default), as Kestra
   * keeps it; null when there was none. A SECRET's value is here in clear: callers mask it.
   */
  readonly value: unknown;
  /** False when a `dependsOn` condition is not true, cannot be evaluated, or an input it depends on is disabled. */
  readonly enabled: boolean;
  /** This input's problems (masked), empty when it is valid. */
  readonly errors: readonly string[];
}

export interface InputsReport extends ResolvedInputs {
  /** Every declared input, in declared order. */
  readonly inputs: readonly InputReport[];
  /** Every problem (masked), in the order found: what `resolveInputs` throws. */
  readonly problems: readonly { readonly inputId: string; readonly message: string }[];
}

/**
 * Resolves every declared input from the provided raw values (strings from a command line, or
 * typed values from JSON/code). Throws `InputValidationError` listing every bad input at once.
 */
export async function resolveInputs(
  definitions: readonly InputDefinition[],
  provided: Readonly<Record<string, unknown>>,
  options: ResolveInputsOptions = {},
): Promise<ResolvedInputs> {
  const { values, sensitive, ignored, problems } = await reportInputs(definitions, provided, options);
  if (problems.length > 0) throw new InputValidationError(problems);
  return { values, sensitive, ignored };
}

/**
 * `resolveInputs` without the throw (Kestra's `FlowInputOutput.resolveInputs`, which the validate
 * endpoints answer with): each input's value, whether it is enabled, and its own problems.
 * `values` holds only the inputs that resolved.
 */
export async function reportInputs(
  definitions: readonly InputDefinition[],
  provided: Readonly<Record<string, unknown>>,
  options: ResolveInputsOptions = {},
): Promise<InputsReport> {
  const problems: { inputId: string; message: string }[] = [];
  // Messages may quote values: they go through a masker that knows every sensitive one first.
  const masker = options.masker ?? new Masker();
  const renderedIsSensitive = options.masker === undefined;
  const flat: Record<string, unknown> = {};
  const nested: Record<string, unknown> = {};
  const sensitive: string[] = [];
  const declared = new Set(definitions.map((d) => d.id));
  const ignored = Object.keys(provided).filter((name) => !declared.has(name));
  const failed = new Set<string>();
  const disabled = new Set<string>();
  /** Per input: its value when it is not the typed one, and whether it is enabled (absent: resolved, enabled). */
  const seen = new Map<string, { value: unknown; enabled: boolean }>();
  /**
   * A condition or expression that fails to render is a problem of its input, not an escape: its
   * message may quote a secret the template read, so it goes through the masker like every other
   * message (and without the run's masker, which alone knows those secrets, only its kind is shown).
   */
  const renderFor = async (def: InputDefinition, what: 'condition' | 'expression', template: string): Promise<string | undefined> => {
    if (options.render === undefined) throw new TypeError(`resolveInputs: a ${what} needs a render function`);
    try {
      return await options.render(template, nested);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const reason = renderedIsSensitive
        ? `${e instanceof Error ? e.name : 'error'}${typeof code === 'string' ? ` ${code}` : ''} (the message is not shown)`
        : e instanceof Error
          ? e.message
          : String(e);
      problems.push({ inputId: def.id, message: `Invalid input for \`${def.id}\`, its ${what} failed: ${reason}` });
      failed.add(def.id);
      return undefined;
    }
  };
  for (const def of orderByDependencies(definitions)) {
    const given = Object.hasOwn(provided, def.id) ? provided[def.id] : undefined;
    const givenOrDefault = given ?? def.defaults ?? def.prefill ?? null;
    if (def.dependsOn?.inputs?.some((d) => failed.has(d))) {
      // Its condition would read a value that did not resolve: it is left unresolved, with no
      // problem of its own (the input it depends on has one).
      failed.add(def.id);
      seen.set(def.id, { value: givenOrDefault, enabled: true });
      continue;
    }
    // Kestra's FlowInputOutput.resolveInputValue: an input is enabled only if every input it depends on is.
    if (def.dependsOn?.inputs?.some((d) => disabled.has(d))) {
      disabled.add(def.id);
      seen.set(def.id, { value: givenOrDefault, enabled: false });
      continue;
    }
    if (def.dependsOn?.condition !== undefined) {
      const condition = await renderFor(def, 'condition', def.dependsOn.condition);
      if (condition === undefined || condition.trim() !== 'true') {
        // Kestra: a condition that cannot be evaluated disables the input, with its error.
        disabled.add(def.id);
        seen.set(def.id, { value: givenOrDefault, enabled: false });
        continue;
      }
    }
    let effective: InputDefinition = def;
    if ((def.type === 'SELECT' || def.type === 'MULTISELECT') && def.expression !== undefined) {
      // The choices come from an expression that must yield a list of strings (Kestra's SELECT `expression`).
      const rendered = await renderFor(def, 'expression', def.expression);
      if (rendered === undefined) {
        seen.set(def.id, { value: givenOrDefault, enabled: true });
        continue;
      }
      if (renderedIsSensitive) masker.add(rendered);
      let values: unknown;
      try {
        values = JSON.parse(rendered);
      } catch {
        values = undefined;
      }
      if (!Array.isArray(values)) {
        problems.push({
          inputId: def.id,
          message: `Invalid input for \`${def.id}\`, its expression must give a list of values, but received \`${rendered}\``,
        });
        failed.add(def.id);
        seen.set(def.id, { value: givenOrDefault, enabled: true });
        continue;
      }
      effective = { ...def, values: values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) };
      if (renderedIsSensitive) for (const value of effective.values ?? []) masker.add(value);
    }
    const fallback =
      def.defaults ??
      def.prefill ??
      (def.autoSelectFirst === true && effective.values !== undefined && effective.values.length > 0
        ? def.type === 'MULTISELECT'
          ? [effective.values[0]]
          : effective.values[0]
        : undefined);
    const raw = given === undefined || given === null ? fallback : given;
    if (raw === undefined || raw === null) {
      if (def.required) {
        problems.push({ inputId: def.id, message: `Invalid input for \`${def.id}\`, missing required input, but received \`null\`` });
        failed.add(def.id);
        seen.set(def.id, { value: null, enabled: true });
      } else {
        flat[def.id] = null;
        setNested(nested, def.id, null);
      }
      continue;
    }
    try {
      let value = coerceInput(effective, raw);
      if (def.type === 'FILE' && typeof value === 'string' && !value.startsWith('kestra:///')) {
        if (options.storeFile === undefined) throw new Invalid('Expected a `kestra:///` URI (files can only be uploaded by a flow run)');
        try {
          value = await options.storeFile(def.id, value);
        } catch (e) {
          throw new Invalid(e instanceof Error ? e.message : String(e));
        }
      }
      flat[def.id] = value;
      setNested(nested, def.id, value);
      if (def.type === 'SECRET' && typeof value === 'string' && value !== '') {
        sensitive.push(value);
        masker.add(value);
      }
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      failed.add(def.id);
      seen.set(def.id, { value: raw, enabled: true });
      // A SECRET's value never goes into a message.
      const received = def.type === 'SECRET' ? '******' : shown(raw);
      problems.push({ inputId: def.id, message: `Invalid input for \`${def.id}\`, ${e.message}, but received \`${received}\`` });
    }
  }
  const masked = problems.map((p) => ({ inputId: p.inputId, message: masker.mask(p.message) }));
  const inputs = definitions.map((definition): InputReport => {
    const state = seen.get(definition.id);
    return {
      definition,
      value: state === undefined ? flat[definition.id] : state.value,
      enabled: state?.enabled ?? true,
      errors: masked.filter((p) => p.inputId === definition.id).map((p) => p.message),
    };
  });
  return { values: nested, sensitive, ignored, inputs, problems: masked };
}

/** Declared order, except that an input comes after the inputs it depends on (cycles are refused at load). */
function orderByDependencies(definitions: readonly InputDefinition[]): InputDefinition[] {
  const byId = new Map(definitions.map((d) => [d.id, d]));
  const out: InputDefinition[] = [];
  const done = new Set<string>();
  const visit = (d: InputDefinition, depth: number): void => {
    if (done.has(d.id) || depth > definitions.length) return;
    for (const dep of d.dependsOn?.inputs ?? []) {
      const target = byId.get(dep);
      if (target !== undefined) visit(target, depth + 1);
    }
    if (!done.has(d.id)) {
      done.add(d.id);
      out.push(d);
    }
  };
  for (const d of definitions) visit(d, 0);
  return out;
}
