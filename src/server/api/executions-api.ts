/**
 * Kestra's execution endpoints (`ExecutionController`): create with multipart inputs (and
 * `wait=true`), validate the inputs of a new or a resumed execution, get, search, follow (server-sent events), kill, delete, the flow of an execution,
 * and the webhook trigger endpoint; Kestra's log endpoints (`LogController`): list, follow,
 * download, delete.
 */
import type { ServerResponse } from 'node:http';
import { LOG_LEVELS, type LogLevel } from '../../flow/schema.js';
import { STATE_TYPES, type StateType } from '../../runner/execution.js';
import { isOver } from '../executions/service.js';
import { parseLabelParams, toApiExecution, type StoredExecution } from '../executions/model.js';
import { badRequest, HttpError, illegalArgument, illegalState, notFound } from '../http/errors.js';
import { empty, json, STREAMED, text, type ApiRequest } from '../http/exchange.js';
import { EventStream } from '../http/sse.js';
import { parseDuration } from '../../flow/duration.js';
import type { LogRecord } from '../store/types.js';
import { API, type ApiContext } from './context.js';
import { checkTenant, pageParams } from './common.js';
import { toApiFlow } from './flows-api.js';

/**
 * Form fields → raw input values (a repeated field is a list). A file part stays a `File`: the
 * execution service stores it for a FILE input (create) and refuses it elsewhere.
 */
async function formInputs(req: ApiRequest, files: 'files' | 'no-files' = 'no-files'): Promise<Record<string, unknown>> {
  const form = await req.form();
  const out: Record<string, unknown> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string' && files === 'no-files')
      throw illegalArgument(`Input \`${name}\` is a file: only FILE inputs of a new execution take files`);
    const previous = out[name];
    out[name] = previous === undefined ? value : Array.isArray(previous) ? [...(previous as unknown[]), value] : [previous, value];
  }
  return out;
}

function labelsOf(req: ApiRequest): ReturnType<typeof parseLabelParams> {
  let labels;
  try {
    labels = parseLabelParams(req.queryList('labels'));
  } catch (e) {
    throw illegalArgument((e as Error).message);
  }
  const system = labels.find((l) => l.key.startsWith('system.') && l.key !== 'system.correlationId');
  if (system !== undefined)
    throw illegalArgument(`System labels can only be set by Kestra itself, offending label: ${system.key}=${system.value}`);
  return labels;
}

const minLevelOf = (req: ApiRequest): number => {
  const level = req.query.get('minLevel');
  if (level === null || level === '') return 0;
  const index = LOG_LEVELS.indexOf(level.toUpperCase() as LogLevel);
  if (index < 0) throw badRequest(`minLevel must be one of ${LOG_LEVELS.join(', ')}`);
  return index;
};

function logFilter(req: ApiRequest): (r: LogRecord) => boolean {
  const min = minLevelOf(req);
  const taskRunId = req.query.get('taskRunId');
  const taskId = req.query.get('taskId');
  const attempt = req.query.get('attempt');
  return (r) =>
    LOG_LEVELS.indexOf(r.level) >= min &&
    (taskRunId === null || r.taskRunId === taskRunId) &&
    (taskId === null || r.taskId === taskId) &&
    (attempt === null || String(r.attemptNumber ?? 0) === attempt);
}

/** Kestra's `Flux<Event<Execution>>`: the current version (`progress`), every change, then `end`. */
async function followExecution(ctx: ApiContext, req: ApiRequest, res: ServerResponse): Promise<typeof STREAMED> {
  const id = req.param('executionId');
  // Kestra waits up to 10 s for an execution that is being created.
  let execution = await ctx.executions.get(id);
  for (let i = 0; execution === undefined && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    execution = await ctx.executions.get(id);
  }
  if (execution === undefined) throw notFound(`Unable to find the execution ${id}`);
  const stream = new EventStream(req.raw, res);
  if (await ctx.executions.isOver(execution)) {
    stream.send({ id: 'end', data: toApiExecution(execution) });
    stream.close();
    return STREAMED;
  }
  let last = '';
  // Whether a version is over may render listener conditions: versions are sent one after the other, in order.
  let sending = Promise.resolve();
  const send = (e: StoredExecution): void => {
    sending = sending
      .then(async () => {
        const body = toApiExecution(e);
        const serialised = JSON.stringify(body);
        if (serialised === last) return;
        last = serialised;
        stream.send({ id: 'progress', data: serialised });
        if (await ctx.executions.isOver(e)) {
          stream.send({ id: 'end', data: serialised });
          stream.close();
        }
      })
      .catch(() => stream.close());
  };
  const unsubscribe = ctx.events.onExecution((e) => {
    if (e.id === id) send(e);
  });
  stream.onClose(unsubscribe);
  // The stored version may already be newer than the one read before subscribing.
  const latest = (await ctx.executions.get(id)) ?? execution;
  send(latest);
  return STREAMED;
}

