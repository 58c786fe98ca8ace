/**
 * `npm run demo [-- NAME]`: no internet needed. For each credential type it starts local servers
 * on 127.0.0.1 (a token endpoint or a GitHub API double, and a protected API), generates the key
 * or client secret into a temporary secrets folder, writes a pebbleflow.yaml whose credential
 * references it (`{ secret: NAME }`, file provider), and runs that type's flow through the real
 * CLI: the Request task authenticates with `{{ credential('…') }}` and the API's answer is logged.
 * Without NAME it runs the JWT Bearer (Google) demo; `all` runs every type.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/cli.js';
import { colourWanted, createStyle } from '../../src/cli/style.js';
import { DEMO_NAMES, DEMO_SUMMARIES, DEMOS, type DemoName } from './scenarios.js';

/** For the tests only: a file to write every secret and minted token to, so they can check none was printed. */
const SENSITIVE_OUT = process.env.PEBBLEFLOW_DEMO_SENSITIVE_OUT;

const usage = [
  'Usage: npm run demo [-- NAME]',
  '',
  'Runs a credential example offline, against local servers on 127.0.0.1. NAME is one of:',
  ...DEMO_NAMES.map((name) => `  ${name.padEnd(20)}${DEMO_SUMMARIES[name]}`),
  `  ${'all'.padEnd(20)}every one of the above, in this order`,
  '',
].join('\n');

function isDemoName(name: string): name is DemoName {
  return (DEMO_NAMES as readonly string[]).includes(name);
}

function chosenDemos(args: readonly string[]): readonly DemoName[] | 'help' | string {
  if (args.length === 0) return ['jwt-bearer'];
  if (args.length > 1) return `Expected one demo name, got ${args.length}: ${args.join(' ')}`;
  const [arg] = args as [string];
  if (arg === '--help' || arg === '-h') return 'help';
  if (arg === 'all') return DEMO_NAMES;
  if (isDemoName(arg)) return [arg];
  return `Unknown demo '${arg}'. Choose one of: ${[...DEMO_NAMES, 'all'].join(', ')} (see --help).`;
}

const style = createStyle(colourWanted(process.env, process.stdout.isTTY === true));
const errStyle = createStyle(colourWanted(process.env, process.stderr.isTTY === true));

/** Runs one demo in its own temporary folder; the exit code of `pebbleflow run`. */
async function runDemo(name: DemoName, sensitive: Record<string, string[]>): Promise<number> {
  const demo = await DEMOS[name]();
  const work = mkdtempSync(join(tmpdir(), 'pebbleflow-demo-'));
  try {
    const secretsDir = join(work, 'secrets');
    mkdirSync(secretsDir, { mode: 0o700 });
    // The file provider reads each file's raw content, so no trailing newline is added.
    for (const [secretName, value] of Object.entries(demo.secrets)) writeFileSync(join(secretsDir, secretName), value, { mode: 0o600 });
    const config = join(work, 'pebbleflow.yaml');
    writeFileSync(
      config,
      `tenant: main\nsecrets:\n  - type: file\n    dir: ${JSON.stringify(secretsDir)}\ncredentials:\n${demo.credentials}`,
    );
    process.stdout.write(
      [
        style.bold(demo.title),
        ...demo.describe(secretsDir),
        style.dim('  (the access token is masked wherever it could show: ******)'),
        '',
        '',
      ].join('\n'),
    );
    const flow = fileURLToPath(new URL(`./${demo.flowFile}`, import.meta.url));
    const inputs = Object.entries(demo.inputs).flatMap(([id, value]) => ['--input', `${id}=${value}`]);
    return await main(['run', flow, '--config', config, ...inputs], {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      cwd: process.cwd(),
      out: style,
      err: errStyle,
    });
  } finally {
    sensitive[name] = demo.sensitiveValues();
    await demo.close();
    rmSync(work, { recursive: true, force: true });
  }
}

const choice = chosenDemos(process.argv.slice(2));
if (choice === 'help') {
  process.stdout.write(usage);
} else if (typeof choice === 'string') {
  process.stderr.write(`${errStyle.red('✘')} ${choice}\n`);
  process.exitCode = 2;
} else {
  const sensitive: Record<string, string[]> = {};
  let code = 0;
  try {
    for (const [i, name] of choice.entries()) {
      if (i > 0) process.stdout.write('\n');
      const demoCode = await runDemo(name, sensitive);
      if (code === 0) code = demoCode;
    }
  } finally {
    if (SENSITIVE_OUT !== undefined) writeFileSync(SENSITIVE_OUT, JSON.stringify(sensitive), { mode: 0o600 });
  }
  process.exitCode = code;
}
