/**
 * Flow triggers as data: Kestra's `Schedule`, `ScheduleOnDates`, `Webhook`, `Flow` and `http.Trigger` triggers and the core
 * conditions they use (src/flow/conditions.ts evaluates them), each described once as a
 * JSON Schema fragment with its aliases. The loader validates triggers with these (a bad cron or
 * time zone is a problem with its line and column); the server evaluates them. Other trigger and
 * condition types are kept as written and reported as unsupported by the server, not refused,
 * so that `pebbleflow run` still runs a flow that a Kafka trigger would start in Kestra.
 *
 * Reference: `core/src/main/java/io/kestra/plugin/core/trigger/{Schedule,ScheduleOnDates,Webhook,Flow}.java`,
 * `core/src/main/java/io/kestra/plugin/core/http/Trigger.java`,
 * `core/src/main/java/io/kestra/core/models/triggers/AbstractTrigger.java` and
 * `core/src/main/java/io/kestra/plugin/core/condition/*.java` in kestra-io/kestra.
 */
import { CronError, CronSchedule, cronZone } from './cron.js';
import { STATE_TYPES, TERMINAL_STATES } from './execution.js';
import { EXPECTED, DURATION_PATTERN, LOG_LEVELS, TASK_ID_PATTERN, type JsonSchema } from './schema.js';
import { MULTIPLE_CONDITION_SCHEMA, preconditionsSchema } from './multiple-condition.js';

export const SCHEDULE_TRIGGER = 'io.kestra.plugin.core.trigger.Schedule';
export const WEBHOOK_TRIGGER = 'io.kestra.plugin.core.trigger.Webhook';
export const FLOW_TRIGGER = 'io.kestra.plugin.core.trigger.Flow';
export const SCHEDULE_ON_DATES_TRIGGER = 'io.kestra.plugin.core.trigger.ScheduleOnDates';
export const HTTP_TRIGGER = 'io.kestra.plugin.core.http.Trigger';
export const EXECUTION_STATUS_CONDITION = 'io.kestra.plugin.core.condition.ExecutionStatus';
export const EXECUTION_FLOW_CONDITION = 'io.kestra.plugin.core.condition.ExecutionFlow';
export const EXECUTION_NAMESPACE_CONDITION = 'io.kestra.plugin.core.condition.ExecutionNamespace';
export const EXECUTION_LABELS_CONDITION = 'io.kestra.plugin.core.condition.ExecutionLabels';
export const EXECUTION_OUTPUTS_CONDITION = 'io.kestra.plugin.core.condition.ExecutionOutputs';
export const HAS_RETRY_ATTEMPT_CONDITION = 'io.kestra.plugin.core.condition.HasRetryAttempt';
export const FLOW_CONDITION = 'io.kestra.plugin.core.condition.FlowCondition';
export const FLOW_NAMESPACE_CONDITION = 'io.kestra.plugin.core.condition.FlowNamespaceCondition';
export const EXPRESSION_CONDITION = 'io.kestra.plugin.core.condition.Expression';
export const NOT_CONDITION = 'io.kestra.plugin.core.condition.Not';
export const OR_CONDITION = 'io.kestra.plugin.core.condition.Or';
export const DATE_TIME_BETWEEN_CONDITION = 'io.kestra.plugin.core.condition.DateTimeBetween';
export const DAY_WEEK_CONDITION = 'io.kestra.plugin.core.condition.DayWeek';
export const DAY_WEEK_IN_MONTH_CONDITION = 'io.kestra.plugin.core.condition.DayWeekInMonth';
export const TIME_BETWEEN_CONDITION = 'io.kestra.plugin.core.condition.TimeBetween';
export const WEEKEND_CONDITION = 'io.kestra.plugin.core.condition.Weekend';
export const PUBLIC_HOLIDAY_CONDITION = 'io.kestra.plugin.core.condition.PublicHoliday';

/**
 * The condition types that implement Kestra's `ScheduleCondition`: the ones a Schedule's
 * `validateScheduleCondition` keeps (the Execution* ones, FlowCondition and HasRetryAttempt do not).
 */
export const SCHEDULE_CONDITION_TYPES: readonly string[] = [
  DATE_TIME_BETWEEN_CONDITION,
  DAY_WEEK_CONDITION,
  DAY_WEEK_IN_MONTH_CONDITION,
  TIME_BETWEEN_CONDITION,
  WEEKEND_CONDITION,
  PUBLIC_HOLIDAY_CONDITION,
  EXPRESSION_CONDITION,
  EXECUTION_OUTPUTS_CONDITION,
  NOT_CONDITION,
  OR_CONDITION,
];

