/**
 * The flow format as data: flow fields, input types and task types, each described once as a
 * JSON Schema fragment. The loader validates with these definitions and `buildFlowJsonSchema`
 * turns the very same ones into `schema/flow.schema.json` for editors, so the two cannot drift.
 */

/** A JSON Schema fragment (draft-07), kept as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** A task type as the loader and the JSON Schema see it (what it runs is in `src/tasks`). */
export interface TaskTypeSchema {
  /** Canonical Kestra type name, e.g. `io.kestra.plugin.core.log.Log`. */
  readonly type: string;
  /** Older names that resolve to this type (Kestra's `@Plugin(aliases=…)`). */
  readonly aliases?: readonly string[];
  readonly title?: string;
  /** Type-specific properties (the common ones — id, retry, runIf… — are added for every type). */
  readonly properties: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  /** Properties that hold lists of child tasks (flowable tasks such as If and Sequential). */
  readonly childTaskLists?: readonly string[];
}

/** Custom keyword: a short human description of what an `anyOf` accepts, used in error messages. */
export const EXPECTED = 'x-expected';

/** A Pebble expression: any string holding `{{` or `{%` may render to the expected value. */
const EXPRESSION: JsonSchema = { type: 'string', pattern: '\\{\\{|\\{%' };

/** A value that is either literally valid or an expression rendered at run time. */
export function dynamic(schema: JsonSchema, expected: string): JsonSchema {
  return { anyOf: [schema, EXPRESSION], [EXPECTED]: `${expected} (or an expression)` };
}

export const DURATION_PATTERN = '^-?P(?:\\d+D)?(?:T(?:\\d+H)?(?:\\d+M)?(?:\\d+(?:[.,]\\d+)?S)?)?$';
const duration: JsonSchema = dynamic({ type: 'string', pattern: DURATION_PATTERN }, 'an ISO-8601 duration such as PT30S');
const dynBoolean: JsonSchema = dynamic({ type: 'boolean' }, 'true or false');
const scalar: JsonSchema = { type: ['string', 'number', 'boolean'] };

export const TASK_ID_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_-]*$';
export const FLOW_ID_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9._-]*$';
export const NAMESPACE_PATTERN = '^[a-z0-9][a-z0-9._-]*$';
export const INPUT_ID_PATTERN = '^[a-zA-Z0-9][.a-zA-Z0-9_-]*$';
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const retry: JsonSchema = {
  type: 'object',
  description: 'Retry policy: constant (interval), exponential (interval, maxInterval, delayFactor) or random (minInterval, maxInterval).',
  required: ['type'],
  properties: {
    type: { enum: ['constant', 'exponential', 'random'] },
    maxAttempt: { type: 'integer', minimum: 1 },
    maxDuration: duration,
    interval: duration,
    maxInterval: duration,
    minInterval: duration,
    delayFactor: { type: 'number', exclusiveMinimum: 0 },
    warningOnRetry: { type: 'boolean' },
    behavior: { enum: ['RETRY_FAILED_TASK'] },
  },
  additionalProperties: false,
};

/** Properties every task accepts (Kestra's `Task`). */
export const commonTaskProperties: Readonly<Record<string, JsonSchema>> = {
  id: { type: 'string', pattern: TASK_ID_PATTERN, maxLength: 100, description: 'Unique in the flow, nested tasks included. No dots.' },
  type: { type: 'string' },
  description: { type: 'string' },
  disabled: { type: 'boolean', description: 'A disabled task is not run (state SKIPPED).' },
  allowFailure: { type: 'boolean', description: 'A failure turns into WARNING and the flow goes on.' },
  allowWarning: { type: 'boolean', description: 'A WARNING counts as SUCCESS.' },
  runIf: {
    type: ['string', 'boolean', 'number'],
    description: 'Rendered; the task is SKIPPED when the result is "false", "0", "-0" or "".',
  },
  timeout: duration,
  retry,
  logLevel: { enum: [...LOG_LEVELS], description: "Lowest level of this task's logs that is kept." },
};

const auth: JsonSchema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['BASIC', 'BEARER'] },
    username: { type: 'string' },
    password: { type: 'string' },
    token: { type: 'string' },
  },
  additionalProperties: false,
  allOf: [
    { if: { properties: { type: { const: 'BEARER' } } }, then: { required: ['token'] } },
    { if: { properties: { type: { const: 'BASIC' } } }, then: { required: ['username'] } },
  ],
};

