/**
 * The sandbox's reading rule: a template reads only own, enumerable data properties of plain
 * objects (no getter, function, prototype or constructor is ever reached on its behalf).
 */
import type { Value } from './runtime.js';

export const MISSING: unique symbol = Symbol('missing');

/**
 * Plain maps already checked to hold only data properties: a template reads only own,
 * enumerable data properties of plain objects, so no getter can ever run on its behalf.
 */
export const verifiedPlain = new WeakSet<object>();
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function verifyPlain(obj: object): boolean {
  const descriptors = Object.getOwnPropertyDescriptors(obj);
  for (const k of Object.keys(descriptors)) if (!('value' in descriptors[k]!)) return false;
  verifiedPlain.add(obj);
  return true;
}

/** Whether `obj` holds only data properties (checked once per object, then remembered). */
export function isVerifiedPlain(obj: object): boolean {
  return verifiedPlain.has(obj) || verifyPlain(obj);
}

/** The own data property `key` of a plain map (or the root context), or MISSING. */
export function readOwnData(obj: object, key: string): Value | typeof MISSING {
  if (!Object.hasOwn(obj, key) || FORBIDDEN_KEYS.has(key)) return MISSING;
  if (!verifiedPlain.has(obj) && !verifyPlain(obj)) {
    const d = Object.getOwnPropertyDescriptor(obj, key);
    if (d === undefined || !('value' in d) || d.enumerable !== true) return MISSING;
  }
  const v = (obj as Record<string, Value>)[key];
  if (typeof v === 'function') return MISSING;
  return v === undefined ? null : v;
}
