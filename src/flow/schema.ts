/**
 * The flow format as data: flow fields and input types described once as JSON Schema fragments,
 * and the schema of a task type derived from its definition (`src/tasks/*`). The loader validates
 * with these and `buildFlowJsonSchema` turns the very same ones into `schema/flow.schema.json` for
 * editors, so the two cannot drift.
 */
import { childListsOf, type PropertyDefinition, type PropertyKind, type TaskDefinition } from '../tasks/definition.js';

/** A JSON Schema fragment (draft-07), kept as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** Custom keyword: a short human description of what an `anyOf` accepts, used in error messages. */
export const EXPECTED = 'x-expected';

/** A Pebble expression: any string holding `{{` or `{%` may render to the expected value. */
const EXPRESSION: JsonSchema = { type: 'string', pattern: '\\{\\{|\\{%' };

/** A value that is either literally valid or an expression rendered at run time. */
export function dynamic(schema: JsonSchema, expected: string): JsonSchema {
  return { anyOf: [schema, EXPRESSION], [EXPECTED]: `${expected} (or an expression)` };
}

/** What Java's `Duration.parse` accepts: case-insensitive, signed parts, decimal seconds (`PT0.25S`, `pt1m`, `-PT5S`). */
export const DURATION_PATTERN =
  '^[-+]?[Pp](?:[-+]?\\d+[Dd])?(?:[Tt](?=[-+]?\\d)(?:[-+]?\\d+[Hh])?(?:[-+]?\\d+[Mm])?(?:[-+]?\\d+(?:[.,]\\d{0,9})?[Ss])?)?$';
/** A duration, literally or as an expression. */
export const durationSchema: JsonSchema = dynamic({ type: 'string', pattern: DURATION_PATTERN }, 'an ISO-8601 duration such as PT30S');
const duration = durationSchema;
const scalar: JsonSchema = { type: ['string', 'number', 'boolean'] };

export const TASK_ID_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_-]*$';
export const FLOW_ID_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9._-]*$';
export const NAMESPACE_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
export const INPUT_ID_PATTERN = '^[a-zA-Z0-9][.a-zA-Z0-9_-]*$';
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Kestra's retry: `constant` (interval), `exponential` (interval, maxInterval, delayFactor), `random` (minInterval, maxInterval). */
export const retrySchema: JsonSchema = {
  type: 'object',
  description: 'Retry policy: constant (interval), exponential (interval, maxInterval, delayFactor) or random (minInterval, maxInterval).',
  required: ['type'],
  properties: {
    type: { enum: ['constant', 'exponential', 'random'] },
    maxAttempts: { type: 'integer', minimum: 1 },
    maxAttempt: { type: 'integer', minimum: 1, deprecated: true, description: 'Older spelling of maxAttempts.' },
    maxDuration: duration,
    interval: duration,
    maxInterval: duration,
    minInterval: duration,
    delayFactor: { type: 'number', exclusiveMinimum: 0 },
    warningOnRetry: { type: 'boolean' },
    behavior: { enum: ['RETRY_FAILED_TASK', 'CREATE_NEW_EXECUTION'] },
  },
  additionalProperties: false,
};
const retry = retrySchema;

/** Properties every task accepts (Kestra's `Task`). */
export const commonTaskProperties: Readonly<Record<string, JsonSchema>> = {
  id: { type: 'string', pattern: TASK_ID_PATTERN, maxLength: 100, description: 'Unique in the flow, nested tasks included. No dots.' },
  type: { type: 'string' },
  description: { type: 'string' },
  disabled: { type: 'boolean', description: 'A disabled task is not run and makes no task run.' },
  allowFailure: { type: 'boolean', description: 'A failure turns into WARNING and the flow goes on.' },
  allowWarning: { type: 'boolean', description: 'A WARNING counts as SUCCESS.' },
  runIf: {
    type: ['string', 'boolean', 'number'],
    description: 'Rendered; the task is SKIPPED when the result is "false", "0", "-0" or "".',
  },
  timeout: duration,
  retry,
  logLevel: { enum: [...LOG_LEVELS], description: "Lowest level of this task's logs that is kept." },
  logToFile: { type: 'boolean', description: 'Accepted; a local run keeps logs in the report.' },
  workerGroup: { type: 'object', description: 'Accepted; a local run has one worker.' },
  taskCache: {
    type: 'object',
    properties: { enabled: { type: ['boolean', 'string'] }, ttl: duration },
    additionalProperties: false,
    description: 'Accepted; not cached locally: the task runs every time.',
  },
  assets: { type: 'object', description: 'Accepted (asset lineage is not recorded locally).' },
};

/**
 * The object schema of one task type. `childItems` is what a child task list holds: a `$ref`
 * for the editor schema, or a bare object for the loader, which validates children itself.
 */
