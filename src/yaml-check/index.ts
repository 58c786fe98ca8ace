/** The YAML-check kit shared by the flow loader and the config loader. */
export { PositionIndex, formatPath } from './positions.js';
export type { Path, SourcePosition, DuplicateKey } from './positions.js';
export { ProblemList } from './problems.js';
export type { Problem } from './problems.js';
export { parseYaml, keyTextAt } from './document.js';
export type { ParsedYaml, YamlSyntaxProblem } from './document.js';
export { createAjv, pointerToPath, describeValue, closest, EXPECTED } from './schema-errors.js';
export type { JsonSchema } from './schema-errors.js';
export { precompiledValidator, precompiledName, writePrecompiledValidators, PRECOMPILED_DIR } from './precompiled.js';
export type { ValidatorSet } from './precompiled.js';
export { readSourceFile, SourceFileError, MAX_SOURCE_BYTES, formatBytes } from './read-source.js';
export type { SourceFileErrorCode } from './read-source.js';
