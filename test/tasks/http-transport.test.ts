/**
 * Request/Download `options.ssl` (insecureTrustAllCertificates), `options.proxy` (an HTTP proxy,
 * CONNECT for https, Basic proxy credentials; the older flat `options.proxyType`… and top-level
 * `sslOptions`) and Request's `encryptBody`, against real servers: an HTTPS server with a
 * certificate made for the test, and a proxy written here. Ported from Kestra's RequestTest
 * (selfSigned, selfSignedFailed, encrypted) and NoEncryptionConfiguredTest, plus proxy cases.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENCRYPTED_STRING_TYPE } from '../../src/runner/encrypted-outputs.js';
import { decryptWithKey } from '../../src/engine/builtins/kestra/encryption.js';
import { messages, runYaml } from '../support/flows.js';

let https: Server;
let httpsOrigin: string;
let plain: Server;
let plainOrigin: string;
let proxy: Server;
let proxyPort: number;
/** What the proxy saw: `CONNECT host:port` or `GET http://…`, with the Proxy-Authorization it got. */
const proxied: { line: string; auth: string | undefined }[] = [];
const PROXY_AUTH = `Basic ${Buffer.from('puser:p4ss-w0rd', 'utf8').toString('base64')}`;
let requireAuth = false;
/** Tunnel sockets (a server's closeAllConnections no longer sees them). */
const sockets = new Set<Socket>();

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

beforeAll(async () => {
  // A self-signed certificate for 127.0.0.1, made now (no key is committed).
  const dir = mkdtempSync(join(tmpdir(), 'pf-tls-'));
  execFileSync(
    '/usr/bin/openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]),
    { stdio: 'ignore' },
  );
  const key = readFileSync(join(dir, 'key.pem'));
  const cert = readFileSync(join(dir, 'cert.pem'));
  rmSync(dir, { recursive: true, force: true });
  const hello = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hello: 'world', path: req.url, via: req.headers['x-via'] ?? null }));
  };
  https = createHttpsServer({ key, cert }, hello);
  httpsOrigin = `https://127.0.0.1:${await listen(https)}`;
  plain = createHttpServer(hello);
  plainOrigin = `http://127.0.0.1:${await listen(plain)}`;

  // An HTTP proxy: absolute-URI requests forwarded, CONNECT tunnelled, credentials checked.
  proxy = createHttpServer((req, res) => {
    proxied.push({ line: `${req.method} ${req.url}`, auth: req.headers['proxy-authorization'] });
    if (requireAuth && req.headers['proxy-authorization'] !== PROXY_AUTH) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' });
      res.end('proxy auth needed');
      return;
    }
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers, 'x-via': 'test-proxy' };
    delete headers['proxy-authorization'];
    const upstream = httpRequest(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    proxied.push({ line: `CONNECT ${req.url}`, auth: req.headers['proxy-authorization'] });
    if (requireAuth && req.headers['proxy-authorization'] !== PROXY_AUTH) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    sockets.add(client);
    const [host, port] = (req.url ?? '').split(':');
    const server = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      server.write(head);
      server.pipe(client);
      client.pipe(server);
    });
    sockets.add(server);
    server.on('error', () => client.destroy());
    client.on('error', () => server.destroy());
  });
  proxyPort = await listen(proxy);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const s of [https, plain, proxy]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

beforeEach(() => {
  proxied.length = 0;
  requireAuth = false;
});

const flow = (task: string, after = ''): string => `id: http
namespace: company.team
tasks:
  - id: req
    type: io.kestra.plugin.core.http.Request
${task
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
${after}`;

const KEY = randomBytes(32).toString('base64');

