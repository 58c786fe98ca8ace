/**
 * The config's schema, assembled from the descriptors of credential types and secret providers:
 * one schema per entry kind for the loader (ajv), and `configJsonSchema()` for editors
 * (`schema/pebbleflow.schema.json`, regenerated with `npx tsx src/cli/main.ts schema --config`).
 */
import { CREDENTIAL_TYPES } from '../credentials/types/index.js';
import { SECRET_PROVIDER_TYPES } from '../secrets/providers/index.js';
import { DEFAULT_LIMITS, type ResolvedLimits } from '../engine/budget.js';
import { EXPECTED, field, scopeProperties, type JsonSchema } from './fields.js';

/** What each render limit bounds (the engine's defaults are added to the text). */
const RENDER_LIMIT_TEXT: Readonly<Record<keyof ResolvedLimits, string>> = {
  maxRenderedSize: 'Largest rendered output, in characters',
  maxSteps: 'Evaluation steps of one render: loop iterations and calls of filters, functions, tests and macros',
  maxRenderTime: 'Wall-clock milliseconds of one render, awaited calls included',
  maxStringLength: 'Longest string a render may build, in characters',
  maxCollectionSize: 'Most elements a list or map built by a render may hold',
  maxMacroDepth: 'Deepest macro call chain',
  maxNestedRenderDepth: "Deepest chain of render() calls (Kestra's is 16)",
  maxRegexTime: 'Milliseconds one regular-expression call may run when its pattern cannot run in linear time',
  maxJqTime: 'Milliseconds one jq call may run',
};

const renderLimitsSchema: JsonSchema = {
  type: 'object',
  title: 'the render limits',
  description:
    'Budgets of every template render (flows, inputs, triggers, `pebbleflow render`): a render that goes beyond one fails with LIMIT_EXCEEDED.',
  properties: Object.fromEntries(
    (Object.keys(DEFAULT_LIMITS) as (keyof ResolvedLimits)[]).map((name) => [
      name,
      {
        type: 'number',
        minimum: 0,
        description: `${RENDER_LIMIT_TEXT[name]} (default ${DEFAULT_LIMITS[name]}).`,
        [EXPECTED]: 'a number >= 0',
      },
    ]),
  ),
  additionalProperties: false,
  [EXPECTED]: 'a mapping of render limits',
};

/** What of a descriptor the schemas use. */
interface EntryKind {
  readonly type: string;
  readonly authConfigType?: string;
  readonly title: string;
  readonly description: string;
  readonly properties: Readonly<Record<string, JsonSchema>>;
  readonly required: readonly string[];
}

export const topLevelSchema: JsonSchema = {
  type: 'object',
  title: 'the config',
  properties: {
    tenant: field.tenant('The tenant runs use unless told otherwise (default: main).'),
    secrets: {
      type: 'array',
      description: 'Secret providers, asked in this order. Absent: the env provider; [] means none.',
      [EXPECTED]: 'a list of secret providers',
    },
    credentials: { type: 'array', description: 'Credentials that credential(id) mints tokens for.', [EXPECTED]: 'a list of credentials' },
    storage: field.text('Folder of the internal storage and the KV store, relative to this file (default .pebbleflow/storage).'),
    namespaceFiles: field.text('Folder of namespace files, one sub-folder per namespace (<dir>/company.team/…), relative to this file.'),
    server: {
      type: 'object',
      title: 'the server settings',
      description: 'Settings of `pebbleflow server` and `pebbleflow worker`.',
      properties: {
        basicAuth: {
          type: 'object',
          title: 'basic auth',
          description: 'Every API and UI call must carry these (required to listen on a non-loopback address).',
          properties: {
            username: {
              type: 'string',
              pattern: '^[^:]+$',
              description: 'The user name (no colon).',
              [EXPECTED]: 'a user name without a colon',
            },
            password: field.secretRef('The password.'),
          },
          required: ['username', 'password'],
          additionalProperties: false,
          [EXPECTED]: 'a mapping with username and password',
        },
        encryptionKey: field.secretRef(
          'Key for SECRET inputs at rest and on the queue (AES-256-GCM). Without it, SECRET inputs are refused in Redis mode.',
        ),
      },
      additionalProperties: false,
      [EXPECTED]: 'a mapping of server settings',
    },
    plugins: {
      type: 'array',
      items: field.text('An npm package name, or a path (./my-plugin) relative to this file, of a module exporting task types.'),
      description: 'Plugin packages loaded at start: each exports task modules (defineTask) that flows may then use.',
      [EXPECTED]: 'a list of package names or paths',
    },
    renderLimits: renderLimitsSchema,
    locale: {
      type: 'string',
      description: "The locale of every render (Kestra: the JVM's default locale), as Java spells it: en_US (the default), fr_FR, de.",
      [EXPECTED]: 'a Java locale such as en_US or fr_FR',
    },
    url: field.url(
      "The URL of the Kestra-style UI executions are shown in (Kestra's kestra.url): {{ kestra.url }} and the links of execution notifications.",
    ),
    variables: {
      type: 'object',
      title: 'the variables settings',
      description: "Kestra's kestra.variables: what every execution sees as globals.* and envs.*.",
      properties: {
        globals: {
          type: 'object',
          description: 'Values every execution sees as globals.* (kestra.variables.globals).',
          [EXPECTED]: 'a mapping of values',
        },
        envVarsPrefix: {
          type: 'string',
          description:
            'Environment variables with this prefix become envs.* (name without the prefix, lower-cased; kestra.variables.env-vars-prefix, default ENV_).',
          [EXPECTED]: 'a prefix such as ENV_',
        },
      },
      additionalProperties: false,
      [EXPECTED]: 'a mapping with globals and envVarsPrefix',
    },
  },
  additionalProperties: false,
};

