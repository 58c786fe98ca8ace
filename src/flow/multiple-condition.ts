/**
 * Conditions over several executions in a time window, as Kestra writes them: a Flow trigger's
 * `preconditions` (Flow.Preconditions: `flows`, `where`, `timeWindow`, `resetOnSuccess`) and the
 * deprecated `MultipleCondition` condition (a map of conditions, `timeWindow`, or the older
 * `window`/`windowAdvance`). This module is the flow side: their schemas, the checks a schema cannot
 * make (Kestra's TimeWindowValidator and PreconditionFilterValidator), and the model the server
 * evaluates (src/server/triggers/multiple-conditions.ts keeps the windows).
 *
 * Reference (kestra-io/kestra): `core/src/main/java/io/kestra/plugin/core/trigger/Flow.java`,
 * `core/src/main/java/io/kestra/plugin/core/condition/MultipleCondition.java`,
 * `core/src/main/java/io/kestra/core/models/triggers/TimeWindow.java`,
 * `core/src/main/java/io/kestra/core/validations/validator/{TimeWindow,PreconditionFilter}Validator.java`.
 */
import { parseDuration } from './duration.js';
import { DURATION_PATTERN, TASK_ID_PATTERN, type JsonSchema } from './schema.js';
import { STATE_TYPES } from './execution.js';
import type { ConditionDefinition, PluginSchema } from './triggers.js';

export const MULTIPLE_CONDITION = 'io.kestra.plugin.core.condition.MultipleCondition';

export const TIME_WINDOW_TYPES = ['DAILY_TIME_DEADLINE', 'DAILY_TIME_WINDOW', 'DURATION_WINDOW', 'SLIDING_WINDOW'] as const;
export type TimeWindowType = (typeof TIME_WINDOW_TYPES)[number];

/** Kestra's `TimeWindow`: durations in milliseconds, times of day in seconds (LocalTime.toSecondOfDay). */
export interface TimeWindow {
  readonly type: TimeWindowType;
  readonly window?: number;
  readonly windowAdvance?: number;
  readonly deadline?: number;
  readonly startTime?: number;
  readonly endTime?: number;
}

/** `Flow.FilterCondition` fields and types. */
export const FILTER_FIELDS = ['FLOW_ID', 'NAMESPACE', 'STATE', 'EXPRESSION'] as const;
export const FILTER_TYPES = [
  'EQUAL_TO',
  'NOT_EQUAL_TO',
  'IN',
  'NOT_IN',
  'IS_TRUE',
  'IS_FALSE',
  'IS_NULL',
  'IS_NOT_NULL',
  'STARTS_WITH',
  'ENDS_WITH',
  'REGEX',
  'CONTAINS',
] as const;
const NEEDS_VALUE = [
  'EQUAL_TO',
  'NOT_EQUAL_TO',
  'IS_NULL',
  'IS_NOT_NULL',
  'IS_TRUE',
  'IS_FALSE',
  'STARTS_WITH',
  'ENDS_WITH',
  'REGEX',
  'CONTAINS',
];
const NEEDS_VALUES = ['IN', 'NOT_IN'];

export interface UpstreamFlow {
  readonly namespace?: string;
  readonly flowId?: string;
  readonly states?: readonly string[];
  readonly labels?: Readonly<Record<string, unknown>>;
}

export interface ExecutionFilter {
  readonly id: string;
  readonly operand?: 'AND' | 'OR';
  readonly filters: readonly { field?: string; type?: string; value?: string; values?: string[] }[];
}

/** One condition of a multiple condition, under the key its result is stored with. */
export type WindowedCondition =
  | { readonly key: string; readonly kind: 'upstream'; readonly upstream: UpstreamFlow }
  | { readonly key: string; readonly kind: 'filter'; readonly filter: ExecutionFilter }
  | { readonly key: string; readonly kind: 'condition'; readonly condition: ConditionDefinition };

/** Kestra's `multipleflows.MultipleCondition`: what FlowTriggerService evaluates over a window. */
export interface MultipleConditionSpec {
  readonly id: string;
  readonly timeWindow: TimeWindow;
  /** Kestra: only an explicit `false` keeps the results after a success. */
  readonly resetOnSuccess: boolean;
  readonly conditions: readonly WindowedCondition[];
}

// --- schemas --------------------------------------------------------------------------------------

const LOCAL_TIME_PATTERN = '^\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?$';
const localTime: JsonSchema = { type: 'string', pattern: LOCAL_TIME_PATTERN, description: 'A time of day, HH:mm[:ss] (UTC).' };
const javaDuration: JsonSchema = { type: 'string', pattern: DURATION_PATTERN };

