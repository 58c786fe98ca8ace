/**
 * AST → closures. One evaluator serves both `render` and `renderSync`: every closure returns a
 * plain value, and only when an extension call really returns a Promise does the surrounding
 * closure continue with `.then`. A template whose calls are all synchronous allocates no promise.
 *
 * Longer than the other files on purpose: the Compiler is one class whose statement and
 * expression cases compile through each other. What it builds on lives beside it: runtime.ts
 * (scopes, frames, output), sandbox.ts and attributes.ts (what a template may read),
 * java-members.ts (Java methods of strings, lists, maps), calls.ts (operators, extension calls).
 */
import type { Arguments, Expression, Statement, TemplateAst } from './ast.js';
import { visitExpressions } from './ast.js';
import { getAttribute, javaParseInt } from './attributes.js';
import {
  EMPTY_ARGS,
  FrameCallContext,
  OPERATOR_FAILURES,
  binaryFunction,
  callFilter,
  callFunction,
  callTest,
  checkpoint,
  measured,
  wrapExtensionError,
} from './calls.js';
import { measureAppended, measureValue, weightNow } from './budget.js';
import { LimitExceededError, TemplateError } from './errors.js';
import { finishRawBlocks, stripKestraRaw } from './kestra-raw.js';
import type { Args } from './extension.js';
import * as ops from './operations.js';
import {
  type CompiledProgram,
  type Ev,
  type Frame,
  Output,
  type Registry,
  type Run,
  Scope,
  type Settled,
  Unit,
  type Value,
  allValues,
  assignVariable,
  continueRuns,
  identity,
  isUndefinedError,
  lookupVariable,
  NO_MEMO,
  returnNull,
  rootMissing,
  setLocal,
  settle,
  then,
  tryDefined,
} from './runtime.js';
import { FORBIDDEN_KEYS, isVerifiedPlain, MISSING, verifiedPlain } from './sandbox.js';
import {
  JDouble,
  MapEntry,
  isJavaList,
  isList,
  isMap,
  javaHashMap,
  knownPercentFree,
  mapKeys,
  newMap,
  printPlain,
  toJavaString,
} from './values.js';

/**
 * `x.a.b[3]` with literal names or indexes and no calls, as a root name and a path. A literal
 * index is kept as the text Pebble resolves it by (`String.valueOf`), and as an int where it is one.
 */
function literalChain(e: Expression): { root: string; rootStart: number; names: string[]; indexes: (number | null)[] } | null {
  const names: string[] = [];
  const indexes: (number | null)[] = [];
  let node = e;
  while (node.kind === 'GetAttribute') {
    const name = literalName(node);
    if (name === null) return null;
    names.unshift(name);
    indexes.unshift(javaParseInt(name));
    node = node.object;
  }
  if (node.kind !== 'ContextVariable' || FORBIDDEN_KEYS.has(node.name) || names.some((n) => FORBIDDEN_KEYS.has(n))) return null;
  return { root: node.name, rootStart: node.start, names, indexes };
}

/** The name `a.b` or `a[3]` reads when it is a literal (a number as `String.valueOf` prints it), else null. */
function literalName(node: Extract<Expression, { kind: 'GetAttribute' }>): string | null {
  if (node.args !== null || node.attribute.kind !== 'Literal') return null;
  const value = node.attribute.value;
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'bigint' ? toJavaString(value) : null;
}

/** The render's text: Kestra's raw tags a value left in it stripped (VariableRenderer's last step). */
function finished(out: Output): string {
  return out.percent ? stripKestraRaw(out.s) : out.s;
}

/** One name of a literal path as part of a map key: the names of a path, length-prefixed, join unambiguously. */
function pathSegment(name: string): string {
  return `${name.length}:${name}`;
}

// --- compiler -----------------------------------------------------------------------------------

export function compileProgram(ast: TemplateAst, name: string, source: string, registry: Registry): CompiledProgram {
  return new Compiler(ast, new Unit(name, source), registry).program();
}

type FunctionCallNode = Extract<Expression, { kind: 'FunctionCall' }>;

