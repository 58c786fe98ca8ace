/**
 * Flow YAML → validated `Flow`. Every problem is collected (YAML errors, duplicate keys, unknown
 * properties, unknown task types, duplicate task ids, bad input references…) and reported at once,
 * each with the file, line and column it comes from.
 */
import { fileURLToPath } from 'node:url';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq } from 'yaml';
import { isIndexKey, setKeyOrder } from '../engine/map-order.js';
import { childListsOf, type TaskDefinition } from '../tasks/definition.js';
import { defaultTaskRegistry, type TaskRegistry } from '../tasks/registry.js';
import {
  closest,
  createAjv,
  describeValue as describe,
  formatPath,
  keyTextAt,
  parseYaml,
  pointerToPath,
  precompiledValidator,
  ProblemList,
  readSourceFile,
  SourceFileError,
  type Path,
  type PositionIndex,
} from '../yaml-check/index.js';
import { FlowValidationError, isFlowError, type FlowProblem } from './errors.js';
import type {
  ConcurrencyLimit,
  Flow,
  FlowCheck,
  FlowOutputDefinition,
  InputDefinition,
  ListenerDefinition,
  RetryPolicy,
  SlaDefinition,
  TaskNode,
} from './model.js';
import { parseDuration } from './duration.js';
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
import { checkMultipleCondition, checkPreconditions, MULTIPLE_CONDITION } from './multiple-condition.js';
import {
  checkScheduleSemantics,
  CONDITION_SCHEMAS,
  conditionObjectSchema,
  conditionSchema,
  NOT_CONDITION,
  OR_CONDITION,
  FLOW_TRIGGER,
  SCHEDULE_TRIGGER,
  SCHEDULE_ON_DATES_TRIGGER,
  TRIGGER_SCHEMAS,
  triggerObjectSchema,
  triggerSchema,
  type ConditionDefinition,
  type PluginSchema,
  type TriggerDefinition,
} from './triggers.js';
import { checkConditionSemantics, parseZonedDateTime } from './conditions.js';

export interface CheckFlowOptions {
  /** Shown in problems (and kept as `flow.file`). */
  readonly file?: string;
  /** The task types the flow may use (default: the default registry, core types plus `registerTaskType` additions). */
  readonly registry?: TaskRegistry;
}

export interface CheckFlowResult {
  /** Present when no problem is an error (`problems` may still hold warnings). */
  readonly flow?: Flow;
  readonly problems: readonly FlowProblem[];
}

// ---------------------------------------------------------------------------------------------
// ajv validators, built lazily from the schema definitions (and cached per task type).
// ---------------------------------------------------------------------------------------------

let ajv: Ajv | undefined;
let flowValidator: ValidateFunction | undefined;
const taskValidators = new WeakMap<TaskDefinition, ValidateFunction>();
const inputValidators = new Map<InputType, ValidateFunction>();
const pluginValidators = new WeakMap<PluginSchema, ValidateFunction>();

function pluginValidator(def: PluginSchema, build: (def: PluginSchema) => JsonSchema): ValidateFunction {
  let v = pluginValidators.get(def);
  if (v === undefined) {
    v = validatorFor(build(def));
    pluginValidators.set(def, v);
  }
  return v;
}

function getAjv(): Ajv {
  ajv ??= createAjv(LOADER_KEYWORDS);
  return ajv;
}

function validatorFor(schema: JsonSchema): ValidateFunction {
  return precompiledValidator(schema, LOADER_KEYWORDS) ?? getAjv().compile(schema);
}

/** The annotation keywords of the loader's ajv (part of a precompiled validator's name). */
export const LOADER_KEYWORDS: readonly string[] = [EXPECTED];

/**
 * Every schema the loader compiles for the built-in types: the flow, each core task type, each
 * input type, each trigger and condition (what tools/precompile-validators.mjs compiles at build).
 */
