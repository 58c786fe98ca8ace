/**
 * AST → closures. One evaluator serves both `render` and `renderSync`: every closure returns a
 * plain value, and only when an extension call really returns a Promise does the surrounding
 * closure continue with `.then`. A template whose calls are all synchronous allocates no promise.
 */
import type { Arguments, Expression, Statement, TemplateAst } from './ast.js';
import { visitExpressions } from './ast.js';
import { TemplateError, UndefinedVariableError } from './errors.js';
import type { Args, CallContext, FilterDefinition, FunctionDefinition, RenderScope, TestDefinition } from './extension.js';
import { LineCounter } from './lexer.js';
import * as ops from './operations.js';
import {
  JDouble,
  MapEntry,
  isJavaArray,
  isJavaList,
  isList,
  javaHashMap,
  markJavaCollection,
  isMap,
  javaClassName,
  javaEquals,
  newMap,
  printPlain,
  printValue,
  toIndex,
  toJavaString,
} from './values.js';

// --- runtime structures -------------------------------------------------------------------------

const MISSING: unique symbol = Symbol('missing');

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

/** Everything one render needs that is not in the template. */
export interface RenderState {
  readonly sync: boolean;
  readonly scope: RenderScope;
  readonly limits: Limits;
  readonly registry: Registry;
  /** Results of the async calls resolved before evaluation, by call node. */
  prefetched: Map<Expression, Settled> | null;
  /** Nesting depth of `render()` calls (Kestra caps it at 16). */
  readonly nestedDepth: number;
  macroDepth: number;
  readonly renderNested: (template: string, variables: Record<string, unknown>, state: RenderState) => string | Promise<string>;
}

export type Settled = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export interface Limits {
  readonly maxRenderedSize: number;
  readonly maxRangeSize: number;
  readonly maxMacroDepth: number;
  readonly maxNestedRenderDepth: number;
}

export interface Registry {
  readonly filters: ReadonlyMap<string, FilterDefinition>;
  readonly functions: ReadonlyMap<string, FunctionDefinition>;
  readonly tests: ReadonlyMap<string, TestDefinition>;
}

interface Frame {
  readonly scope: Scope;
  readonly root: Readonly<Record<string, unknown>>;
  readonly state: RenderState;
  readonly unit: Unit;
}

class Output {
  s = '';
  constructor(
    private readonly max: number,
    /** Kestra's JSON writer (the top level) or Pebble's plain writer (macros, filter blocks, `block()`). */
    readonly print: (value: unknown) => string = printValue,
  ) {}
  append(text: string): void {
    this.s += text;
    if (this.s.length > this.max) {
      throw new TemplateError('LIMIT_EXCEEDED', `The rendered output exceeds the limit of ${this.max} characters`);
    }
  }
}

type Value = unknown;
type Ev = (f: Frame) => Value;
type Run = (f: Frame, out: Output) => void | Promise<void>;

