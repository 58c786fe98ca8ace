/**
 * The engine integration: `credential()` / `secret()` as extension functions, tenant/namespace
 * scoping of credentials, testCredential and listCredentials, rendered through the real engine.
 */
import { loadConfig } from '../../src/config/index.js';
import type { PebbleflowConfig } from '../../src/config/index.js';
import { CredentialError, createCredentialSupport } from '../../src/credentials/index.js';
import type { CredentialSupport } from '../../src/credentials/index.js';
import { createEngine } from '../../src/index.js';
import { callContext, callFunction } from '../support/call-context.js';
import { captureError } from '../support/leaks.js';
import { startOAuthServer } from '../support/oauth-server.js';
import type { OAuthServer } from '../support/oauth-server.js';

let server: OAuthServer;
let support: CredentialSupport;
let config: PebbleflowConfig;
beforeAll(async () => {
  server = await startOAuthServer();
  const cc = (scopes: string[]) => ({
    type: 'OAUTH2',
    authConfigType: 'CLIENT_CREDENTIALS',
    tokenEndpoint: server.tokenEndpoint,
    clientId: server.clients.basic.id,
    clientSecret: { secret: 'BASIC' },
    scopes,
  });
  config = loadConfig({
    tenant: 'main',
    secrets: [
      { type: 'memory', values: { BASIC: server.clients.basic.secret } },
      { type: 'memory', tenant: 'acme-secret-tenant', values: { BASIC: server.clients.basic.secret } },
    ],
    credentials: [
      { id: 'api', description: 'tenant-level', ...cc(['api:read']) },
      { id: 'api', namespace: 'company', ...cc(['api:write']) },
      { id: 'api', namespace: 'company.team', ...cc(['api:read', 'api:write']) },
      { id: 'team_only', namespace: 'company.team', ...cc(['api:read']) },
      { id: 'acme_only', tenant: 'acme-secret-tenant', ...cc(['api:read']) },
    ],
  });
  support = createCredentialSupport({ config, env: {} });
});
afterAll(async () => {
  support.close?.();
  await server.close();
});
beforeEach(() => server.reset());

const scopeOf = (namespace?: string) => server.tokenRequests().at(-1)?.params.scope ?? namespace ?? '';

describe('credential scoping', () => {
  test('the most specific level wins: namespace, then its parents, then the tenant', async () => {
    expect(await support.testCredential('api', { namespace: 'company.team.sub' })).toMatchObject({ scope: 'api:read api:write' });
    expect(scopeOf()).toBe('api:read api:write');
    await support.testCredential('api', { namespace: 'company.team' });
    expect(scopeOf()).toBe('api:read api:write');
    await support.testCredential('api', { namespace: 'company.other' });
    expect(scopeOf()).toBe('api:write');
    await support.testCredential('api', { namespace: 'companyx' });
    expect(scopeOf()).toBe('api:read');
    await support.testCredential('api');
    expect(scopeOf()).toBe('api:read');
  });

  test('never into a sibling namespace or across tenants; the error reveals nothing of them and nothing is requested', async () => {
    const sibling = (await captureError(support.testCredential('team_only', { namespace: 'company.other' }))) as CredentialError;
    expect(sibling).toMatchObject({
      code: 'CREDENTIAL_NOT_FOUND',
      credentialId: 'team_only',
      message: "Credential 'team_only' is not found in this scope (namespace 'company.other' of tenant 'main').",
    });
    const parent = (await captureError(support.testCredential('team_only', { namespace: 'company' }))) as CredentialError;
    expect(parent.code).toBe('CREDENTIAL_NOT_FOUND');
    const otherTenant = (await captureError(support.testCredential('acme_only'))) as CredentialError;
    expect(otherTenant.message).toBe("Credential 'acme_only' is not found in this scope (tenant 'main').");
    const fromAcme = (await captureError(
      support.testCredential('team_only', { tenant: 'acme-secret-tenant', namespace: 'company.team' }),
    )) as CredentialError;
    expect(fromAcme.code).toBe('CREDENTIAL_NOT_FOUND');
    for (const error of [sibling, parent, otherTenant]) expect(JSON.stringify(error) + error.message).not.toContain('acme-secret-tenant');
    expect(server.tokenRequests()).toHaveLength(0);
    expect(await support.testCredential('acme_only', { tenant: 'acme-secret-tenant' })).toMatchObject({ ok: true });
  });

  test('listCredentials lists every definition with its level and no secret', () => {
    const list = support.listCredentials();
    expect(list).toHaveLength(5);
    expect(list[0]).toEqual({
      id: 'api',
      type: 'OAUTH2',
      authConfigType: 'CLIENT_CREDENTIALS',
      tenant: 'main',
      description: 'tenant-level',
    });
    expect(list[2]).toEqual({ id: 'api', type: 'OAUTH2', authConfigType: 'CLIENT_CREDENTIALS', tenant: 'main', namespace: 'company.team' });
    expect(JSON.stringify(list)).not.toContain(server.clients.basic.secret);
  });
});

describe('credential() function', () => {
  test('is prefetchable, returns the token only, marks it sensitive, and answers synchronously from a warm cache', async () => {
    const definition = support.extension.functions?.credential;
    expect(definition).toMatchObject({ prefetch: true, argNames: ['id'] });
    const ctx = callContext({ namespace: 'company.team' });
    const cold = await callFunction(support.extension, 'credential', ['api'], ctx);
    expect(typeof cold).toBe('string');
    expect(cold).toBe(server.tokenRequests()[0]?.issuedToken);
    const warm = definition?.call({ id: 'api' }, ctx);
    expect(warm).toBe(cold);
    expect(ctx.sensitive).toEqual([cold, cold]);
    expect(server.tokenRequests()).toHaveLength(1);
  });

  test('testCredential bypasses the cache: it always mints, and never returns or stores the token', async () => {
    const ctx = callContext({ namespace: 'company' });
    const token = await callFunction(support.extension, 'credential', ['api'], ctx);
    const result = await support.testCredential('api', { namespace: 'company' });
    expect(JSON.stringify(result)).not.toContain(String(token));
    expect(server.tokenRequests()).toHaveLength(2);
    expect(await callFunction(support.extension, 'credential', ['api'], ctx)).toBe(token);
    expect(server.tokenRequests()).toHaveLength(2);
  });

  test('refuses a non-string id with a typed error', async () => {
    await expect(callFunction(support.extension, 'credential', [12], callContext())).rejects.toBeInstanceOf(CredentialError);
  });
});

describe('through the engine', () => {
  test("renders {{ credential('api') }} in the render's scope and reports the token as sensitive", async () => {
    const engine = createEngine({ config, env: {} });
    const sensitive: string[] = [];
    const out = await engine.render(
      "Bearer {{ credential('api') }}",
      {},
      { tenant: 'main', namespace: 'company.team', onSensitiveValue: (v) => sensitive.push(v) },
    );
    const issued = server.tokenRequests()[0]?.issuedToken;
    expect(out).toBe(`Bearer ${issued}`);
    expect(sensitive).toContain(issued);
    expect(server.tokenRequests()[0]?.params.scope).toBe('api:read api:write');
  });

  test('a missing credential fails the render with a message naming it', async () => {
    const engine = createEngine({ config, env: {} });
    const error = await captureError(engine.render("{{ credential('nope') }}", {}, { tenant: 'main' }));
    expect(String((error as Error).message)).toContain("Credential 'nope' is not found in this scope (tenant 'main').");
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(CredentialError);
  });
});