export function taskObjectSchema(def: TaskDefinition, childItems: JsonSchema, typeSchema: JsonSchema = { type: 'string' }): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...commonTaskProperties, type: typeSchema };
  const required = ['id', 'type', ...(def.required ?? [])];
  for (const [name, prop] of Object.entries(def.properties)) {
    properties[name] = propertySchema(prop);
    if (prop.required === true && !required.includes(name)) required.push(name);
  }
  for (const [name, list] of Object.entries(childListsOf(def))) {
    if (list.required === true && !required.includes(name)) required.push(name);
    const nonEmpty = required.includes(name);
    switch (list.kind ?? 'list') {
      case 'list':
        properties[name] = { type: 'array', items: childItems, ...(nonEmpty ? { minItems: 1 } : {}) };
        break;
      case 'cases':
        properties[name] = {
          type: 'object',
          additionalProperties: { type: 'array', items: childItems },
          ...(nonEmpty ? { minProperties: 1 } : {}),
        };
        break;
      case 'dag':
        properties[name] = {
          type: 'array',
          items: {
            type: 'object',
            required: ['task'],
            properties: { task: childItems, dependsOn: { type: 'array', items: { type: 'string' } } },
            additionalProperties: false,
          },
          ...(nonEmpty ? { minItems: 1 } : {}),
        };
        break;
    }
    if (list.description !== undefined) properties[name] = { ...properties[name], description: list.description };
  }
  return {
    type: 'object',
    ...(def.title === undefined ? {} : { description: def.title }),
    required,
    properties,
    additionalProperties: false,
  };
}

/** The JSON Schema of a property as written in YAML: its own, or one derived from its kind. */
export function propertySchema(prop: PropertyDefinition): JsonSchema {
  const base =
    prop.schema === undefined
      ? kindSchema(prop.kind ?? 'any', prop.dynamic !== false)
      : // A rendered list or map may also be one expression giving it (Kestra's Property<List<…>>, Property<Map<…>>).
        prop.dynamic !== false &&
          (prop.kind === 'list' || prop.kind === 'map') &&
          (prop.schema.type === 'array' || prop.schema.type === 'object')
        ? dynamic(prop.schema, prop.kind === 'list' ? 'a list' : 'a map')
        : prop.schema;
  const extra: Record<string, unknown> = {};
  if (prop.description !== undefined) extra.description = prop.description;
  if (prop.deprecated === true) extra.deprecated = true;
  if (prop.default !== undefined) extra.default = prop.default;
  return Object.keys(extra).length === 0 ? base : { ...base, ...extra };
}

