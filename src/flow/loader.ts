/**
 * Flow YAML → validated `Flow`. Every problem is collected (YAML errors, duplicate keys, unknown
 * properties, unknown task types, duplicate task ids, bad input references…) and reported at once,
 * each with the file, line and column it comes from.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { childListsOf, type TaskDefinition } from '../tasks/definition.js';
import { defaultTaskRegistry, type TaskRegistry } from '../tasks/registry.js';
import { FlowValidationError, type FlowProblem, type FlowProblemCode } from './errors.js';
import type { ConcurrencyLimit, Flow, FlowOutputDefinition, InputDefinition, RetryPolicy, SourcePosition, TaskNode } from './model.js';
import {
  EXPECTED,
  buildFlowJsonSchema,
  INPUT_TYPE_ALIASES,
  INPUT_TYPES,
  flowObjectSchema,
  inputObjectSchema,
  taskObjectSchema,
  type InputType,
  type JsonSchema,
  type LogLevel,
} from './schema.js';

export interface CheckFlowOptions {
  /** Shown in problems (and kept as `flow.file`). */
  readonly file?: string;
  /** The task types the flow may use (default: the default registry, core types plus `registerTaskType` additions). */
  readonly registry?: TaskRegistry;
}

export interface CheckFlowResult {
  /** Present when there is no problem. */
  readonly flow?: Flow;
  readonly problems: readonly FlowProblem[];
}

type Path = readonly (string | number)[];
type Range = readonly [number, number];

/** Source ranges of every key and value, by property path. */
class PositionIndex {
  private readonly keys = new Map<string, Range>();
  private readonly values = new Map<string, Range>();
  private readonly lines: LineCounter;
  private readonly file: string | undefined;
  constructor(lines: LineCounter, file: string | undefined) {
    this.lines = lines;
    this.file = file;
  }

  static key(path: Path): string {
    return path.join('\u0000');
  }

  record(node: unknown, path: Path): void {
    const own = (node as YamlNode | null)?.range;
    if (path.length === 0 && own) this.values.set('', [own[0], own[1]]);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const childPath = [...path, String(pair.key.value)];
        const keyRange = pair.key.range;
        if (keyRange) this.keys.set(PositionIndex.key(childPath), [keyRange[0], keyRange[1]]);
        const valueNode = pair.value as YamlNode | null;
        const valueRange = valueNode?.range;
        if (valueRange) this.values.set(PositionIndex.key(childPath), [valueRange[0], valueRange[1]]);
        else if (keyRange) this.values.set(PositionIndex.key(childPath), [keyRange[0], keyRange[1]]);
        this.record(valueNode, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const r = (item as YamlNode | null)?.range;
        if (r) {
          this.values.set(PositionIndex.key([...path, i]), [r[0], r[1]]);
          this.keys.set(PositionIndex.key([...path, i]), [r[0], r[1]]);
        }
        this.record(item, [...path, i]);
      });
    } else if (isAlias(node)) {
      // Aliases point at nodes already indexed under their anchor.
    }
  }

  offset(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { ...(this.file === undefined ? {} : { file: this.file }), line, column: col };
  }

  /** The closest known position for a path (walking up to the nearest indexed parent). */
  at(path: Path, which: 'key' | 'value' = 'value'): SourcePosition | undefined {
    for (let n = path.length; n >= 0; n--) {
      const k = PositionIndex.key(path.slice(0, n));
      const range = (n === path.length && which === 'key' ? this.keys.get(k) : undefined) ?? this.values.get(k);
      if (range) return this.offset(range[0]);
    }
    return undefined;
  }

  valueRange(path: Path): Range | undefined {
    return this.values.get(PositionIndex.key(path));
  }
}

