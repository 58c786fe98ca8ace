/**
 * Credential benchmarks (issue 3):
 * - warm cache: rendering `{{ credential('x') }}` costs less than 2 µs more than `{{ x }}`;
 * - cold cache: 10 000 concurrent renders make exactly one token request (and how long they take).
 *
 * A local token endpoint on 127.0.0.1 answers the client_credentials requests, so nothing leaves
 * the machine. `npx tsx bench/credentials.ts` runs it alone and prints the numbers as JSON.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface CredentialBenchResult {
  /** Median extra time per render of `{{ credential('x') }}` over `{{ x }}`, warm cache, in µs. */
  warmCacheOverheadMicros: number;
  coldConcurrentRenders: number;
  /** Token requests the cold renders made (1 expected). */
  coldTokenRequests: number;
  coldWallMs: number;
}

interface BenchEngine {
  render(template: string, context?: Record<string, unknown>, scope?: { tenant?: string; namespace?: string }): Promise<string>;
}
type CreateEngine = (options: {
  config: Record<string, unknown>;
  fetch?: typeof fetch;
  env?: Record<string, string | undefined>;
}) => BenchEngine;

const COLD_RENDERS = 10_000;
const WARM_ITERATIONS = 100_000;
const WARM_ROUNDS = 7;

export async function benchCredentials(createEngineImpl?: CreateEngine): Promise<CredentialBenchResult> {
  const createEngine = createEngineImpl ?? ((await import('../src/index.js')) as unknown as { createEngine: CreateEngine }).createEngine;
  let tokenRequests = 0;
  const server = createServer((req, res) => {
    tokenRequests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `bench-token-${tokenRequests}`, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = {
    secrets: [{ type: 'memory', values: { BENCH_SECRET: 'bench-client-secret' } }],
    credentials: [
      {
        id: 'x',
        type: 'OAUTH2',
        authConfigType: 'CLIENT_CREDENTIALS',
        tokenEndpoint: `http://127.0.0.1:${port}/token`,
        clientId: 'bench',
        clientSecret: { secret: 'BENCH_SECRET' },
      },
    ],
  };
  const scope = { tenant: 'main', namespace: 'company.team' };
  try {
    // Warm first (before the cold run leaves 10 000 promises to collect): token cached; compare with rendering the same string from the context.
    const engine = createEngine({ config, env: {} });
    const token = await engine.render("{{ credential('x') }}", {}, scope);
    const context = { x: token };
    // One loop per template: a shared loop would make the render call site polymorphic and
    // charge that harness artefact to whichever template runs second.
    const timeCredential = async (): Promise<number> => {
      const t0 = performance.now();
      for (let i = 0; i < WARM_ITERATIONS; i++) await engine.render("{{ credential('x') }}", {}, scope);
      return ((performance.now() - t0) * 1000) / WARM_ITERATIONS;
    };
    const timePlain = async (): Promise<number> => {
      const t0 = performance.now();
      for (let i = 0; i < WARM_ITERATIONS; i++) await engine.render('{{ x }}', context, scope);
      return ((performance.now() - t0) * 1000) / WARM_ITERATIONS;
    };
    // Warm-up for the JIT, then interleaved rounds so drift hits both sides alike.
    await timeCredential();
    await timePlain();
    const differences: number[] = [];
    for (let round = 0; round < WARM_ROUNDS; round++) {
      const withCredential = await timeCredential();
      const plain = await timePlain();
      differences.push(withCredential - plain);
    }
    differences.sort((a, b) => a - b);
    const median = differences[Math.floor(differences.length / 2)] ?? Number.NaN;
    const warmTokenRequests = tokenRequests;

    // Cold: a fresh engine (empty cache), every render at once.
    const cold = createEngine({ config, env: {} });
    const started = performance.now();
    const outputs = await Promise.all(Array.from({ length: COLD_RENDERS }, () => cold.render("{{ credential('x') }}", {}, scope)));
    const coldWallMs = performance.now() - started;
    const coldTokenRequests = tokenRequests - warmTokenRequests;
    if (new Set(outputs).size !== 1) throw new Error('cold renders returned different tokens');

    return {
      warmCacheOverheadMicros: Math.round(median * 1000) / 1000,
      coldConcurrentRenders: COLD_RENDERS,
      coldTokenRequests,
      coldWallMs: Math.round(coldWallMs * 10) / 10,
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchCredentials(), null, 2));
}