export function builtInValidatorSchemas(registry: TaskRegistry = defaultTaskRegistry): JsonSchema[] {
  return [
    flowObjectSchema({ type: 'object' }, { type: 'object' }),
    ...registry.list().map((def) => taskObjectSchema(def, { type: 'object' })),
    ...INPUT_TYPES.map((type) => inputObjectSchema(type)),
    ...TRIGGER_SCHEMAS.map(triggerObjectSchema),
    ...CONDITION_SCHEMAS.map(conditionObjectSchema),
  ];
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

class Checker extends ProblemList<FlowProblem> {
  declare readonly index: PositionIndex;
  readonly source: string;
  constructor(index: PositionIndex, source: string) {
    super(index);
    this.source = source;
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
  'taskCache',
  'assets',
]);

/** Validates a flow source and builds the `Flow`, or returns every problem found. */
export function checkFlow(source: string, options: CheckFlowOptions = {}): CheckFlowResult {
  const file = options.file;
  const registry = options.registry ?? defaultTaskRegistry;
  const { documents: list, index, syntax, duplicates } = parseYaml(source, { ...(file === undefined ? {} : { file }) });
  const checker = new Checker(index, source);
  const withFile = (p: FlowProblem): FlowProblem => (file === undefined ? p : { ...p, file });
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
  for (const e of syntax) checker.addAt('YAML_SYNTAX', `YAML syntax error: ${e.message}`, [], e.offset);
  for (const d of duplicates) checker.addAt('DUPLICATE_KEY', `Duplicate key \`${keyTextAt(source, d.offset)}\``, [], d.offset);
  if (syntax.length > 0) return { problems: checker.sorted().map(withFile) };
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
    keepYamlKeyOrder(doc.contents, root, 0);
  } catch (e) {
    checker.addAt('YAML_SYNTAX', `YAML error: ${(e as Error).message}`, [], 0);
    return { problems: checker.problems.map(withFile) };
  }
  if (!isRecord(root)) {
    checker.addAt('NOT_A_FLOW', 'A flow is a YAML map with at least id, namespace and tasks', [], doc.contents?.range?.[0] ?? 0);
    return { problems: checker.problems.map(withFile) };
  }
  const flow = buildFlow(root, checker, file, registry);
  const problems = checker.sorted().map(withFile);
  return flow !== undefined && !problems.some(isFlowError) ? { flow, problems } : { problems };
}

/**
 * Gives the maps `toJS` built the key order of the YAML text (Kestra reads a flow into
 * LinkedHashMaps): JavaScript would list integer-like keys (`2024:`) first. Maps whose keys cannot
 * be matched one to one (merge keys, complex keys) keep JavaScript's order.
 */
function keepYamlKeyOrder(node: unknown, value: unknown, depth: number): void {
  if (depth > 200 || value === null || typeof value !== 'object') return;
  if (isSeq(node) && Array.isArray(value)) {
    node.items.forEach((item, i) => keepYamlKeyOrder(item, value[i], depth + 1));
    return;
  }
  if (!isMap(node) || Array.isArray(value)) return;
  const map = value as Record<string, unknown>;
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const pair of node.items) {
    if (!isScalar(pair.key)) return;
    const key = String(pair.key.value);
    if (!Object.hasOwn(map, key)) return;
    if (!seen.has(key)) {
      seen.add(key);
      keys.push(key);
    }
    keepYamlKeyOrder(pair.value, map[key], depth + 1);
  }
  if (keys.length === Object.keys(map).length && keys.some(isIndexKey)) setKeyOrder(map, keys);
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
  const triggers = buildTriggers(root.triggers, c);
  const errors = builder.list(root.errors, ['errors']);
  const finallyTasks = builder.list(root.finally, ['finally']);
  const afterExecution = builder.list(root.afterExecution, ['afterExecution']);
  const listeners = buildListeners(root.listeners, c, builder);

  const labels: Record<string, string> = {};
  const addLabel = (key: unknown, value: unknown, path: Path): void => {
    const k = String(key);
    const v = value === null || value === undefined ? '' : String(value);
    // Kestra's FlowValidator allows one system label on flows: system.readOnly.
    if (k.startsWith('system.') && k !== 'system.readOnly')
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

  if (c.problems.some(isFlowError)) return undefined;
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
    listeners,
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
    sla: slaOf(root.sla, c),
    checks: Array.isArray(root.checks)
      ? root.checks.filter(isRecord).map((check) => ({
          condition: String(check.condition),
          message: String(check.message),
          style: (check.style ?? 'INFO') as FlowCheck['style'],
          behavior: (check.behavior ?? 'BLOCK_EXECUTION') as FlowCheck['behavior'],
        }))
      : [],
    triggers,
    ...(file === undefined ? {} : { file }),
  };
}