/** `tasks[0].uri` from `['tasks', 0, 'uri']`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// ajv validators, built lazily from the schema definitions (and cached per task type).
// ---------------------------------------------------------------------------------------------

let ajv: Ajv | undefined;
let flowValidator: ValidateFunction | undefined;
const taskValidators = new WeakMap<TaskDefinition, ValidateFunction>();
const inputValidators = new Map<InputType, ValidateFunction>();

function getAjv(): Ajv {
  if (ajv === undefined) {
    ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addKeyword(EXPECTED);
  }
  return ajv;
}

function validatorFor(schema: JsonSchema): ValidateFunction {
  return getAjv().compile(schema);
}

function taskValidator(def: TaskDefinition): ValidateFunction {
  let v = taskValidators.get(def);
  if (v === undefined) {
    v = validatorFor(taskObjectSchema(def, { type: 'object' }));
    taskValidators.set(def, v);
  }
  return v;
}

function inputValidator(type: InputType): ValidateFunction {
  let v = inputValidators.get(type);
  if (v === undefined) {
    v = validatorFor(inputObjectSchema(type));
    inputValidators.set(type, v);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------

class Checker {
  readonly problems: FlowProblem[] = [];
  readonly index: PositionIndex;
  readonly source: string;
  constructor(index: PositionIndex, source: string) {
    this.index = index;
    this.source = source;
  }

  add(code: FlowProblemCode, message: string, path: Path, which: 'key' | 'value' = 'value'): void {
    const pos = this.index.at(path, which);
    this.problems.push({ code, message, path: formatPath(path), ...(pos ?? {}) });
  }

  addAt(code: FlowProblemCode, message: string, path: Path, offset: number): void {
    this.problems.push({ code, message, path: formatPath(path), ...this.index.offset(offset) });
  }

  /** Turns ajv errors into problems; `base` is the path of the validated object. */
  schemaErrors(errors: readonly ErrorObject[] | null | undefined, base: Path): void {
    for (const e of errors ?? []) {
      if (e.keyword === 'if' || /\/anyOf\/\d+\//.test(e.schemaPath)) continue;
      const path = [...base, ...pointerToPath(e.instancePath)];
      const last = path.filter((p) => typeof p === 'string').at(-1);
      const prop = last === undefined ? formatPath(path) : String(last);
      const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
      switch (e.keyword) {
        case 'additionalProperties': {
          const name = String((e.params as { additionalProperty: string }).additionalProperty);
          const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
          const hint = closest(name, allowed);
          this.add(
            'UNKNOWN_PROPERTY',
            `Unknown property \`${name}\`${hint === undefined ? '' : ` (did you mean \`${hint}\`?)`}`,
            [...path, name],
            'key',
          );
          break;
        }
        case 'required':
          this.add(
            'MISSING_PROPERTY',
            `Missing required property \`${(e.params as { missingProperty: string }).missingProperty}\``,
            path,
            'key',
          );
          break;
        case 'anyOf': {
          const parentSchema: Record<string, unknown> | undefined = e.parentSchema;
          const expected = parentSchema?.[EXPECTED];
          this.add(
            'INVALID_VALUE',
            `Invalid value for \`${prop}\`: expected ${typeof expected === 'string' ? expected : 'a valid value'}, got \`${shown(e.data)}\``,
            path,
          );
          break;
        }
        case 'type':
          this.add(
            'INVALID_VALUE',
            `Invalid value for \`${prop}\`: expected ${String((e.params as { type: unknown }).type).replace(',', ' or ')}, got ${describe(e.data)}`,
            path,
          );
          break;
        case 'enum':
          this.add(
            'INVALID_VALUE',
            `Invalid value \`${shown(e.data)}\` for \`${prop}\`: expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`,
            path,
          );
          break;
        case 'pattern':
          this.add(
            'INVALID_VALUE',
            `Invalid value \`${shown(e.data)}\` for \`${prop}\`: it must match \`${(e.params as { pattern: string }).pattern}\``,
            path,
          );
          break;
        case 'minItems':
        case 'minProperties':
          this.add('INVALID_VALUE', `\`${prop}\` must not be empty`, path);
          break;
        default:
          this.add('INVALID_VALUE', `Invalid value for \`${prop}\`: ${e.message ?? 'not valid'}`, path);
      }
    }
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} \`${String(value)}\``;
}

/** A close property name, for "did you mean" hints (edit distance ≤ 2, or a case-only difference). */
function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = 3;
  for (const c of candidates) {
    const d = c.toLowerCase() === name.toLowerCase() ? 0 : distance(name, c);
    if (d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------

interface PluginDefault {
  readonly type: string;
  readonly forced: boolean;
  readonly values: Record<string, unknown>;
}

/** Plugin defaults fill what a task leaves out; `forced` ones win over the task's own values. */
function applyDefaults(task: Record<string, unknown>, canonical: string, defaults: readonly PluginDefault[]): Record<string, unknown> {
  let out = task;
  const declared = String(task.type);
  for (const d of defaults) {
    const matches = [canonical, declared].some((t) => t === d.type || t.startsWith(`${d.type}.`));
    if (!matches) continue;
    out = d.forced ? merge(out, d.values) : merge(d.values, out);
  }
  return out;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isRecord(out[k]) && isRecord(v) ? merge(out[k], v) : v;
  return out;
}

const COMMON_KEYS = new Set([
  'id',
  'type',
  'description',
  'disabled',
  'allowFailure',
  'allowWarning',
  'runIf',
  'timeout',
  'retry',
  'logLevel',
  'logToFile',
  'workerGroup',
]);

/** Validates a flow source and builds the `Flow`, or returns every problem found. */
export function checkFlow(source: string, options: CheckFlowOptions = {}): CheckFlowResult {
  const file = options.file;
  const registry = options.registry ?? defaultTaskRegistry;
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const index = new PositionIndex(lineCounter, file);
  const checker = new Checker(index, source);
  const withFile = (p: FlowProblem): FlowProblem => (file === undefined ? p : { ...p, file });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0) {
    return {
      problems: [
        withFile({
          code: 'NOT_A_FLOW',
          message: 'The file is empty: a flow needs at least id, namespace and tasks',
          path: '',
          line: 1,
          column: 1,
        }),
      ],
    };
  }
  if (list.length > 1) {
    const start = list[1]!.range[0];
    checker.addAt('NOT_A_FLOW', 'One flow per file: found several YAML documents', [], start);
  }
  const doc = list[0]!;
  let fatal = false;
  for (const e of doc.errors) {
    if (e.code === 'DUPLICATE_KEY') {
      const text = /^("[^"]*"|'[^']*'|[^:\n]+)/.exec(source.slice(e.pos[0]))?.[1]?.trim() ?? source.slice(e.pos[0], e.pos[1]);
      checker.addAt('DUPLICATE_KEY', `Duplicate key \`${text}\``, [], e.pos[0]);
    } else {
      fatal = true;
      checker.addAt('YAML_SYNTAX', `YAML syntax error: ${e.message.split('\n')[0]}`, [], e.pos[0]);
    }
  }
  if (fatal) return { problems: checker.problems.map(withFile) };
  index.record(doc.contents, []);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    checker.addAt('YAML_SYNTAX', `YAML error: ${(e as Error).message}`, [], 0);
    return { problems: checker.problems.map(withFile) };
  }
  if (!isRecord(root)) {
    checker.addAt('NOT_A_FLOW', 'A flow is a YAML map with at least id, namespace and tasks', [], doc.contents?.range?.[0] ?? 0);
    return { problems: checker.problems.map(withFile) };
  }
  const flow = buildFlow(root, checker, file, registry);
  const problems = checker.problems.map(withFile).sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return problems.length === 0 && flow !== undefined ? { flow, problems } : { problems };
}

function buildFlow(root: Record<string, unknown>, c: Checker, file: string | undefined, registry: TaskRegistry): Flow | undefined {
  flowValidator ??= validatorFor(flowObjectSchema({ type: 'object' }, { type: 'object' }));
  if (!flowValidator(root)) c.schemaErrors(flowValidator.errors, []);

  // Inputs first: task templates are checked against the declared ids.
  const inputs = buildInputs(root.inputs, c);

  const defaults: PluginDefault[] = [];
  for (const key of ['pluginDefaults', 'taskDefaults'] as const) {
    const list = root[key];
    if (!Array.isArray(list)) continue;
    for (const d of list) {
      if (isRecord(d) && typeof d.type === 'string' && isRecord(d.values))
        defaults.push({ type: d.type, forced: d.forced === true, values: d.values });
    }
  }

  const builder = new TaskBuilder(c, defaults, inputs, registry);
  const tasks = builder.list(root.tasks, ['tasks']);
  const errors = builder.list(root.errors, ['errors']);
  const finallyTasks = builder.list(root.finally, ['finally']);
  const afterExecution = builder.list(root.afterExecution, ['afterExecution']);

  const labels: Record<string, string> = {};
  const addLabel = (key: unknown, value: unknown, path: Path): void => {
    const k = String(key);
    const v = value === null || value === undefined ? '' : String(value);
    if (k.startsWith('system.'))
      c.add('SYSTEM_LABEL', `System labels can only be set by Kestra itself, offending label: ${k}=${v}`, path, 'key');
    labels[k] = v;
  };
  if (Array.isArray(root.labels)) root.labels.forEach((l, i) => isRecord(l) && addLabel(l.key, l.value, ['labels', i]));
  else if (isRecord(root.labels)) for (const [k, v] of Object.entries(root.labels)) addLabel(k, v, ['labels', k]);

  const outputs: FlowOutputDefinition[] = [];
  const outputIds = new Set<string>();
  if (Array.isArray(root.outputs)) {
    root.outputs.forEach((o, i) => {
      if (!isRecord(o) || typeof o.id !== 'string') return;
      if (outputIds.has(o.id)) c.add('DUPLICATE_OUTPUT_ID', `Duplicate output with name [${o.id}]`, ['outputs', i, 'id']);
      outputIds.add(o.id);
      checkInputReferences(o.value, ['outputs', i, 'value'], c, inputs);
      outputs.push({ id: o.id, type: (o.type as InputType) ?? 'STRING', value: o.value, required: o.required !== false });
    });
  }

  if (c.problems.length > 0) return undefined;
  return {
    id: String(root.id),
    namespace: String(root.namespace),
    ...(typeof root.revision === 'number' ? { revision: root.revision } : {}),
    ...(typeof root.description === 'string' ? { description: root.description } : {}),
    labels,
    inputs,
    variables: isRecord(root.variables) ? root.variables : {},
    tasks,
    errors,
    finally: finallyTasks,
    afterExecution,
    outputs,
    disabled: root.disabled === true,
    ...(isRecord(root.retry) ? { retry: normalizeRetry(root.retry) } : {}),
    ...(isRecord(root.concurrency) && typeof root.concurrency.limit === 'number'
      ? {
          concurrency: {
            limit: root.concurrency.limit,
            behavior: (root.concurrency.behavior ?? 'QUEUE') as ConcurrencyLimit['behavior'],
          },
        }
      : {}),
    ...(file === undefined ? {} : { file }),
  };
}

/** Kestra's `maxAttempts`, from either spelling (`maxAttempt` in flows written for Kestra before 0.22). */
function normalizeRetry(raw: Record<string, unknown>): RetryPolicy {
  const retry = raw as unknown as RetryPolicy;
  const maxAttempts = retry.maxAttempts ?? retry.maxAttempt;
  return maxAttempts === undefined ? retry : { ...retry, maxAttempts };
}

/** Builds task nodes, walking the child lists each task type declares. */
class TaskBuilder {
  private readonly ids = new Map<string, Path>();
  constructor(
    private readonly c: Checker,
    private readonly defaults: readonly PluginDefault[],
    private readonly inputs: readonly InputDefinition[],
    private readonly registry: TaskRegistry,
  ) {}

  list(list: unknown, path: Path): TaskNode[] {
    if (!Array.isArray(list)) return [];
    const out: TaskNode[] = [];
    list.forEach((item, i) => {
      const node = this.task(item, [...path, i]);
      if (node !== undefined) out.push(node);
    });
    return out;
  }

  task(raw: unknown, path: Path, extra: { dependsOn?: readonly string[] } = {}): TaskNode | undefined {
    const c = this.c;
    if (!isRecord(raw)) {
      c.add('INVALID_VALUE', `A task is a map with at least id and type, got ${describe(raw)}`, path);
      return undefined;
    }
    if (typeof raw.id === 'string') {
      const first = this.ids.get(raw.id);
      if (first !== undefined) {
        const firstPos = c.index.at([...first, 'id']);
        c.add('DUPLICATE_TASK_ID', `Duplicate task id with name [${raw.id}]${firstPos ? ` (first used at line ${firstPos.line})` : ''}`, [
          ...path,
          'id',
        ]);
      } else {
        this.ids.set(raw.id, path);
      }
    }
    if (typeof raw.type !== 'string') {
      if (raw.type === undefined) c.add('MISSING_PROPERTY', 'Missing required property `type`', path, 'key');
      else
        c.add('INVALID_VALUE', `Invalid value for \`${formatPath([...path, 'type'])}\`: expected string, got ${describe(raw.type)}`, [
          ...path,
          'type',
        ]);
      return undefined;
    }
    const def = this.registry.resolve(raw.type);
    if (def === undefined) {
      c.add('INVALID_TYPE', `Invalid type: ${raw.type}`, [...path, 'type']);
      return undefined;
    }
    const task = applyDefaults(raw, def.type, this.defaults);
    const validate = taskValidator(def);
    if (!validate(task)) c.schemaErrors(validate.errors, path);

    const lists = childListsOf(def);
    const children: Record<string, TaskNode[]> = {};
    const childMaps: Record<string, Map<string, TaskNode[]>> = {};
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(task)) {
      const list = lists[k];
      if (list !== undefined) {
        switch (list.kind ?? 'list') {
          case 'list':
            children[k] = this.list(v, [...path, k]);
            break;
          case 'cases': {
            const map = new Map<string, TaskNode[]>();
            if (isRecord(v)) for (const [key, tasks] of Object.entries(v)) map.set(key, this.list(tasks, [...path, k, key]));
            childMaps[k] = map;
            break;
          }
          case 'dag': {
            const nodes: TaskNode[] = [];
            if (Array.isArray(v)) {
              v.forEach((item, i) => {
                if (!isRecord(item)) return;
                const dependsOn = Array.isArray(item.dependsOn) ? item.dependsOn.map(String) : undefined;
                const node = this.task(item.task, [...path, k, i, 'task'], dependsOn === undefined ? {} : { dependsOn });
                if (node !== undefined) nodes.push(node);
              });
            }
            children[k] = nodes;
            break;
          }
        }
      } else if (!COMMON_KEYS.has(k)) {
        properties[k] = v;
        checkInputReferences(v, [...path, k], c, this.inputs);
      }
    }
    if (task.runIf !== undefined) checkInputReferences(task.runIf, [...path, 'runIf'], c, this.inputs);
    const pos = c.index.at(path);
    const node: TaskNode = {
      id: String(task.id),
      type: def.type,
      declaredType: raw.type,
      properties,
      children,
      ...(Object.keys(childMaps).length > 0 ? { childMaps } : {}),
      ...(extra.dependsOn === undefined ? {} : { dependsOn: extra.dependsOn }),
      disabled: task.disabled === true,
      allowFailure: task.allowFailure === true,
      allowWarning: task.allowWarning === true,
      ...(task.runIf === undefined ? {} : { runIf: String(task.runIf) }),
      ...(typeof task.timeout === 'string' ? { timeout: task.timeout } : {}),
      ...(isRecord(task.retry) ? { retry: normalizeRetry(task.retry) } : {}),
      ...(typeof task.logLevel === 'string' ? { logLevel: task.logLevel as LogLevel } : {}),
      ...(pos === undefined ? {} : { position: pos }),
    };
    if (def.check !== undefined) {
      try {
        def.check(node, {
          problem: (message, relative = [], code = 'INVALID_VALUE') => c.add(code, message, [...path, ...relative]),
        });
      } catch (e) {
        c.add('INVALID_VALUE', `Task \`${node.id}\` cannot be checked: ${(e as Error).message}`, path);
      }
    }
    return node;
  }
}

