import type { CallContext, Extension, RenderScope } from '../../src/engine/extension.js';

/** A CallContext as the engine builds one, recording what was marked sensitive. */
export function callContext(scope: RenderScope = {}): CallContext & { sensitive: string[] } {
  const sensitive: string[] = [];
  return {
    templateName: 'test',
    line: 1,
    scope,
    lookup: () => undefined,
    variables: () => ({}),
    renderNested: (template: string) => template,
    nestedDepth: 0,
    markSensitive: (value: string) => {
      sensitive.push(value);
      scope.onSensitiveValue?.(value);
    },
    sensitive,
  };
}

/** Calls an extension function the way the engine does (positional args mapped to argNames). */
export async function callFunction(
  extension: Extension,
  name: string,
  positional: unknown[],
  ctx: CallContext,
  named: Record<string, unknown> = {},
): Promise<unknown> {
  const definition = extension.functions?.[name];
  if (!definition) throw new Error(`no function ${name}`);
  const args: Record<string, unknown> = { ...named };
  positional.forEach((value, index) => {
    args[definition.argNames?.[index] ?? String(index)] = value;
  });
  return definition.call(args, ctx);
}
