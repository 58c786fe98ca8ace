/**
 * pebbleflow's public API: what an embedder needs to render templates, load and run flows, and
 * plug in its own filters, functions, task types and secret providers. Every export is listed by
 * name; internals stay reachable only by relative imports (the tests use them that way).
 *
 * Subpaths: `pebbleflow/errors` (every error class), `pebbleflow/config`, `pebbleflow/secrets`
 * and `pebbleflow/credentials` (the building blocks behind `createEngine`).
 */

// --- errors: one family, as a namespace (`errors.TemplateError`, `errors.ConfigError`…) --------
export * as errors from './errors/index.js';

// --- the renderer -------------------------------------------------------------------------------
export { createEngine } from './pebbleflow-engine.js';
export type { CreateEngineOptions, PebbleflowEngine } from './pebbleflow-engine.js';
export type { CompiledTemplate, TemplateContext } from './engine/engine.js';
export type { RenderLimits, CallBudget } from './engine/budget.js';
export type {
  Args,
  CallContext,
  CallableOptions,
  Extension,
  FilterDefinition,
  FilterImpl,
  FunctionDefinition,
  FunctionImpl,
  RenderScope,
  TestDefinition,
  TestImpl,
} from './engine/extension.js';
/** An integral Java Double in a context (`new JDouble(2)` prints `2.0`); see README, "Known differences". */
export { JDouble } from './engine/values.js';
export { kestraExtension, jqReady } from './engine/builtins/kestra/index.js';

// --- config, secrets, credentials ---------------------------------------------------------------
export { loadConfig } from './config/load-config.js';
export type { PebbleflowConfig } from './config/types.js';
export type { SecretProvider } from './secrets/provider.js';
export type { CredentialSummary, TestCredentialResult } from './credentials/registry.js';
export type { FetchLike, FetchInitLike, FetchResponseLike } from './http/fetch.js';

// --- flows --------------------------------------------------------------------------------------
export { loadFlow, checkFlow, flowJsonSchema } from './flow/loader.js';
export type { CheckFlowResult } from './flow/loader.js';
export type { Flow, TaskNode, InputDefinition, FlowOutputDefinition } from './flow/model.js';
export type { JsonSchema, InputType, LogLevel } from './flow/schema.js';
export {
  registerTaskType,
  resolveTaskType,
  listTaskTypes,
  TaskRegistry,
  createTaskRegistry,
  defaultTaskRegistry,
} from './tasks/registry.js';
export { defineTask } from './tasks/definition.js';
export type {
  TaskDefinition,
  PropertyDefinition,
  PropertyKind,
  ChildTasksDefinition,
  OutputDefinition,
  TaskCheckContext,
  ChildItem,
  ChildrenPlan,
  TaskServices,
  ExecutionControl,
  PauseRequest,
  PauseOutcome,
  SubflowRequest,
  SubflowResult,
} from './tasks/definition.js';
export { CORE_TASKS } from './tasks/core.js';

// --- plugins: packages of task types listed in the config (`plugins: [name-or-path]`) ------------
export { definePlugin, loadPlugins, pluginRegistry } from './plugins/load-plugins.js';
export type { PebbleflowPlugin, LoadedPlugin } from './plugins/load-plugins.js';
export type { PluginSpec } from './config/types.js';
/** For a plugin's heavy dependency: imported on first use, a clear DEPENDENCY_MISSING error when absent. */
export { importOptional } from './tasks/optional.js';
export type { TaskPlugin, LegacyTaskPlugin, TaskRunContext, TaskResult, TaskState } from './tasks/types.js';
export type { CheckFlowOptions } from './flow/loader.js';
export { runFlow, runExecution, resumeExecution, restartExecution, replayExecution, createFlowEngine } from './runner/runner.js';
export type { FlowEngineSetup, RunResult, ContinueOptions } from './runner/runner.js';
export { MemoryExecutionStore, FileExecutionStore } from './runner/store.js';
export type { ExecutionStore, ExecutionChange, StoredExecution } from './runner/store.js';
export { InProcessConcurrencyLimiter } from './runner/concurrency.js';
export type { ConcurrencyLimiter, ConcurrencyRequest, ConcurrencyGrant } from './runner/concurrency.js';
export { FileConcurrencyLimiter } from './runner/file-concurrency.js';
export type { FileConcurrencyOptions } from './runner/file-concurrency.js';
export { DirectoryFlowRepository, MemoryFlowRepository } from './flow/repository.js';
export type { FlowRepository } from './flow/repository.js';
export type { Execution, TaskRun, TaskRunAttempt, State, StateHistory, StateType, Label, ExecutionTrigger } from './flow/execution.js';
export type {
  RunFlowOptions,
  RunReport,
  TaskRunReport,
  LogEntry,
  RunEvent,
  FlowEngine,
  ExecutionState,
  TaskRunState,
  AttemptReport,
  ScheduledRetry,
} from './runner/types.js';
