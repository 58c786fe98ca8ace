export { loadConfig, ConfigError } from './load-config.js';
export type { ConfigErrorCode, ConfigIssue } from './load-config.js';
export { parseIsoDuration, formatIsoDuration } from './duration.js';
export { SIGNING_ALGORITHMS } from './types.js';
export type * from './types.js';
