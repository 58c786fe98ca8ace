/**
 * Operator and extension-call plumbing: the functions behind binary operators, and how filters,
 * functions and tests are called (each call a step of the budget, errors wrapped with a code and a
 * position, results measured, thenables refused in sync renders), with the CallContext they see.
 */
import {
  BudgetView,
  UNMETERED,
  addSensitive,
  checkpoint as budgetCheckpoint,
  limitOfRangeError,
  measureValue,
  type CallBudget,
} from './budget.js';
import { LimitExceededError, TemplateError } from './errors.js';
import type { Args, CallContext, FilterDefinition, FunctionDefinition, RenderScope, TestDefinition } from './extension.js';
import { LineCounter } from './lexer.js';
import * as ops from './operations.js';
import { type Frame, type Registry, type Value, lookupVariable, visibleVariables } from './runtime.js';
import { MISSING } from './sandbox.js';
import { newMap } from './values.js';

export const EMPTY_ARGS: Args = Object.freeze(newMap());

/** The message each wrapping operator node of Pebble 3.2.2 fails with (sic for `<`). */
export const OPERATOR_FAILURES: Readonly<Record<string, string>> = {
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

export function binaryFunction(operator: string, registry: Registry): (a: Value, b: Value) => Value {
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

export function wrapExtensionError(e: unknown): unknown {
  if (e instanceof TemplateError) return e;
  const limit = limitOfRangeError(e);
  if (limit !== null) return limit;
  const message = e instanceof Error ? e.message : String(e);
  return new TemplateError('FUNCTION_ERROR', message, { cause: e });
}

export function callFilter(f: Frame, start: number, def: FilterDefinition, input: Value, args: Args): Value {
  const budget = f.state.budget;
  if (--budget.tick === 0) {
    const pause = checkpoint(f, start);
    if (pause !== undefined) return pause.then(() => invokeFilter(f, start, def, input, args));
  }
  return invokeFilter(f, start, def, input, args);
}

function invokeFilter(f: Frame, start: number, def: FilterDefinition, input: Value, args: Args): Value {
  let r: Value;
  try {
    r = def.call(input, args, def.pure === true ? NO_CONTEXT : new FrameCallContext(f, start));
  } catch (e) {
    throw f.unit.locate(wrapExtensionError(e), start);
  }
  return checkResult(f, start, r);
}

export function callFunction(f: Frame, start: number, def: FunctionDefinition, args: Args): Value {
  const budget = f.state.budget;
  if (--budget.tick === 0) {
    const pause = checkpoint(f, start);
    if (pause !== undefined) return pause.then(() => invokeFunction(f, start, def, args));
  }
  return invokeFunction(f, start, def, args);
}

function invokeFunction(f: Frame, start: number, def: FunctionDefinition, args: Args): Value {
  let r: Value;
  try {
    r = def.call(args, new FrameCallContext(f, start));
  } catch (e) {
    throw f.unit.locate(wrapExtensionError(e), start);
  }
  return checkResult(f, start, r);
}

export function callTest(f: Frame, start: number, def: TestDefinition, input: Value, args: Args): Value {
  const budget = f.state.budget;
  if (--budget.tick === 0) {
    const pause = checkpoint(f, start);
    if (pause !== undefined) return pause.then(() => invokeTest(f, start, def, input, args));
  }
  return invokeTest(f, start, def, input, args);
}

function invokeTest(f: Frame, start: number, def: TestDefinition, input: Value, args: Args): Value {
  let r: Value;
  try {
    r = def.call(input, args, new FrameCallContext(f, start));
  } catch (e) {
    throw f.unit.locate(wrapExtensionError(e), start);
  }
  return typeof r === 'object' && r !== null ? settleExtension(f, start, r) : r;
}

/** The budget's checkpoint, its failure placed at `start`. */
export function checkpoint(f: Frame, start: number): void | Promise<void> {
  try {
    return budgetCheckpoint(f.state.budget);
  } catch (e) {
    throw f.unit.locate(e, start);
  }
}

/** A value a call or an operator produced, measured against the budget (strings and collections). */
export function measured(f: Frame, start: number, v: Value): Value {
  try {
    return measureValue(f.state.budget, v);
  } catch (e) {
    throw f.unit.locate(e, start);
  }
}

/** A call's result: strings and collections measured, thenables settled (then measured). */
function checkResult(f: Frame, start: number, r: Value): Value {
  if (typeof r === 'string') return r.length >= f.state.budget.measureFrom ? measured(f, start, r) : r;
  if (typeof r !== 'object' || r === null) return r;
  if (typeof (r as { then?: unknown }).then === 'function') {
    const settled = settleExtension(f, start, r);
    return settled instanceof Promise ? settled.then((x) => measured(f, start, x)) : settled;
  }
  return measured(f, start, r);
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

export class FrameCallContext implements CallContext {
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
    if (state.nestedDepth >= state.policy.limits.maxNestedRenderDepth) {
      throw new LimitExceededError(
        'maxNestedRenderDepth',
        `render() calls nested deeper than the limit of ${state.policy.limits.maxNestedRenderDepth}`,
      );
    }
    return state.renderNested(template, this.variables(), state);
  }
  markSensitive(value: string): void {
    if (typeof value !== 'string' || value.length === 0) return;
    addSensitive(this.f.state.budget, value);
    this.f.state.scope.onSensitiveValue?.(value);
  }
  get budget(): CallBudget {
    return new BudgetView(this.f.state.budget);
  }
}

/** For built-ins called from operators (`..`), which need no context. */
export const NO_CONTEXT: CallContext = {
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
  budget: UNMETERED,
};
