/**
 * Kestra's flow `checks` (FlowService.getFailedChecks, 1.2+): each condition is rendered typed with
 * the execution's inputs before the execution exists. Only the boolean `true` passes: `false`, the
 * string "true", a number… fail the check. A condition that cannot be evaluated fails safe: it
 * blocks, styled ERROR, whatever it declares. When several fail, the most restrictive behavior wins.
 */
import type { FailedCheck } from './errors.js';
import type { FlowCheck } from './model.js';

export type { FailedCheck };

export interface ChecksOutcome {
  /** The checks that did not give `true`, in the flow's order. */
  readonly failed: readonly FailedCheck[];
  /** What happens to the execution: absent when every check passed. */
  readonly behavior?: FlowCheck['behavior'];
}

const RESTRICTIVENESS: Readonly<Record<FlowCheck['behavior'], number>> = { CREATE_EXECUTION: 0, FAIL_EXECUTION: 1, BLOCK_EXECUTION: 2 };

/** Evaluates the checks in order with `evaluate` (Kestra's `renderTyped` in the execution's context). */
export async function evaluateChecks(
  checks: readonly FlowCheck[],
  evaluate: (condition: string) => Promise<unknown>,
  describeError: (error: unknown) => string = (e) => (e instanceof Error ? e.message : String(e)),
): Promise<ChecksOutcome> {
  const failed: FailedCheck[] = [];
  let behavior: FlowCheck['behavior'] | undefined;
  for (const check of checks) {
    let result: FailedCheck | undefined;
    try {
      if ((await evaluate(check.condition)) !== true) result = { message: check.message, style: check.style, behavior: check.behavior };
    } catch (e) {
      result = { message: check.message, style: 'ERROR', behavior: 'BLOCK_EXECUTION', error: describeError(e) };
    }
    if (result === undefined) continue;
    failed.push(result);
    if (behavior === undefined || RESTRICTIVENESS[result.behavior] > RESTRICTIVENESS[behavior]) behavior = result.behavior;
  }
  return behavior === undefined ? { failed } : { failed, behavior };
}

/** The log level a failed check's message is written at: its style's. */
export function checkLogLevel(check: FailedCheck): 'ERROR' | 'WARN' | 'INFO' {
  return check.style === 'ERROR' ? 'ERROR' : check.style === 'WARNING' ? 'WARN' : 'INFO';
}
