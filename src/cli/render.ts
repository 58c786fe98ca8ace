/** `pebbleflow render 'TEMPLATE'`: evaluates a template in a flow-like context, masked. */
import { newId, runVariables, createFlowEngine } from '../runner/runner.js';
import { Masker } from '../runner/masking.js';
import { EXIT_FAILED, EXIT_OK, flag, parse, str, UsageError, type CliIO } from './io.js';
import { configPath, readJsonObject } from './shared.js';

export async function renderCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse('render', args, {
    context: { type: 'string' },
    namespace: { type: 'string', short: 'n' },
    tenant: { type: 'string', short: 't' },
    config: { type: 'string', short: 'c' },
  });
  const positionals = parsed.positionals;
  if (flag(parsed, 'help')) return -1;
  if (positionals.length === 0) throw new UsageError('render', "missing the template (pebbleflow render '{{ 1 + 1 }}')");
  if (positionals.length > 1) throw new UsageError('render', 'one template at a time: quote it as a single argument');
  const contextFile = str(parsed, 'context');
  const extra = contextFile === undefined ? {} : readJsonObject(io, 'render', '--context', contextFile);
  const config = configPath(io, str(parsed, 'config'));
  const setup = await createFlowEngine({
    env: io.env,
    ...(config === undefined ? {} : { config }),
    ...(str(parsed, 'tenant') === undefined ? {} : { tenant: str(parsed, 'tenant') }),
  });
  const namespace = str(parsed, 'namespace') ?? 'company.team';
  const masker = new Masker();
  const executionId = newId();
  const context = {
    flow: { id: 'render', namespace, tenantId: setup.tenant },
    execution: { id: executionId, startDate: new Date().toISOString(), originalId: executionId },
    ...runVariables(setup.engine, { env: io.env }),
    vars: {},
    labels: {},
    inputs: {},
    outputs: {},
    ...extra,
  };
  try {
    const out = await setup.engine.render(positionals[0]!, context, {
      tenant: setup.tenant,
      namespace,
      onSensitiveValue: (v) => masker.add(v),
    });
    io.stdout.write(`${masker.mask(out)}\n`);
    return EXIT_OK;
  } catch (e) {
    const frame =
      typeof (e as { formatFrame?: unknown }).formatFrame === 'function'
        ? (e as { formatFrame(): string }).formatFrame()
        : (e as Error).message;
    const [first, ...rest] = masker.mask(frame).split('\n');
    io.stderr.write(`${io.err.red('error')} ${first}\n${rest.map((l) => `${io.err.dim(l)}\n`).join('')}`);
    return EXIT_FAILED;
  }
}
