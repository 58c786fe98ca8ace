import type { Extension } from '../../extension.js';
import { coreFilters } from './filters.js';
import { coreFunctions } from './functions.js';
import { coreTests } from './tests.js';

/** Pebble's core extension, as Kestra configures it. */
export function coreExtension(options: { maxRangeSize: number }): Extension {
  return { filters: coreFilters, functions: coreFunctions(options.maxRangeSize), tests: coreTests };
}
