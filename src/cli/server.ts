/**
 * `pebbleflow server [FLOWS_DIR]` and `pebbleflow worker --redis URL`. The server's first stdout
 * line is exactly `pebbleflow server listening on http://HOST:PORT`; everything else goes to
 * stderr. SIGTERM and SIGINT stop taking work, let running executions finish within the grace
 * period, then exit.
 */
import { resolve } from 'node:path';
import { configPath } from './shared.js';
import { EXIT_OK, flag, parse, str, UsageError, type CliIO } from './io.js';

function intOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(command, `--${name} expects a whole number from ${min} to ${max}, got \`${value}\``);
  return Number(value);
}

/** Resolves when SIGTERM or SIGINT arrives (a second one exits at once). */
function untilSignal(io: CliIO): Promise<NodeJS.Signals> {
  return new Promise((ok) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const force = (): void => {
        io.stderr.write('pebbleflow: second signal, exiting now\n');
        process.exit(130);
      };
      process.once('SIGTERM', force);
      process.once('SIGINT', force);
      ok(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export async function serverCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('server', args, {
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    config: { type: 'string', short: 'c' },
    redis: { type: 'string' },
    concurrency: { type: 'string' },
    'data-dir': { type: 'string' },
    grace: { type: 'string' },
  });
  if (flag(parsed, 'help')) return -1;
  if (parsed.positionals.length > 1) throw new UsageError('server', `one flows folder at a time, got ${parsed.positionals.join(' ')}`);
  const port = intOption('server', 'port', str(parsed, 'port'), 0, 65535) ?? 8080;
  const concurrency = intOption('server', 'concurrency', str(parsed, 'concurrency'), 1, 10_000);
  const graceSeconds = intOption('server', 'grace', str(parsed, 'grace'), 0, 86_400);
  const redis = str(parsed, 'redis');
  if (redis !== undefined && !/^rediss?:\/\//.test(redis))
    throw new UsageError('server', `--redis expects a redis:// or rediss:// URL, got \`${redis}\``);
  const config = configPath(io, str(parsed, 'config'));
  const { PebbleflowServer } = await import('../server/server.js');
  const dataDir = str(parsed, 'data-dir');
  const server = await PebbleflowServer.start({
    flowsDir: resolve(io.cwd, parsed.positionals[0] ?? '.'),
    dataDir: resolve(io.cwd, dataDir ?? '.pebbleflow'),
    host: str(parsed, 'host') ?? '127.0.0.1',
    port,
    env: io.env,
    log: (line) => io.stderr.write(`${line}\n`),
    ...(config === undefined ? {} : { config }),
    ...(redis === undefined ? {} : { redisUrl: redis }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(graceSeconds === undefined ? {} : { graceMs: graceSeconds * 1000 }),
  });
  io.stdout.write(`pebbleflow server listening on ${server.url}\n`);
  const signal = await untilSignal(io);
  io.stderr.write(`pebbleflow: ${signal}: stopping (running executions get the grace period to finish)\n`);
  await server.close();
  return EXIT_OK;
}

export async function workerCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('worker', args, {
    redis: { type: 'string' },
    config: { type: 'string', short: 'c' },
    concurrency: { type: 'string' },
    grace: { type: 'string' },
    'lock-duration': { type: 'string' },
  });
  if (flag(parsed, 'help')) return -1;
  if (parsed.positionals.length > 0) throw new UsageError('worker', `takes no arguments, got ${parsed.positionals.join(' ')}`);
  const redis = str(parsed, 'redis');
  if (redis === undefined) throw new UsageError('worker', 'missing --redis URL (the Redis the server queues executions on)');
  if (!/^rediss?:\/\//.test(redis)) throw new UsageError('worker', `--redis expects a redis:// or rediss:// URL, got \`${redis}\``);
  const concurrency = intOption('worker', 'concurrency', str(parsed, 'concurrency'), 1, 10_000) ?? 8;
  const graceSeconds = intOption('worker', 'grace', str(parsed, 'grace'), 0, 86_400) ?? 30;
  const lockSeconds = intOption('worker', 'lock-duration', str(parsed, 'lock-duration'), 1, 3600) ?? 10;
  const config = configPath(io, str(parsed, 'config'));
  const { startWorker } = await import('../server/redis/worker.js');
  const worker = await startWorker({
    redisUrl: redis,
    concurrency,
    graceMs: graceSeconds * 1000,
    lockDurationMs: lockSeconds * 1000,
    env: io.env,
    log: (line) => io.stderr.write(`${line}\n`),
    ...(config === undefined ? {} : { config }),
  });
  io.stdout.write(`pebbleflow worker ${worker.id} ready (concurrency ${concurrency}) on ${worker.queueName}\n`);
  const signal = await untilSignal(io);
  io.stderr.write(`pebbleflow worker: ${signal}: no new executions; running ones get ${graceSeconds} s to finish, then are handed back\n`);
  await worker.close();
  return EXIT_OK;
}
