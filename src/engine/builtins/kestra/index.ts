/**
 * Kestra's own expression library (filters, functions and the `json` test), registered by
 * `createEngine()` through the same `Extension` mechanism a user extension uses.
 */
import type { Extension } from '../../extension.js';
import { collectionFilters } from './collections.js';
import { dateFilters, dateFunctions } from './dates.js';
import { encryptionFunctions } from './encryption.js';
import { hashingFilters } from './hashing.js';
import { ionFilters, ionFunctions } from './ion.js';
import { jqFilters } from './jq.js';
import { jsonFilters, jsonFunctions, jsonTests } from './json.js';
import { miscFilters, miscFunctions } from './misc.js';
import { renderFunctions } from './render.js';
import { stringFilters } from './strings.js';

export { jqReady } from './jq.js';
export { JBigDecimal, JBigInteger, JFloat } from './numbers.js';
export { kestraClassName } from './misc.js';
export { MAX_RENDER_PASSES } from './render.js';

export function kestraExtension(): Extension {
  return {
    filters: {
      ...jsonFilters,
      ...jqFilters,
      ...dateFilters,
      ...stringFilters,
      ...collectionFilters,
      ...hashingFilters,
      ...ionFilters,
      ...miscFilters,
    },
    functions: {
      ...jsonFunctions,
      ...dateFunctions,
      ...ionFunctions,
      ...renderFunctions,
      ...miscFunctions,
      ...encryptionFunctions,
    },
    tests: { ...jsonTests },
  };
}