describe('options.ssl', () => {
  test('a self-signed server fails clearly without insecureTrustAllCertificates (Kestra selfSignedFailed)', async () => {
    const report = await runYaml(flow(`uri: ${httpsOrigin}/hello\noptions: { allowFailed: true }`));
    expect(report.state).toBe('FAILED');
    const text = messages(report).join('\n');
    expect(text).toMatch(/self-signed certificate/);
    expect(text).toContain('insecureTrustAllCertificates');
  });

  test('insecureTrustAllCertificates: true accepts it, for that request only (Kestra selfSigned)', async () => {
    const report = await runYaml(flow(`uri: ${httpsOrigin}/hello\noptions: { ssl: { insecureTrustAllCertificates: true } }`));
    expect(report.state).toBe('SUCCESS');
    expect(JSON.parse(report.outputs.req!.body as string)).toMatchObject({ hello: 'world' });
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
    // The next request without the option checks the certificate again.
    expect((await runYaml(flow(`uri: ${httpsOrigin}/hello`))).state).toBe('FAILED');
  });

  test('insecureTrustAllCertificates: false still checks; the older top-level sslOptions works too', async () => {
    expect((await runYaml(flow(`uri: ${httpsOrigin}/hello\noptions: { ssl: { insecureTrustAllCertificates: false } }`))).state).toBe(
      'FAILED',
    );
    const report = await runYaml(flow(`uri: ${httpsOrigin}/hello\nsslOptions: { insecureTrustAllCertificates: "{{ true }}" }`));
    expect(report.state).toBe('SUCCESS');
  });

  test('Download takes it too', async () => {
    const yaml = `id: dl
namespace: company.team
tasks:
  - id: dl
    type: io.kestra.plugin.core.http.Download
    uri: ${httpsOrigin}/file.json
    options: { ssl: { insecureTrustAllCertificates: true } }
`;
    const report = await runYaml(yaml, { storage: mkdtempSync(join(tmpdir(), 'pf-dl-')) });
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.dl!.code).toBe(200);
    expect((await runYaml(yaml.replace(/\n {4}options:.*\n/, '\n'), { storage: mkdtempSync(join(tmpdir(), 'pf-dl-')) })).state).toBe(
      'FAILED',
    );
  });
});

