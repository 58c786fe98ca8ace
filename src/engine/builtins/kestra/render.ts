/**
 * `render(x, recursive=true)` and `renderOnce(x)`: render a value that itself holds template
 * text (Kestra does not render variables recursively by default). Strings, map keys and values
 * and list items are rendered with the caller's variables; other values come back unchanged.
 * The nesting limit (16 by default, as Kestra) is enforced by the engine's `renderNested`.
 */
import { LimitExceededError, TemplateError } from '../../errors.js';
import type { CallContext, FunctionDefinition, MaybePromise } from '../../extension.js';
import { OrderedMapBuilder, ValueWalk, isList, isMap, mapKeys } from '../../values.js';
import { functionError, mapMaybe, then } from './common.js';

/** Kestra's MAX_RENDERING_AMOUNT. */
export const MAX_RENDER_PASSES = 100;

/** The engine's depth error, reworded as Kestra words it (RenderFunction). */
function kestraDepthError(e: unknown, ctx: CallContext): unknown {
  if (!(e instanceof TemplateError) || e.code !== 'LIMIT_EXCEEDED') return e;
  const m = /nested deeper than the limit of (\d+)/.exec(e.rawMessage);
  if (m === null) return e;
  return new LimitExceededError(
    'maxNestedRenderDepth',
    `Maximum render() nesting depth (${m[1]}) exceeded at line ${ctx.line} — check for circular render() calls in your template.`,
    { cause: e },
  );
}

function renderText(ctx: CallContext, text: string): MaybePromise<string> {
  try {
    const out = ctx.renderNested(text);
    return out instanceof Promise ? out.catch((e: unknown) => Promise.reject(kestraDepthError(e, ctx))) : out;
  } catch (e) {
    throw kestraDepthError(e, ctx);
  }
}

function renderStringUntilStable(ctx: CallContext, text: string, pass: number): MaybePromise<string> {
  if (pass >= MAX_RENDER_PASSES) {
    throw new LimitExceededError('renderPasses', `Too many rendering attempts: the value kept changing after ${MAX_RENDER_PASSES} passes`);
  }
  return then(renderText(ctx, text), (next) => (next === text ? next : renderStringUntilStable(ctx, next, pass + 1)));
}

function renderValue(ctx: CallContext, value: unknown, recursive: boolean, depth: number, walk = new ValueWalk()): MaybePromise<unknown> {
  if (depth > 1000) throw functionError('Value nesting depth exceeds the maximum allowed');
  if (typeof value === 'string') return recursive ? renderStringUntilStable(ctx, value, 0) : renderText(ctx, value);
  if (isList(value)) {
    walk.enter();
    return mapMaybe(value, (item) => renderValue(ctx, item, recursive, depth + 1, walk));
  }
  if (isMap(value)) {
    walk.enter();
    const keys = mapKeys(value);
    return then(
      mapMaybe(keys, (k) =>
        then(renderValue(ctx, k, recursive, depth + 1, walk), (rk) =>
          then(renderValue(ctx, value[k], recursive, depth + 1, walk), (rv) => [rk, rv] as const),
        ),
      ),
      (entries) => {
        const out = new OrderedMapBuilder();
        // Kestra fills the result with putIfAbsent: on a key collision the first one wins.
        for (const [k, v] of entries) out.setIfAbsent(String(k), v);
        return out.build();
      },
    );
  }
  return value;
}

function toRenderArg(args: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(args, 'toRender')) return args['toRender'];
  if (Object.hasOwn(args, 'template')) return args['template'];
  throw functionError(`The '${name}' function expects an argument 'toRender'.`);
}

const render: FunctionDefinition = {
  argNames: ['toRender', 'recursive'],
  call(args, ctx) {
    const value = toRenderArg(args, 'render');
    const recursiveArg = args['recursive'] ?? true;
    if (typeof recursiveArg !== 'boolean') {
      throw functionError(`The 'render' function expects an optional argument 'recursive' with type boolean.`);
    }
    return renderValue(ctx, value, recursiveArg, 0);
  },
};

const renderOnce: FunctionDefinition = {
  argNames: ['toRender'],
  call(args, ctx) {
    const value = toRenderArg(args, 'renderOnce');
    return renderValue(ctx, value, false, 0);
  },
};

export const renderFunctions: Record<string, FunctionDefinition> = { render, renderOnce };