function kindSchema(kind: PropertyKind, dynamicValue: boolean): JsonSchema {
  const maybe = (schema: JsonSchema, expected: string): JsonSchema => (dynamicValue ? dynamic(schema, expected) : schema);
  switch (kind) {
    case 'string':
      return scalar;
    case 'boolean':
      return maybe({ type: 'boolean' }, 'true or false');
    case 'integer':
      return maybe({ type: 'integer' }, 'an integer');
    case 'number':
      return maybe({ type: 'number' }, 'a number');
    case 'duration':
      return durationSchema;
    case 'list':
      return dynamicValue ? { anyOf: [{ type: 'array' }, { type: 'string' }], [EXPECTED]: 'a list (or an expression)' } : { type: 'array' };
    case 'map':
      return dynamicValue
        ? { anyOf: [{ type: 'object' }, { type: 'string' }], [EXPECTED]: 'a map (or an expression)' }
        : { type: 'object' };
    case 'any':
      return {};
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

export const INPUT_TYPES = [
  'STRING',
  'INT',
  'FLOAT',
  'BOOLEAN',
  'DATETIME',
  'DATE',
  'TIME',
  'DURATION',
  'JSON',
  'YAML',
  'URI',
  'FILE',
  'EMAIL',
  'SELECT',
  'MULTISELECT',
  'ARRAY',
  'SECRET',
] as const;
export type InputType = (typeof INPUT_TYPES)[number];
/** Older or newer names of the same input types. */
export const INPUT_TYPE_ALIASES: Readonly<Record<string, InputType>> = { ENUM: 'SELECT', BOOL: 'BOOLEAN' };

const ITEM_TYPES = INPUT_TYPES.filter((t) => t !== 'ARRAY' && t !== 'MULTISELECT' && t !== 'SELECT' && t !== 'SECRET');

const commonInputProperties: Readonly<Record<string, JsonSchema>> = {
  id: { type: 'string', pattern: INPUT_ID_PATTERN, description: 'A dotted id (a.b) becomes a nested map: inputs.a.b.' },
  name: { type: 'string', pattern: INPUT_ID_PATTERN, deprecated: true },
  type: { type: 'string' },
  description: { type: 'string' },
  displayName: { type: 'string', maxLength: 64 },
  required: { type: 'boolean', description: 'Default true.' },
  defaults: {},
  prefill: {},
  dependsOn: {
    type: 'object',
    additionalProperties: false,
    properties: { inputs: { type: 'array', items: { type: 'string' } }, condition: { type: 'string' } },
  },
};

const minMax = (schema: JsonSchema): Record<string, JsonSchema> => ({ min: schema, max: schema });
const afterBefore: Record<string, JsonSchema> = { after: { type: 'string' }, before: { type: 'string' } };

/** Type-specific input properties. */
export const inputTypeProperties: Readonly<Record<InputType, Readonly<Record<string, JsonSchema>>>> = {
  STRING: { validator: { type: 'string', description: 'A regular expression the whole value must match.' } },
  SECRET: { validator: { type: 'string' } },
  EMAIL: {},
  URI: {},
  FILE: {},
  INT: minMax({ type: 'integer' }),
  FLOAT: minMax({ type: 'number' }),
  DURATION: minMax({ type: 'string', pattern: DURATION_PATTERN }),
  BOOLEAN: {},
  DATETIME: afterBefore,
  DATE: afterBefore,
  TIME: afterBefore,
  JSON: {},
  YAML: {},
  SELECT: {
    values: { type: 'array', items: { type: 'string' } },
    expression: { type: 'string' },
    allowCustomValue: { type: 'boolean' },
    isRadio: { type: 'boolean' },
    autoSelectFirst: { type: 'boolean' },
  },
  MULTISELECT: {
    values: { type: 'array', items: { type: 'string' } },
    options: { type: 'array', items: { type: 'string' }, deprecated: true },
    expression: { type: 'string' },
    itemType: { enum: ['STRING'] },
    allowCustomValue: { type: 'boolean' },
    autoSelectFirst: { type: 'boolean' },
  },
  ARRAY: { itemType: { enum: ITEM_TYPES } },
};

export function inputObjectSchema(type: InputType, typeSchema: JsonSchema = { type: 'string' }): JsonSchema {
  // `name` (deprecated) is accepted by the loader, which copies it to `id` before validating.
  const required = type === 'ARRAY' ? ['id', 'type', 'itemType'] : ['id', 'type'];
  return {
    type: 'object',
    required,
    properties: { ...commonInputProperties, type: typeSchema, ...inputTypeProperties[type] },
    additionalProperties: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Flow
// ---------------------------------------------------------------------------------------------

const labelsSchema: JsonSchema = {
  anyOf: [
    { type: 'object', additionalProperties: scalar },
    {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'value'],
        properties: { key: { type: 'string' }, value: scalar },
        additionalProperties: false,
      },
    },
  ],
  [EXPECTED]: 'a map of strings, or a list of {key, value}',
};

const pluginDefaults: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type', 'values'],
    properties: { type: { type: 'string' }, forced: { type: 'boolean' }, values: { type: 'object' } },
    additionalProperties: false,
  },
};

const flowOutput: JsonSchema = {
  type: 'object',
  required: ['id', 'type', 'value'],
  properties: {
    id: { type: 'string', pattern: '^[a-zA-Z0-9][.a-zA-Z0-9_-]*$' },
    type: { enum: [...INPUT_TYPES] },
    value: {},
    description: { type: 'string' },
    displayName: { type: 'string', maxLength: 64 },
    required: { type: 'boolean' },
  },
  additionalProperties: false,
};