/** Kestra's `State.Type` names, as trigger properties list them. */
const STATE_NAMES = STATE_TYPES;
/** `State.Type.terminatedTypes()`: what a Flow trigger listens to by default. */
export const TERMINATED_STATE_NAMES: readonly string[] = [...TERMINAL_STATES];

const states: JsonSchema = { type: 'array', items: { enum: [...STATE_NAMES] } };
const dayOfWeek: JsonSchema = { enum: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] };
/** `date` of the date conditions: a template, by default `{{ trigger.date }}`. */
const conditionDate: JsonSchema = {
  type: 'string',
  description: 'The date to test: a template or an ISO 8601 date or date-time. Default: `{{ trigger.date }}`.',
};
const zonedDateTime: JsonSchema = { type: 'string', description: 'An ISO 8601 date-time with its offset, such as 2024-01-01T08:30:00Z.' };
const offsetTime: JsonSchema = { type: 'string', description: 'An ISO 8601 time with its offset, such as 16:19:12+02:00.' };
const subConditions: JsonSchema = {
  type: 'array',
  minItems: 1,
  items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
};
const labels: JsonSchema = {
  anyOf: [
    { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
    {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'value'],
        properties: { key: { type: 'string' }, value: { type: ['string', 'number', 'boolean', 'null'] } },
        additionalProperties: false,
      },
    },
  ],
  [EXPECTED]: 'a map of strings, or a list of {key, value}',
};

export interface PluginSchema {
  readonly type: string;
  readonly aliases: readonly string[];
  readonly properties: Readonly<Record<string, JsonSchema>>;
  readonly required: readonly string[];
}

/** Properties every trigger has (Kestra's `AbstractTrigger`). */
const commonTriggerProperties: Readonly<Record<string, JsonSchema>> = {
  id: { type: 'string', pattern: TASK_ID_PATTERN },
  type: { type: 'string' },
  description: { type: 'string' },
  conditions: { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } },
  disabled: { type: 'boolean' },
  workerGroup: { type: 'object' },
  logLevel: { enum: [...LOG_LEVELS] },
  minLogLevel: { enum: [...LOG_LEVELS] },
  labels,
  stopAfter: states,
  logToFile: { type: 'boolean' },
};

export const TRIGGER_SCHEMAS: readonly PluginSchema[] = [
  {
    type: SCHEDULE_TRIGGER,
    aliases: ['io.kestra.core.models.triggers.types.Schedule'],
    required: ['cron'],
    properties: {
      cron: { type: 'string', description: 'Unix cron (5 fields; 6 with withSeconds) or @hourly, @daily, @weekly, @monthly, @yearly.' },
      withSeconds: { type: 'boolean' },
      timezone: { type: 'string' },
      inputs: { type: 'object' },
      lateMaximumDelay: { type: 'string', pattern: DURATION_PATTERN },
      recoverMissedSchedules: { enum: ['ALL', 'LAST', 'NONE'] },
      scheduleConditions: { type: 'array', items: { type: 'object', required: ['type'] }, deprecated: true },
      backfill: { type: ['object', 'null'], deprecated: true },
      interval: { type: 'null' },
    },
  },
  {
    // ScheduleOnDates.java: `dates` is a Property<List<ZonedDateTime>> (a list, or an expression
    // rendering to one); `interval` is @Null there.
    type: SCHEDULE_ON_DATES_TRIGGER,
    aliases: [],
    required: ['dates'],
    properties: {
      dates: {
        anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }],
        [EXPECTED]: 'a list of ISO 8601 date-times with their offset, or an expression that renders to one',
      },
      timezone: { type: 'string' },
      inputs: { type: 'object' },
      recoverMissedSchedules: { enum: ['ALL', 'LAST', 'NONE'] },
      interval: { type: 'null' },
    },
  },
  {
    // http/Trigger.java: the Request task's properties (HttpInterface), `interval` (PT60S) and `responseCondition`.
    type: HTTP_TRIGGER,
    aliases: ['io.kestra.plugin.fs.http.Trigger'],
    required: ['uri'],
    properties: {
      uri: { type: 'string' },
      method: { type: 'string' },
      body: { type: 'string' },
      formData: { type: 'object' },
      contentType: { type: 'string' },
      headers: { type: 'object' },
      options: { type: 'object' },
      sslOptions: { type: 'object' },
      auth: { type: 'object' },
      encryptBody: { type: 'boolean' },
      responseCondition: { type: 'string', description: 'Default: `{{ response.statusCode < 400 }}`.' },
      interval: { type: 'string', pattern: DURATION_PATTERN, description: 'How often the request is sent. Default: PT60S.' },
    },
  },
  {
    type: WEBHOOK_TRIGGER,
    aliases: ['io.kestra.core.models.triggers.types.Webhook'],
    required: ['key'],
    properties: {
      key: { type: 'string', minLength: 1, maxLength: 256 },
      wait: { type: 'boolean', description: 'Accepted; the server answers at once with the execution it created.' },
      returnOutputs: { type: 'boolean', description: 'Accepted; the answer is the created execution (no outputs yet).' },
      responseContentType: { type: 'string', description: 'Accepted; the answer is JSON.' },
    },
  },
  {
    type: FLOW_TRIGGER,
    aliases: ['io.kestra.core.models.triggers.types.Flow'],
    required: [],
    properties: { inputs: { type: 'object' }, states, preconditions: preconditionsSchema },
  },
];

