/**
 * Flows through Kestra's API (`FlowController`: create from YAML, get, update, revisions,
 * search, validate, delete) with the official SDK, and the flows folder as the source of truth:
 * API-created flows are written into it, files dropped into it become flows, a file saved with
 * problems is reported (line and column) while the previous revision keeps running.
 */
import { jest } from '@jest/globals';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiError, ApiExecution, ApiFlow, Paged } from './support/api-types.js';
import { getJson, postForm } from './support/client.js';
import { project, startServer, until, type ServerChild } from './support/processes.js';
import { call, sdk, SdkError, type Sdk } from './support/sdk.js';

jest.setTimeout(120_000);

let server: ServerChild;
let client: Sdk;
let dir: ReturnType<typeof project>;

const flowYaml = (id: string, message: string, extra = ''): string => `id: ${id}
namespace: company.api
labels:
  owner: team-a
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: ${message}
${extra}`;

beforeAll(async () => {
  dir = project();
  server = await startServer([dir.flows, '--port', '0'], { cwd: dir.dir });
  client = sdk(server.url);
});

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

const api = (path: string): string => `${server.url}/api/v1/main${path}`;

describe('the flow endpoints, through the SDK', () => {
  test('create from YAML: revision 1 with its source, written into the flows folder as namespace_id.yml', async () => {
    const { data, status } = await call<ApiFlow>(client.flows, 'createFlow', 'main', flowYaml('created', 'one'));
    expect(status).toBe(200);
    expect(data).toMatchObject({ id: 'created', namespace: 'company.api', revision: 1, disabled: false, deleted: false });
    expect(data.labels).toEqual([{ key: 'owner', value: 'team-a' }]);
    const file = join(dir.flows, 'company.api_created.yml');
    expect(readFileSync(file, 'utf8')).toBe(flowYaml('created', 'one'));
  });

  test('creating it again is refused (422, Kestra’s "Flow id already exists")', async () => {
    const error = await call(client.flows, 'createFlow', 'main', flowYaml('created', 'two')).catch((e: SdkError) => e);
    expect(error).toBeInstanceOf(SdkError);
    expect((error as SdkError).status).toBe(422);
    expect(((error as SdkError).body as ApiError).message).toBe('Invalid entity: flow.id: Flow id already exists');
  });

  test('an invalid flow is refused with every problem and its line and column', async () => {
    const error = (await call(
      client.flows,
      'createFlow',
      'main',
      'id: bad\nnamespace: company.api\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Nope\n',
    ).catch((e: SdkError) => e)) as SdkError;
    expect(error.status).toBe(422);
    expect((error.body as ApiError).message).toContain('5:11: Invalid type: io.kestra.plugin.core.log.Nope');
    expect(existsSync(join(dir.flows, 'company.api_bad.yml'))).toBe(false);
  });

  test('get (with and without source), update to revision 2 (plain HTTP), and read both revisions', async () => {
    const plain = await call<ApiFlow>(client.flows, 'getFlow', 'company.api', 'created', false, false, 'main', {});
    expect(plain.data.source).toBeUndefined();
    // The SDK's updateFlow cannot read any answer (its oneOf Flow|FlowWithSource matches both): plain HTTP.
    const update = async (source: string): Promise<ApiFlow> => {
      const res = await fetch(api('/flows/company.api/created'), {
        method: 'PUT',
        headers: { 'content-type': 'application/x-yaml' },
        body: source,
      });
      expect(res.status).toBe(200);
      return (await res.json()) as ApiFlow;
    };
    expect(await update(flowYaml('created', 'two'))).toMatchObject({ revision: 2, source: flowYaml('created', 'two') });
    // The same source again keeps the revision (Kestra's repository compares before saving).
    expect((await update(flowYaml('created', 'two'))).revision).toBe(2);
    const withSource = await call<ApiFlow>(client.flows, 'getFlow', 'company.api', 'created', true, false, 'main', {});
    expect(withSource.data.source).toBe(flowYaml('created', 'two'));
    const first = await call<ApiFlow>(client.flows, 'getFlow', 'company.api', 'created', true, false, 'main', { revision: 1 });
    expect(first.data).toMatchObject({ revision: 1, source: flowYaml('created', 'one') });
    const revisions = await call<ApiFlow[]>(client.flows, 'listFlowRevisions', 'company.api', 'created', 'main');
    expect(revisions.data.map((r) => r.revision)).toEqual([1, 2]);
    expect(readFileSync(join(dir.flows, 'company.api_created.yml'), 'utf8')).toBe(flowYaml('created', 'two'));
  });

  test('an update may not change the id or namespace (422); an unknown flow is 404', async () => {
    const error = (await call(client.flows, 'updateFlow', 'created', 'company.api', 'main', flowYaml('renamed', 'x')).catch(
      (e: SdkError) => e,
    )) as SdkError;
    expect(error.status).toBe(422);
    expect((error.body as ApiError).message).toContain('Illegal flow id update');
    const missing = (await call(client.flows, 'updateFlow', 'nope', 'company.api', 'main', flowYaml('nope', 'x')).catch(
      (e: SdkError) => e,
    )) as SdkError;
    expect(missing.status).toBe(404);
    await expect(call(client.flows, 'getFlow', 'company.api', 'nope', false, false, 'main', {})).rejects.toMatchObject({ status: 404 });
  });

  test('search by namespace prefix, text and label; list a namespace; distinct namespaces', async () => {
    await call(client.flows, 'createFlow', 'main', flowYaml('second', 'x').replace('owner: team-a', 'owner: team-b'));
    const all = await call<Paged<ApiFlow>>(client.flows, 'searchFlows', 1, 10, 'main', { namespace: 'company' });
    expect(all.data.results.map((f) => f.id)).toEqual(['created', 'second']);
    expect(all.data.total).toBe(2);
    const byLabel = await call<Paged<ApiFlow>>(client.flows, 'searchFlows', 1, 10, 'main', { labels: ['owner:team-b'] });
    expect(byLabel.data.results.map((f) => f.id)).toEqual(['second']);
    const byText = await call<Paged<ApiFlow>>(client.flows, 'searchFlows', 1, 10, 'main', { q: 'sec' });
    expect(byText.data.results.map((f) => f.id)).toEqual(['second']);
    const paged = await call<Paged<ApiFlow>>(client.flows, 'searchFlows', 2, 1, 'main', {});
    expect(paged.data).toMatchObject({ total: 2, results: [{ id: 'second' }] });
    const inNamespace = await call<ApiFlow[]>(client.flows, 'listFlowsByNamespace', 'company.api', 'main');
    expect(inNamespace.data.map((f) => f.id)).toEqual(['created', 'second']);
    expect((await call<string[]>(client.flows, 'listDistinctNamespaces', 'main', {})).data).toEqual(['company.api']);
  });

  test('validate: one result per document, with constraints, warnings for triggers that will not fire, and outdated revisions', async () => {
    const body = [
      flowYaml('ok', 'fine'),
      'id: broken\nnamespace: company.api\ntasks: []\ntriggers:\n  - id: s\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "61 * * * *"\n',
      flowYaml('kafka', 'x', 'triggers:\n  - id: k\n    type: io.kestra.plugin.kafka.Trigger\n    topic: t\n'),
      `revision: 1\n${flowYaml('created', 'x')}`,
      flowYaml('typo', '"{{ inputs.nmae }}"'),
    ].join('\n---\n');
    const { data } = await call<{ index: number; flow?: string; constraints?: string; warnings?: string[]; outdated?: boolean }[]>(
      client.flows,
      'validateFlows',
      'main',
      body,
    );
    expect(data.map((v) => v.index)).toEqual([0, 1, 2, 3, 4]);
    expect(data[0]).toMatchObject({ flow: 'ok', namespace: 'company.api' });
    expect(data[0]?.constraints).toBeUndefined();
    expect(data[1]?.constraints).toContain(
      "invalid cron expression '61 * * * *': Failed to parse cron expression. Value 61 not in range [0, 59]",
    );
    expect(data[1]?.constraints).toContain('`tasks` must not be empty');
    expect(data[2]?.warnings).toEqual([
      'triggers.k: trigger type io.kestra.plugin.kafka.Trigger is not supported by pebbleflow server; it will not fire',
    ]);
    expect(data[3]?.outdated).toBe(true);
    // An undeclared input in a template is a warning: Kestra accepts the flow.
    expect(data[4]?.constraints).toBeUndefined();
    expect(data[4]?.warnings).toEqual([expect.stringContaining('Unknown input `nmae` in `inputs.nmae`: the flow declares no inputs')]);
  });

  test('delete: 204, the file is gone, the flow is 404 but its revisions stay readable with allowDeleted', async () => {
    const { status } = await call(client.flows, 'deleteFlow', 'company.api', 'second', 'main');
    expect(status).toBe(204);
    expect(existsSync(join(dir.flows, 'company.api_second.yml'))).toBe(false);
    await expect(call(client.flows, 'getFlow', 'company.api', 'second', false, false, 'main', {})).rejects.toMatchObject({ status: 404 });
    const deleted = await call<ApiFlow>(client.flows, 'getFlow', 'company.api', 'second', false, true, 'main', {});
    expect(deleted.data).toMatchObject({ id: 'second', deleted: true });
    await expect(call(client.flows, 'deleteFlow', 'company.api', 'second', 'main')).rejects.toMatchObject({ status: 404 });
  });
});

