/**
 * `io.kestra.plugin.core.http.Download`: the response body streams into the internal storage (never
 * whole in memory); outputs `uri`, `code`, `length`, `headers`. The request is built as `Request`
 * builds it. `maxSize` (a pebbleflow addition, also read from Kestra's `options.maxContentLength`)
 * caps the body: a larger one fails the task and nothing is kept.
 */
import { downloadToStorage } from './transfer.js';
import { nodeHttpFetch } from './node-http.js';
import { dynamic } from '../../flow/schema.js';
import { asBoolean, asRecord } from '../coerce.js';
import { defineTask } from '../definition.js';
import { parseBytes } from '../storage/split.js';
import { planRequest, requestTask } from './request.js';

export const downloadTask = defineTask({
  type: 'io.kestra.plugin.core.http.Download',
  aliases: ['io.kestra.plugin.fs.http.Download', 'io.kestra.core.tasks.http.Download'],
  title: 'Download a file over HTTP into the internal storage; outputs uri, code, length, headers.',
  properties: {
    ...requestTask.properties,
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
    const plan = await planRequest(ctx);
    const options = asRecord(await ctx.renderValue(ctx.task.properties.options ?? {}), 'options');
    const maxSizeText = await ctx.property<string>('maxSize');
    const saveAs = await ctx.property<string>('saveAs');
    const maxContentLength = options.maxContentLength;
    const maxBytes =
      maxSizeText !== undefined
        ? parseBytes(maxSizeText)
        : maxContentLength !== undefined && maxContentLength !== null
          ? parseBytes(String(maxContentLength))
          : undefined;
    // Node's own fetch keeps tens of MB of a large body in memory: the default goes through node:http.
    const fetch = ctx.fetch === globalThis.fetch ? nodeHttpFetch : ctx.fetch;
    const result = await downloadToStorage(
      ctx.storage,
      fetch,
      {
        uri: plan.uri,
        method: plan.method,
        headers: plan.headers,
        ...(plan.body === undefined ? {} : { body: plan.body }),
        followRedirects: plan.followRedirects,
        readIdleTimeoutMs: plan.readIdleTimeoutMs + (plan.connectTimeoutMs ?? 0),
        ...(saveAs === undefined || saveAs === '' ? {} : { saveAs: saveAs.slice(saveAs.lastIndexOf('/') + 1) }),
        failOnEmptyResponse: asBoolean(await ctx.property('failOnEmptyResponse'), 'failOnEmptyResponse') ?? true,
        allowFailed: plan.allowFailed,
        allowedResponseCodes: plan.allowedResponseCodes,
        ...(maxBytes === undefined ? {} : { maxBytes }),
        signal: ctx.signal,
      },
      (level, message) => ctx.log(level, message),
    );
    return { outputs: { uri: result.uri, code: result.code, length: result.length, headers: result.headers } };
  },
});