/** `sla:`, already checked against the schema (labels as a map or a list of `{key, value}`); each type's required field checked here. */
function slaOf(raw: unknown, c: Checker): SlaDefinition[] {
  if (!Array.isArray(raw)) return [];
  raw.forEach((s, i) => {
    if (!isRecord(s)) return;
    if (s.type === 'MAX_DURATION') {
      if (s.duration === undefined) c.add('MISSING_PROPERTY', 'Missing required property `duration`', ['sla', i], 'key');
      else if (typeof s.duration !== 'string' || parseDuration(s.duration) === undefined) {
        c.add('INVALID_VALUE', `Invalid value \`${String(s.duration)}\` for \`duration\`: expected an ISO-8601 duration such as PT1H`, [
          'sla',
          i,
          'duration',
        ]);
      }
    }
    if (s.type === 'EXECUTION_ASSERTION' && s.assert === undefined)
      c.add('MISSING_PROPERTY', 'Missing required property `assert`', ['sla', i], 'key');
  });
  return raw.filter(isRecord).map((s) => {
    const labels: { key: string; value: string }[] = [];
    if (Array.isArray(s.labels)) {
      for (const l of s.labels) if (isRecord(l)) labels.push({ key: String(l.key), value: String(l.value) });
    } else if (isRecord(s.labels)) {
      for (const [key, value] of Object.entries(s.labels)) labels.push({ key, value: String(value) });
    }
    return {
      id: String(s.id),
      type: s.type as SlaDefinition['type'],
      behavior: s.behavior as SlaDefinition['behavior'],
      ...(typeof s.duration === 'string' ? { duration: s.duration } : {}),
      ...(typeof s.assert === 'string' ? { assert: s.assert } : {}),
      labels,
    };
  });
}

/** Kestra's `maxAttempts`, from either spelling (`maxAttempt` in flows written for Kestra before 0.22). */
function normalizeRetry(raw: Record<string, unknown>): RetryPolicy {
  const retry = raw as unknown as RetryPolicy;
  const maxAttempts = retry.maxAttempts ?? retry.maxAttempt;
  return maxAttempts === undefined ? retry : { ...retry, maxAttempts };
}

/** Conditions (of a trigger or a listener): known types are checked against their schema; others are kept as written. */
function buildConditions(
  raw: unknown,
  path: Path,
  c: Checker,
  /** `single`: `raw` is one condition of a MultipleCondition's map (no list index in paths); `scheduleConditions`: from a Schedule's `scheduleConditions`. */
  options: { single?: boolean; scheduleConditions?: boolean } = {},
): ConditionDefinition[] {
  const conditions: ConditionDefinition[] = [];
  if (!Array.isArray(raw)) return conditions;
  raw.forEach((cond, i) => {
    const index = options.single === true ? [] : [i];
    if (!isRecord(cond) || typeof cond.type !== 'string') return; // the flow schema reported it
    const cdef = conditionSchema(cond.type);
    if (cdef !== undefined) {
      const validate = pluginValidator(cdef, conditionObjectSchema);
      if (!validate(cond)) c.schemaErrors(validate.errors, [...path, ...index]);
      checkConditionSemantics(cdef.type, cond, [...path, ...index], { invalid: (m, p) => c.add('INVALID_VALUE', m, p) });
    }
    if (cdef?.type === MULTIPLE_CONDITION) {
      const at: Path = [...path, ...index];
      checkMultipleCondition(cond, at, { invalid: (m, p) => c.add('INVALID_VALUE', m, p) });
      // Its conditions, by key: checked as a list's would be (the server resolves them again).
      if (isRecord(cond.conditions))
        for (const [key, nested] of Object.entries(cond.conditions))
          buildConditions([nested], [...at, 'conditions', key], c, { single: true });
    }
    // Not and Or hold conditions of their own, checked the same way.
    const nested = cdef?.type === NOT_CONDITION || cdef?.type === OR_CONDITION;
    const { type: _type, ...props } = cond;
    const { conditions: inner, ...others } = props;
    conditions.push({
      type: cdef?.type ?? cond.type,
      declaredType: cond.type,
      supported: cdef !== undefined,
      properties: nested ? others : props,
      ...(nested ? { conditions: buildConditions(inner, [...path, ...index, 'conditions'], c) } : {}),
      ...(options.scheduleConditions === true ? { scheduleConditions: true as const } : {}),
    });
  });
  return conditions;
}

/**
 * Kestra's `Listener` (description, conditions, tasks). Its tasks share the flow's task ids: a
 * listener task with the id of another task is a duplicate (Flow.allTasks includes them).
 */
function buildListeners(raw: unknown, c: Checker, builder: TaskBuilder): ListenerDefinition[] {
  if (!Array.isArray(raw)) return [];
  const out: ListenerDefinition[] = [];
  raw.forEach((item, i) => {
    if (!isRecord(item)) return; // the flow schema reported it
    const path: Path = ['listeners', i];
    out.push({
      ...(typeof item.description === 'string' ? { description: item.description } : {}),
      conditions: buildConditions(item.conditions, [...path, 'conditions'], c),
      tasks: builder.list(item.tasks, [...path, 'tasks']),
    });
  });
  return out;
}