const httpMethod = dynamic({ enum: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'] }, 'an HTTP method');

export const requestTask: TaskTypeSchema = {
  type: 'io.kestra.plugin.core.http.Request',
  aliases: ['io.kestra.core.tasks.http.Request', 'io.kestra.plugin.fs.http.Request'],
  title: 'Send an HTTP request; outputs uri, code, headers (map of lists) and body (string).',
  required: ['uri'],
  properties: {
    uri: { type: 'string' },
    method: httpMethod,
    headers: { type: 'object', additionalProperties: { anyOf: [scalar, { type: 'array', items: scalar }] } },
    body: { type: ['string', 'object', 'array', 'number', 'boolean'], description: 'Sent as a string; a map or list is sent as JSON.' },
    formData: { type: 'object', description: 'Sent url-encoded, or as multipart parts when contentType is multipart/form-data.' },
    contentType: { type: 'string', description: 'Default application/json.' },
    auth: { ...auth, description: 'Same as options.auth (the form the Credentials documentation shows).' },
    allowFailed: { ...dynBoolean, deprecated: true },
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        auth,
        timeout: {
          type: 'object',
          additionalProperties: false,
          properties: { connectTimeout: duration, readIdleTimeout: duration },
        },
        followRedirects: dynBoolean,
        allowFailed: dynBoolean,
        allowedResponseCodes: dynamic({ type: 'array', items: { type: ['integer', 'string'] } }, 'a list of status codes'),
        defaultCharset: { type: 'string' },
        logs: { type: 'array', items: { enum: ['REQUEST_HEADERS', 'REQUEST_BODY', 'RESPONSE_HEADERS', 'RESPONSE_BODY'] } },
        // Older names Kestra still accepts.
        connectTimeout: { ...duration, deprecated: true },
        readTimeout: { ...duration, deprecated: true },
        readIdleTimeout: { ...duration, deprecated: true },
        basicAuthUser: { type: 'string', deprecated: true },
        basicAuthPassword: { type: 'string', deprecated: true },
      },
    },
  },
};

export const logTask: TaskTypeSchema = {
  type: 'io.kestra.plugin.core.log.Log',
  aliases: ['io.kestra.core.tasks.log.Log'],
  title: 'Log a message (or one line per element of a list).',
  required: ['message'],
  properties: {
    message: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], [EXPECTED]: 'a string or a list of strings' },
    level: dynamic({ enum: [...LOG_LEVELS] }, 'a log level'),
  },
};

export const returnTask: TaskTypeSchema = {
  type: 'io.kestra.plugin.core.debug.Return',
  aliases: ['io.kestra.core.tasks.debugs.Return'],
  title: 'Render `format`; output `value`.',
  properties: { format: scalar },
};

export const outputValuesTask: TaskTypeSchema = {
  type: 'io.kestra.plugin.core.output.OutputValues',
  aliases: ['io.kestra.core.tasks.outputs.OutputValues'],
  title: 'Render `values`; output them as `values`.',
  properties: { values: { type: 'object' } },
};

export const failTask: TaskTypeSchema = {
  type: 'io.kestra.plugin.core.execution.Fail',
  aliases: ['io.kestra.core.tasks.executions.Fail'],
  title: 'Fail the execution (when `condition` is truthy, if given).',
  properties: { condition: { type: ['string', 'boolean', 'number'] }, errorMessage: { type: 'string' } },
};

export const ifTask: TaskTypeSchema = {
  type: 'io.kestra.plugin.core.flow.If',
  aliases: ['io.kestra.core.tasks.flows.If'],
  title: 'Run `then` when `condition` is truthy, `else` otherwise.',
  required: ['condition', 'then'],
  properties: { condition: { type: ['string', 'boolean', 'number'] } },
  childTaskLists: ['then', 'else', 'errors'],
};

export const sequentialTask: TaskTypeSchema = {
  type: 'io.kestra.plugin.core.flow.Sequential',
  aliases: ['io.kestra.core.tasks.flows.Sequential'],
  title: 'Run `tasks` one after the other; `errors` when one fails.',
  required: ['tasks'],
  properties: {},
  childTaskLists: ['tasks', 'errors'],
};

export const coreTaskSchemas: readonly TaskTypeSchema[] = [
  requestTask,
  logTask,
  returnTask,
  outputValuesTask,
  failTask,
  ifTask,
  sequentialTask,
];

/**
 * The object schema of one task type. `childItems` is what a child task list holds: a `$ref`
 * for the editor schema, or a bare object for the loader, which validates children itself.
 */
export function taskObjectSchema(def: TaskTypeSchema, childItems: JsonSchema, typeSchema: JsonSchema = { type: 'string' }): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...commonTaskProperties, type: typeSchema, ...def.properties };
  const required = ['id', 'type', ...(def.required ?? [])];
  for (const list of def.childTaskLists ?? []) {
    properties[list] = { type: 'array', items: childItems, ...(required.includes(list) ? { minItems: 1 } : {}) };
  }
  return {
    type: 'object',
    ...(def.title === undefined ? {} : { description: def.title }),
    required,
    properties,
    additionalProperties: false,
  };
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
      outputs: { type: 'array', items: flowOutput },
      disabled: { type: 'boolean' },
      pluginDefaults,
      taskDefaults: { ...pluginDefaults, deprecated: true },
      triggers: {
        type: 'array',
        description: 'Accepted for compatibility; a local run does not fire triggers.',
        items: { type: 'object', required: ['id', 'type'], properties: { id: { type: 'string' }, type: { type: 'string' } } },
      },
    },
    additionalProperties: false,
  };
}

/** The JSON Schema of flow files for editors, built from the given task types. */
export function buildFlowJsonSchema(taskTypes: readonly TaskTypeSchema[]): JsonSchema {
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
