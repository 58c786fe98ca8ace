/**
 * The template engine: parses and compiles templates (cached by source, LRU like Kestra's 1000),
 * renders them synchronously or asynchronously, and hosts the filter/function/test registry.
 */
import {
  DEFAULT_LIMITS,
  limitOfRangeError,
  limitPolicy,
  resolveLimits,
  sensitiveValues,
  type LimitPolicy,
  type RenderLimits,
} from './budget.js';
import { compileProgram } from './compile.js';
import { newRenderState, type CompiledProgram, type RenderState } from './runtime.js';
import { LimitExceededError, TemplateError } from './errors.js';
import type {
  Extension,
  FilterDefinition,
  FilterImpl,
  FunctionDefinition,
  FunctionImpl,
  RenderScope,
  TestDefinition,
  TestImpl,
  CallableOptions,
} from './extension.js';
import { coreExtension } from './builtins/core/index.js';
import { DEFAULT_MAX_RANGE_SIZE } from './builtins/core/functions.js';
import { parseJavaLocale } from './locale.js';
import { parseTemplate } from './parser.js';
import { redactError } from './redact.js';
import { isList, isMap, mapKeys, setKeyOrder } from './values.js';

/** Options of an engine: the limits of every render (see `RenderLimits` for each one's default), and more. */
export interface EngineOptions extends RenderLimits {
  /** Longest list `range()` and `a..b` may build (default 1 000 000). */
  readonly maxRangeSize?: number;
  /** Deepest nesting of expressions and tags the parser accepts (default 200). */
  readonly maxDepth?: number;
  /** Compiled templates kept, least recently used evicted (default 1000, as Kestra). */
  readonly cacheSize?: number;
  /** Extensions registered after the core one, in order (later ones override earlier names). */
  readonly extensions?: readonly Extension[];
  /**
   * The locale of renders whose scope sets none (`en_US`, `fr_FR`, `de-DE`): Kestra's JVM default
   * locale. Default `en_US`.
   */
  readonly locale?: string;
}

export type TemplateContext = Readonly<Record<string, unknown>>;

/** A compiled template: reusable, renders any number of times. */
export interface CompiledTemplate {
  readonly name: string;
  readonly source: string;
  render(context?: TemplateContext, scope?: RenderScope): Promise<string>;
  /** `scope` gives the render its limits (`scope.limits`) and what `onSensitiveValue` reports; its signal cannot fire during a synchronous render. */
  renderSync(context?: TemplateContext, scope?: RenderScope): string;
}

const DEFAULTS = {
  maxRangeSize: DEFAULT_MAX_RANGE_SIZE,
  maxDepth: 200,
  cacheSize: 1000,
} as const;

const EMPTY_SCOPE: RenderScope = Object.freeze({});
const EMPTY_CONTEXT: TemplateContext = Object.freeze({});

export class TemplateEngine {
  private readonly filters = new Map<string, FilterDefinition>();
  private readonly functions = new Map<string, FunctionDefinition>();
  private readonly tests = new Map<string, TestDefinition>();
  private readonly cache = new Map<string, CompiledTemplate>();
  private readonly programs = new WeakMap<CompiledTemplate, CompiledProgram>();
  private readonly policy: LimitPolicy;
  private readonly maxDepth: number;
  private readonly cacheSize: number;
  private readonly locale: string | undefined;
  /** Each caller's scope with the engine's locale added, made once per scope object (runners reuse theirs). */
  private readonly localized = new WeakMap<RenderScope, RenderScope>();
  private readonly registry = { filters: this.filters, functions: this.functions, tests: this.tests };
  private readonly boundRenderNested = this.renderNested.bind(this);

