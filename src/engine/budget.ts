/**
 * The budget of one render, enforced inside the evaluator so that it holds in `renderSync` as
 * well as in `render`: evaluation steps (loop iterations and calls), wall-clock time, the size of
 * every string and collection the render builds, and the caller's abort signal.
 *
 * Checks are cheap by construction: the evaluator decrements `tick` at each step and only calls
 * `checkpoint()` when it reaches zero (every CHECK_EVERY steps), which is where the clock is read
 * (reading it costs about as much as a hundred steps). An asynchronous render also yields to the
 * event loop there every SLICE_MS, so that timers, abort signals and other renders keep running
 * while a CPU-bound template works.
 */
import { LimitExceededError, TemplateError } from './errors.js';
import type { RenderScope } from './extension.js';
import { isList, isMap } from './values.js';

/** Limits of a render; every field is optional and falls back to the engine's, then to the default. */
export interface RenderLimits {
  /** Largest rendered output, in characters (default 10 485 760). */
  readonly maxRenderedSize?: number;
  /** Evaluation steps: loop iterations and calls of filters, functions, tests and macros (default 10 000 000). */
  readonly maxSteps?: number;
  /** Wall-clock milliseconds of evaluation, awaited calls included (default 10 000). */
  readonly maxRenderTime?: number;
  /** Longest string a render may build, in characters (default 16 777 216). */
  readonly maxStringLength?: number;
  /** Most elements a list or map built by a render may hold, counted through the lists and maps inside it (default 1 000 000). */
  readonly maxCollectionSize?: number;
  /** Deepest macro call chain (default 100). */
  readonly maxMacroDepth?: number;
  /** Deepest chain of `render()` calls (default 16, as Kestra). */
  readonly maxNestedRenderDepth?: number;
  /** Milliseconds one regular-expression call may run when its pattern cannot run in linear time (default 1 000). */
  readonly maxRegexTime?: number;
  /** Milliseconds one `jq` call may run (default 2 000). */
  readonly maxJqTime?: number;
}

export type ResolvedLimits = { readonly [K in keyof RenderLimits]-?: number };

export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  maxRenderedSize: 10 * 1024 * 1024,
  maxSteps: 10_000_000,
  maxRenderTime: 10_000,
  maxStringLength: 16 * 1024 * 1024,
  maxCollectionSize: 1_000_000,
  maxMacroDepth: 100,
  maxNestedRenderDepth: 16,
  maxRegexTime: 1_000,
  maxJqTime: 2_000,
});

const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof ResolvedLimits)[];

/** `base` with the fields `override` sets (undefined ones ignored); each must be a number >= 0. */
export function resolveLimits(base: ResolvedLimits, override: RenderLimits | undefined): ResolvedLimits {
  if (override === undefined) return base;
  const out: Record<string, number> = { ...base };
  for (const name of LIMIT_NAMES) {
    const v = override[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new TemplateError('TYPE_ERROR', `The limit ${name} must be a number >= 0 (Infinity for none), not ${String(v)}`);
    }
    out[name] = v;
  }
  return out as ResolvedLimits;
}

/** Steps between two checkpoints (clock, abort signal, yield). */
const CHECK_EVERY = 64;
/** An asynchronous render yields to the event loop after this many milliseconds of evaluation. */
const SLICE_MS = 10;
/**
 * Strings and collections at least this large read the clock when they are built, and make the
 * next step a checkpoint: building them took time the step count does not see.
 */
const LARGE = 1 << 16;
/** Strings shorter than this (and than the limit) are not measured: the common case costs one comparison. */
const MEASURE_FROM = 4096;

/**
 * Weights of the lists and maps renders built: 1 + the weights of their elements, so a list that
 * holds another one twice weighs it twice. Lists and maps a render did not build weigh 1 + their
 * length (their memory is the caller's; only what a template builds can grow exponentially).
 */
const weights = new WeakMap<object, number>();

function weightOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 1;
  const known = weights.get(v);
  if (known !== undefined) return known;
  let w = 1;
  if (Array.isArray(v)) w += v.length;
  else if (isMap(v)) w += Object.keys(v).length;
  else return 1;
  weights.set(v, w);
  return w;
}

function measure(v: unknown[] | Record<string, unknown>): number {
  let w = 1;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) w += weightOf(v[i]);
  } else {
    for (const k of Object.keys(v)) w += weightOf(v[k]);
  }
  weights.set(v, w);
  return w;
}

