/** The server's HTTP pieces: routing (static segments first, 405), access control, atomic files and the store. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessControl, isOpenPath } from '../../../src/server/http/access.js';
import { Router } from '../../../src/server/http/router.js';
import { createExclusive, writeFileAtomic } from '../../../src/server/store/atomic-file.js';
import { FileExecutionStore } from '../../../src/server/store/file-store.js';
import { newExecution, withState } from '../../../src/server/executions/model.js';
import { checkFlow } from '../../../src/flow/loader.js';

describe('Router', () => {
  const router = new Router<string>()
    .add('GET', '/api/v1/{tenant}/flows/search', 'search')
    .add('GET', '/api/v1/{tenant}/flows/{namespace}', 'byNamespace')
    .add('GET', '/api/v1/{tenant}/flows/{namespace}/{id}', 'get')
    .add('PUT', '/api/v1/{tenant}/flows/{namespace}/{id}', 'update')
    .add('GET', '/api/v1/{tenant}/executions/{executionId}', 'execution')
    .add('POST', '/api/v1/{tenant}/executions/{namespace}/{id}', 'create');

  test('static segments win, each route names its own parameters', () => {
    expect(router.find('GET', '/api/v1/main/flows/search')).toEqual({
      kind: 'found',
      match: { handler: 'search', params: { tenant: 'main' } },
    });
    expect(router.find('GET', '/api/v1/main/flows/company.team')).toMatchObject({
      match: { handler: 'byNamespace', params: { namespace: 'company.team' } },
    });
    expect(router.find('GET', '/api/v1/main/executions/abc')).toMatchObject({
      match: { handler: 'execution', params: { executionId: 'abc' } },
    });
    expect(router.find('POST', '/api/v1/main/executions/ns/f')).toMatchObject({
      match: { handler: 'create', params: { namespace: 'ns', id: 'f' } },
    });
    expect(router.find('HEAD', '/api/v1/main/flows/ns/f')).toMatchObject({ match: { handler: 'get' } });
  });

  test('percent-decoded segments; a known path with another method is 405 with what is allowed', () => {
    expect(router.find('GET', '/api/v1/main/flows/a%2Fb/x')).toMatchObject({ match: { params: { namespace: 'a/b', id: 'x' } } });
    expect(router.find('DELETE', '/api/v1/main/flows/ns/f')).toEqual({ kind: 'method', allowed: ['GET', 'PUT'] });
    expect(router.find('GET', '/api/v1/main/nothing')).toEqual({ kind: 'none' });
    expect(router.find('GET', '/api/v1/main/flows/%E0%A4%A')).toEqual({ kind: 'none' });
  });

  test('a route defined twice is a programming error', () => {
    expect(() => new Router<string>().add('GET', '/a/{x}', 'a').add('GET', '/a/{y}', 'b')).toThrow('defined twice');
  });
});

describe('AccessControl', () => {
  const req = (headers: Record<string, string>, method = 'GET'): IncomingMessage => ({ headers, method }) as unknown as IncomingMessage;
  const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;

  test('basic auth: the exact user and password only; open paths need none', () => {
    const access = new AccessControl({ username: 'admin', password: 'p:w' });
    expect(access.authenticate(req({ authorization: basic('admin:p:w') }), '/api/v1/main/flows')).toBe(true);
    expect(access.authenticate(req({ authorization: basic('admin:p:') }), '/api/v1/main/flows')).toBe(false);
    expect(access.authenticate(req({}), '/api/v1/main/flows')).toBe(false);
    expect(access.authenticate(req({}), '/ping')).toBe(true);
    expect(access.authenticate(req({}), '/api/v1/main/executions/webhook/ns/f/key')).toBe(true);
    expect(new AccessControl(undefined).authenticate(req({}), '/api/v1/main/flows')).toBe(true);
    expect(isOpenPath('/api/v1/main/executions/search')).toBe(false);
  });

  test('same origin for calls that change state', () => {
    expect(AccessControl.sameOrigin(req({ host: 'h:1', origin: 'http://h:1' }, 'POST'), '/x')).toBe(true);
    expect(AccessControl.sameOrigin(req({ host: 'h:1', origin: 'http://evil' }, 'POST'), '/x')).toBe(false);
    expect(AccessControl.sameOrigin(req({ host: 'h:1', origin: 'null' }, 'DELETE'), '/x')).toBe(false);
    expect(AccessControl.sameOrigin(req({ host: 'h:1', 'sec-fetch-site': 'cross-site' }, 'PUT'), '/x')).toBe(false);
    expect(AccessControl.sameOrigin(req({ host: 'h:1' }, 'POST'), '/x')).toBe(true);
    expect(AccessControl.sameOrigin(req({ host: 'h:1', origin: 'http://evil' }, 'GET'), '/x')).toBe(true);
  });
});

describe('files', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pebbleflow-files-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('atomic writes leave no temporary file; exclusive creation refuses an existing name', async () => {
    const file = join(dir, 'a', 'x.json');
    await writeFileAtomic(file, '1');
    await writeFileAtomic(file, '2', { durable: true });
    expect(readFileSync(file, 'utf8')).toBe('2');
    expect(readdirSync(join(dir, 'a'))).toEqual(['x.json']);
    expect(await createExclusive(join(dir, 'a', 'y'), 'first')).toBe(true);
    expect(await createExclusive(join(dir, 'a', 'y'), 'second')).toBe(false);
    expect(readFileSync(join(dir, 'a', 'y'), 'utf8')).toBe('first');
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(['x.json', 'y']);
  });

  test('the store applies the saves of one execution in order (the last one wins) and survives a reopen', async () => {
    const { flow } = checkFlow('id: f\nnamespace: n\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Log\n    message: m\n');
    const store = new FileExecutionStore(dir);
    const e = newExecution({ tenant: 'main', flow: flow!, inputs: {} });
    expect(await store.create(e)).toBe(true);
    expect(await store.create(e)).toBe(false);
    let current = e;
    const saves: Promise<void>[] = [];
    for (const state of ['RUNNING', 'PAUSED', 'RUNNING', 'SUCCESS'] as const) {
      current = { ...current, state: withState(current.state, state) };
      saves.push(store.save(current));
    }
    await Promise.all(saves);
    await store.appendLogs('main', e.id, [{ namespace: 'n', flowId: 'f', executionId: e.id, level: 'INFO', message: 'a', timestamp: 't' }]);
    await store.appendLogs('main', e.id, [{ namespace: 'n', flowId: 'f', executionId: e.id, level: 'WARN', message: 'b', timestamp: 't' }]);
    await store.close();
    const reopened = new FileExecutionStore(dir);
    expect((await reopened.get('main', e.id))?.state.current).toBe('SUCCESS');
    expect((await reopened.search('main', { page: 1, size: 10, states: ['SUCCESS'] })).total).toBe(1);
    expect((await reopened.unfinished('main')).length).toBe(0);
    expect((await reopened.logs('main', e.id)).map((l) => l.message)).toEqual(['a', 'b']);
    expect(await reopened.get('main', '../etc/passwd')).toBeUndefined();
    expect(await reopened.delete('main', e.id)).toBe(true);
    expect(await reopened.get('main', e.id)).toBeUndefined();
  });
});
