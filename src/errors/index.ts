/**
 * Every error class pebbleflow throws on purpose, for `instanceof` checks and `code` switches:
 * `import { errors } from 'pebbleflow'` or `import { TemplateError } from 'pebbleflow/errors'`.
 * All extend `PebbleflowError` (`name` is the class name, `code` one of the family's codes, `cause`
 * kept, `toJSON` without cause or secret material).
 */
export { PebbleflowError, isPebbleflowError } from './pebbleflow-error.js';
export type { PebbleflowErrorOptions } from './pebbleflow-error.js';
export { TemplateError, TemplateSyntaxError, UndefinedVariableError, LimitExceededError } from '../engine/errors.js';
export type { TemplateErrorCode, TemplatePosition, LimitName } from '../engine/errors.js';
export { ExecutionBlockedError, FlowValidationError, InputValidationError } from '../flow/errors.js';
export type {
  ExecutionBlockedErrorCode,
  FailedCheck,
  FlowProblem,
  FlowProblemCode,
  FlowValidationErrorCode,
  InputProblem,
  InputValidationErrorCode,
} from '../flow/errors.js';
export { ConfigError } from '../config/errors.js';
export type { ConfigErrorCode, ConfigIssue } from '../config/errors.js';
export { SecretError, SecretNotFoundError } from '../secrets/errors.js';
export type { SecretErrorCode } from '../secrets/errors.js';
export { CredentialError } from '../credentials/errors.js';
export type { CredentialErrorCode } from '../credentials/errors.js';
export { TaskError } from '../tasks/types.js';
export type { TaskErrorCode } from '../tasks/types.js';
export { PluginError } from '../plugins/load-plugins.js';
export type { PluginErrorCode } from '../plugins/load-plugins.js';
export { FlowDisabledError } from '../runner/types.js';
export type { FlowDisabledErrorCode } from '../runner/types.js';
export { ExecutionStateError } from '../runner/runner.js';
export type { ExecutionStateErrorCode } from '../runner/runner.js';
export { ExecutionStoreError } from '../runner/store.js';
export { ConcurrencyError } from '../runner/concurrency.js';
export type { ConcurrencyErrorCode } from '../runner/concurrency.js';
export type { ExecutionStoreErrorCode } from '../runner/store.js';
export { StorageError } from '../storage/errors.js';
export type { StorageErrorCode } from '../storage/errors.js';
export { KVStoreError } from '../kv/kv-store.js';
export type { KVErrorCode } from '../kv/kv-store.js';
export { DownloadError } from '../tasks/http/transfer.js';
export type { DownloadErrorCode } from '../tasks/http/transfer.js';
export { SerdesError } from '../serdes/errors.js';
export type { SerdesErrorCode } from '../serdes/errors.js';
export { CronError } from '../flow/cron.js';
export type { CronErrorCode } from '../flow/cron.js';
export { ServerStartError, DataFolderBusyError, SecretInputError, FlowRepositoryError } from '../server/errors.js';
export type { ServerStartErrorCode, DataFolderBusyErrorCode, SecretInputErrorCode, FlowRepositoryErrorCode } from '../server/errors.js';
