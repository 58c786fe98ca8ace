/**
 * Kestra's flow endpoints (`FlowController`): create from YAML, get (with `source`, `revision`,
 * `allowDeleted`), update, delete, search, list by namespace, revisions, distinct namespaces and
 * validate — plus a pebbleflow endpoint listing each file of the flows folder with its problems.
 */
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { flatConditions } from '../../flow/conditions.js';
import { checkFlow } from '../../flow/loader.js';
import { isFlowError, type FlowProblem } from '../../flow/errors.js';
import { FlowRepositoryError, type FlowRecord } from '../flows/flow-repository.js';
import { HttpError, invalidEntity, notFound } from '../http/errors.js';
import { empty, json, type ApiRequest } from '../http/exchange.js';
import { API, type ApiContext } from './context.js';
import { checkTenant, pageParams } from './common.js';

/** Kestra's `Flow` JSON: the flow as written, with its revision, `disabled`, `deleted` and labels as a list. */
export function toApiFlow(record: FlowRecord, withSource: boolean): Record<string, unknown> {
  let written: Record<string, unknown> = {};
  try {
    const parsed: unknown = parseYaml(record.source);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) written = parsed as Record<string, unknown>;
  } catch {
    // The record was validated when stored; a parse failure here would only drop the extras.
  }
  const labels = Object.entries(record.flow.labels).map(([key, value]) => ({ key, value }));
  return {
    ...written,
    id: record.id,
    namespace: record.namespace,
    revision: record.revision,
    ...(labels.length === 0 ? {} : { labels }),
    disabled: record.flow.disabled,
    deleted: record.deleted,
    ...(withSource ? { source: record.source } : {}),
  };
}

const problemText = (p: FlowProblem): string =>
  `${p.line === undefined ? '' : `${p.line}:${p.column ?? 1}: `}${p.message}${p.path === '' ? '' : ` (at ${p.path})`}`;

function repositoryError(e: unknown): never {
  if (e instanceof FlowRepositoryError) {
    switch (e.code) {
      case 'FLOW_NOT_FOUND':
        throw notFound();
      case 'FLOW_INVALID':
        throw invalidEntity(e.problems.map(problemText).join(', '), e.problems.map(problemText));
      case 'FLOW_EXISTS':
      case 'FLOW_ID_CHANGED':
        throw invalidEntity(e.message);
    }
  }
  throw e;
}

/** The YAML body (Kestra's deprecated JSON flow bodies are turned into YAML). */
async function flowSource(req: ApiRequest): Promise<string> {
  const text = await req.text();
  if (/json/i.test(req.header('content-type') ?? '')) {
    try {
      return toYaml(JSON.parse(text));
    } catch (e) {
      throw new HttpError(422, `Invalid json: ${(e as Error).message}`);
    }
  }
  return text;
}

/** Flows whose warnings the server knows (unsupported triggers and conditions). */
function warningsOf(flow: NonNullable<ReturnType<typeof checkFlow>['flow']>): string[] {
  const out: string[] = [];
  for (const t of flow.triggers) {
    if (!t.supported) out.push(`triggers.${t.id}: trigger type ${t.declaredType} is not supported by pebbleflow server; it will not fire`);
    for (const c of flatConditions(t.conditions))
      if (!c.supported) out.push(`triggers.${t.id}: condition type ${c.declaredType} is not supported; the trigger will not fire`);
  }
  return out;
}