async function followLogs(ctx: ApiContext, req: ApiRequest, res: ServerResponse): Promise<typeof STREAMED> {
  const id = req.param('executionId');
  const execution = await ctx.executions.get(id);
  if (execution === undefined) throw notFound(`Unable to find the execution ${id}`);
  const filter = logFilter(req);
  const stream = new EventStream(req.raw, res);
  const sent = new Set<string>();
  const key = (r: LogRecord): string => `${r.timestamp}|${r.taskRunId ?? ''}|${r.message}`;
  const send = (r: LogRecord): void => {
    if (!filter(r) || sent.has(key(r))) return;
    sent.add(key(r));
    stream.send({ id: 'progress', data: r });
  };
  const queued: LogRecord[] = [];
  let replaying = true;
  const offLog = ctx.events.onLog((r) => {
    if (r.executionId !== id) return;
    if (replaying) queued.push(r);
    else send(r);
  });
  const offExecution = ctx.events.onExecution((e) => {
    if (e.id !== id) return;
    void ctx.executions.isOver(e).then(
      (over) => (over ? setTimeout(() => stream.close(), 250).unref() : undefined),
      () => stream.close(),
    );
  });
  stream.onClose(() => {
    offLog();
    offExecution();
  });
  for (const r of await ctx.store.logs(ctx.tenant, id)) send(r);
  replaying = false;
  for (const r of queued.splice(0)) send(r);
  if (await ctx.executions.isOver((await ctx.executions.get(id)) ?? execution)) stream.close();
  return STREAMED;
}

function parseStates(req: ApiRequest): StateType[] | undefined {
  const states = req.queryList('state', { splitCommas: true });
  if (states.length === 0) return undefined;
  for (const s of states)
    if (!(STATE_TYPES as readonly string[]).includes(s)) throw badRequest(`Failed to convert argument [state] for value [${s}]`);
  return states as StateType[];
}

function parseDate(req: ApiRequest, name: string): Date | undefined {
  const value = req.query.get(name);
  if (value === null || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`Failed to convert argument [${name}] for value [${value}]`);
  return new Date(ms);
}

