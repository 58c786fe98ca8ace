/**
 * Regular expressions from templates (`split`, `replace(…, regexp=true)`) cannot freeze the thread.
 *
 * V8 runs a pattern with backtracking, which some patterns make exponential (`(a+)+$` on forty
 * `a`s and a `!`). Two V8 flags, set once for the process before the first pattern is compiled,
 * bound it without changing any result:
 * - `--enable-experimental-regexp-engine-on-excessive-backtracks`: a match that backtracks too
 *   much is re-run by V8's linear-time engine, which gives the same matches;
 * - `--enable-experimental-regexp-engine`: enables the `l` flag, with which V8 says whether a
 *   pattern can run on that engine at all.
 * Patterns it cannot take (backreferences, lookahead and lookbehind, case-insensitive matching,
 * counted repetitions above a small bound…) run on the engine's worker thread instead, cut off
 * after `maxRegexTime` with LIMIT_EXCEEDED. The flags are global to the process; they only ever
 * change how long a runaway match takes.
 */
import { setFlagsFromString } from 'node:v8';
import type { CallBudget } from './budget.js';
import { UNMETERED } from './budget.js';
import { LimitExceededError } from './errors.js';
import { runBlocking, runQueued, WorkerJobError, type RegexReply } from './worker/pool.js';

let flagsSet = false;

function setRegexFlags(): void {
  if (flagsSet) return;
  flagsSet = true;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  setFlagsFromString('--enable-experimental-regexp-engine');
}

/** Whether V8 can run `source`/`flags` in linear time, by pattern; a bounded memo. */
const linearMemo = new Map<string, boolean>();
const MEMO_SIZE = 1000;

/** Compiles a pattern (throws V8's SyntaxError as `new RegExp` does), with the flags above in force. */
export function compileRegex(source: string, flags: string): RegExp {
  setRegexFlags();
  return new RegExp(source, flags);
}

/** Whether V8's linear-time engine can take the pattern (its backtracking is then bounded). */
export function runsInLinearTime(re: RegExp): boolean {
  setRegexFlags();
  const key = `${re.flags}/${re.source}`;
  let linear = linearMemo.get(key);
  if (linear === undefined) {
    try {
      new RegExp(re.source, re.flags.replace('l', '') + 'l');
      linear = true;
    } catch {
      linear = false;
    }
    if (linearMemo.size >= MEMO_SIZE) linearMemo.clear();
    linearMemo.set(key, linear);
  }
  return linear;
}

export interface RegexMatch {
  readonly index: number;
  /** The match, then each group (undefined when it did not take part). */
  readonly groups: readonly (string | undefined)[];
  readonly named: Readonly<Record<string, string | undefined>> | undefined;
}

/**
 * Every match of a global `re` in `input`: on this thread when the pattern runs in linear time,
 * else on the worker thread within `maxRegexTime` (a Promise in asynchronous renders).
 */
export function allMatches(re: RegExp, input: string, budget: CallBudget = UNMETERED): RegexMatch[] | Promise<RegexMatch[]> {
  const maxMatches = budget.limits.maxCollectionSize;
  if (runsInLinearTime(re)) {
    const out: RegexMatch[] = [];
    for (const m of input.matchAll(re)) {
      if (out.length >= maxMatches) throw tooManyMatches(maxMatches);
      out.push({ index: m.index, groups: Array.from(m), named: m.groups });
    }
    return out;
  }
  const timeout = Math.max(0, Math.floor(Math.min(budget.limits.maxRegexTime, budget.timeLeft())));
  const job = { kind: 'regex', source: re.source, flags: re.flags, input, maxMatches } as const;
  const finish = (reply: unknown): RegexMatch[] => {
    const r = reply as RegexReply;
    if (!r.ok) {
      if (r.tooMany === true) throw tooManyMatches(maxMatches);
      throw new Error(r.message ?? 'regular expression failed');
    }
    return r.matches.map(([index, groups, named]) => ({ index, groups, named: named ?? undefined }));
  };
  const failed = (e: unknown): never => {
    if (e instanceof WorkerJobError && e.reason === 'timeout') {
      throw new LimitExceededError(
        'maxRegexTime',
        `The regular expression '${re.source}' ran for more than ${timeout} ms (limit maxRegexTime)`,
      );
    }
    throw e;
  };
  if (budget.sync) {
    let reply: unknown;
    try {
      reply = runBlocking(job, timeout);
    } catch (e) {
      return failed(e);
    }
    return finish(reply);
  }
  return runQueued(job, timeout).then(finish, failed);
}

function tooManyMatches(max: number): LimitExceededError {
  return new LimitExceededError('maxCollectionSize', `The regular expression matched more than ${max} times (limit maxCollectionSize)`);
}

/**
 * `input` with each match of the global `re` replaced by `replacement(match, ...groups, index,
 * input, named?)`, as `String.prototype.replace` calls a replacer.
 */
export function replaceAll(
  re: RegExp,
  input: string,
  replacement: (match: string, ...rest: unknown[]) => string,
  budget: CallBudget = UNMETERED,
): string | Promise<string> {
  // Linear-time patterns take V8's own path: no list of matches is built.
  if (runsInLinearTime(re)) return input.replace(re, replacement);
  const build = (matches: RegexMatch[]): string => {
    let out = '';
    let last = 0;
    for (const m of matches) {
      const [whole = '', ...groups] = m.groups;
      out += input.slice(last, m.index);
      out += m.named === undefined ? replacement(whole, ...groups, m.index, input) : replacement(whole, ...groups, m.index, input, m.named);
      if (out.length > budget.limits.maxStringLength) {
        throw new LimitExceededError(
          'maxStringLength',
          `A replacement built a string longer than ${budget.limits.maxStringLength} characters (limit maxStringLength)`,
        );
      }
      last = m.index + whole.length;
    }
    return out + input.slice(last);
  };
  const matches = allMatches(re, input, budget);
  return matches instanceof Promise ? matches.then(build) : build(matches);
}
