/**
 * `pebbleflow server`: Kestra's REST API over the flows of a folder, with the executions, logs and
 * trigger states kept under `.pebbleflow/` (embedded mode) or in Redis with the executions run by
 * `pebbleflow worker` processes on BullMQ (`redisUrl`). Listens on 127.0.0.1 unless told
 * otherwise, and refuses any other address without basic-auth credentials in the config.
 *
 * Extension points (the web UI builds on these): `router` takes more routes, `mountStatic` serves
 * a folder under a prefix on the same port behind the same auth, `EventStream` (http/sse.ts)
 * streams server-sent events, and `events` carries every execution change and log line.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import type { StorageDirs } from '../runner/runner.js';
import type { FlowEngine } from '../runner/types.js';
import { registerExecutionRoutes } from './api/executions-api.js';
import { registerFlowRoutes } from './api/flows-api.js';
import { registerKvRoutes } from './api/kv-api.js';
import { KVStore } from '../kv/kv-store.js';
import { LocalStorage } from '../storage/local-storage.js';
import type { ApiContext } from './api/context.js';
import { EmbeddedQueue } from './executions/embedded-queue.js';
import { ExecutionEvents } from './executions/events.js';
import { ExecutionProcessor } from './executions/processor.js';
import type { ExecutionQueue } from './executions/queue.js';
import type { SecretBox } from './executions/secret-inputs.js';
import { ExecutionService, jobOf, retryJobOf } from './executions/service.js';
import { withState, type StoredExecution } from './executions/model.js';
import { FlowRepository } from './flows/flow-repository.js';
import { AccessControl } from './http/access.js';
import { errorBody, HttpError } from './http/errors.js';
import { ApiRequest, STREAMED, writeReply, type RouteHandler } from './http/exchange.js';
import { Router } from './http/router.js';
import { staticFiles, type StaticOptions } from './http/static-files.js';
import { lockDataFolder } from './store/data-lock.js';
import { FileExecutionStore } from './store/file-store.js';
import type { ExecutionStore } from './store/types.js';
import { processRuntime, ServerStartError } from './runtime.js';
import { EmbeddedScheduler } from './triggers/embedded-scheduler.js';
import { mountWebUi } from './ui/web-ui.js';
import { TriggerEngine, type ScheduleBackend } from './triggers/trigger-engine.js';

export interface ServerOptions {
  /** The flows folder (the source of truth). */
  readonly flowsDir: string;
  /** Where executions, logs, trigger states and revisions are kept (default `./.pebbleflow`). */
  readonly dataDir?: string;
  readonly host?: string;
  /** 0 picks a free port. Default 8080. */
  readonly port?: number;
  /** The project config (object or path). */
  readonly config?: string | object;
  /** Scale-out: executions go to BullMQ on this Redis, run by `pebbleflow worker` processes. */
  readonly redisUrl?: string;
  /** Executions run at once in embedded mode (default 8). */
  readonly concurrency?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where operational messages go (default stderr). */
  readonly log?: (line: string) => void;
  /** Watch the flows folder (default true). */
  readonly watch?: boolean;
  /** How long running executions may take to finish at shutdown before they are handed back (default 30 s). */
  readonly graceMs?: number;
  /** Serve the web UI at `/ui/` (default true). */
  readonly ui?: boolean;
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|localhost|\[::1\])$/i;

export interface StartedMode {
  readonly store: ExecutionStore;
  readonly queue: ExecutionQueue;
  readonly schedules: ScheduleBackend;
  /** Connects the mode's event sources to the trigger engine and the event bus once everything exists. */
  start(triggers: TriggerEngine, executions: ExecutionService): Promise<void>;
  /** Called once the triggers are armed. */
  ready?(): Promise<void>;
  close(graceMs: number): Promise<void>;
}

export { ServerStartError };