export function registerExecutionRoutes(ctx: ApiContext): void {
  const { router, executions } = ctx;
  const withUrl = (e: StoredExecution): Record<string, unknown> => ({
    ...toApiExecution(e),
    url: `${ctx.baseUrl()}/ui/${ctx.tenant}/executions/${e.namespace}/${e.flowId}/${e.id}`,
  });

  const create = async (req: ApiRequest): Promise<ReturnType<typeof json>> => {
    checkTenant(ctx, req);
    const revision = req.query.get('revision');
    const record = ctx.flows.get(
      req.param('namespace'),
      req.param('id'),
      revision === null || revision === '' ? {} : { revision: req.queryInt('revision', 0) },
    );
    if (record === undefined) throw notFound(`Flow not found`);
    const inputs = await formInputs(req, 'files');
    const labels = labelsOf(req);
    const scheduleDate = parseDate(req, 'scheduleDate');
    const execution = await executions.create(record, {
      inputs,
      labels,
      ...(scheduleDate === undefined ? {} : { scheduleDate: scheduleDate.toISOString() }),
    });
    if (execution === undefined) throw new HttpError(500, 'Internal Server Error: the execution could not be created');
    if (!req.queryBoolean('wait', false)) return json(withUrl(execution));
    const done = await executions.waitFor(execution.id, (e) => executions.isOver(e));
    return json(withUrl(done ?? execution));
  };
  router.add('POST', `${API}/executions/{namespace}/{id}`, create);
  router.add('POST', `${API}/executions/trigger/{namespace}/{id}`, create);

  // Kestra's validateInputsOnCreate: what the Execute form shows while it is filled in. Always 200
  // with each input's errors (never 422); nothing is created or stored. `labels` are checked as
  // create checks them; `checks` lists the flow checks that fail (Kestra 1.2).
  router.add('POST', `${API}/executions/{namespace}/{id}/validate`, async (req) => {
    checkTenant(ctx, req);
    const namespace = req.param('namespace');
    const id = req.param('id');
    const revision = req.query.get('revision');
    const record = ctx.flows.get(namespace, id, revision === null || revision === '' ? {} : { revision: req.queryInt('revision', 0) });
    if (record === undefined) throw notFound(`Flow not found`);
    const inputs = await formInputs(req, 'files');
    labelsOf(req);
    const validated = await executions.validate(record, { inputs });
    return json({ id, namespace, ...validated });
  });

  // Kestra's validateInputsOnResume: the paused Pause task's `onResume` inputs, checked without resuming.
  router.add('POST', `${API}/executions/{executionId}/resume/validate`, async (req) => {
    checkTenant(ctx, req);
    const inputs = await formInputs(req);
    const validated = await executions.validateResume(req.param('executionId'), inputs);
    if (validated === undefined) throw notFound(`Unable to find execution '${req.param('executionId')}'`);
    return json({ id: validated.execution.flowId, namespace: validated.execution.namespace, inputs: validated.inputs });
  });

  router.add('GET', `${API}/executions/search`, async (req) => {
    checkTenant(ctx, req);
    const { page, size } = pageParams(req);
    let startDate = parseDate(req, 'startDate');
    const range = req.query.get('timeRange');
    if (range !== null && range !== '') {
      if (startDate !== undefined) throw illegalArgument("Parameters 'startDate' and 'timeRange' are mutually exclusive");
      const ms = parseDuration(range);
      if (ms === undefined) throw badRequest(`Failed to convert argument [timeRange] for value [${range}]`);
      startDate = new Date(Date.now() - Math.abs(ms));
    }
    const endDate = parseDate(req, 'endDate');
    if (startDate !== undefined && endDate !== undefined && startDate > endDate)
      throw illegalArgument('Start date must be before End Date');
    let labels: Record<string, string> | undefined;
    try {
      const parsed = parseLabelParams(req.queryList('labels'));
      labels = parsed.length === 0 ? undefined : Object.fromEntries(parsed.map((l) => [l.key, l.value]));
    } catch (e) {
      throw illegalArgument((e as Error).message);
    }
    const states = parseStates(req);
    const q = req.query.get('q');
    const namespace = req.query.get('namespace');
    const flowId = req.query.get('flowId');
    const triggerExecutionId = req.query.get('triggerExecutionId');
    const page_ = await executions.search({
      page,
      size,
      sort: req.queryList('sort', { splitCommas: true }),
      ...(q === null || q === '' ? {} : { q }),
      ...(namespace === null || namespace === '' ? {} : { namespace }),
      ...(flowId === null || flowId === '' ? {} : { flowId }),
      ...(states === undefined ? {} : { states }),
      ...(labels === undefined ? {} : { labels }),
      ...(startDate === undefined ? {} : { startDate }),
      ...(endDate === undefined ? {} : { endDate }),
      ...(triggerExecutionId === null || triggerExecutionId === '' ? {} : { triggerExecutionId }),
    });
    return json({ results: page_.results.map(toApiExecution), total: page_.total });
  });

  router.add('GET', `${API}/executions`, async (req) => {
    checkTenant(ctx, req);
    const namespace = req.query.get('namespace');
    const flowId = req.query.get('flowId');
    if (namespace === null || flowId === null) throw badRequest('Required QueryValue [namespace] and [flowId] not specified');
    const { page, size } = pageParams(req);
    const found = await executions.search({ page, size, namespace, flowId });
    return json({ results: found.results.filter((e) => e.namespace === namespace).map(toApiExecution), total: found.total });
  });

  router.add('GET', `${API}/executions/{executionId}`, async (req) => {
    checkTenant(ctx, req);
    const execution = await executions.get(req.param('executionId'));
    if (execution === undefined) throw notFound();
    return json(toApiExecution(execution));
  });

  router.add('DELETE', `${API}/executions/{executionId}`, async (req) => {
    checkTenant(ctx, req);
    const deleted = await executions.delete(req.param('executionId'), { deleteLogs: req.queryBoolean('deleteLogs', true) });
    if (!deleted) throw notFound();
    return empty(204);
  });

  router.add('DELETE', `${API}/executions/{executionId}/kill`, async (req) => {
    checkTenant(ctx, req);
    const id = req.param('executionId');
    const execution = await executions.get(id);
    if (execution === undefined) throw notFound();
    if (isOver(execution) && !req.queryBoolean('isOnKillCascade', true)) throw illegalState("Execution is already finished, can't kill it");
    await executions.kill(id);
    return { status: 202, headers: { 'content-type': 'text/json' } };
  });

  router.add('POST', `${API}/executions/{executionId}/resume`, async (req) => {
    checkTenant(ctx, req);
    const inputs = await formInputs(req);
    const resumed = await executions.resume(req.param('executionId'), inputs);
    if (resumed === undefined) throw notFound(`Unable to find execution '${req.param('executionId')}'`);
    return empty(204);
  });

  router.add('POST', `${API}/executions/{executionId}/restart`, async (req) => {
    checkTenant(ctx, req);
    const revision = req.query.get('revision');
    const restarted = await executions.restart(
      req.param('executionId'),
      revision === null || revision === '' ? undefined : req.queryInt('revision', 1, 1),
    );
    if (restarted === undefined) throw notFound();
    return json(toApiExecution(restarted));
  });

  router.add('GET', `${API}/executions/{executionId}/follow`, (req, res) => {
    checkTenant(ctx, req);
    return followExecution(ctx, req, res);
  });

  router.add('GET', `${API}/executions/{executionId}/flow`, async (req) => {
    checkTenant(ctx, req);
    const execution = await executions.get(req.param('executionId'));
    if (execution === undefined) throw notFound();
    const record = ctx.flows.get(execution.namespace, execution.flowId, { revision: execution.flowRevision, allowDeleted: true });
    if (record === undefined)
      throw notFound(`Unable to find flow ${execution.namespace}.${execution.flowId} revision ${execution.flowRevision}`);
    return json(toApiFlow(record, false));
  });

  router.add('GET', `${API}/executions/flows/{namespace}/{flowId}`, async (req) => {
    checkTenant(ctx, req);
    const revision = req.query.get('revision');
    const record = ctx.flows.get(req.param('namespace'), req.param('flowId'), {
      ...(revision === null || revision === '' ? {} : { revision: req.queryInt('revision', 0) }),
      allowDeleted: true,
    });
    if (record === undefined) throw notFound();
    return json(toApiFlow(record, false));
  });

  // --- webhooks -------------------------------------------------------------------------------
  const webhook = async (req: ApiRequest): Promise<ReturnType<typeof json>> => {
    checkTenant(ctx, req);
    const body = await req.text();
    const headers: Record<string, string[]> = {};
    const raw = req.raw.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) (headers[raw[i]!] ??= []).push(raw[i + 1]!);
    const parameters: Record<string, string[]> = {};
    for (const [k, v] of req.query.entries()) (parameters[k] ??= []).push(v);
    const result = await ctx.triggers.webhook(req.param('namespace'), req.param('flowId'), req.param('key'), {
      method: req.method,
      headers,
      parameters,
      body: body === '' ? undefined : body,
    });
    if (result === 'conditions-not-met') return empty(204);
    return json(toApiExecution(result));
  };
  for (const method of ['GET', 'POST', 'PUT']) router.add(method, `${API}/executions/webhook/{namespace}/{flowId}/{key}`, webhook);

  // --- logs -----------------------------------------------------------------------------------
  router.add('GET', `${API}/logs/{executionId}`, async (req) => {
    checkTenant(ctx, req);
    const filter = logFilter(req);
    return json((await ctx.store.logs(ctx.tenant, req.param('executionId'))).filter(filter));
  });

  router.add('GET', `${API}/logs/{executionId}/download`, async (req) => {
    checkTenant(ctx, req);
    const filter = logFilter(req);
    const lines = (await ctx.store.logs(ctx.tenant, req.param('executionId')))
      .filter(filter)
      .map((r) => `${r.timestamp} ${r.level} ${r.taskId === undefined ? '' : `[${r.taskId}] `}${r.message}`);
    return text(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  });

  router.add('GET', `${API}/logs/{executionId}/follow`, (req, res) => {
    checkTenant(ctx, req);
    return followLogs(ctx, req, res);
  });

  router.add('DELETE', `${API}/logs/{executionId}`, async (req) => {
    checkTenant(ctx, req);
    await ctx.store.deleteLogs(ctx.tenant, req.param('executionId'));
    return empty(204);
  });
}
