import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunFlowOptions, RunReport } from '../../src/runner/types.js';
import { LocalStorage } from '../../src/storage/local-storage.js';
import { parseStorageUri } from '../../src/storage/uri.js';
import { runYaml, taskStates } from '../support/flows.js';
import { startServer, type TestServer } from '../support/http.js';

/** The task states of a run, by task id. */
export { startServer, taskStates as states, type TestServer };

/** A temporary project folder: storage, namespace files, and a flow runner bound to them. */
export interface Project {
  readonly dir: string;
  readonly storageDir: string;
  run(yaml: string, options?: RunFlowOptions): Promise<RunReport>;
  read(uri: string, tenant?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function project(options: { config?: Record<string, unknown> } = {}): Promise<Project> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-flows-'));
  const storageDir = join(dir, 'storage');
  return {
    dir,
    storageDir,
    run: (yaml, runOptions = {}) =>
      runYaml(yaml, {
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
        config: { secrets: [{ type: 'env' }], ...options.config },
        storage: storageDir,
        cwd: dir,
        ...runOptions,
      }),
    read: async (uri, tenant = 'main') => (await new LocalStorage(storageDir).read(tenant, parseStorageUri(uri))).toString('utf8'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export function logsOf(report: RunReport, taskId?: string): string[] {
  return report.logs.filter((l) => taskId === undefined || l.taskId === taskId).map((l) => `${l.level} ${l.message}`);
}

/** A loopback file server: `/orders.csv`, `/products.json`, `/slow`… */
export const ORDERS_CSV =
  'order_id,customer_name,customer_email,product_id,price,quantity,total\n1,Kelly Olsen,jenniferschneider@example.com,20,166.89,1,166.89\n2,Miguel Dougherty,a@example.com,14,171.74,2,343.48\n3,Jane,b@example.com,9,78.45,3,235.35\n';

export async function fileServer(): Promise<TestServer> {
  return startServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.endsWith('/orders.csv')) {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(ORDERS_CSV);
    } else if (url.pathname.endsWith('/products.json')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":1,"name":"Apple","price":1.5}\n{"id":2,"name":"Pear","price":2.0}\n');
    } else if (url.pathname.endsWith('/big')) {
      res.writeHead(200);
      res.end(Buffer.alloc(Number(url.searchParams.get('size') ?? '1000'), 97));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
}