/** Top-level flow properties; `items` is what task lists and input lists hold. */
export function flowObjectSchema(taskItems: JsonSchema, inputItems: JsonSchema): JsonSchema {
  const tasks = (min: number): JsonSchema => ({ type: 'array', items: taskItems, ...(min > 0 ? { minItems: min } : {}) });
  return {
    type: 'object',
    required: ['id', 'namespace', 'tasks'],
    properties: {
      id: { type: 'string', pattern: FLOW_ID_PATTERN, minLength: 1, maxLength: 100 },
      namespace: { type: 'string', pattern: NAMESPACE_PATTERN, minLength: 1, maxLength: 150 },
      revision: { type: 'integer', minimum: 1 },
      description: { type: 'string' },
      labels: labelsSchema,
      inputs: { type: 'array', items: inputItems },
      variables: { type: 'object', description: 'Exposed as vars.*, not rendered (use render(vars.x)).' },
      tasks: tasks(1),
      errors: tasks(0),
      finally: tasks(0),
      afterExecution: { ...tasks(0), description: 'Run once the execution ended; they do not change its state.' },
      outputs: { type: 'array', items: flowOutput },
      disabled: { type: 'boolean' },
      retry: { ...retry, description: 'Retry of every task that fails and has no retry of its own (nor a flowable parent with one).' },
      concurrency: {
        type: 'object',
        required: ['limit'],
        properties: { limit: { type: 'integer', minimum: 1 }, behavior: { enum: ['QUEUE', 'CANCEL', 'FAIL'] } },
        additionalProperties: false,
        description: 'Enforced between runs of one process (CLI runs are separate processes).',
      },
      sla: {
        type: 'array',
        description:
          "Service-level agreements, evaluated as Kestra's SLAService does (MAX_DURATION while the execution runs, EXECUTION_ASSERTION at every change).",
        items: {
          type: 'object',
          required: ['id', 'type', 'behavior'],
          properties: {
            id: { type: 'string', minLength: 1 },
            type: { enum: ['MAX_DURATION', 'EXECUTION_ASSERTION'] },
            behavior: { enum: ['FAIL', 'CANCEL', 'NONE'] },
            duration: { type: 'string', description: 'MAX_DURATION: the longest the execution may run (ISO-8601).' },
            assert: { type: 'string', description: 'EXECUTION_ASSERTION: a template that must render true.' },
            labels: { anyOf: [{ type: 'object' }, { type: 'array' }], description: 'Added to the execution when the SLA is violated.' },
          },
          additionalProperties: false,
        },
      },
      listeners: {
        type: 'array',
        deprecated: true,
        description:
          "Deprecated in Kestra, still run: once the execution ended, the tasks of each listener whose conditions hold run one after the other; they do not change the execution's state.",
        items: {
          type: 'object',
          required: ['tasks'],
          properties: {
            description: { type: 'string' },
            conditions: {
              type: 'array',
              description: 'All must hold on the ended execution; one that cannot be evaluated counts as false.',
              items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
            },
            tasks: tasks(1),
          },
          additionalProperties: false,
        },
      },
      extend: { type: 'object', description: 'Metadata of public blueprints; accepted and ignored.' },
      checks: {
        type: 'array',
        description:
          "Kestra's flow checks: evaluated with the inputs before an execution is created; a false one blocks it, fails it or only reports its message.",
        items: {
          type: 'object',
          required: ['condition', 'message'],
          properties: {
            condition: {
              type: 'string',
              minLength: 1,
              description: 'A template that must give the boolean `true` (a string or a number fails the check).',
            },
            message: { type: 'string', minLength: 1, description: 'Shown when the condition is not true.' },
            style: { enum: ['ERROR', 'SUCCESS', 'WARNING', 'INFO'], default: 'INFO' },
            behavior: { enum: ['BLOCK_EXECUTION', 'FAIL_EXECUTION', 'CREATE_EXECUTION'], default: 'BLOCK_EXECUTION' },
          },
          additionalProperties: false,
        },
      },
      pluginDefaults,
      taskDefaults: { ...pluginDefaults, deprecated: true },
      triggers: {
        type: 'array',
        description: '`pebbleflow server` fires Schedule, Webhook and Flow triggers; a local run fires none.',
        items: { type: 'object', required: ['id', 'type'], properties: { id: { type: 'string' }, type: { type: 'string' } } },
      },
    },
    additionalProperties: false,
  };
}

/** The JSON Schema of flow files for editors, built from the given task types. */
export function buildFlowJsonSchema(taskTypes: readonly TaskDefinition[]): JsonSchema {
  const taskRef: JsonSchema = { $ref: '#/definitions/task' };
  const definitions: Record<string, JsonSchema> = {};
  const allTypes: string[] = [];
  const branches: JsonSchema[] = [];
  for (const def of taskTypes) {
    const names = [def.type, ...(def.aliases ?? [])];
    allTypes.push(...names);
    definitions[def.type] = taskObjectSchema(def, taskRef, { enum: names });
    branches.push({ if: { properties: { type: { enum: names } }, required: ['type'] }, then: { $ref: `#/definitions/${def.type}` } });
  }
  definitions.task = { type: 'object', required: ['id', 'type'], properties: { type: { enum: allTypes } }, allOf: branches };
  const inputBranches: JsonSchema[] = [];
  for (const type of INPUT_TYPES) {
    const names = [
      type,
      ...Object.entries(INPUT_TYPE_ALIASES)
        .filter(([, t]) => t === type)
        .map(([alias]) => alias),
    ];
    definitions[`input.${type}`] = inputObjectSchema(type, { enum: names });
    inputBranches.push({
      if: { properties: { type: { enum: names } }, required: ['type'] },
      then: { $ref: `#/definitions/input.${type}` },
    });
  }
  definitions.input = {
    type: 'object',
    required: ['type'],
    properties: { type: { enum: [...INPUT_TYPES, ...Object.keys(INPUT_TYPE_ALIASES)] } },
    allOf: inputBranches,
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://pebbleflow.dev/schema/flow.schema.json',
    title: 'pebbleflow / Kestra flow',
    ...flowObjectSchema(taskRef, { $ref: '#/definitions/input' }),
    definitions,
  };
}
