/** Kestra's digest filters: md5, sha1, sha512 (Pebble's core has sha256), lower-case hex of UTF-8. */
import { createHash } from 'node:crypto';
import type { FilterDefinition } from '../../extension.js';
import { functionError } from './common.js';

function digestFilter(algorithm: 'md5' | 'sha1' | 'sha512'): FilterDefinition {
  return {
    call(input) {
      if (input === null || input === undefined) return null;
      if (typeof input !== 'string') throw functionError('Need a string to hash');
      return createHash(algorithm).update(input, 'utf8').digest('hex');
    },
  };
}

export const hashingFilters: Record<string, FilterDefinition> = {
  md5: digestFilter('md5'),
  sha1: digestFilter('sha1'),
  sha512: digestFilter('sha512'),
};
