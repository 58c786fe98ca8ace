/**
 * The web UI (`/ui/`) on the server's port: the static pages from the package's `ui/` folder
 * (plain ES modules, no build step, nothing from a CDN) and the few endpoints the pages need that
 * Kestra's API has no equivalent for: the server's tenant, the credentials and secret keys of the
 * config, Test connection, and one stream of every execution change for the live list. All of it
 * sits behind the API's basic auth and Origin check (the server's `handle` applies them first).
 * Nothing here ever returns a secret value or a token.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PebbleflowConfig } from '../../config/types.js';
import { packagePath } from '../../package-files.js';
import { CredentialError } from '../../credentials/errors.js';
import { STATE_TYPES } from '../../runner/execution.js';
import type { FlowEngine } from '../../runner/types.js';
import type { ExecutionEvents } from '../executions/events.js';
import type { StoredExecution } from '../executions/model.js';
import { HttpError, notFound } from '../http/errors.js';
import { json, STREAMED, type ApiRequest, type RouteHandler } from '../http/exchange.js';
import type { Router } from '../http/router.js';
import { EventStream } from '../http/sse.js';
import type { StaticOptions } from '../http/static-files.js';

/** Where the pages live: `<package>/ui/`. */
export const UI_ASSETS = `${packagePath('ui')}/`;
export const UI_PREFIX = '/ui/';

/**
 * Headers on every page and asset: scripts, styles and connections from this origin only (no inline
 * script, so an injected string cannot run), no framing, no referrer leaving the page.
 */
export const UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** What the UI needs of a server (PebbleflowServer fits). */
export interface UiHost {
  readonly router: Router<RouteHandler>;
  readonly tenant: string;
  readonly events: ExecutionEvents;
  readonly engine: FlowEngine;
  mountStatic(prefix: string, dir: string, options?: StaticOptions & { home?: boolean }): void;
}

/** pebbleflow's engine answers these; another FlowEngine has no credentials to show. */
interface CredentialTester {
  testCredential(
    id: string,
    scope?: { tenant?: string; namespace?: string },
  ): Promise<{ tokenType: string; expiresAt: Date | null; scope: string | null }>;
}

function testerOf(engine: FlowEngine): CredentialTester | undefined {
  const candidate = engine as Partial<CredentialTester>;
  return typeof candidate.testCredential === 'function' ? (candidate as CredentialTester) : undefined;
}

export interface CredentialView {
  readonly id: string;
  readonly type: string;
  /** OAuth 2 grant (`CLIENT_CREDENTIALS`, `JWT_BEARER`, `PRIVATE_KEY_JWT`), or `GITHUB_APP`'s installation token. */
  readonly grant: string;
  readonly tenant: string;
  readonly namespace?: string;
  readonly description?: string;
  /** Where tokens come from (not a secret: a URL the config names). */
  readonly endpoint: string;
  /** The secret keys the credential reads (the keys, never the values). */
  readonly secretKeys: readonly string[];
}

export interface SecretProviderView {
  readonly provider: string;
  readonly tenant: string;
  readonly namespace?: string;
  /** The keys this provider holds (env: the `SECRET_*` variable suffixes; file: the file names). */
  readonly keys: readonly string[];
}

export function credentialViews(config: PebbleflowConfig): CredentialView[] {
  return config.credentials.map((c) => ({
    id: c.id,
    type: c.type,
    grant: c.type === 'OAUTH2' ? c.authConfigType : 'INSTALLATION_TOKEN',
    tenant: c.tenant,
    ...(c.namespace === undefined ? {} : { namespace: c.namespace }),
    ...(c.description === undefined ? {} : { description: c.description }),
    endpoint: c.type === 'OAUTH2' ? c.tokenEndpoint : c.apiUrl,
    secretKeys: c.type === 'OAUTH2' && c.authConfigType === 'CLIENT_CREDENTIALS' ? [c.clientSecret.secret] : [c.privateKey.secret],
  }));
}

/** Each provider of the config with the keys it holds, listed without reading a single value. */
export async function secretProviderViews(
  config: PebbleflowConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SecretProviderView[]> {
  const out: SecretProviderView[] = [];
  for (const p of config.secrets) {
    let keys: string[];
    switch (p.type) {
      case 'env':
        keys = Object.keys(env)
          .filter((k) => k.startsWith('SECRET_') && k.length > 7 && env[k] !== undefined)
          .map((k) => k.slice(7));
        break;
      case 'file':
        keys = await fileKeys(p.dir);
        break;
      case 'memory':
        keys = Object.keys(p.values);
        break;
      case 'instance':
        // An embedder's provider object cannot list its keys: show the provider, not its contents.
        keys = [];
        break;
    }
    out.push({
      provider: p.type,
      tenant: p.tenant,
      ...(p.namespace === undefined ? {} : { namespace: p.namespace }),
      keys: keys.sort(),
    });
  }
  return out;
}

/**
 * The keys a file provider can answer: key-like names of regular files, symbolic links to files
 * included (Kubernetes mounts each secret as `KEY -> ..data/KEY`).
 */
async function fileKeys(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const keys: string[] = [];
  for (const e of entries) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(e.name)) continue;
    if (e.isFile() || (e.isSymbolicLink() && (await stat(join(dir, e.name)).catch(() => undefined))?.isFile() === true)) keys.push(e.name);
  }
  return keys;
}