const allowedNamespaces: JsonSchema = {
  type: 'array',
  items: field.namespace('A namespace (with its descendants) allowed to read this provider.'),
  description:
    "Other namespaces that may read this namespace-level provider with secret('KEY', namespace='…'); each entry covers its descendants.",
  [EXPECTED]: 'a list of namespaces',
};

/** Fields every secret provider accepts. */
export const providerScopeProperties: Readonly<Record<string, JsonSchema>> = { ...scopeProperties, allowedNamespaces };

export function providerEntrySchema(descriptor: EntryKind): JsonSchema {
  return {
    type: 'object',
    title: descriptor.title,
    description: descriptor.description,
    properties: { type: { const: descriptor.type }, ...providerScopeProperties, ...descriptor.properties },
    required: ['type', ...descriptor.required],
    additionalProperties: false,
  };
}

/** A provider object given in code: `{ provider, tenant?, namespace?, allowedNamespaces? }`. */
export const instanceEntrySchema: JsonSchema = {
  type: 'object',
  title: 'a secret provider given in code',
  properties: { provider: { description: 'An object with a get(key) function.' }, ...providerScopeProperties },
  required: ['provider'],
  additionalProperties: false,
};

/** Fields every credential accepts. */
export const credentialCommonProperties: Readonly<Record<string, JsonSchema>> = {
  id: field.id('How credential(id) names it; unique per tenant and namespace level.'),
  type: field.oneOf([...new Set(CREDENTIAL_TYPES.map((d) => d.type))], 'The credential type.'),
  ...scopeProperties,
  description: field.text('Shown by `pebbleflow credentials list`.'),
  cacheEnabled: field.boolean('Keep tokens in memory until shortly before they expire.', true),
  refreshBeforeExpiry: field.duration('A cached token is refreshed this long before it expires.', 'PT1M'),
  timeout: field.duration('Limit for one token request.', 'PT10S'),
};

export function credentialEntrySchema(descriptor: EntryKind): JsonSchema {
  return {
    type: 'object',
    title: descriptor.title,
    description: descriptor.description,
    properties: { ...credentialCommonProperties, ...descriptor.properties },
    required: ['id', 'type', ...(descriptor.authConfigType === undefined ? [] : ['authConfigType']), ...descriptor.required],
    additionalProperties: false,
  };
}

/** What is checked of a credential whose type is unknown: its common fields, nothing else. */
export const credentialHeadSchema: JsonSchema = {
  type: 'object',
  title: 'a credential',
  properties: credentialCommonProperties,
  required: ['id'],
};

/** Removes our annotation keywords (`x-…`), which editors do not know. */
function forEditors(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forEditors);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => !key.startsWith('x-'))
      .map(([key, value]) => [key, forEditors(value)]),
  );
}

/** The editor JSON Schema of `pebbleflow.yaml`, generated from the same descriptors the loader uses. */
export function configJsonSchema(): JsonSchema {
  const credentialCases = CREDENTIAL_TYPES.map((d) => ({
    if: {
      properties: { type: { const: d.type }, ...(d.authConfigType === undefined ? {} : { authConfigType: { const: d.authConfigType } }) },
      required: ['type', ...(d.authConfigType === undefined ? [] : ['authConfigType'])],
    },
    then: credentialEntrySchema(d),
  }));
  // A type with subtypes (OAUTH2) needs one of them: no `if` above matches an unknown one.
  const subtypeCases = [...new Set(CREDENTIAL_TYPES.map((d) => d.type))].flatMap((type) => {
    const subtypes = CREDENTIAL_TYPES.filter((d) => d.type === type && d.authConfigType !== undefined).map((d) => d.authConfigType);
    if (subtypes.length === 0) return [];
    return [
      {
        if: { properties: { type: { const: type } }, required: ['type'] },
        then: { required: ['authConfigType'], properties: { authConfigType: { enum: subtypes } } },
      },
    ];
  });
  const providerCases = SECRET_PROVIDER_TYPES.filter((d) => d.inCodeOnly !== true).map((d) => ({
    if: { properties: { type: { const: d.type } }, required: ['type'] },
    then: providerEntrySchema(d),
  }));
  const top = topLevelSchema.properties as Record<string, JsonSchema>;
  return forEditors({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://pebbleflow.dev/schema/pebbleflow.schema.json',
    title: 'pebbleflow project config (pebbleflow.yaml)',
    description:
      'Generated from the credential types and secret providers (npx tsx src/cli/main.ts schema --config). The loader (loadConfig) also checks what a schema cannot: URLs without user info, durations within their bounds, reserved claims and parameters, appId or clientId.',
    type: 'object',
    properties: {
      tenant: top.tenant,
      secrets: {
        ...top.secrets,
        items: {
          type: 'object',
          required: ['type'],
          properties: { type: { enum: SECRET_PROVIDER_TYPES.filter((d) => d.inCodeOnly !== true).map((d) => d.type) } },
          allOf: providerCases,
        },
      },
      plugins: top.plugins,
      url: top.url,
      credentials: {
        ...top.credentials,
        items: {
          type: 'object',
          required: ['id', 'type'],
          properties: { type: credentialCommonProperties.type },
          allOf: [...subtypeCases, ...credentialCases],
        },
      },
      storage: top.storage,
      namespaceFiles: top.namespaceFiles,
      server: top.server,
      renderLimits: top.renderLimits,
      locale: top.locale,
      variables: top.variables,
    },
    additionalProperties: false,
  }) as JsonSchema;
}
