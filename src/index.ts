/**
 * pebbleflow's public API. Every export is listed by name.
 */
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
  RenderScope,
  TestDefinition,
  TestImpl,
} from './engine/extension.js';
export { JDouble, javaClassName, javaType, printValue, toJavaString, toKestraJson } from './engine/values.js';
export { parseTemplate, parseExpression } from './engine/parser.js';
export { createEngine, PebbleflowEngine } from './pebbleflow-engine.js';
export type { CreateEngineOptions } from './pebbleflow-engine.js';