export const CONDITION_SCHEMAS: readonly PluginSchema[] = [
  // Over several executions in a time window (src/flow/multiple-condition.ts).
  MULTIPLE_CONDITION_SCHEMA,
  {
    type: EXECUTION_STATUS_CONDITION,
    aliases: [
      'io.kestra.core.models.conditions.types.ExecutionStatusCondition',
      'io.kestra.plugin.core.condition.ExecutionStatusCondition',
    ],
    required: [],
    properties: { in: states, notIn: states },
  },
  {
    type: EXECUTION_FLOW_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.ExecutionFlowCondition', 'io.kestra.plugin.core.condition.ExecutionFlowCondition'],
    required: ['namespace', 'flowId'],
    properties: { namespace: { type: 'string' }, flowId: { type: 'string' } },
  },
  {
    type: EXECUTION_NAMESPACE_CONDITION,
    aliases: [
      'io.kestra.core.models.conditions.types.ExecutionNamespaceCondition',
      'io.kestra.plugin.core.condition.ExecutionNamespaceCondition',
    ],
    required: ['namespace'],
    properties: { namespace: { type: 'string' }, comparison: { enum: ['EQUALS', 'PREFIX', 'SUFFIX'] }, prefix: { type: 'boolean' } },
  },
  {
    type: EXECUTION_LABELS_CONDITION,
    aliases: [
      'io.kestra.core.models.conditions.types.ExecutionLabelsCondition',
      'io.kestra.plugin.core.condition.ExecutionLabelsCondition',
    ],
    required: ['labels'],
    properties: { labels },
  },
  {
    type: EXECUTION_OUTPUTS_CONDITION,
    aliases: [
      'io.kestra.core.models.conditions.types.ExecutionOutputsCondition',
      'io.kestra.plugin.core.condition.ExecutionOutputsCondition',
    ],
    required: ['expression'],
    properties: { expression: { type: 'string', minLength: 1 } },
  },
  {
    type: HAS_RETRY_ATTEMPT_CONDITION,
    aliases: [
      'io.kestra.core.models.conditions.types.HasRetryAttemptCondition',
      'io.kestra.plugin.core.condition.HasRetryAttemptCondition',
    ],
    required: [],
    properties: { in: states, notIn: states },
  },
  {
    type: FLOW_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.FlowCondition'],
    required: ['namespace', 'flowId'],
    properties: { namespace: { type: 'string' }, flowId: { type: 'string' } },
  },
  {
    type: FLOW_NAMESPACE_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.FlowNamespaceCondition'],
    required: ['namespace'],
    properties: { namespace: { type: 'string' }, prefix: { type: 'boolean' } },
  },
  {
    type: EXPRESSION_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.VariableCondition', 'io.kestra.plugin.core.condition.ExpressionCondition'],
    required: ['expression'],
    properties: { expression: { type: 'string', minLength: 1 } },
  },
  {
    type: NOT_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.NotCondition', 'io.kestra.plugin.core.condition.NotCondition'],
    required: ['conditions'],
    properties: { conditions: subConditions },
  },
  {
    type: OR_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.OrCondition', 'io.kestra.plugin.core.condition.OrCondition'],
    required: ['conditions'],
    properties: { conditions: subConditions },
  },
  {
    type: DATE_TIME_BETWEEN_CONDITION,
    aliases: [
      'io.kestra.core.models.conditions.types.DateTimeBetweenCondition',
      'io.kestra.plugin.core.condition.DateTimeBetweenCondition',
    ],
    required: [],
    properties: { date: conditionDate, after: zonedDateTime, before: zonedDateTime },
  },
  {
    type: DAY_WEEK_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.DayWeekCondition', 'io.kestra.plugin.core.condition.DayWeekCondition'],
    required: ['dayOfWeek'],
    properties: { date: conditionDate, dayOfWeek },
  },
  {
    type: DAY_WEEK_IN_MONTH_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.DayWeekInMonthCondition', 'io.kestra.plugin.core.condition.DayWeekInMonthCondition'],
    required: ['dayOfWeek', 'dayInMonth'],
    properties: { date: conditionDate, dayOfWeek, dayInMonth: { enum: ['FIRST', 'LAST', 'SECOND', 'THIRD', 'FOURTH'] } },
  },
  {
    type: TIME_BETWEEN_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.TimeBetweenCondition', 'io.kestra.plugin.core.condition.TimeBetweenCondition'],
    required: [],
    properties: { date: conditionDate, after: offsetTime, before: offsetTime },
  },
  {
    type: WEEKEND_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.WeekendCondition', 'io.kestra.plugin.core.condition.WeekendCondition'],
    required: [],
    properties: { date: conditionDate },
  },
  {
    type: PUBLIC_HOLIDAY_CONDITION,
    aliases: ['io.kestra.core.models.conditions.types.PublicHolidayCondition', 'io.kestra.plugin.core.condition.PublicHolidayCondition'],
    required: [],
    properties: {
      date: conditionDate,
      country: {
        type: 'string',
        description:
          "A template: the ISO 3166-1 alpha-2 code of the country (or another calendar of Jollyday 0.32.0's, such as NYSE or TARGET). Default: the render locale's country (US for en_US).",
      },
      subDivision: {
        type: 'string',
        description:
          "A template: the sub-division as Jollyday names it under the country (`BY` for Bavaria in DE, `NY` in US: the part after the ISO 3166-2 code's dash). Default: the country's holidays only.",
      },
    },
  },
];