describe('options.proxy', () => {
  test('http goes through the proxy as an absolute-URI request', async () => {
    const report = await runYaml(
      flow(`uri: ${plainOrigin}/hello?a=1\noptions: { proxy: { type: HTTP, address: 127.0.0.1, port: ${proxyPort} } }`),
    );
    expect(report.state).toBe('SUCCESS');
    expect(JSON.parse(report.outputs.req!.body as string)).toMatchObject({ via: 'test-proxy', path: '/hello?a=1' });
    expect(proxied).toEqual([{ line: `GET ${plainOrigin}/hello?a=1`, auth: undefined }]);
  });

  test('https goes through a CONNECT tunnel (with ssl options applied inside it)', async () => {
    const report = await runYaml(
      flow(
        `uri: ${httpsOrigin}/hello\noptions: { proxy: { type: HTTP, address: 127.0.0.1, port: ${proxyPort} }, ssl: { insecureTrustAllCertificates: true } }`,
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(JSON.parse(report.outputs.req!.body as string)).toMatchObject({ hello: 'world', via: null });
    expect(proxied.map((p) => p.line)).toEqual([`CONNECT ${httpsOrigin.slice('https://'.length)}`]);
    // Certificates are still checked through the tunnel.
    const checked = await runYaml(
      flow(`uri: ${httpsOrigin}/hello\noptions: { proxy: { type: HTTP, address: 127.0.0.1, port: ${proxyPort} } }`),
    );
    expect(checked.state).toBe('FAILED');
    expect(messages(checked).join('\n')).toContain('insecureTrustAllCertificates');
  });

  test('username/password are sent as Basic Proxy-Authorization and masked; without them the proxy refuses', async () => {
    requireAuth = true;
    const ok = await runYaml(
      flow(
        `uri: ${plainOrigin}/hello\noptions:\n  logs: [REQUEST_HEADERS]\n  proxy: { type: HTTP, address: 127.0.0.1, port: ${proxyPort}, username: puser, password: "{{ secret('PROXY_PASSWORD') }}" }`,
        `  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "pw {{ secret('PROXY_PASSWORD') }}"\n`,
      ),
      { env: { SECRET_PROXY_PASSWORD: Buffer.from('p4ss-w0rd').toString('base64') } },
    );
    expect(ok.state).toBe('SUCCESS');
    expect(proxied[0]!.auth).toBe(PROXY_AUTH);
    expect(JSON.stringify(ok)).not.toContain('p4ss-w0rd');
    const refused = await runYaml(
      flow(`uri: ${plainOrigin}/hello\noptions: { proxy: { type: HTTP, address: 127.0.0.1, port: ${proxyPort} } }`),
    );
    expect(refused.state).toBe('FAILED');
    expect(messages(refused).join('\n')).toContain('407');
    const tunnel = await runYaml(
      flow(
        `uri: ${httpsOrigin}/hello\noptions: { proxy: { type: HTTP, address: 127.0.0.1, port: ${proxyPort}, username: puser, password: wrong }, ssl: { insecureTrustAllCertificates: true } }`,
      ),
    );
    expect(tunnel.state).toBe('FAILED');
    expect(messages(tunnel).join('\n')).toContain('407');
    expect(JSON.stringify(tunnel)).not.toContain('wrong');
  });

  test("the older flat options (proxyType, proxyAddress, proxyPort…) as Kestra's HttpConfiguration still reads them", async () => {
    requireAuth = true;
    const report = await runYaml(
      flow(
        `uri: ${plainOrigin}/hello\noptions: { proxyType: HTTP, proxyAddress: 127.0.0.1, proxyPort: ${proxyPort}, proxyUsername: puser, proxyPassword: p4ss-w0rd }`,
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(proxied).toHaveLength(1);
  });

  test('DIRECT with an address, a missing port and SOCKS fail clearly; no address means no proxy', async () => {
    const direct = await runYaml(flow(`uri: ${plainOrigin}/hello\noptions: { proxy: { address: 127.0.0.1, port: ${proxyPort} } }`));
    expect(messages(direct).join('\n')).toContain('type DIRECT is not compatible with address');
    const noPort = await runYaml(flow(`uri: ${plainOrigin}/hello\noptions: { proxy: { type: HTTP, address: 127.0.0.1 } }`));
    expect(messages(noPort).join('\n')).toContain('needs a port');
    const socks = await runYaml(flow(`uri: ${plainOrigin}/hello\noptions: { proxy: { type: SOCKS, address: 127.0.0.1, port: 1080 } }`));
    expect(messages(socks).join('\n')).toContain('SOCKS proxies are not supported');
    const none = await runYaml(flow(`uri: ${plainOrigin}/hello\noptions: { proxy: { type: HTTP } }`));
    expect(none.state).toBe('SUCCESS');
    expect(proxied).toHaveLength(0);
  });

  test('an embedder fetch cannot take a proxy: the request fails rather than go around it', async () => {
    const report = await runYaml(
      flow(`uri: ${plainOrigin}/hello\noptions: { proxy: { type: HTTP, address: 127.0.0.1, port: ${proxyPort} } }`),
      {
        fetch: (url, init) => globalThis.fetch(url, init),
      },
    );
    expect(report.state).toBe('FAILED');
    expect(messages(report).join('\n')).toContain("pebbleflow's own HTTP client");
    expect(proxied).toHaveLength(0);
  });
});

describe('encryptBody', () => {
  const log = `  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "clear {{ outputs.req.encryptedBody }}"\n`;

  test('the body is output only encrypted, as Kestra EncryptedString; a downstream template reads it decrypted (Kestra encrypted)', async () => {
    const report = await runYaml(flow(`uri: ${plainOrigin}/hello\nencryptBody: true`, log), { encryptionKey: KEY });
    expect(report.state).toBe('SUCCESS');
    const out = report.outputs.req!;
    expect(out.body).toBeUndefined();
    const encrypted = out.encryptedBody as { type: string; value: string };
    expect(encrypted.type).toBe(ENCRYPTED_STRING_TYPE);
    expect(encrypted.value).not.toContain('world');
    // Kestra's format: Base64 of IV, ciphertext and tag under the Base64 key.
    expect(JSON.parse(decryptWithKey(KEY, encrypted.value))).toMatchObject({ hello: 'world' });
    expect(JSON.stringify(report.taskRuns.find((t) => t.taskId === 'req'))).not.toContain('world');
    expect(messages(report)).toContain(`log INFO clear ${JSON.stringify({ hello: 'world', path: '/hello', via: null })}`);
  });

  test("the key comes from the config's server.encryptionKey", async () => {
    const report = await runYaml(flow(`uri: ${plainOrigin}/hello\nencryptBody: "{{ true }}"`, log), {
      config: { secrets: [{ type: 'env' }], server: { encryptionKey: { secret: 'OUTPUT_KEY' } } },
      env: { SECRET_OUTPUT_KEY: Buffer.from(KEY).toString('base64') },
    });
    expect(report.state).toBe('SUCCESS');
    expect(JSON.stringify(report.outputs)).not.toContain('world');
    expect(messages(report).join('\n')).toContain('clear {"hello":"world"');
  });

  test('without a key (or with one Kestra could not use) the task fails and no body is kept in clear', async () => {
    const none = await runYaml(flow(`uri: ${plainOrigin}/hello\nencryptBody: true`, log));
    expect(none.state).toBe('FAILED');
    expect(messages(none).join('\n')).toContain('encryption is not configured: set server.encryptionKey');
    expect(JSON.stringify(none)).not.toContain('world');
    const bad = await runYaml(flow(`uri: ${plainOrigin}/hello\nencryptBody: true`), { encryptionKey: 'not a base64 aes key!' });
    expect(bad.state).toBe('FAILED');
    expect(messages(bad).join('\n')).toContain('Base64 AES key');
    // Without encryptBody the body is in `body`, as before.
    const clear = await runYaml(flow(`uri: ${plainOrigin}/hello`), { encryptionKey: KEY });
    expect(clear.outputs.req!.encryptedBody).toBeUndefined();
    expect(clear.outputs.req!.body).toContain('world');
  });
});