/** What extension calls can see of the budget (through `CallContext.budget`). */
export interface CallBudget {
  /** The limits in force for this render. */
  readonly limits: ResolvedLimits;
  /** The render is synchronous (`renderSync`): a call must not return a Promise. */
  readonly sync: boolean;
  /** Milliseconds left before `maxRenderTime` (Infinity when unlimited). */
  timeLeft(): number;
  /** Throws LIMIT_EXCEEDED (time) or ABORTED when the render must stop; long-running calls call it as they go. */
  check(): void;
}

/** The limits of an engine (or of a render that sets its own), with what every render derives from them. */
export interface LimitPolicy {
  readonly limits: ResolvedLimits;
  /** Steps before the first checkpoint. */
  readonly firstTick: number;
  /** Strings at least this long are measured (shorter ones can pass neither the limit nor LARGE). */
  readonly measureFrom: number;
}

export function limitPolicy(limits: ResolvedLimits): LimitPolicy {
  return Object.freeze({
    limits,
    firstTick: Math.min(CHECK_EVERY, limits.maxSteps + 1),
    measureFrom: Math.min(limits.maxStringLength + 1, MEASURE_FROM),
  });
}

/** Where a render stands on its budget: created at its first checkpoint (most renders never reach one). */
class Meter {
  spent = 0;
  /** Values `secret()` / `credential()` produced (kept out of error messages). */
  sensitive: string[] | null = null;
  deadline: number;
  sliceEnd: number;
  constructor(
    now: number,
    maxRenderTime: number,
    /** Steps taken since the last checkpoint (the tick it started from). */
    public lastTick: number,
  ) {
    this.deadline = now + maxRenderTime;
    this.sliceEnd = now + SLICE_MS;
  }
}

/**
 * The budget fields of a render's state (kept in the state object itself: one allocation per
 * render, as before budgets existed). Nested `render()` calls spend from the root's.
 */
export interface Budget {
  /** Steps left before the next checkpoint: the evaluator decrements it and calls checkpoint() at 0. */
  tick: number;
  readonly policy: LimitPolicy;
  /** policy.measureFrom, one load closer (it is read on every string a call returns). */
  readonly measureFrom: number;
  readonly sync: boolean;
  /** Where the render happens: its abort signal is checked at every checkpoint. */
  readonly scope: RenderScope;
  meter: Meter | null;
}

/** Records a value `secret()` / `credential()` produced, to keep it out of error messages. */
export function addSensitive(b: Budget, value: string): void {
  (meterOf(b, performance.now()).sensitive ??= []).push(value);
}

export function sensitiveValues(b: Budget): readonly string[] | null {
  return b.meter?.sensitive ?? null;
}

/** Every CHECK_EVERY steps: the step count, the clock, the signal; a Promise when an async render should yield. */
export function checkpoint(b: Budget): void | Promise<void> {
  const limits = b.policy.limits;
  const now = performance.now();
  const meter = (b.meter ??= new Meter(now, limits.maxRenderTime, b.policy.firstTick));
  meter.spent += meter.lastTick;
  const max = limits.maxSteps;
  if (meter.spent > max) {
    throw new LimitExceededError(
      'maxSteps',
      `The template ran more than ${max} evaluation steps (loop iterations and calls) (limit maxSteps)`,
    );
  }
  b.tick = meter.lastTick = Math.min(CHECK_EVERY, max - meter.spent + 1);
  checkClock(b, meter, now);
  if (!b.sync && now >= meter.sliceEnd) {
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const later = performance.now();
      meter.sliceEnd = later + SLICE_MS;
      checkClock(b, meter, later);
    });
  }
  return undefined;
}

function checkClock(b: Budget, meter: Meter, now: number): void {
  if (now > meter.deadline) {
    throw new LimitExceededError(
      'maxRenderTime',
      `The template ran for more than ${b.policy.limits.maxRenderTime} ms (limit maxRenderTime)`,
    );
  }
  if (b.scope.signal?.aborted === true) throw new TemplateError('ABORTED', 'The render was aborted');
}

function meterOf(b: Budget, now: number): Meter {
  return (b.meter ??= new Meter(now, b.policy.limits.maxRenderTime, b.policy.firstTick));
}

/** Throws when the render is past its time or aborted. */
export function checkTime(b: Budget): void {
  const now = performance.now();
  checkClock(b, meterOf(b, now), now);
}

