/**
 * Pebble's attribute lookup (`a.b`, `a['b']`, `a.b(args)`): map keys through the sandbox's
 * reading rule, Java members, list and array indexes, with Pebble's strict-variables failures.
 */
import { TemplateError, UndefinedVariableError } from './errors.js';
import { callMember } from './java-members.js';
import { rootMissing, type Value } from './runtime.js';
import { MISSING, readOwnData } from './sandbox.js';
import { MapEntry, isJavaList, isList, isMap, javaClassName, toJavaString } from './values.js';

function attributeMissing(name: string, object: unknown): UndefinedVariableError {
  return new UndefinedVariableError(
    'UNDEFINED_ATTRIBUTE',
    `Attribute [${name}] of [${javaClassName(object)}] does not exist or can not be accessed and strict variables is set to true.`,
    name,
  );
}

/** Pebble's attribute resolution (members, then map keys, then list indexes). */
export function getAttribute(object: unknown, attribute: unknown, args: readonly unknown[] | null, objectIsRoot: string | null): Value {
  if (object === null || object === undefined) {
    if (objectIsRoot !== null) throw rootMissing(objectIsRoot);
    throw new UndefinedVariableError(
      'UNDEFINED_ATTRIBUTE',
      'Attempt to get attribute of null object and strict variables is set to true.',
      toJavaString(attribute),
    );
  }
  if (attribute === null || attribute === undefined) throw new TemplateError('TYPE_ERROR', 'Cannot access an attribute named null');
  const name = typeof attribute === 'string' ? attribute : toJavaString(attribute);
  if (args === null && typeof object === 'object' && !Array.isArray(object) && isMap(object)) {
    const v = readOwnData(object, name);
    if (v !== MISSING) return v;
    throw attributeMissing(name, object);
  }
  const member = callMember(object, name, args);
  if (member !== MISSING) return member;
  if (object instanceof MapEntry) {
    if ((name === 'key' || name === 'getKey') && (args === null || args.length === 0)) return object.key;
    if ((name === 'value' || name === 'getValue') && (args === null || args.length === 0)) return object.value;
  }
  if (args === null) {
    if (isList(object) && (isJavaList(object) || javaClassName(object).startsWith('['))) {
      // ListResolver: Integer.parseInt(String.valueOf(attribute)), so `l[1.0]` is not an index.
      // ArrayResolver: any other name is an index out of bounds.
      const index = javaParseInt(name) ?? (isJavaList(object) ? null : -1);
      if (index !== null) {
        if (index < 0 || index >= object.length) {
          throw new UndefinedVariableError(
            'UNDEFINED_ATTRIBUTE',
            'Index out of bounds while accessing array with strict variables on.',
            name,
          );
        }
        const v = object[index];
        return v === undefined ? null : v;
      }
    }
  }
  throw attributeMissing(name, object);
}

/** Java's `Integer.parseInt`: an optional sign, decimal digits, within 32 bits; else null. */
export function javaParseInt(text: string): number | null {
  if (!/^[-+]?\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}