/** ScheduleOnDates' `dates` written as dates (not expressions) must parse as Kestra's ZonedDateTime. */
function checkScheduleDates(dates: unknown, path: Path, c: Checker): void {
  if (!Array.isArray(dates)) return;
  dates.forEach((d, i) => {
    if (typeof d !== 'string' || d.includes('{{') || d.includes('{%')) return;
    try {
      parseZonedDateTime(d.trim());
    } catch {
      c.add('INVALID_VALUE', `Invalid date '${d}': expected an ISO 8601 date-time with its offset, such as 2024-01-01T08:30:00Z`, [
        ...path,
        i,
      ]);
    }
  });
}

/** Known trigger and condition types are checked against their schema; others are kept as written. */
function buildTriggers(raw: unknown, c: Checker): TriggerDefinition[] {
  if (!Array.isArray(raw)) return [];
  const out: TriggerDefinition[] = [];
  const seen = new Map<string, number>();
  raw.forEach((item, i) => {
    const path: Path = ['triggers', i];
    if (!isRecord(item) || typeof item.id !== 'string' || typeof item.type !== 'string') return; // the flow schema reported it
    const first = seen.get(item.id);
    if (first !== undefined) c.add('DUPLICATE_TASK_ID', `Duplicate trigger id with name [${item.id}]`, [...path, 'id']);
    seen.set(item.id, i);
    const def = triggerSchema(item.type);
    if (def !== undefined) {
      const validate = pluginValidator(def, triggerObjectSchema);
      if (!validate(item)) c.schemaErrors(validate.errors, path);
      if (def.type === SCHEDULE_TRIGGER || def.type === SCHEDULE_ON_DATES_TRIGGER)
        checkScheduleSemantics(item, path, { invalid: (m, p) => c.add('INVALID_VALUE', m, p) });
      if (def.type === SCHEDULE_ON_DATES_TRIGGER) checkScheduleDates(item.dates, [...path, 'dates'], c);
      if (def.type === FLOW_TRIGGER)
        checkPreconditions(item.preconditions, [...path, 'preconditions'], { invalid: (m, p) => c.add('INVALID_VALUE', m, p) });
    }
    const conditions = [
      ...buildConditions(item.conditions, [...path, 'conditions'], c),
      ...buildConditions(item.scheduleConditions, [...path, 'scheduleConditions'], c, { scheduleConditions: true }),
    ];
    const { id: _id, type: _t, disabled: _d, conditions: _c, scheduleConditions: _s, ...properties } = item;
    const pos = c.index.at(path);
    out.push({
      id: item.id,
      type: def?.type ?? item.type,
      declaredType: item.type,
      supported: def !== undefined,
      disabled: item.disabled === true,
      properties,
      conditions,
      ...(pos === undefined ? {} : { line: pos.line, column: pos.column }),
    });
  });
  return out;
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
    const lists = childListsOf(def);
    // A child list written as `null` is an absent one, as Jackson reads it.
    const withDefaults = applyDefaults(raw, def.type, this.defaults);
    const task = Object.keys(lists).some((k) => withDefaults[k] === null)
      ? Object.fromEntries(Object.entries(withDefaults).filter(([k, v]) => !(v === null && k in lists)))
      : withDefaults;
    const validate = taskValidator(def);
    if (!validate(task)) c.schemaErrors(validate.errors, path);

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

const WARNING = { severity: 'warning' } as const;
const EXPRESSION_BLOCK = /\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
const RAW_BLOCK = /\{%-?\s*raw\s*-?%\}[\s\S]*?\{%-?\s*endraw\s*-?%\}/g;
const INPUT_REFERENCE = /(?<![\w.])inputs(?:\s*\.\s*([A-Za-z0-9_]+)|\s*\[\s*(['"])([^'"]+)\2\s*\])/g;

/**
 * Every `inputs.x` a template names should be a declared input (dotted ids count by their first
 * part). A warning: Kestra accepts the flow and fails the task that renders the name at run time
 * (VariablesTest.invalidVars runs such a flow).
 */
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
        if (range !== undefined && found >= 0) c.addAt('BAD_INPUT_REFERENCE', message, path, range[0] + found, WARNING);
        else c.add('BAD_INPUT_REFERENCE', message, path, 'value', WARNING);
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
    source = readSourceFile(path);
  } catch (e) {
    if (!(e instanceof SourceFileError)) throw e;
    const code = e.code === 'NOT_A_FILE' ? 'NOT_A_FILE' : e.code === 'TOO_LARGE' ? 'FILE_TOO_LARGE' : 'FILE_NOT_READABLE';
    return { problems: [{ code, message: `Cannot read flow file: ${e.message}`, path: '', file: shownAs }] };
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