export function registerFlowRoutes(ctx: ApiContext): void {
  const { router, flows } = ctx;
  const get = (req: ApiRequest): FlowRecord | undefined => {
    const revision = req.query.get('revision');
    return flows.get(req.param('namespace'), req.param('id'), {
      ...(revision === null || revision === '' ? {} : { revision: req.queryInt('revision', 0) }),
      allowDeleted: req.queryBoolean('allowDeleted', false),
    });
  };

  router.add('POST', `${API}/flows`, async (req) => {
    checkTenant(ctx, req);
    const record = await flows.create(await flowSource(req)).catch(repositoryError);
    return json(toApiFlow(record, true));
  });

  router.add('POST', `${API}/flows/validate`, async (req) => {
    checkTenant(ctx, req);
    const body = await req.text();
    const sources = body.split(/\n+---\n*?/);
    return json(
      sources.map((source, index) => {
        const { flow, problems } = checkFlow(source, { registry: flows.registry });
        const out: Record<string, unknown> = { index };
        let raw: Record<string, unknown> | undefined;
        try {
          const parsed: unknown = parseYaml(source);
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) raw = parsed as Record<string, unknown>;
        } catch {
          raw = undefined;
        }
        if (typeof raw?.id === 'string') out.flow = raw.id;
        if (typeof raw?.namespace === 'string') out.namespace = raw.namespace;
        if (typeof raw?.revision === 'number' && typeof raw.namespace === 'string' && typeof raw.id === 'string') {
          out.outdated = raw.revision !== (flows.lastRevision(raw.namespace, raw.id) ?? 0) + 1;
        }
        out.deprecationPaths = [];
        out.infos = [];
        const errors = problems.filter(isFlowError);
        out.warnings = [...(flow === undefined ? [] : warningsOf(flow)), ...problems.filter((p) => !isFlowError(p)).map(problemText)];
        if (errors.length > 0) out.constraints = errors.map(problemText).join('\n');
        return out;
      }),
    );
  });

  router.add('GET', `${API}/flows/search`, async (req) => {
    checkTenant(ctx, req);
    const { page, size } = pageParams(req);
    const namespace = req.query.get('namespace') ?? undefined;
    const q = req.query.get('q')?.toLowerCase();
    const labels = req.queryList('labels').map((l) => {
      const i = l.indexOf(':');
      return i <= 0 ? { key: l, value: undefined } : { key: l.slice(0, i), value: l.slice(i + 1) };
    });
    const hits = flows
      .list()
      .filter((r) => namespace === undefined || namespace === '' || r.namespace === namespace || r.namespace.startsWith(`${namespace}.`))
      .filter((r) => q === undefined || q === '' || r.id.toLowerCase().includes(q) || r.namespace.toLowerCase().includes(q))
      .filter((r) => labels.every((l) => r.flow.labels[l.key] !== undefined && (l.value === undefined || r.flow.labels[l.key] === l.value)))
      .sort(flowComparator(req.queryList('sort', { splitCommas: true })));
    return json({ results: hits.slice((page - 1) * size, page * size).map((r) => toApiFlow(r, false)), total: hits.length });
  });

  router.add('GET', `${API}/flows/distinct-namespaces`, async (req) => {
    checkTenant(ctx, req);
    const q = req.query.get('q') ?? '';
    return json([...new Set(flows.list().map((r) => r.namespace))].filter((n) => n.includes(q)).sort());
  });

  router.add('GET', `${API}/flows/{namespace}`, async (req) => {
    checkTenant(ctx, req);
    const namespace = req.param('namespace');
    return json(
      flows
        .list()
        .filter((r) => r.namespace === namespace)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((r) => toApiFlow(r, false)),
    );
  });

  router.add('GET', `${API}/flows/{namespace}/{id}`, async (req) => {
    checkTenant(ctx, req);
    const record = get(req);
    if (record === undefined) throw notFound();
    return json(toApiFlow(record, req.queryBoolean('source', false)));
  });

  router.add('GET', `${API}/flows/{namespace}/{id}/revisions`, async (req) => {
    checkTenant(ctx, req);
    return json(flows.revisions(req.param('namespace'), req.param('id')).map((r) => toApiFlow(r, true)));
  });

  router.add('PUT', `${API}/flows/{namespace}/{id}`, async (req) => {
    checkTenant(ctx, req);
    const record = await flows.update(req.param('namespace'), req.param('id'), await flowSource(req)).catch(repositoryError);
    return json(toApiFlow(record, true));
  });

  router.add('DELETE', `${API}/flows/{namespace}/{id}`, async (req) => {
    checkTenant(ctx, req);
    await flows.delete(req.param('namespace'), req.param('id')).catch(repositoryError);
    return empty(204);
  });

  // pebbleflow: the flows folder as the server read it, each file with its problems (line and column).
  router.add('GET', `${API}/pebbleflow/flow-files`, async (req) => {
    checkTenant(ctx, req);
    return json(flows.fileStatuses());
  });
}

function flowComparator(sort: readonly string[]): (a: FlowRecord, b: FlowRecord) => number {
  const keys = sort.length === 0 ? ['namespace:asc', 'id:asc'] : sort;
  return (a, b) => {
    for (const entry of keys) {
      const [field, dir = 'asc'] = entry.split(':');
      const x = field === 'namespace' ? a.namespace : field === 'id' ? a.id : field === 'revision' ? a.revision : undefined;
      const y = field === 'namespace' ? b.namespace : field === 'id' ? b.id : field === 'revision' ? b.revision : undefined;
      if (x === undefined || y === undefined || x === y) continue;
      return (x < y ? -1 : 1) * (dir.toLowerCase() === 'desc' ? -1 : 1);
    }
    return 0;
  };
}
