/**
 * The `pebbleflow` command line. Commands are imported on demand so `--help` and `validate`
 * do not pay for the engine and the credential stack.
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../package-files.js';
import { HELP } from './help.js';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIO } from './io.js';
import { reportError } from './shared.js';

type Command = (args: readonly string[], io: CliIO) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  run: async () => (await import('./run.js')).runCommand,
  resume: async () => (await import('./run.js')).resumeCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  render: async () => (await import('./render.js')).renderCommand,
  credentials: async () => (await import('./credentials.js')).credentialsCommand,
  server: async () => (await import('./server.js')).serverCommand,
  worker: async () => (await import('./server.js')).workerCommand,
  plugins: async () => (await import('./plugins.js')).pluginsCommand,
  schema: async () => async (args, io) => {
    if (args.includes('--help') || args.includes('-h')) return -1;
    const config = args[0] === '--config';
    if (args.length > (config ? 1 : 0)) throw new UsageError('schema', `takes no arguments but --config, got ${args.join(' ')}`);
    const schema = config ? (await import('../config/schema.js')).configJsonSchema() : (await import('../flow/loader.js')).flowJsonSchema();
    io.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    return EXIT_OK;
  },
};

function version(): string {
  try {
    return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs one command line; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? args[0] : undefined;
    io.stdout.write(`${HELP[topic !== undefined && topic in HELP ? topic : 'main']}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`pebbleflow ${version()}\n`);
    return EXIT_OK;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    io.stderr.write(`${io.err.red('error')} unknown command \`${name}\`\n${io.err.dim("Run 'pebbleflow --help' for the commands.")}\n`);
    return EXIT_USAGE;
  }
  try {
    const code = await (await load())(args, io);
    if (code === -1) {
      io.stdout.write(`${HELP[name]}\n`);
      return EXIT_OK;
    }
    return code;
  } catch (e) {
    return reportError(io, e);
  }
}