  constructor(options: EngineOptions = {}) {
    this.policy = limitPolicy(Object.freeze(resolveLimits(DEFAULT_LIMITS, options)));
    this.maxDepth = options.maxDepth ?? DEFAULTS.maxDepth;
    this.cacheSize = options.cacheSize ?? DEFAULTS.cacheSize;
    if (options.locale !== undefined) parseJavaLocale(options.locale);
    this.locale = options.locale;
    this.addExtension(coreExtension({ maxRangeSize: options.maxRangeSize ?? DEFAULTS.maxRangeSize }));
    for (const extension of options.extensions ?? []) this.addExtension(extension);
  }

  // --- registry -----------------------------------------------------------------------------

  addExtension(extension: Extension): this {
    for (const [name, def] of Object.entries(extension.filters ?? {})) this.filters.set(name, def);
    for (const [name, def] of Object.entries(extension.functions ?? {})) this.functions.set(name, def);
    for (const [name, def] of Object.entries(extension.tests ?? {})) this.tests.set(name, def);
    this.cache.clear();
    return this;
  }

  registerFilter(name: string, impl: FilterImpl, options: CallableOptions = {}): this {
    return this.addExtension({ filters: { [name]: { ...options, call: impl } } });
  }

  registerFunction(name: string, impl: FunctionImpl, options: CallableOptions = {}): this {
    return this.addExtension({ functions: { [name]: { ...options, call: impl } } });
  }

  registerTest(name: string, impl: TestImpl, options: CallableOptions = {}): this {
    return this.addExtension({ tests: { [name]: { ...options, call: impl } } });
  }

  // --- compiling ----------------------------------------------------------------------------

