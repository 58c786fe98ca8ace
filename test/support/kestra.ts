/** Calling Kestra's built-ins directly (and through the real engine), for test/kestra. */
import type { CallContext, FilterDefinition, FunctionDefinition, TestDefinition } from '../../src/engine/extension.js';
import { TemplateError } from '../../src/engine/errors.js';
import { kestraExtension } from '../../src/engine/builtins/kestra/index.js';
import { createEngine } from '../../src/index.js';
import { callContext, mapArgs } from './call-context.js';

const extension = kestraExtension();

function definition<T>(table: Readonly<Record<string, T>> | undefined, kind: string, name: string): T {
  const def = table?.[name];
  if (def === undefined) throw new Error(`no ${kind} ${name}`);
  return def;
}

/** Calls a Kestra filter the way the engine would, positional arguments mapped onto argNames. */
export function filter(
  name: string,
  input: unknown,
  positional: unknown[] = [],
  named: Record<string, unknown> = {},
  ctx: CallContext = callContext(),
): unknown {
  const def: FilterDefinition = definition(extension.filters, 'filter', name);
  return def.call(input, mapArgs(def.argNames, positional, named), ctx);
}

export function fn(
  name: string,
  positional: unknown[] = [],
  named: Record<string, unknown> = {},
  ctx: CallContext = callContext(),
): unknown {
  const def: FunctionDefinition = definition(extension.functions, 'function', name);
  return def.call(mapArgs(def.argNames, positional, named), ctx);
}

export function kestraTest(name: string, input: unknown, ctx: CallContext = callContext()): unknown {
  const def: TestDefinition = definition(extension.tests, 'test', name);
  return def.call(input, {}, ctx);
}

/** Asserts that calling `f` throws a TemplateError whose message contains `text`. */
export function expectTemplateError(f: () => unknown, text?: string, code?: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(TemplateError);
  if (text !== undefined) expect((thrown as TemplateError).message).toContain(text);
  if (code !== undefined) expect((thrown as TemplateError).code).toBe(code);
}

/** Renders through the real engine with Kestra's extension registered. */
export const engine = createEngine({ extensions: [extension] });

export function render(template: string, context: Record<string, unknown> = {}): Promise<string> {
  return engine.render(template, context);
}

export async function renderError(template: string, context: Record<string, unknown> = {}): Promise<TemplateError> {
  try {
    const out = await engine.render(template, context);
    throw new Error(`expected an error, got ${JSON.stringify(out)}`);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return e;
  }
}
