/**
 * pebbleflow's public API. Every export is listed by name (subpaths `pebbleflow/credentials`,
 * `pebbleflow/secrets` and `pebbleflow/config` expose the building blocks).
 */

// --- the engine ---------------------------------------------------------------------------------
export { createEngine, PebbleflowEngine } from './pebbleflow-engine.js';
export type { CreateEngineOptions } from './pebbleflow-engine.js';
export { TemplateEngine, normalizeError } from './engine/engine.js';
export type { EngineOptions, CompiledTemplate, TemplateContext } from './engine/engine.js';
export { TemplateError, TemplateSyntaxError, UndefinedVariableError, isTemplateError } from './engine/errors.js';
export type { TemplateErrorCode, TemplatePosition } from './engine/errors.js';
export type {
  Args,
  CallContext,
  CallableOptions,
  Extension,
  FilterDefinition,
  FilterImpl,
  FunctionDefinition,
  FunctionImpl,
  MaybePromise,
  RenderScope,
  TestDefinition,
  TestImpl,
} from './engine/extension.js';
export { JDouble, javaClassName, javaType, printValue, toJavaString, toKestraJson } from './engine/values.js';
export type { JavaType } from './engine/values.js';
export { parseTemplate, parseExpression } from './engine/parser.js';
export { kestraExtension, jqReady } from './engine/builtins/kestra/index.js';

// --- config, secrets, credentials ---------------------------------------------------------------
export { loadConfig, ConfigError } from './config/index.js';
export type { PebbleflowConfig, ConfigErrorCode, ConfigIssue } from './config/index.js';
export { SecretError, SecretNotFoundError } from './secrets/index.js';
export { CredentialError } from './credentials/index.js';
export type { CredentialErrorCode, CredentialSummary, TestCredentialResult } from './credentials/index.js';

// --- flows --------------------------------------------------------------------------------------
export { loadFlow, parseFlow, checkFlow, checkFlowFile, flowJsonSchema } from './flow/loader.js';
export type { CheckFlowResult } from './flow/loader.js';
export { FlowValidationError, InputValidationError, formatProblem } from './flow/errors.js';
export type { FlowProblem, FlowProblemCode } from './flow/errors.js';
export { resolveInputs, coerceInput } from './flow/inputs.js';
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
export { TaskError } from './tasks/types.js';
export type {
  TaskPlugin,
  LegacyTaskPlugin,
  TaskRunContext,
  TaskResult,
  TaskState,
  FetchLike,
  FetchInitLike,
  FetchResponseLike,
} from './tasks/types.js';
export type { CheckFlowOptions } from './flow/loader.js';
export { runFlow, createFlowEngine } from './runner/runner.js';
export type { FlowEngineSetup } from './runner/runner.js';
export { FlowDisabledError } from './runner/types.js';
export type {
  RunFlowOptions,
  RunReport,
  TaskRunReport,
  LogEntry,
  RunEvent,
  FlowEngine,
  ExecutionState,
  TaskRunState,
} from './runner/types.js';
export { Masker, MASK } from './runner/masking.js';