/** Test connection's answer: what the token is, never the token; or why it was refused. */
export type ConnectionTest =
  | { readonly ok: true; readonly tokenType: string; readonly expiresAt: string | null; readonly scope: string | null; readonly ms: number }
  | {
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly oauthError?: string;
      readonly errorDescription?: string;
      readonly status?: number;
      readonly ms: number;
    };

export async function testConnection(
  tester: CredentialTester,
  id: string,
  scope: { tenant: string; namespace?: string },
): Promise<ConnectionTest> {
  const started = Date.now();
  try {
    const r = await tester.testCredential(id, scope);
    return { ok: true, tokenType: r.tokenType, expiresAt: r.expiresAt?.toISOString() ?? null, scope: r.scope, ms: Date.now() - started };
  } catch (e) {
    if (e instanceof CredentialError && e.code === 'CREDENTIAL_NOT_FOUND') throw notFound(e.message);
    const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'ERROR';
    // CredentialError and SecretError texts are redacted at the source; nothing else is passed on.
    const message = e instanceof CredentialError || code.startsWith('SECRET_') ? (e as Error).message : 'The token request failed';
    return {
      ok: false,
      code,
      message,
      ...(e instanceof CredentialError && e.oauthError !== undefined ? { oauthError: e.oauthError } : {}),
      ...(e instanceof CredentialError && e.errorDescription !== undefined ? { errorDescription: e.errorDescription } : {}),
      ...(e instanceof CredentialError && e.status !== undefined ? { status: e.status } : {}),
      ms: Date.now() - started,
    };
  }
}

/** One line of the executions list: what it shows, without task runs, inputs or outputs. */
export function executionSummary(e: StoredExecution): Record<string, unknown> {
  return {
    id: e.id,
    namespace: e.namespace,
    flowId: e.flowId,
    flowRevision: e.flowRevision,
    state: e.state,
    ...(e.trigger === undefined ? {} : { trigger: { id: e.trigger.id, type: e.trigger.type } }),
    labels: e.labels,
  };
}

/** Serves the UI under `/ui/` (`/` redirects there) and adds its endpoints to the router. */
export function mountWebUi(host: UiHost, options: { config: PebbleflowConfig; env: Readonly<Record<string, string | undefined>> }): void {
  const { router, tenant, events } = host;
  const { config, env } = options;
  host.mountStatic(UI_PREFIX, UI_ASSETS, { spaFallback: true, home: true, headers: UI_HEADERS });
  const api = '/api/v1/{tenant}/pebbleflow/ui';
  const checkTenant = (req: ApiRequest): void => {
    if (req.param('tenant') !== tenant) throw new HttpError(404, `Not Found: tenant '${req.param('tenant')}' is not served here`);
  };

  // Kestra's UI reads `/api/v1/configs` first; here it says which tenant the pages use and the
  // execution states the filters offer (the server's own list, so the two never differ).
  router.add('GET', '/api/v1/configs', async () =>
    json({ tenant, isBasicAuthEnabled: config.server?.basicAuth !== undefined, edition: 'pebbleflow', states: STATE_TYPES }),
  );

  router.add('GET', `${api}/credentials`, async (req) => {
    checkTenant(req);
    return json({ credentials: credentialViews(config), secrets: await secretProviderViews(config, env) });
  });

  router.add('POST', `${api}/credentials/{id}/test`, async (req) => {
    checkTenant(req);
    const tester = testerOf(host.engine);
    if (tester === undefined) throw new HttpError(501, 'Not Implemented: this server has no credential support');
    const namespace = req.query.get('namespace');
    return json(
      await testConnection(tester, req.param('id'), { tenant, ...(namespace === null || namespace === '' ? {} : { namespace }) }),
    );
  });

  // Every execution change, as list lines: the executions view stays current without polling.
  router.add('GET', `${api}/executions/follow`, async (req, res) => {
    checkTenant(req);
    const stream = new EventStream(req.raw, res);
    const off = events.onExecution((e) => stream.send({ id: 'progress', data: executionSummary(e) }));
    stream.onClose(off);
    stream.comment('following');
    return STREAMED;
  });
}
