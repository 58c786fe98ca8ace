import { PebbleflowError } from '../errors/pebbleflow-error.js';

/**
 * Errors of the flow layer. Loading collects every problem before failing (the way yaml's
 * `Document.errors` does), so one `FlowValidationError` carries them all, each with a position.
 */

export type FlowProblemCode =
  | 'YAML_SYNTAX'
  | 'DUPLICATE_KEY'
  | 'NOT_A_FLOW'
  | 'UNKNOWN_PROPERTY'
  | 'MISSING_PROPERTY'
  | 'INVALID_VALUE'
  | 'INVALID_TYPE'
  | 'DUPLICATE_TASK_ID'
  | 'DUPLICATE_INPUT_ID'
  | 'DUPLICATE_OUTPUT_ID'
  | 'BAD_INPUT_REFERENCE'
  | 'INPUT_CYCLE'
  | 'SYSTEM_LABEL'
  | 'FILE_NOT_READABLE'
  | 'DAG_CYCLE'
  | 'UNKNOWN_DEPENDENCY'
  | 'NOT_A_FILE'
  | 'FILE_TOO_LARGE';

export interface FlowProblem {
  readonly code: FlowProblemCode;
  readonly message: string;
  /** Property path in the flow, e.g. `tasks[1].uri` (empty for the whole document). */
  readonly path: string;
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
  /** A warning does not make the flow invalid (Kestra accepts the flow); absent means an error. */
  readonly severity?: 'warning';
}

/** Whether a problem makes the flow invalid. */
export function isFlowError(problem: FlowProblem): boolean {
  return problem.severity !== 'warning';
}

/** `file:line:column: message` (what editors and terminals turn into links). */
export function formatProblem(problem: FlowProblem): string {
  const where = [problem.file ?? '<flow>', problem.line, problem.column].filter((p) => p !== undefined).join(':');
  return `${where}: ${problem.message}${problem.path === '' ? '' : ` (at ${problem.path})`}`;
}

export type FlowValidationErrorCode = 'INVALID_FLOW';

export class FlowValidationError extends PebbleflowError<FlowValidationErrorCode> {
  readonly problems: readonly FlowProblem[];
  readonly file: string | undefined;
  /** Position of the first problem, for callers that show one. */
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(problems: readonly FlowProblem[], file?: string) {
    const head = `Invalid flow${file === undefined ? '' : ` ${file}`}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super('INVALID_FLOW', [head, ...problems.map((p) => `  ${formatProblem(p)}`)].join('\n'));
    this.problems = problems;
    this.file = file;
    this.line = problems[0]?.line;
    this.column = problems[0]?.column;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), file: this.file, line: this.line, column: this.column, problems: this.problems };
  }
}

export type InputValidationErrorCode = 'INVALID_INPUT';

export interface InputProblem {
  readonly inputId: string;
  readonly message: string;
}

/**
 * An input value that does not fit its declaration; `problems` lists every bad input at once.
 * Messages are masked by whoever resolves the inputs (see `resolveInputs`'s `masker`).
 */
export class InputValidationError extends PebbleflowError<InputValidationErrorCode> {
  readonly problems: readonly InputProblem[];

  constructor(problems: readonly InputProblem[]) {
    super('INVALID_INPUT', problems.map((p) => p.message).join('\n'));
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}

export type ExecutionBlockedErrorCode = 'EXECUTION_BLOCKED';

/** A check that did not give `true`: its message, style and behavior (a check that failed to render: BLOCK_EXECUTION, ERROR). */
export interface FailedCheck {
  readonly message: string;
  readonly style: 'ERROR' | 'SUCCESS' | 'WARNING' | 'INFO';
  readonly behavior: 'BLOCK_EXECUTION' | 'FAIL_EXECUTION' | 'CREATE_EXECUTION';
  /** Why the condition could not be evaluated (masked by whoever evaluated it). */
  readonly error?: string;
}

/** A flow check with `behavior: BLOCK_EXECUTION` was not true: no execution was created. */
export class ExecutionBlockedError extends PebbleflowError<ExecutionBlockedErrorCode> {
  readonly checks: readonly FailedCheck[];

  constructor(checks: readonly FailedCheck[]) {
    super(
      'EXECUTION_BLOCKED',
      [
        'Execution blocked by the flow checks:',
        ...checks.map((c) => `  - ${c.message}${c.error === undefined ? '' : ` (the condition failed: ${c.error})`}`),
      ].join('\n'),
    );
    this.checks = checks;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), checks: this.checks };
  }
}
