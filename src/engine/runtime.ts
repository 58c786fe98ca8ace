/**
 * The evaluator's runtime: scopes and variables, frames, the output buffer, where a compiled
 * template came from (for error positions), and the helpers that let one closure serve both
 * sync and async renders.
 */
import type { Expression } from './ast.js';
import type { Budget, LimitPolicy } from './budget.js';
import { LimitExceededError, TemplateError, UndefinedVariableError } from './errors.js';
import type { FilterDefinition, FunctionDefinition, RenderScope, TestDefinition } from './extension.js';
import { LineCounter } from './lexer.js';
import { MISSING, readOwnData } from './sandbox.js';
import { parseJavaLocale } from './locale.js';
import { knownPercentFree, mapKeys, newMap, printValue } from './values.js';

/** A level of variables (`for` bodies and macros push one). Values are never `undefined`. */
export class Scope {
  /** Created on the first assignment: most scopes of a render never hold a variable. */
  vars: Map<string, unknown> | null = null;
  constructor(
    readonly parent: Scope | null,
    /** A macro scope: lookups and assignments stop here. */
    readonly isolated = false,
  ) {}
}

export type RenderNested = (template: string, variables: Record<string, unknown>, state: RenderState) => string | Promise<string>;

/**
 * Everything one render needs that is not in the template, its budget included (one object per
 * render, as cheap to make as a small render is). Nested `render()` calls get a state of their own
 * that spends from the root's budget.
 */
export interface RenderState extends Budget {
  /** Results of the async calls resolved before evaluation, by call node. */
  prefetched: Map<Expression, Settled> | null;
  /** Nesting depth of `render()` calls (Kestra caps it at 16). */
  readonly nestedDepth: number;
  macroDepth: number;
  readonly renderNested: RenderNested;
  /** The budget steps, time and sizes are counted against: the root render's state. */
  readonly budget: RenderState;
}

export function newRenderState(
  scope: RenderScope,
  policy: LimitPolicy,
  sync: boolean,
  nestedDepth: number,
  renderNested: RenderNested,
  parent: RenderState | null,
): RenderState {
  // Every field in one literal, in one order: one object shape for all renders.
  const state = {
    tick: policy.firstTick,
    policy,
    measureFrom: policy.measureFrom,
    sync,
    scope,
    meter: null,
    prefetched: null,
    nestedDepth,
    macroDepth: 0,
    renderNested,
    budget: parent === null ? null : parent.budget,
  };
  if (parent === null) state.budget = state as RenderState;
  return state as RenderState;
}

export type Settled = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export interface Registry {
  readonly filters: ReadonlyMap<string, FilterDefinition>;
  readonly functions: ReadonlyMap<string, FunctionDefinition>;
  readonly tests: ReadonlyMap<string, TestDefinition>;
}

export interface Frame {
  readonly scope: Scope;
  readonly root: Readonly<Record<string, unknown>>;
  /** Whether `root` is a verified plain map: literal paths then read its own data directly. */
  readonly rootPlain: boolean;
  readonly state: RenderState;
  readonly unit: Unit;
  /**
   * Literal paths several expressions of the program share (`outputs.fetch.body` in
   * `outputs.fetch.body.a` and `outputs.fetch.body.b`), walked once per render: pairs of (the root
   * variable's value, the value at the end of the path) by slot. A walk reuses a pair only when its
   * root variable has that same value now, so a `set`, a loop variable or a macro argument that
   * shadows the root is never served from it. Only paths of map keys read in place (own data of
   * verified maps) are remembered: no template operation changes a map (lists it may: `+`
   * appends, `sort` and `reverse` reorder in place), and the data is the embedder's, read while
   * the render runs. A root variable several `root.name` paths read has a slot too, read only
   * where no scope holds variables (so it is the context's): the verified map it names.
   */
  readonly memo: unknown[];
}

/** The memo of programs that share no path (never written). */
export const NO_MEMO: unknown[] = Object.freeze([]) as unknown as unknown[];

export class Output {
  s = '';
  /**
   * Whether a `%` was appended: only then can the output hold Kestra's raw tags, which the render
   * strips at the end (`stripKestraRaw`); checking each piece spares scanning the joined output.
   */
  percent = false;
  constructor(
    private readonly max: number,
    /** Kestra's JSON writer (the top level) or Pebble's plain writer (macros, filter blocks, `block()`). */
    readonly print: (value: unknown) => string = printValue,
  ) {}
  append(text: string): void {
    this.s += text;
    if (!this.percent && !knownPercentFree(text) && text.includes('%')) this.percent = true;
    if (this.s.length > this.max) {
      throw new LimitExceededError('maxRenderedSize', `The rendered output exceeds the limit of ${this.max} characters`);
    }
  }

  /**
   * `append` for text whose `%` was already looked for: the template's own text (at compile time),
   * or a concatenation's result (on its operands, before they were joined: looking in the joined
   * string would flatten it, which costs more than the rest of a small render).
   */
  appendChecked(text: string, percent: boolean): void {
    this.s += text;
    if (percent) this.percent = true;
    if (this.s.length > this.max) {
      throw new LimitExceededError('maxRenderedSize', `The rendered output exceeds the limit of ${this.max} characters`);
    }
  }
}

export type Value = unknown;
export type Ev = (f: Frame) => Value;
export type Run = (f: Frame, out: Output) => void | Promise<void>;

