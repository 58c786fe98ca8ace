/**
 * `io.kestra.plugin.core.http.Download`: the response body streams into the internal storage (never
 * whole in memory); outputs `uri`, `code`, `length`, `headers`. The request is built as `Request`
 * builds it. `maxSize` (a pebbleflow addition, also read from Kestra's `options.maxContentLength`)
 * caps the body: a larger one fails the task and nothing is kept.
 */
import { dynamic } from '../../flow/schema.js';
import { defineTask } from '../definition.js';
import { requestTask } from './request.js';

// Everything Request takes but `encryptBody` (Download's body goes to the internal storage).
const { encryptBody: _requestOnly, ...requestProperties } = requestTask.properties;

export const downloadTask = defineTask({
  type: 'io.kestra.plugin.core.http.Download',
  aliases: ['io.kestra.plugin.fs.http.Download', 'io.kestra.core.tasks.http.Download'],
  title: 'Download a file over HTTP into the internal storage; outputs uri, code, length, headers.',
  properties: {
    ...requestProperties,
    options: {
      ...requestTask.properties.options,
      schema: {
        ...requestTask.properties.options.schema,
        properties: {
          ...(requestTask.properties.options.schema as { properties: Record<string, unknown> }).properties,
          maxContentLength: {
            type: ['integer', 'string'],
            description: 'Largest body accepted, in bytes (Kestra option; same as maxSize).',
          },
        },
      },
    },
    failOnEmptyResponse: { kind: 'boolean', default: true, description: 'Fail when the body is empty.' },
    saveAs: { kind: 'string', description: 'The name of the stored file (default: the Content-Disposition name, else a random one).' },
    maxSize: {
      kind: 'string',
      schema: dynamic({ type: ['string', 'integer'] }, 'a size such as 100MB, or a number of bytes'),
      description: 'pebbleflow: largest body accepted (e.g. `100MB`); a larger one fails the task.',
    },
  },
  outputs: { uri: { kind: 'string' }, code: { kind: 'integer' }, length: { kind: 'integer' }, headers: { kind: 'map' } },
  async run(ctx) {
    return (await import('./download-run.js')).runDownload(ctx);
  },
});