  /** Compiles (or fetches from the cache) a template. The name defaults to the text, as in Kestra's messages. */
  compile(template: string, name?: string): CompiledTemplate {
    const key = name === undefined ? template : `${name}\u0000${template}`;
    const cached = this.cache.get(key);
    if (cached) {
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const compiled = this.build(template, name ?? template);
    this.cache.set(key, compiled);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    return compiled;
  }

  private build(source: string, name: string): CompiledTemplate {
    let program: CompiledProgram;
    try {
      program = compileProgram(parseTemplate(source, { name, maxDepth: this.maxDepth }), name, source, this.registry);
    } catch (e) {
      throw normalizeError(e);
    }
    const compiled: CompiledTemplate = {
      name,
      source,
      render: (context, scope = EMPTY_SCOPE) => {
        let state: RenderState | undefined;
        try {
          state = this.newState(scope, false, 0);
          const r = execute(program, checkContext(context), state);
          return typeof r === 'string' ? Promise.resolve(r) : r.catch((e: unknown) => Promise.reject(failure(e, state)));
        } catch (e) {
          return Promise.reject(failure(e, state));
        }
      },
      renderSync: (context, scope = EMPTY_SCOPE) => {
        let state: RenderState | undefined;
        try {
          state = this.newState(scope, true, 0);
          return execute(program, checkContext(context), state) as string;
        } catch (e) {
          throw failure(e, state);
        }
      },
    };
    this.programs.set(compiled, program);
    return compiled;
  }

  private newState(given: RenderScope, sync: boolean, nestedDepth: number, parent: RenderState | null = null): RenderState {
    const scope = this.locale === undefined || given.locale !== undefined ? given : this.withLocale(given);
    const policy =
      parent !== null
        ? parent.policy
        : scope.limits === undefined
          ? this.policy
          : limitPolicy(resolveLimits(this.policy.limits, scope.limits));
    return newRenderState(scope, policy, sync, nestedDepth, this.boundRenderNested, parent);
  }

  private withLocale(scope: RenderScope): RenderScope {
    let out = this.localized.get(scope);
    if (out === undefined) this.localized.set(scope, (out = { ...scope, locale: this.locale }));
    return out;
  }

  /** Kestra's `render()`: the same variables, one level deeper. */
  private renderNested(template: string, variables: Record<string, unknown>, parent: RenderState): string | Promise<string> {
    if (!template.includes('{')) return template;
    // Re-enter through the cached program directly to carry the depth and the sync mode.
    const program = this.programs.get(this.compile(template))!;
    const r = execute(program, variables, this.newState(parent.scope, parent.sync, parent.nestedDepth + 1, parent));
    return r;
  }

  // --- rendering ----------------------------------------------------------------------------

  /** Renders a template; async functions (`secret()`, `credential()`) are awaited. */
  render(template: string, context?: TemplateContext, scope?: RenderScope): Promise<string> {
    // Kestra's render wrapper: no `{`, nothing to render (and nothing to parse).
    if (!template.includes('{')) return Promise.resolve(template);
    let compiled: CompiledTemplate;
    try {
      compiled = this.compile(template);
    } catch (e) {
      return Promise.reject(e);
    }
    return compiled.render(context, scope);
  }

  /** Renders a template that calls nothing asynchronous; fails with ASYNC_IN_SYNC_RENDER otherwise. */
  renderSync(template: string, context?: TemplateContext, scope?: RenderScope): string {
    if (!template.includes('{')) return template;
    return this.compile(template).renderSync(context, scope);
  }

  /**
   * Renders every string in a value: maps (keys too; on a collision the first key wins, as
   * Kestra's `putIfAbsent`), lists; other scalars are returned unchanged.
   */
  async renderValue(value: unknown, context?: TemplateContext, scope?: RenderScope): Promise<unknown> {
    return this.renderValueAt(value, context, scope, 0);
  }

  private async renderValueAt(
    value: unknown,
    context: TemplateContext | undefined,
    scope: RenderScope | undefined,
    depth: number,
  ): Promise<unknown> {
    if (depth > this.maxDepth) throw new LimitExceededError('maxDepth', `Value nested deeper than ${this.maxDepth} levels`);
    if (typeof value === 'string') return value.includes('{') ? this.render(value, context, scope) : value;
    if (isList(value)) {
      const out: unknown[] = [];
      for (const item of value) out.push(await this.renderValueAt(item, context, scope, depth + 1));
      return out;
    }
    if (isMap(value)) {
      const out: Record<string, unknown> = {};
      const order: string[] = [];
      for (const key of mapKeys(value)) {
        const renderedKey = key.includes('{') ? await this.render(key, context, scope) : key;
        const rendered = await this.renderValueAt(value[key], context, scope, depth + 1);
        if (!Object.hasOwn(out, renderedKey)) {
          Object.defineProperty(out, renderedKey, { value: rendered, enumerable: true, writable: true, configurable: true });
          order.push(renderedKey);
        }
      }
      return setKeyOrder(out, order);
    }
    return value;
  }
}

/** Resolves the prefetchable calls concurrently (async renders only), then runs the program. */
function execute(program: CompiledProgram, root: TemplateContext, state: RenderState): string | Promise<string> {
  if (!state.sync && program.prefetch.length > 0) {
    const prefetched = program.resolvePrefetch(root, state);
    if (prefetched instanceof Promise) {
      return prefetched.then((results) => {
        state.prefetched = results;
        return program.run(root, state);
      });
    }
    state.prefetched = prefetched;
  }
  return program.run(root, state);
}

function checkContext(context: TemplateContext | undefined): TemplateContext {
  if (context === undefined || context === null) return EMPTY_CONTEXT;
  if (typeof context !== 'object' || Array.isArray(context)) {
    throw new TemplateError('TYPE_ERROR', 'The render context must be an object of variables');
  }
  return context;
}

/** What a failed render throws: a TemplateError whose texts quote no value `secret()`/`credential()` produced. */
function failure(e: unknown, state: RenderState | undefined): TemplateError {
  return redactError(normalizeError(e), state === undefined ? null : sensitiveValues(state.budget));
}

/** Every failure leaves the engine as a TemplateError, never as a RangeError or a TypeError. */
export function normalizeError(e: unknown): TemplateError {
  if (e instanceof TemplateError) return e;
  const limit = limitOfRangeError(e);
  if (limit !== null) return limit;
  const message = e instanceof Error ? e.message : String(e);
  return new TemplateError('FUNCTION_ERROR', message, { cause: e });
}