/** Where a compiled template came from, for error positions. */
export class Unit {
  private lines: LineCounter | undefined;
  constructor(
    readonly name: string,
    readonly source: string,
  ) {}
  locate<E>(error: E, offset: number): E {
    if (error instanceof TemplateError && error.line === undefined) {
      this.lines ??= new LineCounter(this.source);
      const { line, column } = this.lines.position(offset);
      error.locate({ name: this.name, line, column }, this.source);
    }
    return error;
  }
}

export interface CompiledProgram {
  readonly name: string;
  readonly source: string;
  /** Calls of prefetchable functions whose arguments are all literals. */
  readonly prefetch: readonly Extract<Expression, { kind: 'FunctionCall' }>[];
  run(root: Readonly<Record<string, unknown>>, state: RenderState): string | Promise<string>;
  /** Resolves the prefetchable calls concurrently (before `run`). */
  resolvePrefetch(
    root: Readonly<Record<string, unknown>>,
    state: RenderState,
  ): Map<Expression, Settled> | Promise<Map<Expression, Settled>>;
}

export function isUndefinedError(e: unknown): boolean {
  return e instanceof UndefinedVariableError;
}

export function lookupVariable(f: Frame, name: string): Value | typeof MISSING {
  for (let s: Scope | null = f.scope; s !== null; s = s.parent) {
    const vars = s.vars;
    if (vars !== null) {
      const v = vars.get(name);
      if (v !== undefined) return v;
    }
    if (s.isolated) return MISSING;
  }
  const v = readOwnData(f.root, name);
  return v === MISSING ? globalVariable(f, name) : v;
}

/**
 * Pebble's own root variables, below the context: `locale` (the JVM default Kestra runs with,
 * en_US) and `_context` (every variable in scope, as a map).
 */
function globalVariable(f: Frame, name: string): Value | typeof MISSING {
  if (name === 'locale') return localeVariable(f.state.scope.locale);
  if (name === '_context') return visibleVariables(f);
  return MISSING;
}

/** `Locale.toString()` of the render's locale (`de-DE` shows as `de_DE`); a tag Java could not read is shown as given. */
function localeVariable(tag: string | undefined): string {
  if (tag === undefined) return 'en_US';
  try {
    return parseJavaLocale(tag).javaString;
  } catch {
    return tag;
  }
}

export function visibleVariables(f: Frame): Record<string, unknown> {
  const all: Record<string, unknown> = newMap();
  for (const k of mapKeys(f.root)) {
    const v = readOwnData(f.root, k);
    if (v !== MISSING) all[k] = v;
  }
  const chain: Scope[] = [];
  for (let s: Scope | null = f.scope; s !== null; s = s.parent) chain.unshift(s);
  for (const s of chain) if (s.vars) for (const [k, v] of s.vars) all[k] = v;
  return all;
}

export function assignVariable(f: Frame, name: string, value: Value): void {
  const v = value === undefined ? null : value;
  let outermost: Scope = f.scope;
  for (let s: Scope | null = f.scope; s !== null; s = s.parent) {
    if (s.vars?.has(name)) {
      s.vars.set(name, v);
      return;
    }
    outermost = s;
    if (s.isolated) break;
  }
  // A context variable is shadowed at the template level so it stays visible after loops.
  const target = !f.scope.isolated && Object.hasOwn(f.root, name) ? outermost : f.scope;
  (target.vars ??= new Map()).set(name, v);
}

export function setLocal(scope: Scope, name: string, value: Value): void {
  (scope.vars ??= new Map()).set(name, value === undefined ? null : value);
}

export function rootMissing(name: string): UndefinedVariableError {
  return new UndefinedVariableError(
    'UNDEFINED_VARIABLE',
    `Root attribute [${name}] does not exist or can not be accessed and strict variables is set to true.`,
    name,
  );
}

/** Continues with `fn` now, or once `v` settles when it is a Promise. */
export function then<T>(v: Value, fn: (x: Value) => T): T | Promise<T> {
  return v instanceof Promise ? v.then(fn) : fn(v);
}

/** Evaluates `ev`, turning an "undefined" failure into `fallback(true)`. */
export function tryDefined(f: Frame, ev: Ev, onValue: (v: Value) => Value, onUndefined: () => Value): Value {
  let v: Value;
  try {
    v = ev(f);
  } catch (e) {
    if (isUndefinedError(e)) return onUndefined();
    throw e;
  }
  if (v instanceof Promise)
    return v.then(onValue, (e: unknown) => {
      if (isUndefinedError(e)) return onUndefined();
      throw e;
    });
  return onValue(v);
}

export const identity = (v: Value): Value => v;
export const returnNull = (): Value => null;

export function allValues(values: Value[]): Value[] | Promise<Value[]> {
  for (const v of values) if (v instanceof Promise) return Promise.all(values);
  return values;
}

export async function continueRuns(runs: readonly Run[], from: number, first: Promise<void>, f: Frame, out: Output): Promise<void> {
  await first;
  for (let i = from; i < runs.length; i++) {
    const r = runs[i]!(f, out);
    if (r !== undefined) await r;
  }
}

export function settle(fn: () => Value): Settled | Promise<Settled> {
  try {
    const v = fn();
    if (v instanceof Promise)
      return v.then(
        (value: Value) => ({ ok: true, value }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      );
    return { ok: true, value: v };
  } catch (error) {
    return { ok: false, error };
  }
}