export const timeWindowSchema: JsonSchema = {
  type: 'object',
  properties: {
    type: { enum: [...TIME_WINDOW_TYPES] },
    window: javaDuration,
    windowAdvance: javaDuration,
    deadline: localTime,
    startTime: localTime,
    endTime: localTime,
  },
  additionalProperties: false,
};

const states: JsonSchema = { type: 'array', items: { enum: [...STATE_TYPES] } };

export const preconditionsSchema: JsonSchema = {
  type: 'object',
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: TASK_ID_PATTERN },
    timeWindow: timeWindowSchema,
    resetOnSuccess: { type: 'boolean' },
    flows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['namespace'],
        properties: {
          namespace: { type: 'string' },
          flowId: { type: 'string' },
          states,
          labels: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
        },
        additionalProperties: false,
      },
    },
    where: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'filters'],
        properties: {
          id: { type: 'string', minLength: 1 },
          operand: { enum: ['AND', 'OR'] },
          filters: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['field', 'type'],
              properties: {
                field: { enum: [...FILTER_FIELDS] },
                type: { enum: [...FILTER_TYPES] },
                value: { type: 'string' },
                values: { type: 'array', items: { type: 'string' } },
              },
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

export const MULTIPLE_CONDITION_SCHEMA: PluginSchema = {
  type: MULTIPLE_CONDITION,
  aliases: ['io.kestra.core.models.conditions.types.MultipleCondition'],
  required: ['id', 'conditions'],
  properties: {
    id: { type: 'string', pattern: TASK_ID_PATTERN },
    timeWindow: timeWindowSchema,
    resetOnSuccess: { type: 'boolean' },
    window: { ...javaDuration, deprecated: true },
    windowAdvance: { ...javaDuration, deprecated: true },
    conditions: {
      type: 'object',
      minProperties: 1,
      additionalProperties: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
    },
  },
};

// --- checks ---------------------------------------------------------------------------------------

/** Jackson's LocalTime (`HH:mm[:ss[.n]]`) as seconds of the day, or undefined. */
export function parseLocalTime(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (!new RegExp(LOCAL_TIME_PATTERN).test(text)) return undefined;
  const parts = /^(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text);
  if (parts === null) return undefined;
  const [h, min, s] = [Number(parts[1]), Number(parts[2]), Number(parts[3] ?? 0)];
  if (h > 23 || min > 59 || s > 59) return undefined;
  return h * 3600 + min * 60 + s;
}

export interface CheckSink {
  invalid(message: string, path: readonly (string | number)[]): void;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** TimeWindowValidator: which properties each type takes; plus what Jackson would refuse to read. */
export function checkTimeWindow(raw: unknown, path: readonly (string | number)[], sink: CheckSink): void {
  if (!isRecord(raw)) return;
  for (const key of ['deadline', 'startTime', 'endTime'] as const)
    if (typeof raw[key] === 'string' && parseLocalTime(raw[key]) === undefined)
      sink.invalid(`Invalid time \`${String(raw[key])}\`: expected HH:mm[:ss]`, [...path, key]);
  const type = typeof raw.type === 'string' ? raw.type : 'DURATION_WINDOW';
  const has = (k: string): boolean => raw[k] !== undefined && raw[k] !== null;
  const refuse = (k: string, what: string): void => {
    if (has(k)) sink.invalid(`Time window of type \`${type}\` cannot have ${what}.`, [...path, k]);
  };
  const need = (k: string, what: string): void => {
    if (!has(k)) sink.invalid(`Time window of type \`${type}\` must have ${what}.`, path);
  };
  switch (type) {
    case 'DAILY_TIME_DEADLINE':
      refuse('window', 'a window');
      refuse('windowAdvance', 'a window advance');
      refuse('startTime', 'a start time');
      refuse('endTime', 'an end time');
      need('deadline', 'a deadline');
      break;
    case 'DAILY_TIME_WINDOW':
      refuse('window', 'a window');
      refuse('windowAdvance', 'a window advance');
      refuse('deadline', 'a deadline');
      need('startTime', 'a start time');
      need('endTime', 'an end time');
      break;
    case 'DURATION_WINDOW':
      refuse('deadline', 'a deadline');
      refuse('startTime', 'a start time');
      refuse('endTime', 'an end time');
      break;
    case 'SLIDING_WINDOW':
      refuse('deadline', 'a deadline');
      refuse('startTime', 'a start time');
      refuse('endTime', 'an end time');
      refuse('windowAdvance', 'a window advance');
      break;
    default:
      break; // the schema reported it
  }
}

/** A Flow trigger's `preconditions`: its time window and PreconditionFilterValidator on each filter. */
export function checkPreconditions(raw: unknown, path: readonly (string | number)[], sink: CheckSink): void {
  if (!isRecord(raw)) return;
  checkTimeWindow(raw.timeWindow, [...path, 'timeWindow'], sink);
  if (!Array.isArray(raw.where)) return;
  raw.where.forEach((w: unknown, i) => {
    if (!isRecord(w) || !Array.isArray(w.filters)) return;
    w.filters.forEach((f: unknown, j) => {
      if (!isRecord(f) || typeof f.type !== 'string') return;
      const at = [...path, 'where', i, 'filters', j];
      const hasValue = f.value !== undefined && f.value !== null;
      const hasValues = f.values !== undefined && f.values !== null;
      if (NEEDS_VALUE.includes(f.type) && !hasValue) sink.invalid(`\`value\` cannot be null for type ${f.type}`, at);
      else if (!NEEDS_VALUE.includes(f.type) && hasValue) sink.invalid(`\`value\` must be null for type ${f.type}`, [...at, 'value']);
      else if (NEEDS_VALUES.includes(f.type) && !hasValues) sink.invalid(`\`values\` cannot be null for type ${f.type}`, at);
      else if (!NEEDS_VALUES.includes(f.type) && hasValues) sink.invalid(`\`values\` must be null for type ${f.type}`, [...at, 'values']);
    });
  });
}

/** The deprecated MultipleCondition: its time window (after `window`/`windowAdvance` are folded in). */
export function checkMultipleCondition(raw: Record<string, unknown>, path: readonly (string | number)[], sink: CheckSink): void {
  checkTimeWindow(foldLegacyWindow(raw), [...path, 'timeWindow'], sink);
}

/** MultipleCondition.setWindow/setWindowAdvance: the deprecated properties set the time window's. */
function foldLegacyWindow(raw: Record<string, unknown>): Record<string, unknown> {
  const tw = isRecord(raw.timeWindow) ? raw.timeWindow : {};
  return {
    ...tw,
    ...(raw.window === undefined ? {} : { window: raw.window }),
    ...(raw.windowAdvance === undefined ? {} : { windowAdvance: raw.windowAdvance }),
  };
}

// --- the model ------------------------------------------------------------------------------------

function timeWindowOf(raw: unknown): TimeWindow {
  const tw = isRecord(raw) ? raw : {};
  const type = (TIME_WINDOW_TYPES as readonly string[]).includes(String(tw.type)) ? (tw.type as TimeWindowType) : 'DURATION_WINDOW';
  const duration = (v: unknown): number | undefined => (typeof v === 'string' ? parseDuration(v) : undefined);
  const out: { -readonly [K in keyof TimeWindow]: TimeWindow[K] } = { type };
  const window = duration(tw.window);
  const windowAdvance = duration(tw.windowAdvance);
  const deadline = parseLocalTime(tw.deadline);
  const startTime = parseLocalTime(tw.startTime);
  const endTime = parseLocalTime(tw.endTime);
  if (window !== undefined) out.window = window;
  if (windowAdvance !== undefined) out.windowAdvance = windowAdvance;
  if (deadline !== undefined) out.deadline = deadline;
  if (startTime !== undefined) out.startTime = startTime;
  if (endTime !== undefined) out.endTime = endTime;
  return out;
}

/**
 * Flow.Preconditions.getConditions: `flows` become `condition_1`…`condition_n`, then each `where`
 * filter `condition_<n+i>_<id>` (the keys under which a window stores its results).
 */
export function preconditionsSpec(raw: unknown): MultipleConditionSpec | undefined {
  if (!isRecord(raw)) return undefined;
  const conditions: WindowedCondition[] = [];
  let n = 0;
  for (const f of Array.isArray(raw.flows) ? raw.flows : [])
    if (isRecord(f)) conditions.push({ key: `condition_${++n}`, kind: 'upstream', upstream: f });
  for (const w of Array.isArray(raw.where) ? raw.where : [])
    if (isRecord(w)) conditions.push({ key: `condition_${++n}_${String(w.id)}`, kind: 'filter', filter: w as unknown as ExecutionFilter });
  return {
    id: String(raw.id),
    timeWindow: timeWindowOf(raw.timeWindow),
    resetOnSuccess: raw.resetOnSuccess !== false,
    conditions,
  };
}

/** The deprecated MultipleCondition condition; `resolve` turns each of its conditions into a definition. */
export function multipleConditionSpec(
  condition: ConditionDefinition,
  resolve: (raw: Record<string, unknown>) => ConditionDefinition,
): MultipleConditionSpec {
  const p = condition.properties;
  const map = isRecord(p.conditions) ? p.conditions : {};
  return {
    id: String(p.id),
    timeWindow: timeWindowOf(foldLegacyWindow(p)),
    resetOnSuccess: p.resetOnSuccess !== false,
    conditions: Object.entries(map)
      .filter((e): e is [string, Record<string, unknown>] => isRecord(e[1]))
      .map(([key, raw]) => ({ key, kind: 'condition' as const, condition: resolve(raw) })),
  };
}
