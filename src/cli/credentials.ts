/** `pebbleflow credentials list|test`: what the config defines, and "Test connection" (never the token). */
import { createFlowEngine } from '../runner/runner.js';
import { EXIT_FAILED, EXIT_OK, flag, parse, str, UsageError, type CliIO } from './io.js';
import { configPath } from './shared.js';

function describeExpiry(expiresAt: Date | null): string {
  if (expiresAt === null) return 'no expiry given';
  const seconds = Math.round((expiresAt.getTime() - Date.now()) / 1000);
  const inText =
    seconds >= 2 * 86_400 ? `${Math.round(seconds / 86_400)} days` : seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`;
  return `expires ${expiresAt.toISOString()} (in ${inText})`;
}

export async function credentialsCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('credentials', args, {
    namespace: { type: 'string', short: 'n' },
    tenant: { type: 'string', short: 't' },
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
  });
  const positionals = parsed.positionals;
  if (flag(parsed, 'help')) return -1;
  const [action, ...rest] = positionals;
  if (action === undefined) throw new UsageError('credentials', 'missing the action: list or test');
  if (action !== 'list' && action !== 'test') throw new UsageError('credentials', `unknown action \`${action}\`: expected list or test`);
  const config = configPath(io, str(parsed, 'config'));
  if (config === undefined) throw new UsageError('credentials', 'no pebbleflow.yaml in this folder: pass --config FILE');
  const setup = await createFlowEngine({
    config,
    env: io.env,
    ...(str(parsed, 'tenant') === undefined ? {} : { tenant: str(parsed, 'tenant') }),
  });
  const s = io.out;

  if (action === 'list') {
    if (rest.length > 0) throw new UsageError('credentials', `list takes no arguments, got ${rest.join(' ')}`);
    const list = setup.listCredentials();
    if (flag(parsed, 'json')) {
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return EXIT_OK;
    }
    if (list.length === 0) {
      io.stdout.write(`No credentials in ${config}\n`);
      return EXIT_OK;
    }
    const rows = list.map((c) => [
      c.id,
      c.authConfigType === undefined ? c.type : `${c.type}/${c.authConfigType}`,
      c.namespace === undefined ? `tenant ${c.tenant}` : `${c.tenant} / ${c.namespace}`,
      c.description ?? '',
    ]);
    const header = ['ID', 'TYPE', 'SCOPE', 'DESCRIPTION'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    io.stdout.write(`${s.bold(line(header))}\n${rows.map((r) => line(r)).join('\n')}\n`);
    return EXIT_OK;
  }

  if (rest.length !== 1)
    throw new UsageError(
      'credentials',
      rest.length === 0 ? 'missing the credential id (pebbleflow credentials test ID)' : 'one credential id at a time',
    );
  const id = rest[0]!;
  const scope = { tenant: setup.tenant, ...(str(parsed, 'namespace') === undefined ? {} : { namespace: str(parsed, 'namespace') }) };
  const started = Date.now();
  try {
    const result = await setup.testCredential(id, scope);
    if (flag(parsed, 'json')) {
      io.stdout.write(
        `${JSON.stringify({ id, ok: true, tokenType: result.tokenType, expiresAt: result.expiresAt?.toISOString() ?? null, scope: result.scope }, null, 2)}\n`,
      );
    } else {
      io.stdout.write(`${s.green('✓')} ${s.bold(id)}: token minted in ${Date.now() - started} ms\n`);
      io.stdout.write(
        `    type    ${result.tokenType}\n    expiry  ${describeExpiry(result.expiresAt)}\n    scope   ${result.scope ?? s.dim('(none returned)')}\n`,
      );
    }
    return EXIT_OK;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (flag(parsed, 'json'))
      io.stdout.write(`${JSON.stringify({ id, ok: false, error: message, code: (e as { code?: unknown }).code ?? null }, null, 2)}\n`);
    else io.stdout.write(`${s.red('✘')} ${s.bold(id)}: ${message}\n`);
    return EXIT_FAILED;
  }
}
