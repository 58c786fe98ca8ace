/** Calling built-ins and extension functions directly, with a CallContext as the engine builds one. */
import type { CallContext, Extension, RenderScope } from '../../src/engine/extension.js';

export interface CallContextOptions {
  /** What `lookup` and `variables()` see. */
  readonly variables?: Record<string, unknown>;
  readonly nestedDepth?: number;
  /** What renderNested returns; by default `{{ name }}` placeholders are looked up in `variables`. */
  readonly renderNested?: (template: string) => string | Promise<string>;
}

/** A CallContext that records what was marked sensitive and what was rendered nested. */
export function callContext(
  scope: RenderScope = {},
  options: CallContextOptions = {},
): CallContext & { sensitive: string[]; rendered: string[] } {
  const variables = options.variables ?? {};
  const sensitive: string[] = [];
  const rendered: string[] = [];
  return {
    templateName: 'test',
    line: 1,
    scope,
    lookup: (name) => variables[name],
    variables: () => ({ ...variables }),
    renderNested(template) {
      rendered.push(template);
      if (options.renderNested) return options.renderNested(template);
      return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => String(variables[name] ?? ''));
    },
    nestedDepth: options.nestedDepth ?? 0,
    markSensitive: (value: string) => {
      sensitive.push(value);
      scope.onSensitiveValue?.(value);
    },
    sensitive,
    rendered,
  };
}

/** Positional arguments mapped onto `argNames` (Pebble's rule), named ones added. */
export function mapArgs(
  argNames: readonly string[] | undefined,
  positional: readonly unknown[],
  named: Record<string, unknown> = {},
): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  positional.forEach((value, index) => {
    args[argNames?.[index] ?? String(index)] = value;
  });
  return { ...args, ...named };
}

/** Calls an extension function the way the engine does. */
export async function callFunction(
  extension: Extension,
  name: string,
  positional: unknown[],
  ctx: CallContext,
  named: Record<string, unknown> = {},
): Promise<unknown> {
  const definition = extension.functions?.[name];
  if (!definition) throw new Error(`no function ${name}`);
  return definition.call(mapArgs(definition.argNames, positional, named), ctx);
}