export class PebbleflowServer {
  readonly router = new Router<RouteHandler>();
  readonly events = new ExecutionEvents();
  readonly tenant: string;
  readonly flows: FlowRepository;
  readonly executions: ExecutionService;
  readonly triggers: TriggerEngine;
  readonly store: ExecutionStore;
  readonly engine: FlowEngine;
  /** The KV store flows and the KV endpoints share (the config's `storage`, else `<data folder>/storage`). */
  readonly kv: KVStore;
  private readonly http: Server;
  private readonly access: AccessControl;
  private readonly mounts: ((req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>)[] = [];
  private readonly mode: StartedMode;
  private readonly log: (line: string) => void;
  private readonly graceMs: number;
  private readonly unlock: () => void;
  private address = '';
  private uiPrefix: string | undefined;

  private constructor(parts: {
    tenant: string;
    flows: FlowRepository;
    executions: ExecutionService;
    triggers: TriggerEngine;
    store: ExecutionStore;
    engine: FlowEngine;
    access: AccessControl;
    mode: StartedMode;
    log: (line: string) => void;
    graceMs: number;
    events: ExecutionEvents;
    unlock: () => void;
    kv: KVStore;
  }) {
    this.unlock = parts.unlock;
    this.kv = parts.kv;
    this.tenant = parts.tenant;
    this.flows = parts.flows;
    this.executions = parts.executions;
    this.triggers = parts.triggers;
    this.store = parts.store;
    this.engine = parts.engine;
    this.access = parts.access;
    this.mode = parts.mode;
    this.log = parts.log;
    this.graceMs = parts.graceMs;
    this.events = parts.events;
    this.http = createServer((req, res) => void this.handle(req, res));
    this.http.keepAliveTimeout = 65_000;
  }

  /** `http://host:port` once listening. */
  get url(): string {
    return this.address;
  }

  /** Serves a folder under `prefix` (e.g. the UI at `/ui/`), behind the same auth; `/` redirects to the first one mounted with `home`. */
  mountStatic(prefix: string, dir: string, options: StaticOptions & { home?: boolean } = {}): void {
    this.mounts.push(staticFiles(dir, prefix, options));
    if (options.home === true) this.uiPrefix ??= prefix;
  }

  static async start(options: ServerOptions): Promise<PebbleflowServer> {
    const env = options.env ?? process.env;
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const host = options.host ?? '127.0.0.1';
    const dataDir = resolve(options.dataDir ?? join(process.cwd(), '.pebbleflow'));
    // Without a config, the storage and KV store live in the data folder; with one, where it says (`storage`).
    const runtime = await processRuntime(options.config, env, join(dataDir, 'storage'));
    const { config, engine, secretBox, workerId, storage, registry } = runtime;
    const auth = config.server?.basicAuth;
    if (!LOOPBACK.test(host) && auth === undefined)
      throw new ServerStartError(
        'SERVER_NEEDS_CREDENTIALS',
        `Refusing to listen on ${host} without credentials: add server.basicAuth (username and a password secret) to the config, or listen on 127.0.0.1`,
      );
    const access = new AccessControl(
      auth === undefined || runtime.password === undefined ? undefined : { username: auth.username, password: runtime.password },
    );
    const tenant = config.tenant;
    // Embedded mode keeps its state in this process: one server per data folder.
    const unlock = options.redisUrl === undefined ? lockDataFolder(dataDir) : () => undefined;
    try {
      const events = new ExecutionEvents();
      const memorySecrets = new Map<string, Readonly<Record<string, string>>>();

      const flows = new FlowRepository({ dir: options.flowsDir, dataDir, tenant, log, registry });
      await flows.start({ watch: options.watch !== false });
      // Filled once the service exists: a Resume task resumes through it.
      const late: { service?: ExecutionService } = {};
      const mode: StartedMode =
        options.redisUrl === undefined
          ? embeddedMode({
              flows,
              resume: async (id, inputs) => {
                if ((await late.service?.resume(id, inputs)) === undefined) throw new Error(`Execution ${id} not found`);
              },
              tenant,
              dataDir,
              engine,
              storage,
              events,
              memorySecrets,
              workerId,
              log,
              ...(secretBox === undefined ? {} : { secretBox }),
              concurrency: options.concurrency ?? 8,
              env,
            })
          : await (await import('./redis/redis-mode.js')).redisMode({ tenant, redisUrl: options.redisUrl, events, log, workerId, flows });

      const executions = new ExecutionService({
        tenant,
        flows,
        store: mode.store,
        queue: mode.queue,
        events,
        engine,
        memorySecrets,
        storage: new LocalStorage(storage.dir),
        ...(secretBox === undefined ? {} : { secretBox }),
      });
      late.service = executions;
      const triggers = new TriggerEngine({
        tenant,
        flows,
        executions,
        store: mode.store,
        engine,
        schedules: mode.schedules,
        log,
        encryptionKey: secretBox?.outputKey,
      });
      if (mode.schedules instanceof EmbeddedScheduler)
        mode.schedules.setFire(
          (r, t, s, tick) => triggers.fireSchedule(r, t, s, tick),
          (r, t, s, tick) => triggers.scheduleNextDate(r, t, s, tick),
        );
      const server = new PebbleflowServer({
        tenant,
        flows,
        executions,
        triggers,
        store: mode.store,
        engine,
        access,
        mode,
        log,
        graceMs: options.graceMs ?? 30_000,
        events,
        unlock,
        kv: new KVStore(new LocalStorage(storage.dir)),
      });
      server.registerApi();
      if (options.ui !== false) mountWebUi(server, { config, env });
      await mode.start(triggers, executions);
      await triggers.start();
      await mode.ready?.();
      if (options.redisUrl === undefined) await server.resumeUnfinished();
      // Redis mode: BullMQ keeps the jobs; a retry whose delayed job was not queued yet is.
      else await server.resumeUnfinished({ retriesOnly: true });
      await new Promise<void>((ok, fail) => {
        server.http.once('error', fail);
        server.http.listen(options.port ?? 8080, host, () => {
          server.http.off('error', fail);
          ok();
        });
      });
      const address = server.http.address();
      const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8080);
      server.address = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
      return server;
    } catch (e) {
      unlock();
      throw e;
    }
  }