function buildInputs(raw: unknown, c: Checker): InputDefinition[] {
  if (!Array.isArray(raw)) return [];
  const out: InputDefinition[] = [];
  const seen = new Set<string>();
  raw.forEach((item, i) => {
    const path: Path = ['inputs', i];
    if (!isRecord(item)) {
      c.add('INVALID_VALUE', `An input is a map with at least id and type, got ${describe(item)}`, path);
      return;
    }
    // `name` is the deprecated spelling of `id`.
    const input = item.id === undefined && item.name !== undefined ? { ...item, id: item.name } : item;
    const declared = typeof input.type === 'string' ? input.type : undefined;
    const type =
      declared === undefined
        ? undefined
        : (INPUT_TYPES as readonly string[]).includes(declared)
          ? (declared as InputType)
          : INPUT_TYPE_ALIASES[declared];
    if (input.id === undefined) c.add('MISSING_PROPERTY', 'Missing required property `id`', path, 'key');
    if (declared === undefined) {
      c.add('MISSING_PROPERTY', 'Missing required property `type`', path, 'key');
      return;
    }
    if (type === undefined) {
      c.add('INVALID_TYPE', `Invalid input type \`${declared}\`: expected one of ${INPUT_TYPES.join(', ')}`, [...path, 'type']);
      return;
    }
    const validate = inputValidator(type);
    if (!validate({ ...input, type })) c.schemaErrors(validate.errors, path);
    if (typeof input.id !== 'string') return;
    if (seen.has(input.id)) c.add('DUPLICATE_INPUT_ID', `Duplicate input with name [${input.id}]`, [...path, 'id']);
    seen.add(input.id);
    const pos = c.index.at(path);
    out.push({
      ...input,
      id: input.id,
      type,
      required: input.required !== false,
      ...(pos === undefined ? {} : { position: pos }),
    });
  });
  // dependsOn: every reference exists, and there is no cycle.
  const byId = new Map(out.map((d) => [d.id, d]));
  out.forEach((d) => {
    const i = raw.findIndex((r) => isRecord(r) && (r.id ?? r.name) === d.id);
    for (const dep of d.dependsOn?.inputs ?? []) {
      if (!byId.has(dep))
        c.add('BAD_INPUT_REFERENCE', `Input with id '${d.id}' depends on a non-existent input '${dep}'.`, [
          'inputs',
          i,
          'dependsOn',
          'inputs',
        ]);
    }
  });
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const i = raw.findIndex((r) => isRecord(r) && (r.id ?? r.name) === id);
      c.add('INPUT_CYCLE', `Cycle dependency detected for input with id '${id}' (${[...trail.slice(trail.indexOf(id)), id].join(' → ')})`, [
        'inputs',
        i,
        'dependsOn',
      ]);
      return;
    }
    state.set(id, 'visiting');
    for (const dep of byId.get(id)?.dependsOn?.inputs ?? []) if (byId.has(dep)) visit(dep, [...trail, id]);
    state.set(id, 'done');
  };
  for (const d of out) visit(d.id, []);
  return out;
}

