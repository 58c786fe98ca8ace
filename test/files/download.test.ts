/**
 * http.Download against a real loopback server: Kestra's DownloadTest cases (core/src/test/java/io/kestra/
 * plugin/core/http/DownloadTest.java — run, failed, allowFailed, noResponse, contentDisposition) plus
 * redirects, headers and the size limit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServer, listen } from '../support/http.js';
import { downloadToStorage, filenameFromContentDisposition, type DownloadSpec } from '../../src/tasks/http/transfer.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { RunStorage } from '../../src/storage/run-storage.js';
import type { Server } from 'node:http';

let dir: string;
let server: Server;
let origin: string;
let storage: RunStorage;
const seen: { url: string; headers: Record<string, unknown> }[] = [];

beforeAll(async () => {
  ({ server, origin } = await listen((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/orders.csv':
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end('order_id,total\n1,166.89\n2,78.45\n');
        return;
      case '/named':
        res.writeHead(200, { 'content-disposition': 'attachment; filename="../../etc/my report.csv"' });
        res.end('a,b\n');
        return;
      case '/redirect':
        res.writeHead(302, { location: '/orders.csv' });
        res.end();
        return;
      case '/missing':
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not here');
        return;
      case '/empty':
        res.writeHead(200);
        res.end();
        return;
      case '/big': {
        const size = Number(url.searchParams.get('size'));
        const chunked = url.searchParams.get('chunked') === '1';
        res.writeHead(200, chunked ? {} : { 'content-length': String(size) });
        const chunk = Buffer.alloc(64 * 1024, 65);
        let sent = 0;
        const pump = (): void => {
          while (sent < size) {
            const n = Math.min(chunk.length, size - sent);
            sent += n;
            if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      default:
        res.writeHead(500);
        res.end('boom');
    }
  }));
});
afterAll(async () => {
  await closeServer(server);
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-dl-'));
  storage = new RunStorage(new LocalStorage(join(dir, 'storage')), {
    tenant: 'main',
    namespace: 'company.team',
    flowId: 'download',
    executionId: 'E',
    taskId: 'extract',
    taskRunId: 'R',
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spec(path: string, extra: Partial<DownloadSpec> = {}): DownloadSpec {
  return {
    uri: `${origin}${path}`,
    method: 'GET',
    headers: {},
    followRedirects: true,
    readIdleTimeoutMs: 10_000,
    failOnEmptyResponse: true,
    allowFailed: false,
    signal: new AbortController().signal,
    ...extra,
  };
}

const logs: string[] = [];
const log = (level: string, message: string): void => void logs.push(`${level} ${message}`);

test('a CSV is stored under the task run with the extension of the URL (DownloadTest.run)', async () => {
  const r = await downloadToStorage(storage, fetch, spec('/orders.csv', { headers: { 'X-Token': 'abc' } }), log);
  expect(r.code).toBe(200);
  expect(r.length).toBe(32);
  expect(r.headers['content-type']).toEqual(['text/csv']);
  expect(r.uri).toMatch(/^kestra:\/\/\/company\/team\/download\/executions\/E\/tasks\/extract\/R\/\w+\.csv$/);
  expect((await storage.readFile(r.uri)).toString()).toBe('order_id,total\n1,166.89\n2,78.45\n');
  expect(seen.at(-1)?.headers['x-token']).toBe('abc');
});

test('Content-Disposition names the file, without any folder part (DownloadTest.contentDisposition)', async () => {
  const r = await downloadToStorage(storage, fetch, spec('/named'), log);
  expect(r.uri.endsWith('/my+report.csv')).toBe(true);
  expect(filenameFromContentDisposition("attachment; filename*=UTF-8''na%C3%AFve.txt")).toBe('naïve.txt');
});

test('redirects are followed by default', async () => {
  const r = await downloadToStorage(storage, fetch, spec('/redirect'), log);
  expect((await storage.readFile(r.uri)).toString()).toContain('order_id');
});

test('a failed status fails the task with the status and body (DownloadTest.failed); allowFailed keeps it', async () => {
  await expect(downloadToStorage(storage, fetch, spec('/missing'), log)).rejects.toThrow(
    "Failed http request with response code '404' and body:\nnot here",
  );
  const r = await downloadToStorage(storage, fetch, spec('/missing', { allowFailed: true }), log);
  expect(r.code).toBe(404);
});

test('an empty body fails unless failOnEmptyResponse is false (DownloadTest.noResponse)', async () => {
  await expect(downloadToStorage(storage, fetch, spec('/empty'), log)).rejects.toThrow(/No response from server/);
  const r = await downloadToStorage(storage, fetch, spec('/empty', { failOnEmptyResponse: false }), log);
  expect(r.length).toBe(0);
  expect(logs.some((l) => l.startsWith('WARN') && l.includes('is empty'))).toBe(true);
});

test('a body over maxSize fails and leaves no file, with or without Content-Length', async () => {
  await expect(downloadToStorage(storage, fetch, spec('/big?size=300000', { maxBytes: 100_000 }), log)).rejects.toMatchObject({
    code: 'DOWNLOAD_TOO_LARGE',
  });
  await expect(downloadToStorage(storage, fetch, spec('/big?size=300000&chunked=1', { maxBytes: 100_000 }), log)).rejects.toMatchObject({
    code: 'DOWNLOAD_TOO_LARGE',
    message: expect.stringContaining('nothing was kept'),
  });
  expect(await storage.storage.list('main', storage.contextPrefix)).toEqual([]);
  const ok = await downloadToStorage(storage, fetch, spec('/big?size=300000&chunked=1', { maxBytes: 300_000 }), log);
  expect(ok.length).toBe(300_000);
});

test('an unreachable server fails with the reason', async () => {
  const closed = await listen();
  await closeServer(closed.server);
  await expect(downloadToStorage(storage, fetch, { ...spec('/'), uri: `${closed.origin}/x` }, log)).rejects.toThrow(
    `Failed http request to ${closed.origin}/x: ECONNREFUSED`,
  );
});