  private registerApi(): void {
    const ctx: ApiContext = {
      tenant: this.tenant,
      router: this.router,
      flows: this.flows,
      executions: this.executions,
      events: this.events,
      store: this.store,
      engine: this.engine,
      triggers: this.triggers,
      baseUrl: () => this.address,
    };
    registerFlowRoutes(ctx);
    registerExecutionRoutes(ctx);
    registerKvRoutes(ctx, this.kv);
  }

  /**
   * After a restart: every unfinished execution is queued again. One that never started runs; one
   * cut short mid-run continues where it stopped (finished task runs are reused, a task run left
   * RUNNING gets a new attempt); a paused one stays paused until resumed. A RETRIED one whose
   * `CREATE_NEW_EXECUTION` retry has not created its new execution yet queues that retry again.
   */
  private async resumeUnfinished(options: { retriesOnly?: boolean } = {}): Promise<void> {
    for (const execution of (await this.store.unfinished(this.tenant)) as StoredExecution[]) {
      if (execution.state.current === 'PAUSED') continue;
      if (options.retriesOnly === true && execution.delayedRetry === undefined) continue;
      const record = this.flows.get(execution.namespace, execution.flowId, { revision: execution.flowRevision, allowDeleted: true });
      if (execution.delayedRetry !== undefined) {
        // A RETRIED execution whose retry is due later (or was due while the server was down).
        const job = record === undefined ? undefined : retryJobOf(execution, record, this.executions.subflowsOf(record));
        if (job === undefined)
          this.log(`pebbleflow: flow ${execution.namespace}.${execution.flowId} is gone: execution ${execution.id} is not retried`);
        else await this.mode.queue.enqueue(job);
        continue;
      }
      if (record === undefined) {
        const failed: StoredExecution = { ...execution, state: withState(execution.state, 'FAILED') };
        await this.store.appendLogs(this.tenant, execution.id, [
          {
            tenantId: this.tenant,
            namespace: execution.namespace,
            flowId: execution.flowId,
            executionId: execution.id,
            timestamp: new Date().toISOString(),
            level: 'ERROR',
            message: `Revision ${execution.flowRevision} of flow ${execution.namespace}.${execution.flowId} is gone: the execution cannot continue`,
          },
        ]);
        await this.store.save(failed);
        this.events.emitExecution(failed);
        continue;
      }
      await this.mode.queue.enqueue(jobOf(execution, record, this.executions.subflowsOf(record)));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const pathname = url.pathname;
    try {
      res.setHeader('x-content-type-options', 'nosniff');
      if (!this.access.authenticate(req, pathname)) {
        writeReply(req, res, {
          status: 401,
          headers: { 'www-authenticate': 'Basic realm="pebbleflow", charset="UTF-8"' },
          body: errorBody(new HttpError(401, 'Unauthorized'), pathname),
        });
        return;
      }
      if (!AccessControl.sameOrigin(req, pathname))
        throw new HttpError(403, 'Forbidden: cross-origin requests cannot change anything here');
      if (pathname === '/ping') {
        writeReply(req, res, { status: 200, raw: 'pong', headers: { 'content-type': 'text/plain' } });
        return;
      }
      if (pathname === '/' && this.uiPrefix !== undefined) {
        writeReply(req, res, { status: 302, headers: { location: this.uiPrefix } });
        return;
      }
      for (const mount of this.mounts) if (await mount(req, res, pathname)) return;
      const found = this.router.find(req.method ?? 'GET', pathname);
      if (found.kind === 'none') throw new HttpError(404, 'Not Found');
      if (found.kind === 'method') throw new HttpError(405, 'Method Not Allowed', { headers: { allow: found.allowed.join(', ') } });
      const reply = await found.match.handler(new ApiRequest(req, url, found.match.params), res);
      if (reply !== STREAMED) writeReply(req, res, reply);
    } catch (e) {
      const error =
        e instanceof HttpError
          ? e
          : (() => {
              this.log(`pebbleflow: ${req.method} ${pathname}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
              return new HttpError(500, `Internal server error: ${e instanceof Error ? e.message : String(e)}`);
            })();
      if (res.headersSent) {
        res.end();
        return;
      }
      writeReply(req, res, { status: error.status, headers: error.headers, body: errorBody(error, pathname) });
    }
  }

  /** Stops accepting requests, lets running executions finish within the grace period, then closes. */
  async close(): Promise<void> {
    await new Promise<void>((ok) => {
      this.http.close(() => ok());
      this.http.closeAllConnections();
    });
    this.flows.stop();
    await this.triggers.stop();
    await this.mode.close(this.graceMs);
    this.unlock();
  }
}

function embeddedMode(o: {
  flows: FlowRepository;
  resume: (executionId: string, inputs: Readonly<Record<string, unknown>>) => Promise<void>;
  tenant: string;
  dataDir: string;
  engine: FlowEngine;
  storage: StorageDirs;
  events: ExecutionEvents;
  memorySecrets: Map<string, Readonly<Record<string, string>>>;
  workerId: string;
  log: (line: string) => void;
  secretBox?: SecretBox;
  concurrency: number;
  env: Readonly<Record<string, string | undefined>>;
}): StartedMode {
  const store = new FileExecutionStore(o.dataDir);
  let triggers: TriggerEngine | undefined;
  const processor = new ExecutionProcessor({
    store,
    registry: o.flows.registry,
    engine: o.engine,
    storage: o.storage,
    workerId: o.workerId,
    memorySecrets: o.memorySecrets,
    env: o.env,
    ...(o.secretBox === undefined ? {} : { secretBox: o.secretBox }),
    onExecution: (e) => o.events.emitExecution(e),
    onLog: (r) => o.events.emitLog(r),
    // Subflows run the flows of the folder; a Resume task resumes through the service.
    flows: () => ({
      find: (namespace, id, options) =>
        o.flows.get(namespace, id, options?.revision === undefined ? {} : { revision: options.revision })?.flow,
      namespaces: () => o.flows.namespaces(),
    }),
    resume: (_tenant, id, inputs) => o.resume(id, inputs),
    // A Toggle task: the trigger engine saves the state and arms or disarms the schedule.
    toggleTrigger: async (_tenant, request) => {
      if (triggers === undefined) throw new Error('The triggers are not started yet');
      return triggers.toggle(request);
    },
    // A CREATE_NEW_EXECUTION retry: a timer of the queue (the store keeps it across restarts).
    scheduleRetry: async (_job, retried) => {
      const record = o.flows.get(retried.namespace, retried.flowId, { revision: retried.flowRevision, allowDeleted: true });
      const job = record === undefined ? undefined : retryJobOf(retried, record);
      if (job === undefined)
        o.log(`pebbleflow: flow ${retried.namespace}.${retried.flowId} is gone: execution ${retried.id} is not retried`);
      else await queue.enqueue(job);
    },
  });
  const queue = new EmbeddedQueue(processor, { concurrency: o.concurrency });
  const schedules = new EmbeddedScheduler({ tenant: o.tenant, store, log: o.log });
  let unsubscribe: (() => void) | undefined;
  return {
    store,
    queue,
    schedules,
    async start(t, executions) {
      triggers = t;
      unsubscribe = o.events.onExecution((e) => {
        void triggers?.onExecution(e).catch((err: Error) => o.log(`pebbleflow: Flow triggers: ${err.message}`));
        // A subflow execution that ended continues the execution waiting for it.
        void executions.continueParent(e).catch((err: Error) => o.log(`pebbleflow: continuing the parent of ${e.id}: ${err.message}`));
      });
    },
    async close(graceMs) {
      unsubscribe?.();
      await queue.close(graceMs);
      await store.close();
    },
  };
}
