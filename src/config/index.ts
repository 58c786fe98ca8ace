export { loadConfig } from './load-config.js';
export { ConfigError } from './errors.js';
export type { ConfigErrorCode, ConfigIssue } from './errors.js';
export { parseIsoDuration, formatIsoDuration } from './duration.js';
export { SIGNING_ALGORITHMS } from './types.js';
export type * from './types.js';
