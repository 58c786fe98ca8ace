/**
 * `io.kestra.plugin.core.http.Request` on a WHATWG fetch (Node's own by default, any injected one
 * such as node-fetch otherwise). Properties, outputs and the failure message follow Kestra. The
 * definition; `run` (request-run.ts) is imported on first use.
 */
import { dynamic, durationSchema, type JsonSchema } from '../../flow/schema.js';
import { defineTask, type PropertyDefinition } from '../definition.js';

const duration = durationSchema;
const dynBoolean: JsonSchema = dynamic({ type: 'boolean' }, 'true or false');
const scalar: JsonSchema = { type: ['string', 'number', 'boolean'] };
const auth: JsonSchema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['BASIC', 'BEARER'] },
    username: { type: 'string' },
    password: { type: 'string' },
    token: { type: 'string' },
  },
  additionalProperties: false,
  allOf: [
    { if: { properties: { type: { const: 'BEARER' } } }, then: { required: ['token'] } },
    { if: { properties: { type: { const: 'BASIC' } } }, then: { required: ['username'] } },
  ],
};
const proxyType = dynamic({ enum: ['DIRECT', 'HTTP', 'SOCKS'] }, 'DIRECT, HTTP or SOCKS');
const port = dynamic({ type: 'integer', minimum: 1, maximum: 65535 }, 'a port number');
const ssl: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    insecureTrustAllCertificates: {
      ...dynBoolean,
      description: 'Accept any server certificate (no chain nor host name check): for self-signed internal servers only.',
    },
  },
};
const httpMethod = dynamic({ enum: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'] }, 'an HTTP method');

/** Properties are rendered by the task itself (each at the point it is read). */
const own = (schema: JsonSchema, extra: Partial<PropertyDefinition> = {}): PropertyDefinition => ({ schema, dynamic: false, ...extra });

export const requestTask = defineTask({
  type: 'io.kestra.plugin.core.http.Request',
  aliases: ['io.kestra.core.tasks.http.Request', 'io.kestra.plugin.fs.http.Request'],
  title: 'Send an HTTP request; outputs uri, code, headers (map of lists) and body (string).',
  properties: {
    uri: own({ type: 'string' }, { required: true }),
    method: own(httpMethod),
    headers: own({ type: 'object', additionalProperties: { anyOf: [scalar, { type: 'array', items: scalar }] } }),
    body: own(
      { type: ['string', 'object', 'array', 'number', 'boolean'] },
      { description: 'Sent as a string; a map or list is sent as JSON.' },
    ),
    formData: own({ type: 'object' }, { description: 'Sent url-encoded, or as multipart parts when contentType is multipart/form-data.' }),
    contentType: own({ type: 'string' }, { description: 'Default application/json.' }),
    auth: own(auth, { description: 'Same as options.auth (the form the Credentials documentation shows).' }),
    allowFailed: own(dynBoolean, { deprecated: true }),
    sslOptions: own(ssl, { deprecated: true, description: 'Same as options.ssl (its older place).' }),
    encryptBody: own(dynBoolean, {
      description:
        'Output the body encrypted (`encryptedBody`) with the server key (`server.encryptionKey`) instead of `body`; templates read it decrypted.',
    }),
    options: own({
      type: 'object',
      additionalProperties: false,
      properties: {
        auth,
        timeout: {
          type: 'object',
          additionalProperties: false,
          properties: { connectTimeout: duration, readIdleTimeout: duration },
        },
        proxy: {
          type: 'object',
          additionalProperties: false,
          description: 'An HTTP proxy (type HTTP, address and port; username and password for Basic proxy authentication).',
          properties: { type: proxyType, address: { type: 'string' }, port, username: { type: 'string' }, password: { type: 'string' } },
        },
        ssl,
        followRedirects: dynBoolean,
        allowFailed: dynBoolean,
        allowedResponseCodes: dynamic({ type: 'array', items: { type: ['integer', 'string'] } }, 'a list of status codes'),
        defaultCharset: { type: 'string' },
        logs: { type: 'array', items: { enum: ['REQUEST_HEADERS', 'REQUEST_BODY', 'RESPONSE_HEADERS', 'RESPONSE_BODY'] } },
        // Older names Kestra still accepts.
        connectTimeout: { ...duration, deprecated: true },
        readTimeout: { ...duration, deprecated: true },
        readIdleTimeout: { ...duration, deprecated: true },
        basicAuthUser: { type: 'string', deprecated: true },
        basicAuthPassword: { type: 'string', deprecated: true },
        proxyType: { ...proxyType, deprecated: true },
        proxyAddress: { type: 'string', deprecated: true },
        proxyPort: { ...port, deprecated: true },
        proxyUsername: { type: 'string', deprecated: true },
        proxyPassword: { type: 'string', deprecated: true },
      },
    }),
  },
  outputs: {
    uri: { kind: 'string' },
    code: { kind: 'integer' },
    headers: { kind: 'map' },
    body: { kind: 'string' },
    encryptedBody: { kind: 'map' },
  },
  async run(ctx) {
    return (await import('./request-run.js')).runRequest(ctx);
  },
});
