/**
 * Kestra's execution model (Execution, TaskRun, TaskRunAttempt, State). The types live in
 * `src/flow/execution.ts`, next to the flow model, so that task modules can use them too; this
 * module re-exports them for the runner's users.
 */
export * from '../flow/execution.js';
