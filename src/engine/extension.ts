/**
 * How filters, functions and tests plug into the engine (Pebble's `Extension` bundle, with
 * named arguments as Pebble's `NamedArguments` maps them). Built-ins use exactly this API.
 */
import type { CallBudget, RenderLimits } from './budget.js';

/** Where a render happens: the tenant and namespace that `secret()` / `credential()` resolve in. */
export interface RenderScope {
  readonly tenant?: string;
  readonly namespace?: string;
  /**
   * Called with every sensitive value a function produced during the render (a secret, a token),
   * so that callers can mask it in logs. Set by the flow runner.
   */
  readonly onSensitiveValue?: (value: string) => void;
  /**
   * Aborts the render (and any in-flight async call that honours it). The evaluator checks it at
   * every loop iteration and every 64 steps; an async render yields to the event loop every 10 ms
   * of evaluation, so a timer that aborts it runs even while a template computes.
   */
  readonly signal?: AbortSignal;
  /**
   * Per-render data for extensions defined outside the engine (the flow runner puts its view of
   * the execution here for `errorLogs()`). The engine never reads it.
   */
  readonly runtime?: unknown;
  /** This render's limits, over the engine's (a task's remaining time as `maxRenderTime`, for instance). */
  readonly limits?: RenderLimits;
  /**
   * The render's locale, as Java spells it (`en_US`, `fr`, `de_DE`): Pebble's context locale, the JVM
   * default Kestra runs with. `date`/`dateAdd`/`now` use it when no `locale` argument is given,
   * `numberFormat` takes its symbols from it, and the `locale` variable shows it. Default `en_US`.
   */
  readonly locale?: string;
}

/** Arguments after positional ones were mapped to `argNames` (unnamed extras get keys "0", "1", …). */
export type Args = Readonly<Record<string, unknown>>;

/** What an extension call can see of the render it runs in. */
export interface CallContext {
  /** Template name, for error messages. */
  readonly templateName: string;
  /** 1-based line of the call. */
  readonly line: number;
  readonly scope: RenderScope;
  /** Looks a variable up in the current scope chain; `undefined` when it does not exist. */
  lookup(name: string): unknown;
  /** A snapshot of every variable visible at the call site (for `printContext()` and `render()`). */
  variables(): Record<string, unknown>;
  /** Renders a template text with the variables visible at the call site (for Kestra's `render()`). */
  renderNested(template: string): string | Promise<string>;
  /** How deeply `renderNested` calls are nested right now (0 at the top level). */
  readonly nestedDepth: number;
  /** Marks a string as sensitive (see `RenderScope.onSensitiveValue`); it is also kept out of error messages. */
  markSensitive(value: string): void;
  /**
   * The render's budget: its limits, whether it is synchronous, the time left (the engine always
   * sets it; optional so that hand-made contexts, in tests for instance, need not).
   */
  readonly budget?: CallBudget;
}

export type MaybePromise<T> = T | Promise<T>;

export type FilterImpl = (input: unknown, args: Args, ctx: CallContext) => MaybePromise<unknown>;
export type FunctionImpl = (args: Args, ctx: CallContext) => MaybePromise<unknown>;
export type TestImpl = (input: unknown, args: Args, ctx: CallContext) => MaybePromise<boolean>;

export interface CallableOptions {
  /** Names that positional arguments map to, in order (Pebble's `getArgumentNames()`). */
  readonly argNames?: readonly string[];
  /**
   * The call is asynchronous and idempotent for given constant arguments (`secret('X')`,
   * `credential('id')`): the engine resolves such calls concurrently before evaluation.
   */
  readonly prefetch?: boolean;
}

export interface FilterDefinition extends CallableOptions {
  readonly call: FilterImpl;
  /** The filter never looks at its CallContext, so the engine may skip creating one (a speed hint). */
  readonly pure?: boolean;
}
export interface FunctionDefinition extends CallableOptions {
  readonly call: FunctionImpl;
}
export interface TestDefinition extends CallableOptions {
  readonly call: TestImpl;
}

/** A bundle of filters, functions and tests, registered together. */
export interface Extension {
  readonly filters?: Readonly<Record<string, FilterDefinition>>;
  readonly functions?: Readonly<Record<string, FunctionDefinition>>;
  readonly tests?: Readonly<Record<string, TestDefinition>>;
}
