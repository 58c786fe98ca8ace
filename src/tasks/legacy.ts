/**
 * The task shape of earlier releases (`TaskPlugin`: properties as bare JSON Schemas,
 * `childTaskLists`), still accepted by `registerTaskType` and `TaskRegistry.register`.
 */
import type { JsonSchema } from '../flow/schema.js';
import type { ChildTasksDefinition, PropertyDefinition, TaskDefinition, TaskRunContext, TaskResult } from './definition.js';

export interface LegacyTaskPlugin {
  readonly type: string;
  readonly aliases?: readonly string[];
  readonly title?: string;
  /** Property name → JSON Schema of its value. */
  readonly properties: Readonly<Record<string, JsonSchema | PropertyDefinition>>;
  readonly required?: readonly string[];
  readonly childTaskLists?: readonly string[];
  readonly children?: Readonly<Record<string, ChildTasksDefinition>>;
  run(context: TaskRunContext): Promise<TaskResult | void>;
}

/** A property definition says `kind`, `schema` or `dynamic` (or `required` as a boolean); anything else is a bare JSON Schema. */
function isPropertyDefinition(value: JsonSchema | PropertyDefinition): value is PropertyDefinition {
  return 'schema' in value || 'kind' in value || 'dynamic' in value || typeof value.required === 'boolean';
}

/** A bare JSON Schema becomes `{ schema }`, unrendered as before. */
function normalizeProperty(value: JsonSchema | PropertyDefinition): PropertyDefinition {
  return isPropertyDefinition(value) ? value : { schema: value, dynamic: false };
}

export function normalizeTaskDefinition(definition: TaskDefinition | LegacyTaskPlugin): TaskDefinition {
  const legacy = definition as LegacyTaskPlugin;
  const needsProps = Object.values(legacy.properties).some((p) => !isPropertyDefinition(p));
  if (!needsProps && legacy.childTaskLists === undefined) return definition;
  const properties: Record<string, PropertyDefinition> = {};
  for (const [name, value] of Object.entries(legacy.properties)) properties[name] = normalizeProperty(value);
  const children: Record<string, ChildTasksDefinition> = { ...(legacy.children ?? {}) };
  for (const list of legacy.childTaskLists ?? []) children[list] ??= {};
  const { childTaskLists: _ignored, ...rest } = legacy;
  return {
    ...(rest as Omit<TaskDefinition, 'properties' | 'children'>),
    properties,
    ...(Object.keys(children).length > 0 ? { children } : {}),
  };
}
