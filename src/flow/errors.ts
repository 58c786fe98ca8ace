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
  | 'UNKNOWN_DEPENDENCY';

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
}

/** `file:line:column: message` (what editors and terminals turn into links). */
export function formatProblem(problem: FlowProblem): string {
  const where = [problem.file ?? '<flow>', problem.line, problem.column].filter((p) => p !== undefined).join(':');
  return `${where}: ${problem.message}${problem.path === '' ? '' : ` (at ${problem.path})`}`;
}

export class FlowValidationError extends Error {
  readonly code = 'INVALID_FLOW' as const;
  readonly problems: readonly FlowProblem[];
  readonly file: string | undefined;
  /** Position of the first problem, for callers that show one. */
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(problems: readonly FlowProblem[], file?: string) {
    const head = `Invalid flow${file === undefined ? '' : ` ${file}`}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super([head, ...problems.map((p) => `  ${formatProblem(p)}`)].join('\n'));
    this.name = new.target.name;
    this.problems = problems;
    this.file = file;
    this.line = problems[0]?.line;
    this.column = problems[0]?.column;
  }
}

/** An input value that does not fit its declaration; `problems` lists every bad input at once. */
export class InputValidationError extends Error {
  readonly code = 'INVALID_INPUT' as const;
  readonly problems: readonly { readonly inputId: string; readonly message: string }[];

  constructor(problems: readonly { readonly inputId: string; readonly message: string }[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = new.target.name;
    this.problems = problems;
  }
}