class Compiler {
  private readonly macros = new Map<string, (args: Value[] | Record<string, Value>, f: Frame) => Value>();
  private readonly blocks = new Map<string, Run>();
  /** How many attribute nodes walk each literal path (keyed by `pathSegment`s): a path walked twice or more gets a memo slot. */
  private readonly pathCounts = new Map<string, number>();
  private readonly memoSlots = new Map<string, number>();
  /** How many `root.name` nodes read each root variable: one read twice or more gets a memo slot. */
  private readonly rootCounts = new Map<string, number>();

  constructor(
    private readonly ast: TemplateAst,
    private readonly unit: Unit,
    private readonly registry: Registry,
  ) {}

  program(): CompiledProgram {
    const { unit, registry } = this;
    // Each node's key from its object's key: linear in the template, however deep the paths.
    const pathKeys = new Map<Expression, string | null>();
    const pathKeyOf = (e: Expression): string | null => {
      if (e.kind === 'ContextVariable') return FORBIDDEN_KEYS.has(e.name) ? null : pathSegment(e.name);
      if (e.kind !== 'GetAttribute') return null;
      let key = pathKeys.get(e);
      if (key !== undefined) return key;
      const name = literalName(e);
      const parent = name === null || FORBIDDEN_KEYS.has(name) ? null : pathKeyOf(e.object);
      key = parent === null ? null : parent + pathSegment(name!);
      pathKeys.set(e, key);
      return key;
    };
    const countPath = (e: Expression): void => {
      if (e.kind === 'GetAttribute' && e.object.kind === 'ContextVariable') {
        this.rootCounts.set(e.object.name, (this.rootCounts.get(e.object.name) ?? 0) + 1);
      }
      const key = e.kind === 'GetAttribute' ? pathKeyOf(e) : null;
      if (key !== null) this.pathCounts.set(key, (this.pathCounts.get(key) ?? 0) + 1);
    };
    visitExpressions(this.ast.body, countPath);
    for (const block of this.ast.blocks.values()) visitExpressions(block.body, countPath);
    for (const macro of this.ast.macros.values()) visitExpressions(macro.body, countPath);
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
    const memoized = this.memoSlots.size > 0;
    const rawBlocks = this.ast.rawBlocks;
    // The template's raw blocks are put back (then every raw tag stripped) as VariableRenderer does.
    const finish = rawBlocks.length === 0 ? finished : (out: Output): string => finishRawBlocks(out.s, rawBlocks);
    return {
      name: unit.name,
      source: unit.source,
      prefetch,
      run(root, state) {
        const out = new Output(state.policy.limits.maxRenderedSize);
        const frame: Frame = { scope: new Scope(null), root, rootPlain: isVerifiedPlain(root), state, unit, memo: memoized ? [] : NO_MEMO };
        const r = body(frame, out);
        return r === undefined ? finish(out) : r.then(() => finish(out));
      },
      resolvePrefetch(root, state) {
        const frame: Frame = { scope: new Scope(null), root, rootPlain: isVerifiedPlain(root), state, unit, memo: NO_MEMO };
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
        const percent = text.includes('%');
        return (_f, out) => {
          out.appendChecked(text, percent);
        };
      }
      case 'Print': {
        const start = s.start;
        if (s.expression.kind === 'Binary' && s.expression.operator === '~') {
          const join = this.concatenation(s.expression);
          return (f, out) => {
            let r: void | Promise<void>;
            try {
              r = join(f, out);
            } catch (e) {
              throw unit.locate(e, start);
            }
            return r === undefined
              ? undefined
              : r.catch((e: unknown) => {
                  throw unit.locate(e, start);
                });
          };
        }
        const ev = this.expr(s.expression);
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
          const inner = new Output(f.state.policy.limits.maxRenderedSize, printPlain);
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
      else if (isMap(value)) items = mapKeys(value).map((key) => new MapEntry(key, value[key] ?? null));
      else throw unit.locate(new TemplateError('TYPE_ERROR', `Not an iterable object. Value = [${toJavaString(value)}]`), start);
      const length = items.length;
      if (length === 0) return otherwise ? otherwise(f, out) : undefined;
      const scope = new Scope(f.scope);
      const inner: Frame = { scope, root: f.root, rootPlain: f.rootPlain, state: f.state, unit: f.unit, memo: f.memo };
      const signal = f.state.scope.signal;
      const budget = f.state.budget;
      const runBody = (index: number): void | Promise<void> => {
        setLocal(scope, 'loop', { index, revindex: length - index - 1, first: index === 0, last: index === length - 1, length });
        setLocal(scope, variable, items[index]);
        return body(inner, out);
      };
      const iterate = (from: number): void | Promise<void> => {
        for (let index = from; index < length; index++) {
          if (signal?.aborted) throw unit.locate(new TemplateError('ABORTED', 'The render was aborted'), start);
          // Every iteration is a step of the budget.
          if (--budget.tick === 0) {
            const pause = checkpoint(f, start);
            if (pause !== undefined) {
              return pause.then(() => {
                const r = runBody(index);
                return r === undefined ? iterate(index + 1) : r.then(() => iterate(index + 1));
              });
            }
          }
          const r = runBody(index);
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
    const invoke = (args: Value[] | Record<string, Value>, f: Frame): Value => {
      const state = f.state;
      if (state.macroDepth >= state.policy.limits.maxMacroDepth) {
        throw new LimitExceededError(
          'maxMacroDepth',
          `Macro calls nested deeper than ${state.policy.limits.maxMacroDepth} (endless recursion in macro "${name}"?)`,
        );
      }
      const scope = new Scope(null, true);
      // A macro sees its arguments only: its root is empty, so there is nothing to read from it directly.
      const frame: Frame = { scope, root: Object.freeze(newMap()), rootPlain: false, state, unit: f.unit, memo: f.memo };
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
      const out = new Output(state.policy.limits.maxRenderedSize, printPlain);
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
    // Every macro call is a step of the budget.
    return (args, f) => {
      if (--f.state.budget.tick === 0) {
        const pause = checkpoint(f, start);
        if (pause !== undefined) return pause.then(() => invoke(args, f));
      }
      return invoke(args, f);
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
        const start = e.start;
        return (f) => {
          const values = allValues(parts.map((p) => p(f)));
          return then(values, (vs) =>
            measured(
              f,
              start,
              (vs as Value[]).reduce<string>((acc, v) => ops.concatenate(acc, v), ''),
            ),
          );
        };
      }
      case 'ListLiteral': {
        const items = e.items.map((i) => this.expr(i));
        const start = e.start;
        // A fresh list per evaluation: `list + x` appends in place, as Pebble 3.2.2 does.
        return (f) => then(allValues(items.map((i) => i(f))), (vs) => measured(f, start, (vs as Value[]).slice()));
      }
      case 'MapLiteral': {
        const entries = e.entries.map(([k, v]) => [this.expr(k), this.expr(v)] as const);
        const start = e.start;
        return (f) => {
          const flat: Value[] = [];
          for (const [k, v] of entries) flat.push(k(f), v(f));
          return then(allValues(flat), (vs) => {
            const values = vs as Value[];
            const pairs: [unknown, unknown][] = [];
            for (let i = 0; i < values.length; i += 2) pairs.push([values[i], values[i + 1] ?? null]);
            // MapExpression builds a java.util.HashMap: its keys come out in hash order.
            return measured(f, start, javaHashMap(pairs, Math.ceil(pairs.length / 0.75)));
          });
        };
      }
      case 'ContextVariable': {
        const { name, start } = e;
        // As a literal path's root (see chain): straight from a verified context when no scope holds variables.
        const direct = !FORBIDDEN_KEYS.has(name);
        return (f) => {
          const scope = f.scope;
          if (direct && scope.vars === null && scope.parent === null && f.rootPlain && Object.hasOwn(f.root, name)) {
            const v = (f.root as Record<string, Value>)[name];
            if (typeof v !== 'function') return v === undefined ? null : v;
          }
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
    const lenient = this.lenient(e);
    if (lenient !== null)
      return (f) => {
        const v = lenient(f);
        return v === MISSING ? null : v;
      };
    const ev = this.expr(e);
    return (f) => tryDefined(f, ev, identity, returnNull);
  }

  /** A variable or a literal path evaluated to MISSING where it does not exist (see `chain`); null for other expressions. */
  private lenient(e: Expression): Ev | null {
    if (e.kind === 'ContextVariable') {
      const name = e.name;
      return (f) => lookupVariable(f, name);
    }
    if (e.kind !== 'GetAttribute') return null;
    const chain = literalChain(e);
    return chain === null ? null : this.chain(chain, e.start, true);
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
    if (chain !== null) return this.chain(chain, start, false);
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
        // A Java method's result (`s.concat(s)`, `m.values()`) is measured like a call's.
        return args ? measured(f, start, resolve(o, a, rest)) : resolve(o, a, null);
      });
    };
  }

  /**
   * `a.b.c[3]` as one closure walking the whole path. Plain maps already verified (verification
   * happens in getAttribute) and Java lists read in place; anything else goes through
   * getAttribute. `lenient` (for `??`, `default` and `is defined`) answers MISSING where the path
   * does not exist instead of throwing, so the common fallback costs no exception.
   */
  private chain(chain: NonNullable<ReturnType<typeof literalChain>>, start: number, lenient: boolean): Ev {
    const { root, names, indexes } = chain;
    const n = names.length;
    // The longest prefix (two names or more, none an index: `sort` and `reverse` reorder lists in
    // place) another node also walks: walked once per render and remembered in the frame's memo
    // against the root variable's value (see `Frame.memo`).
    let shared = 0;
    let sharedKey = '';
    let key = pathSegment(root);
    for (let j = 1; j <= n; j++) {
      // A prefix through an index is never remembered, nor is anything past it.
      if (indexes[j - 1] !== null) break;
      key += pathSegment(names[j - 1]!);
      if (j >= 2 && (this.pathCounts.get(key) ?? 0) >= 2) {
        shared = j;
        sharedKey = key;
      }
    }
    const slot = shared === 0 ? -1 : this.memoSlot(sharedKey);
    const general = this.walk(chain, start, lenient, shared, slot);
    if (n !== 1 || indexes[0] !== null || slot >= 0) return general;
    // `root.name`, the commonest path (`inputs.x`, `flow.id`): both steps inline, any other case
    // through the general walk.
    const name = names[0]!;
    if ((this.rootCounts.get(root) ?? 0) >= 2) {
      // The root read by several such paths: looked up and its verification checked once per
      // render, then taken from the memo (see Frame.memo).
      const rootSlot = 2 * this.memoSlot(`root:${root}`);
      return (f) => {
        const scope = f.scope;
        if (scope.vars === null && scope.parent === null && f.rootPlain) {
          let o = f.memo[rootSlot] as Record<string, Value> | undefined;
          if (o === undefined) {
            if (!Object.hasOwn(f.root, root)) return general(f);
            const found: Value = (f.root as Record<string, Value>)[root];
            if (typeof found !== 'object' || found === null || !verifiedPlain.has(found)) return general(f);
            f.memo[rootSlot] = o = found as Record<string, Value>;
          }
          if (Object.hasOwn(o, name)) {
            const v: Value = o[name];
            if (typeof v !== 'function') return v === undefined ? null : v;
          }
        }
        return general(f);
      };
    }
    return (f) => {
      const scope = f.scope;
      if (scope.vars === null && scope.parent === null && f.rootPlain && Object.hasOwn(f.root, root)) {
        const o = (f.root as Record<string, Value>)[root];
        if (typeof o === 'object' && o !== null && verifiedPlain.has(o) && Object.hasOwn(o, name)) {
          const v: Value = (o as Record<string, Value>)[name];
          if (typeof v !== 'function') return v === undefined ? null : v;
        }
      }
      return general(f);
    };
  }

  /** The general walk of a literal path (see chain). */
  private walk(chain: NonNullable<ReturnType<typeof literalChain>>, start: number, lenient: boolean, shared: number, slot: number): Ev {
    const unit = this.unit;
    const { root, rootStart, names, indexes } = chain;
    const n = names.length;
    return (f) => {
      // The root variable: straight from a verified context when no scope holds variables (the
      // root name is never a forbidden key, see literalChain), else through lookupVariable.
      let o: Value;
      const scope = f.scope;
      const context = f.root;
      if (scope.vars === null && scope.parent === null && f.rootPlain && Object.hasOwn(context, root)) {
        o = (context as Record<string, Value>)[root];
        if (typeof o === 'function') o = lookupVariable(f, root);
        else if (o === undefined) o = null;
      } else o = lookupVariable(f, root);
      if (o === MISSING) {
        if (lenient) return MISSING;
        throw unit.locate(rootMissing(root), rootStart);
      }
      const rootValue = o;
      let i = 0;
      // Whether every step so far read a verified map's own data: only such a prefix is remembered
      // (a Java member's result, `list.size`, or a list's element could change during the render).
      let inPlace = true;
      if (slot >= 0) {
        const memo = f.memo;
        if (memo[2 * slot] === o) {
          o = memo[2 * slot + 1];
          i = shared;
        }
      }
      for (; i < n; i++) {
        const name = names[i]!;
        walk: {
          if (typeof o === 'object' && o !== null) {
            if (verifiedPlain.has(o)) {
              if (Object.hasOwn(o, name)) {
                const v: Value = (o as Record<string, Value>)[name];
                if (typeof v !== 'function') {
                  o = v === undefined ? null : v;
                  break walk;
                }
              } else if (lenient) return MISSING;
            } else if (Array.isArray(o)) {
              const index = indexes[i]!;
              if (index !== null && index >= 0 && index < o.length && isJavaList(o)) {
                const v: Value = o[index];
                o = v === undefined ? null : v;
                inPlace = false;
                break walk;
              }
            }
          }
          inPlace = false;
          try {
            o = getAttribute(o, name, null, i === 0 ? root : null);
          } catch (err) {
            if (lenient && isUndefinedError(err)) return MISSING;
            throw unit.locate(err, start);
          }
        }
        if (i + 1 === shared && inPlace) {
          f.memo[2 * slot] = rootValue;
          f.memo[2 * slot + 1] = o;
        }
      }
      return o;
    };
  }

  private memoSlot(key: string): number {
    let slot = this.memoSlots.get(key);
    if (slot === undefined) this.memoSlots.set(key, (slot = this.memoSlots.size));
    return slot;
  }

  private binary(e: Extract<Expression, { kind: 'Binary' }>): Ev {
    if (e.operator === '~') {
      const join = this.concatenation(e);
      return (f) => join(f, null);
    }
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
        const lenient = this.lenient(e.left);
        if (lenient !== null) {
          return (f) => {
            const v = lenient(f);
            return v === MISSING || (nullToo && (v === null || v === undefined)) ? right(f) : v;
          };
        }
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
          if (operator === '..') {
            return (f) => {
              const a = left(f);
              if (a instanceof Promise) return a.then((x) => then(right(f), (y) => measured(f, start, guarded(x, y))));
              const b = right(f);
              return b instanceof Promise ? b.then((y) => measured(f, start, guarded(a, y))) : measured(f, start, guarded(a, b));
            };
          }
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
            return unit.locate(e, start);
          // The operation's own failure (same text, no cause) only needs its position.
          if (e instanceof TemplateError && e.rawMessage === failure && e.cause === undefined) return unit.locate(e, start);
          return unit.locate(new TemplateError('TYPE_ERROR', failure, { cause: e }), start);
        };
        const rethrow = (e: unknown): never => {
          throw wrap(e);
        };
        if (operator === '+' || operator === '-') {
          // Their results can be strings and lists: measured against the budget (a number needs no measuring).
          const op = operator;
          const measuredFn =
            operator === '+' ? addMeasured(fn) : (f: Frame, a: Value, b: Value): Value => measureValue(f.state.budget, fn(a, b));
          const sized = (f: Frame, a: Value, b: Value): Value => ops.integerArithmetic(op, a, b) ?? measuredFn(f, a, b);
          return (f) => {
            try {
              const a = left(f);
              if (a instanceof Promise) return a.then((x) => then(right(f), (y) => sized(f, x, y))).catch(rethrow);
              const b = right(f);
              return b instanceof Promise ? b.then((y) => sized(f, a, y)).catch(rethrow) : sized(f, a, b);
            } catch (e) {
              throw wrap(e);
            }
          };
        }
        // The same closure three times over (`+ -`, `* / %`, the rest) on purpose: one shared closure
        // calling an operator function makes that call site megamorphic (measured 10 % slower on
        // t8_arith_loop).
        if (operator === '*' || operator === '/' || operator === '%') {
          const op = operator;
          const arithmetic = (a: Value, b: Value): Value => ops.integerArithmetic(op, a, b) ?? fn(a, b);
          return (f) => {
            try {
              const a = left(f);
              if (a instanceof Promise) return a.then((x) => then(right(f), (y) => arithmetic(x, y))).catch(rethrow);
              const b = right(f);
              return b instanceof Promise ? b.then((y) => arithmetic(a, y)).catch(rethrow) : arithmetic(a, b);
            } catch (e) {
              throw wrap(e);
            }
          };
        }
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

  /**
   * `a ~ b ~ c` as one loop: the left side of a `~` is always a string, so the chain flattens.
   * Given an output (a `{{ a ~ b }}` print), the result is appended to it, with whether it holds a
   * `%` worked out on the operands (see Output.appendChecked), and nothing is returned.
   */
  private concatenation(e: Extract<Expression, { kind: 'Binary' }>): {
    (f: Frame, out: null): Value;
    (f: Frame, out: Output): void | Promise<void>;
  } {
    const operands: Expression[] = [];
    let node: Expression = e;
    while (node.kind === 'Binary' && node.operator === '~') {
      operands.unshift(node.right);
      node = node.left;
    }
    operands.unshift(node);
    // Literal operands are text known now, adjacent ones joined: `texts[i]` precedes `evs[i]`, and
    // the last text ends the result.
    const texts: string[] = [''];
    const evs: Ev[] = [];
    for (const o of operands) {
      if (o.kind === 'Literal') {
        texts[texts.length - 1] += o.value === null || o.value === undefined ? '' : toJavaString(o.value);
      } else {
        evs.push(this.expr(o));
        texts.push('');
      }
    }
    const m = evs.length;
    const literalPercent = texts.some((text) => text.includes('%'));
    const start = e.start;
    /** The rest of the chain once operand `i` gave a promise: every later operand starts now, as in the synchronous loop. */
    const finishAsync = (f: Frame, head: string, i: number, first: Promise<Value>): Promise<string> => {
      const pending: Value[] = [first];
      for (let j = i + 1; j < m; j++) pending.push(evs[j]!(f));
      return Promise.all(pending).then((values) => {
        let out = head;
        for (let j = 0; j < values.length; j++) {
          const v = values[j];
          if (v !== null && v !== undefined) out += typeof v === 'string' ? v : toJavaString(v);
          out += texts[i + j + 1]!;
        }
        return measured(f, start, out) as string;
      });
    };
    return ((f: Frame, output: Output | null): Value => {
      let out = texts[0]!;
      let percent = literalPercent;
      for (let i = 0; i < m; i++) {
        const v = evs[i]!(f);
        if (typeof v === 'string') {
          out += v;
          if (output !== null && !percent) percent = !knownPercentFree(v) && v.includes('%');
        } else if (v !== null && v !== undefined) {
          if (v instanceof Promise) {
            const joined = finishAsync(f, out, i, v);
            return output === null ? joined : joined.then((s) => output.append(s));
          }
          const s = toJavaString(v);
          out += s;
          if (output !== null && !percent) percent = s.includes('%');
        }
        out += texts[i + 1]!;
      }
      const result = out.length >= f.state.budget.measureFrom ? (measured(f, start, out) as string) : out;
      if (output === null) return result;
      output.appendChecked(result, percent);
      return undefined;
    }) as ReturnType<Compiler['concatenation']>;
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
          const out = new Output(f.state.policy.limits.maxRenderedSize, printPlain);
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

/**
 * `a + b` measured: a list appended to in place (Pebble's semantics) gains the weight of what was
 * appended, without walking what it held; any other result is measured whole.
 */
function addMeasured(fn: (a: Value, b: Value) => Value): (f: Frame, a: Value, b: Value) => Value {
  return (f, a, b) => {
    const budget = f.state.budget;
    if (isJavaList(a)) {
      const before = weightNow(a);
      const r = fn(a, b);
      return r === a ? measureAppended(budget, a, before, b, ops.isCollection(b)) : measureValue(budget, r);
    }
    return measureValue(budget, fn(a, b));
  };
}
