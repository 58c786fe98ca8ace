/**
 * Kestra's `State` arithmetic on the plain execution model: transitions append a history entry,
 * terminal (and paused) states carry an end date and an ISO-8601 duration, and a flowable's state
 * is derived from its children as `Execution.guessFinalState` does.
 */
import { formatJavaDuration } from '../flow/duration.js';
import { isTerminal, type State, type StateType } from '../flow/execution.js';

// Many transitions happen within one millisecond: keep the last instant's text and parse.
let lastMs = Number.NaN;
let lastIso = '';
function iso(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
let lastParsedText = '';
let lastParsedMs = 0;
function parseIso(text: string): number {
  if (text !== lastParsedText) {
    lastParsedText = text;
    lastParsedMs = Date.parse(text);
  }
  return lastParsedMs;
}

/** A new state (Kestra's `new State(type)`): one history entry. */
export function newState(type: StateType = 'CREATED', now: number = Date.now()): State {
  const date = iso(now);
  const state: State = { current: type, histories: [{ state: type, date }], startDate: date };
  if (isTerminal(type) || type === 'PAUSED') {
    state.endDate = date;
    state.duration = 'PT0S';
  }
  return state;
}

/** Moves a state on (Kestra's `withState`, in place): a no-op when already in that state. */
export function transition(state: State, type: StateType, now: number = Date.now()): boolean {
  if (state.current === type) return false;
  const date = iso(now);
  state.current = type;
  state.histories.push({ state: type, date });
  if (isTerminal(type) || type === 'PAUSED') {
    state.endDate = date;
    state.duration = formatJavaDuration(now - parseIso(state.startDate));
  } else {
    delete state.endDate;
    delete state.duration;
  }
  return true;
}

/** Milliseconds from the first history entry to the last (or to now while running). */
export function durationMs(state: State, now: number = Date.now()): number {
  const end = state.endDate === undefined ? now : Date.parse(state.endDate);
  return Math.max(0, end - Date.parse(state.startDate));
}

/** The date of the last history entry (Kestra's `maxDate`). */
export function lastDate(state: State): number {
  const last = state.histories[state.histories.length - 1];
  return last === undefined ? Date.now() : Date.parse(last.date);
}

/**
 * Kestra's `guessFinalState`: KILLED, else FAILED, else WARNING, else PAUSED, else SUCCESS, over
 * the given task runs; then `allowFailure` turns FAILED into WARNING (SUCCESS with `allowWarning`)
 * and `allowWarning` turns WARNING into SUCCESS.
 */
export function guessFinalState(
  taskRuns: Iterable<{ readonly state: { readonly current: StateType } }>,
  allowFailure = false,
  allowWarning = false,
): StateType {
  let killed = false;
  let failed = false;
  let warning = false;
  let paused = false;
  for (const t of taskRuns) {
    switch (t.state.current) {
      case 'KILLED':
        killed = true;
        break;
      case 'FAILED':
        failed = true;
        break;
      case 'WARNING':
        warning = true;
        break;
      case 'PAUSED':
        paused = true;
        break;
      default:
        break;
    }
  }
  const state: StateType = killed ? 'KILLED' : failed ? 'FAILED' : warning ? 'WARNING' : paused ? 'PAUSED' : 'SUCCESS';
  return applyAllowances(state, allowFailure, allowWarning);
}

/** A task's `allowFailure` / `allowWarning` applied to its final state. */
export function applyAllowances(state: StateType, allowFailure: boolean, allowWarning: boolean): StateType {
  if (state === 'FAILED' && allowFailure) return allowWarning ? 'SUCCESS' : 'WARNING';
  if (state === 'WARNING' && allowWarning) return 'SUCCESS';
  return state;
}