describe('the flows folder is the source of truth', () => {
  const file = (): string => join(dir.flows, 'nested', 'watched.yaml');

  test('a file dropped into the folder (a subfolder too) becomes a flow that runs', async () => {
    const nested = join(dir.flows, 'nested');
    rmSync(nested, { recursive: true, force: true });
    await import('node:fs').then((fs) => fs.mkdirSync(nested));
    writeFileSync(file(), flowYaml('watched', 'from the folder'));
    const flow = await until('the new flow', async () => {
      const res = await getJson<ApiFlow>(api('/flows/company.api/watched'));
      return res.status === 200 ? res.body : undefined;
    });
    expect(flow.revision).toBe(1);
    const run = await postForm<ApiExecution>(api('/executions/company.api/watched?wait=true'), {});
    expect(run.body.state.current).toBe('SUCCESS');
  });

  test('a file saved with problems is reported with line and column, and the previous revision keeps running', async () => {
    writeFileSync(
      file(),
      flowYaml('watched', 'oops').replace('type: io.kestra.plugin.core.log.Log', 'type: io.kestra.plugin.core.log.Logg'),
    );
    const status = await until('the problem to be reported', async () => {
      const { body } = await getJson<{ file: string; problems: { line?: number; column?: number; message: string }[] }[]>(
        api('/pebbleflow/flow-files'),
      );
      const entry = body.find((f) => f.file === join('nested', 'watched.yaml'));
      return entry !== undefined && entry.problems.length > 0 ? entry : undefined;
    });
    expect(status.problems[0]).toMatchObject({ line: 7, column: 11, message: 'Invalid type: io.kestra.plugin.core.log.Logg' });
    expect(server.stderr()).toContain(`${join('nested', 'watched.yaml')}:7:11: Invalid type: io.kestra.plugin.core.log.Logg`);
    expect(server.stderr()).toContain('revision 1 of company.api.watched keeps running');
    const flow = await getJson<ApiFlow>(api('/flows/company.api/watched'));
    expect(flow.body.revision).toBe(1);
    const run = await postForm<ApiExecution>(api('/executions/company.api/watched?wait=true'), {});
    expect(run.body).toMatchObject({ flowRevision: 1, state: { current: 'SUCCESS' } });
  });

  test('fixed, it becomes revision 2; deleted, the flow is gone', async () => {
    writeFileSync(file(), flowYaml('watched', 'fixed'));
    await until('revision 2', async () =>
      (await getJson<ApiFlow>(api('/flows/company.api/watched'))).body.revision === 2 ? true : undefined,
    );
    rmSync(file());
    await until('the flow to be deleted', async () =>
      (await getJson(api('/flows/company.api/watched'))).status === 404 ? true : undefined,
    );
    expect((await postForm(api('/executions/company.api/watched'), {})).status).toBe(404);
  });
});