/**
 * After a large value was built: throws when the render is past its time or aborted, and brings
 * the next checkpoint forward to the next step, where an asynchronous render yields if its slice
 * is over (a loop that builds a million-element range per iteration must not hold the event loop
 * for 64 of them).
 */
function checkSoon(b: Budget): void {
  const now = performance.now();
  const meter = meterOf(b, now);
  checkClock(b, meter, now);
  if (b.tick > 1) {
    // The steps taken since the last checkpoint are counted now; the next one counts itself.
    meter.spent += meter.lastTick - b.tick;
    meter.lastTick = b.tick = 1;
  }
}

export function timeLeft(b: Budget): number {
  const now = performance.now();
  return meterOf(b, now).deadline - now;
}

/** A string the render built: refused past maxStringLength. */
export function measureString(b: Budget, s: string): string {
  const max = b.policy.limits.maxStringLength;
  if (s.length > max) {
    throw new LimitExceededError(
      'maxStringLength',
      `The template built a string of ${s.length} characters, more than the limit of ${max} (limit maxStringLength)`,
    );
  }
  if (s.length >= LARGE) checkSoon(b);
  return s;
}

/** A list or map the render built (a literal, a call's or an operator's result): weighed and refused past maxCollectionSize. */
export function measureCollection<T extends unknown[] | Record<string, unknown>>(b: Budget, v: T): T {
  return checkWeight(b, measure(v), v);
}

/**
 * `list + x` appends to the list in place (as Pebble does): its weight grows by what was
 * appended, without walking what it held before.
 */
export function measureAppended(b: Budget, list: unknown[], weightBefore: number, added: unknown, addedCollection: boolean): unknown[] {
  const w = weightBefore + (addedCollection ? weightOf(added) - 1 : weightOf(added));
  weights.set(list, w);
  return checkWeight(b, w, list);
}

/** Any value a call or an operator produced: strings and collections are measured, the rest passes. */
export function measureValue(b: Budget, v: unknown): unknown {
  if (typeof v === 'string') return v.length >= b.measureFrom ? measureString(b, v) : v;
  if (typeof v === 'object' && v !== null && (isList(v) || isMap(v))) return measureCollection(b, v);
  return v;
}

function checkWeight<T>(b: Budget, w: number, v: T): T {
  const max = b.policy.limits.maxCollectionSize;
  // The weight counts the collection itself: its elements are the rest.
  if (w - 1 > max) {
    throw new LimitExceededError(
      'maxCollectionSize',
      `The template built a list or map of ${w - 1} elements (counted through nested lists and maps), more than the limit of ${max} (limit maxCollectionSize)`,
    );
  }
  if (w >= LARGE) checkSoon(b);
  return v;
}

/** The budget as extension calls see it. */
export class BudgetView implements CallBudget {
  constructor(private readonly b: Budget) {}
  get limits(): ResolvedLimits {
    return this.b.policy.limits;
  }
  get sync(): boolean {
    return this.b.sync;
  }
  timeLeft(): number {
    return timeLeft(this.b);
  }
  check(): void {
    checkTime(this.b);
  }
}

/**
 * JavaScript's own ceilings, reached by something no budget measured, as the limit they stand
 * for: the call stack (nesting), the longest string, the longest array.
 */
export function limitOfRangeError(e: unknown): LimitExceededError | null {
  if (!(e instanceof RangeError)) return null;
  if (/call stack/i.test(e.message)) return new LimitExceededError('nesting', 'Evaluation nested too deeply', { cause: e });
  if (/invalid string length/i.test(e.message)) {
    return new LimitExceededError('maxStringLength', 'The template built a string longer than JavaScript allows (limit maxStringLength)', {
      cause: e,
    });
  }
  if (/invalid array length/i.test(e.message)) {
    return new LimitExceededError(
      'maxCollectionSize',
      'The template built a list longer than JavaScript allows (limit maxCollectionSize)',
      {
        cause: e,
      },
    );
  }
  return null;
}

/** The weight a list has now (for `appended`). */
export function weightNow(v: unknown): number {
  return weightOf(v);
}

/** For calls made outside a render's frame (operators such as `..`): the defaults, no clock. */
export const UNMETERED: CallBudget = Object.freeze({
  limits: DEFAULT_LIMITS,
  sync: true,
  timeLeft: () => Infinity,
  check: () => undefined,
});
