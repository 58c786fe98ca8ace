/** Download's run, imported on first use (the definition is in download.ts). */
import { downloadToStorage } from './transfer.js';
import { asBoolean, asRecord } from '../coerce.js';
import { parseBytes } from '../storage/split-run.js';
import { downloadFetchFor, planRequest } from './request-run.js';
import type { TaskRunContext, TaskResult } from '../definition.js';

export async function runDownload(ctx: TaskRunContext): Promise<TaskResult> {
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
  const fetch = downloadFetchFor(ctx, plan);
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
}
