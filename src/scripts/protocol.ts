/**
 * Kestra's output protocol: a line of a script's stdout or stderr that is exactly `::{…}::` carries
 * JSON — `outputs` (merged into the task's `vars`, values keep their JSON types), `metrics`
 * (`{name, type, value, tags}`) and `logs` (`{level, message}`). Such a line is consumed, not logged
 * (Kestra's `TaskLogLineMatcher`); any other line is logged, stdout at INFO and stderr at ERROR.
 */
import { parseJson } from '../engine/builtins/kestra/json.js';
import { isList, isMap } from '../engine/values.js';
import { LOG_LEVELS, type LogLevel } from '../flow/schema.js';

const LOG_DATA = /^::(\{.*\})::$/;
const METRIC_TYPES = new Set(['counter', 'timer', 'gauge']);

export interface ScriptMetric {
  readonly name: string;
  readonly type: string;
  readonly value: unknown;
  readonly tags: Readonly<Record<string, unknown>>;
}

export type ProtocolLine =
  | {
      readonly kind: 'data';
      readonly outputs: Readonly<Record<string, unknown>>;
      readonly metrics: readonly ScriptMetric[];
      readonly logs: readonly { readonly level: LogLevel; readonly message: string }[];
    }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'text' };

/** slf4j's `Level` names; Jackson refuses any other. */
function logLevel(value: unknown): LogLevel | undefined {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value) ? (value as LogLevel) : undefined;
}

export function parseProtocolLine(line: string): ProtocolLine {
  const m = LOG_DATA.exec(line);
  if (m === null) return { kind: 'text' };
  let data: unknown;
  try {
    data = parseJson(m[1] as string);
  } catch (e) {
    return { kind: 'invalid', message: `Invalid outputs '${(e as Error).message}'` };
  }
  if (!isMap(data)) return { kind: 'invalid', message: `Invalid outputs '${m[1] as string}'` };
  const problems: string[] = [];
  if (data['outputs'] !== undefined && data['outputs'] !== null && !isMap(data['outputs'])) {
    return { kind: 'invalid', message: `Invalid outputs '${m[1] as string}': outputs must be a map` };
  }
  const outputs = isMap(data['outputs']) ? data['outputs'] : {};
  const metrics: ScriptMetric[] = [];
  if (isList(data['metrics'])) {
    for (const metric of data['metrics']) {
      if (isMap(metric) && typeof metric['name'] === 'string' && METRIC_TYPES.has(String(metric['type']))) {
        metrics.push({
          name: metric['name'],
          type: String(metric['type']),
          value: metric['value'],
          tags: isMap(metric['tags']) ? metric['tags'] : {},
        });
      } else problems.push(`Invalid metric '${JSON.stringify(metric)}'`);
    }
  }
  const logs: { level: LogLevel; message: string }[] = [];
  if (isList(data['logs'])) {
    for (const entry of data['logs']) {
      const level = isMap(entry) ? logLevel(entry['level']) : undefined;
      if (isMap(entry) && level !== undefined) {
        const message = entry['message'];
        logs.push({ level, message: typeof message === 'string' ? message : (JSON.stringify(message) ?? 'null') });
      } else problems.push(`Invalid log '${m[1] as string}'`);
    }
  }
  // Jackson refuses the whole line when one entry does not fit: nothing of it is used.
  if (problems.length > 0) return { kind: 'invalid', message: problems.join('; ') };
  return { kind: 'data', outputs, metrics, logs };
}