const EXPRESSION_BLOCK = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
const RAW_BLOCK = /\{%-?\s*raw\s*-?%\}[\s\S]*?\{%-?\s*endraw\s*-?%\}/g;
const INPUT_REFERENCE = /(?<![\w.])inputs(?:\s*\.\s*([A-Za-z0-9_]+)|\s*\[\s*(['"])([^'"]+)\2\s*\])/g;

/** Every `inputs.x` a template names must be a declared input (dotted ids count by their first part). */
function checkInputReferences(value: unknown, path: Path, c: Checker, inputs: readonly InputDefinition[]): void {
  if (typeof value === 'string') {
    if (!value.includes('inputs')) return;
    const declared = new Set(inputs.map((d) => d.id.split('.')[0]!));
    const text = value.replace(RAW_BLOCK, (m) => ' '.repeat(m.length));
    for (const block of text.matchAll(EXPRESSION_BLOCK)) {
      const inner = block[1] ?? block[2] ?? '';
      for (const ref of inner.matchAll(INPUT_REFERENCE)) {
        const name = (ref[1] ?? ref[3] ?? '').split('.')[0]!;
        if (declared.has(name)) continue;
        const list = [...declared].join(', ');
        const message = `Unknown input \`${name}\` in \`${ref[0]}\`: ${declared.size === 0 ? 'the flow declares no inputs' : `declared inputs are ${list}`}`;
        const range = c.index.valueRange(path);
        const found = range === undefined ? -1 : c.source.slice(range[0], range[1]).indexOf(ref[0]);
        if (range !== undefined && found >= 0) c.addAt('BAD_INPUT_REFERENCE', message, path, range[0] + found);
        else c.add('BAD_INPUT_REFERENCE', message, path);
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkInputReferences(v, [...path, i], c, inputs));
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      checkInputReferences(k, [...path, k], c, inputs);
      checkInputReferences(v, [...path, k], c, inputs);
    }
  }
}

/** Parses and validates a flow source; throws `FlowValidationError` with every problem. */
export function parseFlow(source: string, options: CheckFlowOptions = {}): Flow {
  const { flow, problems } = checkFlow(source, options);
  if (flow === undefined) throw new FlowValidationError(problems, options.file);
  return flow;
}

/** Reads and checks a flow file, reporting an unreadable file as a problem too. */
export function checkFlowFile(path: string, shownAs: string = path, options: Omit<CheckFlowOptions, 'file'> = {}): CheckFlowResult {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return { problems: [{ code: 'FILE_NOT_READABLE', message: `Cannot read flow file: ${reason}`, path: '', file: shownAs }] };
  }
  return checkFlow(source, { ...options, file: shownAs });
}

/**
 * Loads a flow from YAML text, or from a file when given a `URL` or a single-line string ending
 * in `.yml`/`.yaml`. Returns the validated flow or throws `FlowValidationError` listing every problem.
 */
export function loadFlow(sourceOrPath: string | URL, options: Omit<CheckFlowOptions, 'file'> = {}): Flow {
  const isPath = sourceOrPath instanceof URL || (!sourceOrPath.includes('\n') && /\.ya?ml$/i.test(sourceOrPath.trim()));
  if (!isPath) return parseFlow(sourceOrPath, options);
  const path = sourceOrPath instanceof URL ? fileURLToPath(sourceOrPath) : sourceOrPath.trim();
  const { flow, problems } = checkFlowFile(path, path, options);
  if (flow === undefined) throw new FlowValidationError(problems, path);
  return flow;
}

/** Task types known to the loader (for the JSON Schema and `--help` texts). */
export function knownTaskTypes(registry: TaskRegistry = defaultTaskRegistry): readonly TaskDefinition[] {
  return registry.list();
}

/** The editor JSON Schema for every type of a registry (`schema/flow.schema.json` holds the core one). */
export function flowJsonSchema(registry: TaskRegistry = defaultTaskRegistry): JsonSchema {
  return buildFlowJsonSchema(registry.list());
}
