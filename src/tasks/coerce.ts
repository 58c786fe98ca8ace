/** Turning rendered property values into what a task needs, with errors that name the property. */
import { parseJsonKeepingOrder } from '../engine/builtins/kestra/json.js';
import { parseDuration } from '../flow/duration.js';
import type { StateType } from '../flow/execution.js';
import type { PropertyKind } from './definition.js';
import { TaskError } from './types.js';

/**
 * Kestra's `TruthUtils`: false for exactly "false", "0", "-0", "" and null; true for anything else
 * (no trimming, as in Kestra: " " and "false\n" are true).
 */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  return !['false', '0', '-0', ''].includes(String(value));
}

export function asBoolean(value: unknown, property: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${property}\`: expected true or false, got \`${String(value)}\``);
}

export function asDurationMs(value: unknown, property: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = parseDuration(String(value));
  if (ms === undefined || ms < 0) {
    throw new TaskError(
      'INVALID_PROPERTY',
      `Invalid value for \`${property}\`: expected an ISO-8601 duration such as PT30S, got \`${String(value)}\``,
    );
  }
  return ms;
}

export function asString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function asRecord(value: unknown, property: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value === 'string') {
    // A property written as one expression renders to JSON text (Kestra's Property<Map>).
    try {
      const parsed = parseJsonKeepingOrder(value);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through to the error below
    }
  }
  throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${property}\`: expected a map`);
}

export function asList(value: unknown, property: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    try {
      const parsed = parseJsonKeepingOrder(value);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // fall through
    }
  }
  throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${property}\`: expected a list`);
}

/** A rendered property value coerced to its declared kind (see `PropertyDefinition.kind`). */
export function coerceProperty(value: unknown, kind: PropertyKind, property: string): unknown {
  if (value === undefined || value === null) return value;
  switch (kind) {
    case 'string':
      return asString(value);
    case 'boolean':
      return asBoolean(value, property);
    case 'integer': {
      const n = typeof value === 'number' ? value : /^\s*[+-]?\d+\s*$/.test(String(value)) ? Number(String(value)) : NaN;
      if (!Number.isSafeInteger(n))
        throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${property}\`: expected an integer, got \`${asString(value)}\``);
      return n;
    }
    case 'number': {
      const n = typeof value === 'number' ? value : String(value).trim() === '' ? NaN : Number(String(value));
      if (!Number.isFinite(n))
        throw new TaskError('INVALID_PROPERTY', `Invalid value for \`${property}\`: expected a number, got \`${asString(value)}\``);
      return n;
    }
    case 'duration':
      return asDurationMs(value, property);
    case 'list':
      return asList(value, property);
    case 'map':
      return asRecord(value, property);
    case 'any':
      return value;
  }
}

/** A task's `allowFailure` / `allowWarning` applied to a state (Kestra's rules). */
export function applyTaskAllowances(state: StateType, task: { readonly allowFailure: boolean; readonly allowWarning: boolean }): StateType {
  if (state === 'FAILED' && task.allowFailure) return task.allowWarning ? 'SUCCESS' : 'WARNING';
  if (state === 'WARNING' && task.allowWarning) return 'SUCCESS';
  return state;
}
