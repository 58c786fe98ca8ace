import nodeFetch from 'node-fetch';
import { MASK } from '../../src/runner/masking.js';
import type { FetchLike } from '../../src/tasks/types.js';
import { messages, runYaml, taskStates } from '../support/flows.js';
import { startServer, type TestServer } from '../support/http.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/echo') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-multi': ['a', 'b'], 'set-cookie': ['c1=1', 'c2=2'] });
      res.end(
        JSON.stringify({
          method: req.method,
          auth: req.headers.authorization ?? null,
          contentType: req.headers['content-type'] ?? null,
          body,
          custom: req.headers['x-custom'] ?? null,
        }),
      );
    } else if (url.pathname === '/status') {
      res.writeHead(Number(url.searchParams.get('code')), { 'content-type': 'text/plain' });
      res.end(url.searchParams.get('say') ?? 'nope');
    } else if (url.pathname === '/redirect') {
      res.writeHead(302, { location: '/echo' });
      res.end();
    } else if (url.pathname === '/latin1') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=ISO-8859-1' });
      res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    } else if (url.pathname === '/stall') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      // never ends: the idle timeout must cut it off
    } else {
      res.writeHead(404);
      res.end();
    }
  });
});
afterAll(() => server.close());

const flow = (task: string): string => `id: http
namespace: company.team
tasks:
  - id: req
    type: io.kestra.plugin.core.http.Request
${task
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

describe.each([
  ['built-in fetch', undefined],
  ['node-fetch', nodeFetch as unknown as FetchLike],
])('Request task with %s', (_name, fetch) => {
  const run = (task: string, env: Record<string, string> = {}) =>
    runYaml(flow(task).replaceAll('ORIGIN', server.origin), { ...(fetch === undefined ? {} : { fetch }), env });

  test('GET: outputs uri, code, headers (map of lists) and body (a string)', async () => {
    const report = await run('uri: ORIGIN/echo\nheaders: { X-Custom: [a, b] }');
    expect(report.state).toBe('SUCCESS');
    const out = report.outputs.req!;
    expect(out.uri).toBe(`${server.origin}/echo`);
    expect(out.code).toBe(200);
    expect(typeof out.body).toBe('string');
    expect(JSON.parse(out.body as string)).toMatchObject({ method: 'GET', auth: null, custom: 'a, b' });
    const headers = out.headers as Record<string, string[]>;
    expect(headers['content-type']).toEqual(['application/json']);
    expect(headers['set-cookie']).toEqual(['c1=1', 'c2=2']);
  });

  test('POST body with the default application/json content type, and BEARER / BASIC auth', async () => {
    const bearer = await run(
      `uri: ORIGIN/echo\nmethod: POST\nbody: '{"a": {{ 1 + 1 }}}'\noptions: { auth: { type: BEARER, token: "tok-{{ 'x' }}" } }`,
    );
    expect(JSON.parse(bearer.outputs.req!.body as string)).toMatchObject({
      method: 'POST',
      body: '{"a": 2}',
      contentType: 'application/json',
      auth: 'Bearer tok-x',
    });
    const basic = await run('uri: ORIGIN/echo\nauth: { type: BASIC, username: u, password: p }');
    expect(JSON.parse(basic.outputs.req!.body as string)).toMatchObject({ auth: `Basic ${Buffer.from('u:p').toString('base64')}` });
  });

  test('formData: url-encoded, or multipart with a file part', async () => {
    const form = await run('uri: ORIGIN/echo\nmethod: POST\nformData: { a: "1 2", b: "&" }');
    expect(JSON.parse(form.outputs.req!.body as string)).toMatchObject({
      body: 'a=1+2&b=%26',
      contentType: 'application/x-www-form-urlencoded',
    });
    const multi = await run(
      'uri: ORIGIN/echo\nmethod: POST\ncontentType: multipart/form-data\nformData: { field: v, file: { name: r.txt, content: hello } }',
    );
    const echoed = JSON.parse(multi.outputs.req!.body as string) as { body: string; contentType: string };
    expect(echoed.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(echoed.body).toContain('Content-Disposition: form-data; name="field"\r\n\r\nv\r\n');
    expect(echoed.body).toContain(
      'Content-Disposition: form-data; name="file"; filename="r.txt"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n',
    );
  });

  test("a rejected status fails with Kestra's message; allowFailed and allowedResponseCodes accept it", async () => {
    const failed = await run('uri: ORIGIN/status?code=404&say=missing');
    expect(taskStates(failed)).toEqual({ req: 'FAILED' });
    expect(failed.taskRuns[0]!.error).toBe("Failed http request with response code '404' and body:\nmissing");
    const allowed = await run('uri: ORIGIN/status?code=500\noptions: { allowFailed: true }');
    expect(allowed.outputs.req).toMatchObject({ code: 500, body: 'nope' });
    const listed = await run('uri: ORIGIN/status?code=201\noptions: { allowedResponseCodes: [404] }');
    expect(listed.taskRuns[0]!.error).toBe("Failed http request with response code '201' and body:\nnope");
  });

  test('followRedirects, defaultCharset and the read idle timeout', async () => {
    expect((await run('uri: ORIGIN/redirect')).outputs.req).toMatchObject({ code: 200 });
    expect((await run('uri: ORIGIN/redirect\noptions: { followRedirects: false }')).outputs.req).toMatchObject({ code: 302 });
    expect((await run('uri: ORIGIN/latin1')).outputs.req).toMatchObject({ body: 'café' });
    const stalled = await run('uri: ORIGIN/stall\noptions: { timeout: { readIdleTimeout: PT0.2S } }');
    expect(stalled.taskRuns[0]!.error).toBe(`Failed http request to ${server.origin}/stall: the response body stalled within 200 ms`);
  });

  test('a failing request whose URL and body hold a secret never shows it', async () => {
    const canary = 'sk_live_canary_9d8e7f';
    const env = { SECRET_TOKEN: Buffer.from(canary).toString('base64') };
    const report = await run(
      `uri: "ORIGIN/status?code=403&say={{ secret('token') }}"\nmethod: POST\nbody: "{{ secret('token') }}"\noptions: { logs: [REQUEST_HEADERS, REQUEST_BODY, RESPONSE_BODY], auth: { type: BASIC, username: me, password: "{{ secret('token') }}" } }`,
      env,
    );
    expect(report.state).toBe('FAILED');
    expect(server.requests.at(-1)!.url).toContain(canary);
    const text = JSON.stringify(report);
    expect(text).not.toContain(canary);
    expect(text).not.toContain(Buffer.from(`me:${canary}`).toString('base64'));
    expect(report.taskRuns[0]!.error).toBe(`Failed http request with response code '403' and body:\n${MASK}`);
    expect(messages(report).join('\n')).toContain(`Request body: ${MASK}`);
    const refused = await run(`uri: "http://127.0.0.1:1/{{ secret('token') }}"`, env);
    expect(refused.taskRuns[0]!.error).toMatch(new RegExp(`^Failed http request to http://127\\.0\\.0\\.1:1/\\*{6}: `));
  });
});
