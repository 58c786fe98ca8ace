/**
 * Building blocks of the config's schema, as data: each field kind is a JSON Schema fragment with
 * an `x-expected` text (what error messages say a value should be) and, for secret references,
 * `x-sensitive`. Descriptors of credential types and secret providers compose them; the loader
 * validates with them (ajv) and `configJsonSchema()` turns the same data into the editor schema.
 */
import { EXPECTED, type JsonSchema, type Path } from '../yaml-check/index.js';
import type { SecretRef } from './types.js';

export { EXPECTED };
export type { JsonSchema };

/** Annotation keyword: a field whose literal value must never be accepted nor shown. */
export const SENSITIVE = 'x-sensitive';

export const ID_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';
export const SECRET_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';
export const NAMESPACE_PATTERN = '^[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*$';
/** ISO-8601 durations as `parseIsoDuration` reads them (weeks to seconds; no years or months). */
export const ISO_DURATION_PATTERN =
  '^\\s*[Pp](?=[\\dTt])(?:\\d+(?:\\.\\d+)?[Ww])?(?:\\d+(?:\\.\\d+)?[Dd])?(?:[Tt](?=\\d)(?:\\d+(?:\\.\\d+)?[Hh])?(?:\\d+(?:\\.\\d+)?[Mm])?(?:\\d+(?:\\.\\d+)?[Ss])?)?\\s*$';

export const SECRET_REF_EXPECTED = 'a secret reference { secret: NAME }';

/** Field names refused as literals in any credential, even a type that does not use them. */
export const SENSITIVE_FIELDS = ['clientSecret', 'privateKey', 'certificate', 'password', 'token'] as const;

export const field = {
  /** A non-empty string (numbers are read as their text). */
  text: (description: string): JsonSchema => ({
    type: ['string', 'number'],
    pattern: '\\S',
    description,
    [EXPECTED]: 'a non-empty string',
  }),
  id: (description: string): JsonSchema => ({
    type: ['string', 'number'],
    pattern: ID_PATTERN,
    description,
    [EXPECTED]: 'an id made of letters, digits, _, ., -',
  }),
  tenant: (description: string): JsonSchema => ({
    type: 'string',
    pattern: ID_PATTERN,
    description,
    [EXPECTED]: 'a tenant id (letters, digits, _, ., -)',
  }),
  namespace: (description: string): JsonSchema => ({
    type: 'string',
    pattern: NAMESPACE_PATTERN,
    description,
    [EXPECTED]: 'a namespace such as company.team',
  }),
  /** An absolute http(s) URL without user info (checked further when read). */
  url: (description: string): JsonSchema => ({
    type: 'string',
    pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+',
    description,
    [EXPECTED]: 'an absolute http(s) URL',
  }),
  oneOf: (values: readonly string[], description: string, defaultValue?: string): JsonSchema => ({
    enum: [...values],
    description,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  }),
  boolean: (description: string, defaultValue: boolean): JsonSchema => ({
    type: 'boolean',
    description,
    default: defaultValue,
    [EXPECTED]: 'true or false',
  }),
  duration: (description: string, defaultValue?: string): JsonSchema => ({
    type: 'string',
    pattern: ISO_DURATION_PATTERN,
    description,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
    [EXPECTED]: 'an ISO-8601 duration such as PT1M or PT30S',
  }),
  /** A list of strings, or one space-separated string (as Google's documentation writes scopes). */
  stringList: (description: string): JsonSchema => ({
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: ['string', 'number'] } }],
    description,
    [EXPECTED]: 'a list of strings',
  }),
  stringMap: (description: string, values: JsonSchema = { type: ['string', 'number', 'boolean'], [EXPECTED]: 'a string' }): JsonSchema => ({
    type: 'object',
    additionalProperties: values,
    description,
    [EXPECTED]: 'a mapping of names to strings',
  }),
  /** `{ secret: NAME }`: a literal value is refused, and never shown in the error. */
  secretRef: (description: string): JsonSchema => ({
    type: 'object',
    required: ['secret'],
    properties: { secret: { type: 'string', pattern: SECRET_NAME_PATTERN } },
    additionalProperties: false,
    description: `${description} A reference { secret: NAME }, looked up through the secret providers; literal values are refused.`,
    [EXPECTED]: SECRET_REF_EXPECTED,
    [SENSITIVE]: true,
  }),
} as const;

/** Where an entry lives: every credential and secret provider accepts these. */
export const scopeProperties: Readonly<Record<string, JsonSchema>> = {
  tenant: field.tenant("The tenant this entry belongs to (default: the config's)."),
  namespace: field.namespace('Omit for a tenant-level entry; a namespace entry serves that namespace and its descendants.'),
};

/**
 * What a descriptor's `read` gets: the entry (already checked against the descriptor's schema, so
 * types are right when no problem was reported) and ways to report the checks a schema cannot
 * express. Fields are named relative to the entry.
 */
export interface FieldReader {
  /** The entry's path in the config, e.g. `['credentials', 0]`. */
  readonly path: Path;
  /** True for a config given in code (not a file): in-code-only values are allowed. */
  readonly inCode: boolean;
  /** The folder relative paths are resolved against (the config file's, else the working directory). */
  readonly baseDir: string;
  /** The raw value of a field. */
  raw(field: string): unknown;
  /** A string field (a number is read as its text); `undefined` when absent. */
  string(field: string): string | undefined;
  /** A URL field, checked: http(s), parseable, no user name or password. */
  url(field: string): string | undefined;
  /** Milliseconds of a duration field, `fallback` when absent; reports a value over `max`. */
  duration(field: string, fallback: number, max?: number): number;
  /** A list of strings (or one space-separated string). */
  stringList(field: string): string[] | undefined;
  /** A map of strings (numbers and booleans read as text), copied. */
  stringMap(field: string): Record<string, string> | undefined;
  boolean(field: string, fallback: boolean): boolean;
  /** A secret reference field, frozen; `undefined` when absent or not a valid reference (already reported). */
  secretRef(field: string): SecretRef | undefined;
  /** Reports a problem at a field (or a path below it), at its key when `atKey`. */
  issue(field: string | Path, expected: string, message: string, atKey?: boolean): void;
}