/** Where a compiled template came from, for error positions. */
class Unit {
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

// --- helpers ------------------------------------------------------------------------------------

function isUndefinedError(e: unknown): boolean {
  return e instanceof UndefinedVariableError;
}

/**
 * Plain maps already checked to hold only data properties: a template reads only own,
 * enumerable data properties of plain objects, so no getter can ever run on its behalf.
 */
const verifiedPlain = new WeakSet<object>();
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function verifyPlain(obj: object): boolean {
  const descriptors = Object.getOwnPropertyDescriptors(obj);
  for (const k of Object.keys(descriptors)) if (!('value' in descriptors[k]!)) return false;
  verifiedPlain.add(obj);
  return true;
}

/** The own data property `key` of a plain map (or the root context), or MISSING. */
function readOwnData(obj: object, key: string): Value | typeof MISSING {
  if (!Object.hasOwn(obj, key) || FORBIDDEN_KEYS.has(key)) return MISSING;
  if (!verifiedPlain.has(obj) && !verifyPlain(obj)) {
    const d = Object.getOwnPropertyDescriptor(obj, key);
    if (d === undefined || !('value' in d) || d.enumerable !== true) return MISSING;
  }
  const v = (obj as Record<string, Value>)[key];
  if (typeof v === 'function') return MISSING;
  return v === undefined ? null : v;
}

function lookupVariable(f: Frame, name: string): Value | typeof MISSING {
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
  if (name === 'locale') return 'en_US';
  if (name === '_context') return visibleVariables(f);
  return MISSING;
}

function visibleVariables(f: Frame): Record<string, unknown> {
  const all: Record<string, unknown> = newMap();
  for (const k of Object.keys(f.root)) {
    const v = readOwnData(f.root, k);
    if (v !== MISSING) all[k] = v;
  }
  const chain: Scope[] = [];
  for (let s: Scope | null = f.scope; s !== null; s = s.parent) chain.unshift(s);
  for (const s of chain) if (s.vars) for (const [k, v] of s.vars) all[k] = v;
  return all;
}

function assignVariable(f: Frame, name: string, value: Value): void {
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

function setLocal(scope: Scope, name: string, value: Value): void {
  (scope.vars ??= new Map()).set(name, value === undefined ? null : value);
}

function rootMissing(name: string): UndefinedVariableError {
  return new UndefinedVariableError(
    'UNDEFINED_VARIABLE',
    `Root attribute [${name}] does not exist or can not be accessed and strict variables is set to true.`,
    name,
  );
}

function attributeMissing(name: string, object: unknown): UndefinedVariableError {
  return new UndefinedVariableError(
    'UNDEFINED_ATTRIBUTE',
    `Attribute [${name}] of [${javaClassName(object)}] does not exist or can not be accessed and strict variables is set to true.`,
    name,
  );
}

const EMPTY_ARGS: Args = Object.freeze(newMap());

/** Java-ish members of lists, maps and strings that Pebble reaches through reflection. */
function callMember(object: unknown, name: string, args: readonly unknown[] | null): Value | typeof MISSING {
  if (typeof object === 'string') {
    if (args === null || args.length === 0) {
      // Bean-style access without parentheses finds length(), isEmpty(), isBlank().
      if (name === 'length') return object.length;
      if (name === 'empty') return object.length === 0;
      if (name === 'blank') return object.trim() === '';
    }
    if (args === null) return MISSING;
    const s0 = args[0];
    switch (name) {
      case 'isEmpty':
        return object.length === 0;
      case 'isBlank':
        return object.trim() === '';
      case 'strip':
        return object.trim();
      case 'concat':
        return object + toJavaString(s0);
      case 'lastIndexOf':
        return object.lastIndexOf(toJavaString(s0));
      case 'charAt': {
        const i = toIndex(s0 as number);
        if (i < 0 || i >= object.length) throw new TemplateError('TYPE_ERROR', `Index ${i} out of bounds for length ${object.length}`);
        return object[i];
      }
      case 'toString':
        return object;
      case 'toUpperCase':
        return object.toUpperCase();
      case 'toLowerCase':
        return object.toLowerCase();
      case 'trim':
        return object.trim();
      case 'contains':
        return object.includes(toJavaString(s0));
      case 'startsWith':
        return object.startsWith(toJavaString(s0));
      case 'endsWith':
        return object.endsWith(toJavaString(s0));
      case 'equals':
        return object === s0;
      case 'indexOf':
        return object.indexOf(toJavaString(s0));
      case 'substring': {
        const from = toIndex(s0 as number);
        const to = args.length > 1 ? toIndex(args[1] as number) : object.length;
        if (from < 0 || to > object.length || from > to)
          throw new TemplateError('TYPE_ERROR', `begin ${from}, end ${to}, length ${object.length}`);
        return object.substring(from, to);
      }
      case 'replace':
        return object.split(toJavaString(s0)).join(toJavaString(args[1]));
      default:
        return MISSING;
    }
  }
  // Collections (lists, and the key set / values views) answer size and isEmpty; arrays none.
  if (isList(object) && !isJavaArray(object)) {
    if (args === null || args.length === 0) {
      if (name === 'size') return object.length;
      if (name === 'empty') return object.length === 0;
    }
    if (args === null) return MISSING;
    switch (name) {
      case 'isEmpty':
        return object.length === 0;
      case 'indexOf':
        return isJavaList(object) ? object.findIndex((x) => javaEquals(x, args[0])) : MISSING;
      case 'subList': {
        if (!isJavaList(object)) return MISSING;
        const from = toIndex(args[0] as number);
        const to = toIndex(args[1] as number);
        if (from < 0 || to > object.length || from > to)
          throw new TemplateError('TYPE_ERROR', `fromIndex: ${from}, toIndex: ${to}, size: ${object.length}`);
        return object.slice(from, to);
      }
      case 'get': {
        if (!isJavaList(object)) return MISSING;
        const i = toIndex(args[0] as number);
        if (i < 0 || i >= object.length) throw new TemplateError('TYPE_ERROR', `Index ${i} out of bounds for length ${object.length}`);
        return object[i];
      }
      case 'contains':
        return ops.contains(object, args[0]);
      default:
        return MISSING;
    }
  }
  if (isMap(object) && args !== null) {
    const keys = Object.keys(object).filter((k) => !FORBIDDEN_KEYS.has(k));
    switch (name) {
      case 'keySet':
        return markJavaCollection(keys, 'set', 'java.util.LinkedHashMap$LinkedKeySet');
      case 'values':
        return markJavaCollection(
          keys.map((k) => object[k] ?? null),
          'collection',
          'java.util.LinkedHashMap$LinkedValues',
        );
      case 'size':
        return keys.length;
      case 'isEmpty':
        return keys.length === 0;
      case 'get':
      case 'getOrDefault':
      case 'containsKey': {
        const key = toJavaString(args[0]);
        const v = readOwnData(object, key);
        if (name === 'containsKey') return v !== MISSING;
        return v !== MISSING ? v : name === 'getOrDefault' ? (args[1] ?? null) : null;
      }
      case 'containsValue':
        return keys.some((k) => javaEquals(object[k], args[0]));
      case 'entrySet':
        return keys.map((key) => ({ key, value: object[key] ?? null }));
      default:
        return MISSING;
    }
  }
  return MISSING;
}

/** Pebble's attribute resolution (members, then map keys, then list indexes). */
export function getAttribute(object: unknown, attribute: unknown, args: readonly unknown[] | null, objectIsRoot: string | null): Value {
  if (object === null || object === undefined) {
    if (objectIsRoot !== null) throw rootMissing(objectIsRoot);
    throw new UndefinedVariableError(
      'UNDEFINED_ATTRIBUTE',
      'Attempt to get attribute of null object and strict variables is set to true.',
      toJavaString(attribute),
    );
  }
  if (attribute === null || attribute === undefined) throw new TemplateError('TYPE_ERROR', 'Cannot access an attribute named null');
  const name = typeof attribute === 'string' ? attribute : toJavaString(attribute);
  if (args === null && typeof object === 'object' && !Array.isArray(object) && isMap(object)) {
    const v = readOwnData(object, name);
    if (v !== MISSING) return v;
    throw attributeMissing(name, object);
  }
  const member = callMember(object, name, args);
  if (member !== MISSING) return member;
  if (object instanceof MapEntry) {
    if ((name === 'key' || name === 'getKey') && (args === null || args.length === 0)) return object.key;
    if ((name === 'value' || name === 'getValue') && (args === null || args.length === 0)) return object.value;
  }
  if (args === null) {
    if (isList(object) && (isJavaList(object) || javaClassName(object).startsWith('['))) {
      // ListResolver: Integer.parseInt(String.valueOf(attribute)), so `l[1.0]` is not an index.
      // ArrayResolver: any other name is an index out of bounds.
      const index = javaParseInt(name) ?? (isJavaList(object) ? null : -1);
      if (index !== null) {
        if (index < 0 || index >= object.length) {
          throw new UndefinedVariableError(
            'UNDEFINED_ATTRIBUTE',
            'Index out of bounds while accessing array with strict variables on.',
            name,
          );
        }
        const v = object[index];
        return v === undefined ? null : v;
      }
    }
  }
  throw attributeMissing(name, object);
}

/** `x.a.b` with literal names and no calls, as a root name and a path. */
function literalChain(e: Expression): { root: string; rootStart: number; names: string[] } | null {
  const names: string[] = [];
  let node = e;
  while (node.kind === 'GetAttribute') {
    if (node.args !== null || node.attribute.kind !== 'Literal' || typeof node.attribute.value !== 'string') return null;
    names.unshift(node.attribute.value);
    node = node.object;
  }
  return node.kind === 'ContextVariable' ? { root: node.name, rootStart: node.start, names } : null;
}

/** Java's `Integer.parseInt`: an optional sign, decimal digits, within 32 bits; else null. */
function javaParseInt(text: string): number | null {
  if (!/^[-+]?\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}

/** Continues with `fn` now, or once `v` settles when it is a Promise. */
function then<T>(v: Value, fn: (x: Value) => T): T | Promise<T> {
  return v instanceof Promise ? v.then(fn) : fn(v);
}

/** Evaluates `ev`, turning an "undefined" failure into `fallback(true)`. */
function tryDefined(f: Frame, ev: Ev, onValue: (v: Value) => Value, onUndefined: () => Value): Value {
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

const identity = (v: Value): Value => v;
const returnNull = (): Value => null;

function allValues(values: Value[]): Value[] | Promise<Value[]> {
  for (const v of values) if (v instanceof Promise) return Promise.all(values);
  return values;
}

// --- compiler -----------------------------------------------------------------------------------

export function compileProgram(ast: TemplateAst, name: string, source: string, registry: Registry): CompiledProgram {
  return new Compiler(ast, new Unit(name, source), registry).program();
}

type FunctionCallNode = Extract<Expression, { kind: 'FunctionCall' }>;

class Compiler {
  private readonly macros = new Map<string, (args: Value[] | Record<string, Value>, f: Frame) => Value>();
  private readonly blocks = new Map<string, Run>();

  constructor(
    private readonly ast: TemplateAst,
    private readonly unit: Unit,
    private readonly registry: Registry,
  ) {}

  program(): CompiledProgram {
    const { unit, registry } = this;
    for (const [name, macro] of this.ast.macros) this.macros.set(name, this.compileMacro(macro));
    for (const [name, block] of this.ast.blocks) this.blocks.set(name, this.body(block.body));
    const body = this.body(this.ast.body);
    const prefetch: FunctionCallNode[] = [];
    visitExpressions(this.ast.body, (e) => {
      if (e.kind !== 'FunctionCall' || this.ast.macros.has(e.name)) return;
      const def = registry.functions.get(e.name);
      if (!def?.prefetch) return;
      const literal = (x: Expression): boolean => x.kind === 'Literal';
      if (e.args.positional.every(literal) && e.args.named.every(([, v]) => literal(v))) prefetch.push(e);
    });
    for (const macro of this.ast.macros.values()) visitExpressions(macro.body, () => undefined);
    const literal = (x: Expression): unknown => (x as Extract<Expression, { kind: 'Literal' }>).value;
    const keyOf = (node: FunctionCallNode): string =>
      JSON.stringify([node.name, node.args.positional.map(literal), node.args.named.map(([n, v]) => [n, literal(v)])], (_k, v: unknown) =>
        typeof v === 'bigint' ? `${v}n` : v instanceof JDouble ? `${v.value}d` : v,
      );
    // Everything about a prefetch call that does not depend on the render is worked out once.
    const keys = prefetch.map(keyOf);
    const prefetchCalls = prefetch.map((node, i) => ({
      node,
      def: registry.functions.get(node.name)!,
      args: this.args(node.args, registry.functions.get(node.name)!, node.start),
      key: keys[i]!,
      shared: keys.indexOf(keys[i]!) !== i || keys.lastIndexOf(keys[i]!) !== i,
    }));
    return {
      name: unit.name,
      source: unit.source,
      prefetch,
      run(root, state) {
        const out = new Output(state.limits.maxRenderedSize);
        const frame: Frame = { scope: new Scope(null), root, state, unit };
        const r = body(frame, out);
        return r === undefined ? out.s : r.then(() => out.s);
      },
      resolvePrefetch(root, state) {
        const frame: Frame = { scope: new Scope(null), root, state, unit };
        const results = new Map<Expression, Settled>();
        let byKey: Map<string, Settled | Promise<Settled>> | null = null;
        let pending: Promise<unknown>[] | null = null;
        for (const call of prefetchCalls) {
          // Identical calls (same function, same literal arguments) are made once per render.
          let settled = call.shared ? byKey?.get(call.key) : undefined;
          if (settled === undefined) {
            settled = settle(() =>
              then(call.args(frame), (args) => call.def.call(args as Args, new FrameCallContext(frame, call.node.start))),
            );
            if (call.shared) (byKey ??= new Map()).set(call.key, settled);
          }
          if (settled instanceof Promise) {
            const node = call.node;
            (pending ??= []).push(settled.then((x) => results.set(node, x)));
          } else results.set(call.node, settled);
        }
        return pending === null ? results : Promise.all(pending).then(() => results);
      },
    };
  }

  // --- statements ---

  private body(statements: readonly Statement[]): Run {
    const runs = statements.map((s) => this.statement(s));
    if (runs.length === 0) return () => undefined;
    if (runs.length === 1) return runs[0]!;
    return (f, out) => {
      for (let i = 0; i < runs.length; i++) {
        const r = runs[i]!(f, out);
        if (r !== undefined) return continueRuns(runs, i + 1, r, f, out);
      }
      return undefined;
    };
  }

  private statement(s: Statement): Run {
    const unit = this.unit;
    switch (s.kind) {
      case 'Text': {
        const text = s.text;
        return (_f, out) => {
          out.append(text);
        };
      }
      case 'Print': {
        const ev = this.expr(s.expression);
        const start = s.start;
        return (f, out) => {
          let v: Value;
          try {
            v = ev(f);
            if (!(v instanceof Promise)) {
              out.append(typeof v === 'string' ? v : out.print(v));
              return undefined;
            }
          } catch (e) {
            throw unit.locate(e, start);
          }
          return v.then(
            (x) => out.append(out.print(x)),
            (e: unknown) => {
              throw unit.locate(e, start);
            },
          );
        };
      }
      case 'If': {
        const branches = s.branches.map(([c, b]) => [this.expr(c), this.body(b)] as const);
        const otherwise = s.otherwise ? this.body(s.otherwise) : null;
        const start = s.start;
        const wrongOperand = (e: unknown): TemplateError => {
          if (e instanceof TemplateError && e.code === 'LIMIT_EXCEEDED') return e;
          return unit.locate(new TemplateError('TYPE_ERROR', 'Wrong operand(s) type in conditional expression', { cause: e }), start);
        };
        const from = (i: number, f: Frame, out: Output): void | Promise<void> => {
          for (; i < branches.length; i++) {
            const [cond, body] = branches[i]!;
            let satisfied: boolean;
            try {
              const v = cond(f);
              if (v instanceof Promise) {
                const next = i + 1;
                return v.then(
                  (x) => {
                    let ok: boolean;
                    try {
                      ok = ops.ifCondition(x);
                    } catch (e) {
                      throw wrongOperand(e);
                    }
                    return ok ? body(f, out) : from(next, f, out);
                  },
                  (e: unknown) => {
                    throw wrongOperand(e);
                  },
                );
              }
              satisfied = ops.ifCondition(v);
            } catch (e) {
              throw wrongOperand(e);
            }
            if (satisfied) return body(f, out);
          }
          return otherwise ? otherwise(f, out) : undefined;
        };
        return (f, out) => from(0, f, out);
      }
      case 'For':
        return this.forLoop(s);
      case 'Set': {
        const ev = this.expr(s.value);
        const { name, start } = s;
        return (f) => {
          let v: Value;
          try {
            v = ev(f);
          } catch (e) {
            throw unit.locate(e, start);
          }
          if (v instanceof Promise) {
            return v.then(
              (x) => assignVariable(f, name, x),
              (e: unknown) => {
                throw unit.locate(e, start);
              },
            );
          }
          assignVariable(f, name, v);
          return undefined;
        };
      }
      case 'Macro':
        return () => undefined;
      case 'Block': {
        // Renders the block registered under that name (the last one to start), or nothing;
        // looked up when run, since blocks and macros compile in no particular order.
        const name = s.name;
        return (f, out) => {
          const block = this.blocks.get(name);
          return block === undefined ? undefined : block(f, out);
        };
      }
      case 'FilterBlock': {
        const body = this.body(s.body);
        const filters = s.filters.map((fe) => {
          if (fe.kind !== 'Filter') throw new Error('filter block holds filters only');
          return this.filterApplication(fe);
        });
        return (f, out) => {
          const inner = new Output(f.state.limits.maxRenderedSize, printPlain);
          const apply = (): void | Promise<void> => {
            let v: Value = inner.s;
            for (let i = 0; i < filters.length; i++) {
              if (v instanceof Promise) {
                const rest = filters.slice(i);
                return v.then(async (x) => {
                  let y: Value = x;
                  for (const fl of rest) y = await fl(f, y);
                  out.append(out.print(y));
                });
              }
              v = filters[i]!(f, v);
            }
            if (v instanceof Promise) return v.then((x) => out.append(out.print(x)));
            out.append(out.print(v));
            return undefined;
          };
          const r = body(f, inner);
          return r === undefined ? apply() : r.then(apply);
        };
      }
    }
  }

  private forLoop(s: Extract<Statement, { kind: 'For' }>): Run {
    const iterable = this.expr(s.iterable);
    const body = this.body(s.body);
    const otherwise = s.otherwise ? this.body(s.otherwise) : null;
    const { variable, start } = s;
    const unit = this.unit;
    const loop = (f: Frame, out: Output, value: Value): void | Promise<void> => {
      if (value === null || value === undefined) return undefined;
      let items: readonly unknown[];
      if (isList(value)) items = value;
      else if (isMap(value)) items = Object.keys(value).map((key) => new MapEntry(key, value[key] ?? null));
      else throw unit.locate(new TemplateError('TYPE_ERROR', `Not an iterable object. Value = [${toJavaString(value)}]`), start);
      const length = items.length;
      if (length === 0) return otherwise ? otherwise(f, out) : undefined;
      const scope = new Scope(f.scope);
      const inner: Frame = { scope, root: f.root, state: f.state, unit: f.unit };
      const signal = f.state.scope.signal;
      const iterate = (from: number): void | Promise<void> => {
        for (let index = from; index < length; index++) {
          if (signal?.aborted) throw new TemplateError('ABORTED', 'The render was aborted');
          setLocal(scope, 'loop', { index, revindex: length - index - 1, first: index === 0, last: index === length - 1, length });
          const item = items[index];
          setLocal(scope, variable, item);
          const r = body(inner, out);
          if (r !== undefined) return r.then(() => iterate(index + 1));
        }
        return undefined;
      };
      return iterate(0);
    };
    return (f, out) => {
      let v: Value;
      try {
        v = iterable(f);
      } catch (e) {
        throw unit.locate(e, start);
      }
      if (v instanceof Promise)
        return v.then(
          (x) => loop(f, out, x),
          (e: unknown) => Promise.reject(unit.locate(e, start)),
        );
      return loop(f, out, v);
    };
  }

  private compileMacro(macro: Extract<Statement, { kind: 'Macro' }>): (args: Value[] | Record<string, Value>, f: Frame) => Value {
    const body = this.body(macro.body);
    const params = macro.parameters.map((p) => ({ name: p.name, defaultValue: p.defaultValue ? this.expr(p.defaultValue) : null }));
    const { name, start } = macro;
    return (args, f) => {
      const state = f.state;
      if (state.macroDepth >= state.limits.maxMacroDepth) {
        throw new TemplateError(
          'LIMIT_EXCEEDED',
          `Macro calls nested deeper than ${state.limits.maxMacroDepth} (endless recursion in macro "${name}"?)`,
        );
      }
      const scope = new Scope(null, true);
      const frame: Frame = { scope, root: Object.freeze(newMap()), state, unit: f.unit };
      const pending: Promise<unknown>[] = [];
      if (Array.isArray(args)) {
        if (args.length > params.length) {
          throw new TemplateError(
            'FUNCTION_ERROR',
            `The argument at position ${params.length + 1} is not allowed. Only ${params.length} argument(s) are allowed.`,
          );
        }
      } else {
        for (const k of Object.keys(args)) {
          if (!params.some((p) => p.name === k))
            throw new TemplateError('FUNCTION_ERROR', `The following named argument does not exist: ${k}`);
        }
      }
      params.forEach((p, i) => {
        const given = Array.isArray(args) ? (i < args.length ? args[i] : MISSING) : Object.hasOwn(args, p.name) ? args[p.name] : MISSING;
        if (given !== MISSING) setLocal(scope, p.name, given);
        else if (p.defaultValue) {
          const d = p.defaultValue(frame);
          if (d instanceof Promise) pending.push(d.then((x) => setLocal(scope, p.name, x)));
          else setLocal(scope, p.name, d);
        } else setLocal(scope, p.name, null);
      });
      const out = new Output(state.limits.maxRenderedSize, printPlain);
      const finish = (): Value => {
        state.macroDepth++;
        let r: void | Promise<void>;
        try {
          r = body(frame, out);
        } catch (e) {
          state.macroDepth--;
          throw this.unit.locate(e, start);
        }
        if (r === undefined) {
          state.macroDepth--;
          return out.s;
        }
        return r.then(
          () => {
            state.macroDepth--;
            return out.s;
          },
          (e: unknown) => {
            state.macroDepth--;
            throw e;
          },
        );
      };
      return pending.length > 0 ? Promise.all(pending).then(finish) : finish();
    };
  }

  // --- expressions ---

  private expr(e: Expression): Ev {
    const unit = this.unit;
    switch (e.kind) {
      case 'Literal': {
        const value = e.value;
        return () => value;
      }
      case 'Interpolation': {
        // "#{x}" alone is x itself (a map stays a map), as Pebble's parser builds it.
        if (e.parts.length === 1) return this.expr(e.parts[0]!);
        const parts = e.parts.map((p) => this.expr(p));
        return (f) => {
          const values = allValues(parts.map((p) => p(f)));
          return then(values, (vs) => (vs as Value[]).reduce<string>((acc, v) => ops.concatenate(acc, v), ''));
        };
      }
      case 'ListLiteral': {
        const items = e.items.map((i) => this.expr(i));
        // A fresh list per evaluation: `list + x` appends in place, as Pebble 3.2.2 does.
        return (f) => then(allValues(items.map((i) => i(f))), (vs) => (vs as Value[]).slice());
      }
      case 'MapLiteral': {
        const entries = e.entries.map(([k, v]) => [this.expr(k), this.expr(v)] as const);
        return (f) => {
          const flat: Value[] = [];
          for (const [k, v] of entries) flat.push(k(f), v(f));
          return then(allValues(flat), (vs) => {
            const values = vs as Value[];
            const pairs: [unknown, unknown][] = [];
            for (let i = 0; i < values.length; i += 2) pairs.push([values[i], values[i + 1] ?? null]);
            // MapExpression builds a java.util.HashMap: its keys come out in hash order.
            return javaHashMap(pairs, Math.ceil(pairs.length / 0.75));
          });
        };
      }
      case 'ContextVariable': {
        const { name, start } = e;
        return (f) => {
          const v = lookupVariable(f, name);
          if (v === MISSING) throw unit.locate(rootMissing(name), start);
          return v;
        };
      }
      case 'GetAttribute':
        return this.getAttribute(e);
      case 'Unary': {
        const operand = this.expr(e.operand);
        const fn = e.operator === 'not' ? ops.not : e.operator === '-' ? ops.negate : ops.plus;
        const start = e.start;
        return (f) =>
          then(operand(f), (v) => {
            try {
              return fn(v);
            } catch (err) {
              throw unit.locate(err, start);
            }
          });
      }
      case 'Binary':
        return this.binary(e);
      case 'Test':
        return this.testExpression(e);
      case 'Filter': {
        const input = e.name === 'default' ? this.defaulted(e.input) : this.expr(e.input);
        const apply = this.filterApplication(e);
        return (f) => {
          const v = input(f);
          return v instanceof Promise ? v.then((x) => apply(f, x)) : apply(f, v);
        };
      }
      case 'FunctionCall':
        return this.functionCall(e);
      case 'Ternary': {
        const cond = this.expr(e.condition);
        const a = this.expr(e.then);
        const b = this.expr(e.otherwise);
        const start = e.start;
        return (f) =>
          then(cond(f), (c) => {
            let ok: boolean;
            try {
              ok = ops.ternaryCondition(c);
            } catch (err) {
              throw unit.locate(err, start);
            }
            return ok ? a(f) : b(f);
          });
      }
    }
  }

  /** The input of `default` (and `is defined`): a missing variable reads as null. */
  private defaulted(e: Expression): Ev {
    const ev = this.expr(e);
    return (f) => tryDefined(f, ev, identity, returnNull);
  }

  private getAttribute(e: Extract<Expression, { kind: 'GetAttribute' }>): Ev {
    const unit = this.unit;
    const object = this.expr(e.object);
    const rootName = e.object.kind === 'ContextVariable' ? e.object.name : null;
    const start = e.start;
    const resolve = (o: Value, a: Value, args: readonly Value[] | null): Value => {
      try {
        return getAttribute(o, a, args, rootName);
      } catch (err) {
        throw unit.locate(err, start);
      }
    };
    const chain = literalChain(e);
    if (chain !== null && !FORBIDDEN_KEYS.has(chain.root) && chain.names.every((n) => !FORBIDDEN_KEYS.has(n))) {
      // `a.b.c`: one closure walks the whole path; plain maps take the fast branch.
      const { root, rootStart, names } = chain;
      const n = names.length;
      return (f) => {
        let o = lookupVariable(f, root);
        if (o === MISSING) throw unit.locate(rootMissing(root), rootStart);
        for (let i = 0; i < n; i++) {
          const name = names[i]!;
          // Fast path: a map already verified plain (verification happens in getAttribute).
          if (typeof o === 'object' && o !== null && verifiedPlain.has(o) && Object.hasOwn(o, name)) {
            const v: Value = (o as Record<string, Value>)[name];
            if (typeof v !== 'function') {
              o = v === undefined ? null : v;
              continue;
            }
          }
          try {
            o = getAttribute(o, name, null, i === 0 ? root : null);
          } catch (err) {
            throw unit.locate(err, start);
          }
        }
        return o;
      };
    }
    if (e.attribute.kind === 'Literal' && e.args === null) {
      const name = e.attribute.value;
      return (f) => {
        const o = object(f);
        return o instanceof Promise ? o.then((x) => resolve(x, name, null)) : resolve(o, name, null);
      };
    }
    const attribute = this.expr(e.attribute);
    const args = e.args?.map((a) => this.expr(a)) ?? null;
    return (f) => {
      const values: Value[] = [object(f), attribute(f)];
      if (args) for (const a of args) values.push(a(f));
      return then(allValues(values), (vs) => {
        const [o, a, ...rest] = vs as Value[];
        return resolve(o, a, args ? rest : null);
      });
    };
  }

  private binary(e: Extract<Expression, { kind: 'Binary' }>): Ev {
    if (e.operator === '~') return this.concatenation(e);
    const unit = this.unit;
    const { operator, start } = e;
    const left = this.expr(e.left);
    const right = this.expr(e.right);
    const guard =
      (fn: (a: Value, b: Value) => Value) =>
      (a: Value, b: Value): Value => {
        try {
          return fn(a, b);
        } catch (err) {
          throw unit.locate(err, start);
        }
      };
    switch (operator) {
      case 'contains': {
        // ContainsExpression: a null container is false, and the right side is not evaluated.
        const fn = guard(ops.contains);
        return (f) => then(left(f), (a) => (a === null || a === undefined ? false : then(right(f), (b) => fn(a, b))));
      }
      case 'and':
      case 'or': {
        const isAnd = operator === 'and';
        const operand = guard((v) => ops.logicalOperand(v));
        return (f) =>
          then(left(f), (a) => {
            const l = operand(a, null) as boolean;
            if (isAnd ? !l : l) return l;
            return then(right(f), (b) => operand(b, null));
          });
      }
      case '??':
      case '???': {
        // Kestra: `??` falls back on null or undefined, `???` on undefined only.
        const nullToo = operator === '??';
        return (f) =>
          tryDefined(
            f,
            left,
            (v) => (nullToo && (v === null || v === undefined) ? right(f) : v),
            () => right(f),
          );
      }
      default: {
        const fn = binaryFunction(operator, this.registry);
        const failure = OPERATOR_FAILURES[operator];
        if (failure === undefined) {
          const guarded = guard(fn);
          return (f) => {
            const a = left(f);
            if (a instanceof Promise) return a.then((x) => then(right(f), (y) => guarded(x, y)));
            const b = right(f);
            return b instanceof Promise ? b.then((y) => guarded(a, y)) : guarded(a, b);
          };
        }
        // Pebble's arithmetic and comparison nodes evaluate both operands inside a try and turn
        // any failure, a missing variable included, into "Could not perform …".
        const wrap = (e: unknown): TemplateError => {
          if (e instanceof TemplateError && (e.code === 'LIMIT_EXCEEDED' || e.code === 'ABORTED' || e.code === 'ASYNC_IN_SYNC_RENDER'))
            return e;
          // The operation's own failure (same text, no cause) only needs its position.
          if (e instanceof TemplateError && e.rawMessage === failure && e.cause === undefined) return unit.locate(e, start);
          return unit.locate(new TemplateError('TYPE_ERROR', failure, { cause: e }), start);
        };
        const rethrow = (e: unknown): never => {
          throw wrap(e);
        };
        return (f) => {
          try {
            const a = left(f);
            if (a instanceof Promise) return a.then((x) => then(right(f), (y) => fn(x, y))).catch(rethrow);
            const b = right(f);
            return b instanceof Promise ? b.then((y) => fn(a, y)).catch(rethrow) : fn(a, b);
          } catch (e) {
            throw wrap(e);
          }
        };
      }
    }
  }

  /** `a ~ b ~ c` as one loop: the left side of a `~` is always a string, so the chain flattens. */
  private concatenation(e: Extract<Expression, { kind: 'Binary' }>): Ev {
    const operands: Expression[] = [];
    let node: Expression = e;
    while (node.kind === 'Binary' && node.operator === '~') {
      operands.unshift(node.right);
      node = node.left;
    }
    operands.unshift(node);
    const parts = operands.map((o) => this.expr(o));
    const n = parts.length;
    const finish = (values: Value[]): string => {
      let out = '';
      for (const v of values) if (v !== null && v !== undefined) out += typeof v === 'string' ? v : toJavaString(v);
      return out;
    };
    return (f) => {
      let out = '';
      for (let i = 0; i < n; i++) {
        const v = parts[i]!(f);
        if (v instanceof Promise) {
          const rest = [v, ...parts.slice(i + 1).map((p) => p(f))];
          return Promise.all(rest).then((vs) => out + finish(vs));
        }
        if (v !== null && v !== undefined) out += typeof v === 'string' ? v : toJavaString(v);
      }
      return out;
    };
  }

  private testExpression(e: Extract<Expression, { kind: 'Test' }>): Ev {
    const unit = this.unit;
    const def = this.registry.tests.get(e.name);
    const { start, negated, name } = e;
    if (!def) {
      return () => {
        throw unit.locate(new TemplateError('UNKNOWN_TEST', `Test [${name}] does not exist.`), start);
      };
    }
    const input = name === 'defined' ? this.defaulted(e.operand) : this.expr(e.operand);
    const args = this.args(e.args, def, start);
    return (f) =>
      then(args(f), (a) => then(input(f), (v) => then(callTest(f, start, def, v, a as Args), (r) => (negated ? !r : r === true))));
  }

  /** A filter applied to an already evaluated input (shared by `|` and `{% filter %}`). */
  private filterApplication(e: Extract<Expression, { kind: 'Filter' }>): (f: Frame, input: Value) => Value {
    const unit = this.unit;
    const def = this.registry.filters.get(e.name);
    const { start, name } = e;
    if (!def) {
      return () => {
        throw unit.locate(new TemplateError('UNKNOWN_FILTER', `Filter [${name}] does not exist.`), start);
      };
    }
    if (e.args.positional.length === 0 && e.args.named.length === 0) {
      return (f, input) => callFilter(f, start, def, input, EMPTY_ARGS);
    }
    const args = this.args(e.args, def, start);
    return (f, input) => {
      const a = args(f);
      return a instanceof Promise ? a.then((x) => callFilter(f, start, def, input, x)) : callFilter(f, start, def, input, a);
    };
  }

  private functionCall(e: FunctionCallNode): Ev {
    const unit = this.unit;
    const { name, start } = e;
    if (this.ast.macros.has(name)) {
      const positional = e.args.positional.map((a) => this.expr(a));
      const named = e.args.named.map(([n, v]) => [n, this.expr(v)] as const);
      return (f) => {
        const macro = this.macros.get(name)!;
        const values = allValues([...positional.map((p) => p(f)), ...named.map(([, v]) => v(f))]);
        return then(values, (vs) => {
          const list = vs as Value[];
          let args: Value[] | Record<string, Value>;
          if (named.length === 0) args = list;
          else {
            const map: Record<string, Value> = newMap();
            for (let i = 0; i < named.length; i++) map[named[i]![0]] = list[positional.length + i];
            // Positional arguments first, by parameter order.
            const macroNode = this.ast.macros.get(name)!;
            positional.forEach((_p, i) => {
              const param = macroNode.parameters[i];
              if (param) map[param.name] = list[i];
            });
            args = map;
          }
          try {
            const r = macro(args, f);
            return r instanceof Promise ? r.catch((err: unknown) => Promise.reject(unit.locate(err, start))) : r;
          } catch (err) {
            throw unit.locate(err, start);
          }
        });
      };
    }
    if (name === 'block' && !this.registry.functions.has('block')) {
      const arg = e.args.positional[0] ? this.expr(e.args.positional[0]) : null;
      return (f) =>
        then(arg ? arg(f) : null, (blockName) => {
          const block = this.blocks.get(toJavaString(blockName));
          // Pebble renders nothing for a block that does not exist.
          if (!block) return '';
          const out = new Output(f.state.limits.maxRenderedSize, printPlain);
          const r = block(f, out);
          return r === undefined ? out.s : r.then(() => out.s);
        });
    }
    const def = this.registry.functions.get(name);
    if (!def) {
      return () => {
        throw unit.locate(new TemplateError('UNKNOWN_FUNCTION', `Function or Macro [${name}] does not exist.`), start);
      };
    }
    const args = this.args(e.args, def, start);
    return (f) => {
      const prefetched = f.state.prefetched?.get(e);
      if (prefetched !== undefined) {
        if (prefetched.ok) return prefetched.value;
        throw unit.locate(wrapExtensionError(prefetched.error), start);
      }
      const a = args(f);
      return a instanceof Promise ? a.then((x) => callFunction(f, start, def, x)) : callFunction(f, start, def, a);
    };
  }

  /** Pebble's ArgumentsNode.getArgumentMap: positional arguments take `argNames` in order. */
  private args(a: Arguments, def: { readonly argNames?: readonly string[] }, start: number): (f: Frame) => Args | Promise<Args> {
    const unit = this.unit;
    const names = def.argNames;
    const keys: string[] = [];
    const evs: Ev[] = [];
    let error: TemplateError | null = null;
    a.positional.forEach((p, i) => {
      if (names && i >= names.length && error === null) {
        error = new TemplateError(
          'FUNCTION_ERROR',
          `The argument at position ${i + 1} is not allowed. Only ${names.length} argument(s) are allowed.`,
        );
      }
      keys.push(names ? (names[i] ?? String(i)) : String(i));
      evs.push(this.expr(p));
    });
    for (const [n, v] of a.named) {
      if (names && !names.includes(n) && error === null)
        error = new TemplateError('FUNCTION_ERROR', `The following named argument does not exist: ${n}`);
      keys.push(n);
      evs.push(this.expr(v));
    }
    if (error !== null) {
      const err: TemplateError = error;
      return () => {
        throw unit.locate(err, start);
      };
    }
    if (evs.length === 0) return () => EMPTY_ARGS;
    const all = [...a.positional, ...a.named.map(([, v]) => v)];
    if (all.every((x) => x.kind === 'Literal')) {
      // Literal arguments (`default('x')`, `join(',')`): one immutable object for every call.
      const constant: Record<string, Value> = {};
      all.forEach((x, i) => (constant[keys[i]!] = x.value ?? null));
      Object.freeze(constant);
      return () => constant;
    }
    return (f) => {
      const values = allValues(evs.map((ev) => ev(f)));
      return then(values, (vs) => {
        // A plain literal keeps V8's fast properties; impls read only the names they declared.
        const map: Record<string, Value> = {};
        const list = vs as Value[];
        for (let i = 0; i < keys.length; i++) map[keys[i]!] = list[i] ?? null;
        return map;
      });
    };
  }
}

/** The message each wrapping operator node of Pebble 3.2.2 fails with (sic for `<`). */
const OPERATOR_FAILURES: Readonly<Record<string, string>> = {
  '+': 'Could not perform addition',
  '-': 'Could not perform subtraction',
  '*': 'Could not perform multiplication',
  '/': 'Could not perform division',
  '%': 'Could not perform greater modulus',
  '==': 'Could not perform equals comparison',
  equals: 'Could not perform equals comparison',
  '!=': 'Could not perform not equals comparison',
  '<': 'Could not perform greater modulus',
  '>': 'Could not perform greater than comparison',
  '<=': 'Could not perform less than or equals comparison',
  '>=': 'Could not perform greater than or equals comparison',
};

function binaryFunction(operator: string, registry: Registry): (a: Value, b: Value) => Value {
  switch (operator) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return (a, b) => ops.arithmetic(operator, a, b);
    case '==':
    case 'equals':
      return ops.equals;
    case '!=':
      return (a, b) => !ops.equals(a, b);
    case '<':
    case '>':
    case '<=':
    case '>=':
      return (a, b) => ops.compare(operator, a, b);
    case '..': {
      return (a, b) => {
        const range = registry.functions.get('range');
        if (!range) throw new TemplateError('UNKNOWN_FUNCTION', 'Function or Macro [range] does not exist.');
        const args = newMap();
        args['start'] = a;
        args['end'] = b;
        return range.call(args, NO_CONTEXT);
      };
    }
    default:
      throw new Error(`operator ${operator} has no implementation`);
  }
}

async function continueRuns(runs: readonly Run[], from: number, first: Promise<void>, f: Frame, out: Output): Promise<void> {
  await first;
  for (let i = from; i < runs.length; i++) {
    const r = runs[i]!(f, out);
    if (r !== undefined) await r;
  }
}

function wrapExtensionError(e: unknown): unknown {
  if (e instanceof TemplateError) return e;
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new TemplateError('LIMIT_EXCEEDED', 'Evaluation nested too deeply', { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new TemplateError('FUNCTION_ERROR', message, { cause: e });
}

function callFilter(f: Frame, start: number, def: FilterDefinition, input: Value, args: Args): Value {
  let r: Value;
  try {
    r = def.call(input, args, def.pure === true ? NO_CONTEXT : new FrameCallContext(f, start));
  } catch (e) {
    throw f.unit.locate(wrapExtensionError(e), start);
  }
  return typeof r === 'object' && r !== null && !Array.isArray(r) ? settleExtension(f, start, r) : r;
}

function callFunction(f: Frame, start: number, def: FunctionDefinition, args: Args): Value {
  let r: Value;
  try {
    r = def.call(args, new FrameCallContext(f, start));
  } catch (e) {
    throw f.unit.locate(wrapExtensionError(e), start);
  }
  return typeof r === 'object' && r !== null && !Array.isArray(r) ? settleExtension(f, start, r) : r;
}

function callTest(f: Frame, start: number, def: TestDefinition, input: Value, args: Args): Value {
  let r: Value;
  try {
    r = def.call(input, args, new FrameCallContext(f, start));
  } catch (e) {
    throw f.unit.locate(wrapExtensionError(e), start);
  }
  return typeof r === 'object' && r !== null ? settleExtension(f, start, r) : r;
}

/** A thenable result: refused in sync renders, awaited (with a code and a position on failure) otherwise. */
function settleExtension(f: Frame, start: number, r: object): Value {
  if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
    if (f.state.sync) {
      // Keep the work from running unobserved.
      Promise.resolve(r).catch(() => undefined);
      throw f.unit.locate(
        new TemplateError('ASYNC_IN_SYNC_RENDER', 'An asynchronous function was called during renderSync(); use render() instead'),
        start,
      );
    }
    return Promise.resolve(r).catch((e: unknown) => Promise.reject(f.unit.locate(wrapExtensionError(e), start)));
  }
  return r;
}

function settle(fn: () => Value): Settled | Promise<Settled> {
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

class FrameCallContext implements CallContext {
  constructor(
    private readonly f: Frame,
    private readonly start: number,
  ) {}
  get templateName(): string {
    return this.f.unit.name;
  }
  get line(): number {
    return new LineCounter(this.f.unit.source).position(this.start).line;
  }
  get scope(): RenderScope {
    return this.f.state.scope;
  }
  get nestedDepth(): number {
    return this.f.state.nestedDepth;
  }
  lookup(name: string): unknown {
    const v = lookupVariable(this.f, name);
    return v === MISSING ? undefined : v;
  }
  variables(): Record<string, unknown> {
    return visibleVariables(this.f);
  }
  renderNested(template: string): string | Promise<string> {
    const state = this.f.state;
    if (state.nestedDepth >= state.limits.maxNestedRenderDepth) {
      throw new TemplateError('LIMIT_EXCEEDED', `render() calls nested deeper than the limit of ${state.limits.maxNestedRenderDepth}`);
    }
    return state.renderNested(template, this.variables(), state);
  }
  markSensitive(value: string): void {
    if (typeof value === 'string' && value.length > 0) this.f.state.scope.onSensitiveValue?.(value);
  }
}

/** For built-ins called from operators (`..`), which need no context. */
const NO_CONTEXT: CallContext = {
  templateName: '',
  line: 0,
  scope: {},
  nestedDepth: 0,
  lookup: () => undefined,
  variables: () => newMap(),
  renderNested: () => {
    throw new TemplateError('FUNCTION_ERROR', 'render() is not available here');
  },
  markSensitive: () => undefined,
};