function resolve(list: readonly PluginSchema[], name: string): PluginSchema | undefined {
  return list.find((s) => s.type === name || s.aliases.includes(name));
}

/** The trigger type a name or alias stands for. */
export function triggerSchema(name: string): PluginSchema | undefined {
  return resolve(TRIGGER_SCHEMAS, name);
}

export function conditionSchema(name: string): PluginSchema | undefined {
  return resolve(CONDITION_SCHEMAS, name);
}

export function triggerObjectSchema(def: PluginSchema): JsonSchema {
  return {
    type: 'object',
    required: ['id', 'type', ...def.required],
    properties: { ...commonTriggerProperties, ...def.properties },
    additionalProperties: false,
  };
}

export function conditionObjectSchema(def: PluginSchema): JsonSchema {
  return {
    type: 'object',
    required: ['type', ...def.required],
    properties: { type: { type: 'string' }, description: { type: 'string' }, ...def.properties },
    additionalProperties: false,
  };
}

/** A condition as written, with its type resolved when pebbleflow knows it. */
export interface ConditionDefinition {
  /** Canonical type when supported, else the type as written. */
  readonly type: string;
  readonly declaredType: string;
  readonly supported: boolean;
  /** Every property but `type` (and, for Not and Or, `conditions`), as written. */
  readonly properties: Readonly<Record<string, unknown>>;
  /** Not and Or: the conditions they combine. */
  readonly conditions?: readonly ConditionDefinition[];
  /** Set on a Schedule's deprecated `scheduleConditions`, which Kestra's Schedule.evaluate does not re-check. */
  readonly scheduleConditions?: true;
}

/** A trigger as written: the server arms the supported ones. */
export interface TriggerDefinition {
  readonly id: string;
  /** Canonical type when supported, else the type as written. */
  readonly type: string;
  readonly declaredType: string;
  readonly supported: boolean;
  readonly disabled: boolean;
  /** Every property but id, type, disabled and conditions, unrendered. */
  readonly properties: Readonly<Record<string, unknown>>;
  readonly conditions: readonly ConditionDefinition[];
  readonly line?: number;
  readonly column?: number;
}

/** What the loader offers the trigger checks: problem reporting at a path of the flow. */
export interface TriggerCheckSink {
  invalid(message: string, path: readonly (string | number)[]): void;
}

/**
 * Checks what a schema cannot: the cron expression parses as Kestra's does, the time zone exists.
 * Kestra's message: `invalid cron expression '…': …` (ScheduleValidator).
 */
export function checkScheduleSemantics(raw: Record<string, unknown>, path: readonly (string | number)[], sink: TriggerCheckSink): void {
  const cron = raw.cron;
  if (typeof cron === 'string') {
    try {
      CronSchedule.of(cron, { withSeconds: raw.withSeconds === true, timezone: 'UTC' });
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      sink.invalid(`invalid cron expression '${cron}': ${e.message}`, [...path, 'cron']);
    }
  }
  if (typeof raw.timezone === 'string') {
    try {
      cronZone(raw.timezone);
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      sink.invalid(e.message, [...path, 'timezone']);
    }
  }
}
