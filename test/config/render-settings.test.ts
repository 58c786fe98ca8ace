import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { configJsonSchema } from '../../src/config/schema.js';
import { createEngine } from '../../src/pebbleflow-engine.js';
import { TemplateError } from '../../src/engine/errors.js';
import { cli } from '../support/cli.js';
import { messages, runYaml, taskStates } from '../support/flows.js';
import { thrownBy } from '../support/leaks.js';

// `renderLimits:` in pebbleflow.yaml: the engine budgets (issue 9) set per project, for the CLI,
// the server and embedders alike; limits given in code win over the config's.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pebbleflow-limits-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NESTED_LOOPS = '{% for i in range(1, 100) %}{% for j in range(1, 100) %}.{% endfor %}{% endfor %}';

describe('renderLimits in the config', () => {
  test('are read, frozen, and absent when not set', () => {
    const config = loadConfig({ renderLimits: { maxSteps: 500, maxRenderTime: 250 } });
    expect(config.renderLimits).toEqual({ maxSteps: 500, maxRenderTime: 250 });
    expect(Object.isFrozen(config.renderLimits)).toBe(true);
    expect(loadConfig({}).renderLimits).toBeUndefined();
  });

  test('a bad limit is refused with its path, line and column, and what is expected', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'tenant: main\nrenderLimits:\n  maxSteps: -1\n  maxStep: 10\n');
    const error = thrownBy(() => loadConfig(path), ConfigError);
    expect(error.code).toBe('CONFIG_INVALID');
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i]));
    expect(byPath['renderLimits.maxSteps']).toMatchObject({ line: 3, column: 13, expected: 'a number >= 0' });
    expect(byPath['renderLimits.maxStep']).toMatchObject({ line: 4, column: 3 });
    expect(error.message).toContain('maxSteps');
    expect(thrownBy(() => loadConfig({ renderLimits: { maxSteps: 'many' } }), ConfigError).path).toBe('renderLimits.maxSteps');
  });

  test('bound every render of an engine made from the config; limits given in code win', () => {
    const limited = createEngine({ config: { renderLimits: { maxSteps: 1000 } } });
    const error = thrownBy(() => limited.renderSync(NESTED_LOOPS, {}), TemplateError);
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(createEngine({ config: { renderLimits: { maxSteps: 1000 } }, maxSteps: 1_000_000 }).renderSync(NESTED_LOOPS, {})).toHaveLength(
      100 * 100,
    );
    expect(createEngine().renderSync(NESTED_LOOPS, {})).toHaveLength(100 * 100);
  });

  test('bound the renders of a flow run', async () => {
    const flow = `id: limited
namespace: company.team
tasks:
  - id: small
    type: io.kestra.plugin.core.log.Log
    message: "{{ range(1, 10) | length }}"
  - id: big
    type: io.kestra.plugin.core.log.Log
    message: "${NESTED_LOOPS}"
`;
    const report = await runYaml(flow, { config: { secrets: [], renderLimits: { maxSteps: 1000 } } });
    expect(taskStates(report)).toEqual({ small: 'SUCCESS', big: 'FAILED' });
    expect(messages(report).join('\n')).toMatch(/big ERROR .*1000/);
    const unlimited = await runYaml(flow, { config: { secrets: [] } });
    expect(unlimited.state).toBe('SUCCESS');
  });

  test('bound `pebbleflow render -c`', async () => {
    const path = join(dir, 'pebbleflow.yaml');
    writeFileSync(path, 'secrets: []\nrenderLimits:\n  maxSteps: 1000\n');
    const limited = await cli(['render', NESTED_LOOPS, '-c', path]);
    expect(limited.code).not.toBe(0);
    expect(limited.stderr).toContain('more than 1000 evaluation steps (loop iterations and calls) (limit maxSteps)');
    const free = await cli(['render', '{{ 6 * 7 }}', '-c', path]);
    expect(free.stdout.trim()).toBe('42');
  }, 60_000);

  test('are in the editor schema with their defaults', () => {
    const schema = configJsonSchema() as { properties: Record<string, { properties: Record<string, { description: string }> }> };
    expect(schema.properties['renderLimits']?.properties['maxSteps']?.description).toContain('default 10000000');
  });
});

// `locale:` in pebbleflow.yaml: Kestra renders with the JVM's default locale; here the config sets it.
describe('locale in the config', () => {
  const DATE =
    "{{ '2024-03-01T13:00:00Z' | date('EEEE d MMMM yyyy', timeZone='UTC') }} {{ 1234.5 | numberFormat('#,##0.0') }} {{ locale }}";

  test('is the locale of every render of an engine made from the config; a render scope still wins', async () => {
    expect(createEngine().renderSync(DATE, {})).toBe('Friday 1 March 2024 1,234.5 en_US');
    const french = createEngine({ config: { locale: 'fr_FR' } });
    expect(french.renderSync(DATE, {})).toBe('vendredi 1 mars 2024 1\u202f234,5 fr_FR');
    expect(await french.render(DATE, {})).toBe('vendredi 1 mars 2024 1\u202f234,5 fr_FR');
    expect(french.renderSync(DATE, {}, { locale: 'de_DE' })).toBe('Freitag 1 März 2024 1.234,5 de_DE');
  });

  test('is the locale of a flow run', async () => {
    const flow = `id: localized
namespace: company.team
tasks:
  - id: day
    type: io.kestra.plugin.core.debug.Return
    format: "{{ '2024-03-01T13:00:00Z' | date('EEEE', timeZone='UTC') }}"
`;
    const report = await runYaml(flow, { config: { secrets: [], locale: 'de' } });
    expect(report.taskRuns.find((t) => t.taskId === 'day')?.outputs).toEqual({ value: 'Freitag' });
  });

  test('a locale Java cannot read is refused with its line and column', () => {
    const path = join(dir, 'bad-locale.yaml');
    writeFileSync(path, 'secrets: []\nlocale: FR\n');
    const error = thrownBy(() => loadConfig(path), ConfigError);
    expect(error.issues[0]).toMatchObject({ path: 'locale', line: 2, column: 9, expected: 'a Java locale such as en_US or fr_FR' });
    expect(thrownBy(() => createEngine({ locale: 'x#y' }), TemplateError).message).toContain('Invalid locale format: x#y');
  });
});

// `variables:` in pebbleflow.yaml: Kestra's kestra.variables.globals and env-vars-prefix.
describe('variables in the config', () => {
  const GLOBALS = { string: 'string', int: 1, bool: true, nested: { int: 2 } };

  test('are read and checked; absent when not set', () => {
    expect(loadConfig({ variables: { globals: GLOBALS, envVarsPrefix: 'KESTRA_' } }).variables).toEqual({
      globals: GLOBALS,
      envVarsPrefix: 'KESTRA_',
    });
    expect(loadConfig({}).variables).toBeUndefined();
    const path = join(dir, 'bad-variables.yaml');
    writeFileSync(path, 'secrets: []\nvariables:\n  globals: [1]\n  prefix: X_\n');
    const error = thrownBy(() => loadConfig(path), ConfigError);
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['variables.globals', 'variables.prefix']));
  });

  // core/src/test/java/io/kestra/plugin/core/flow/VariablesTest.java#recursiveVars, with the globals of
  // core/src/test/resources/application-test.yml and 0.21's KESTRA_ prefix.
  test("VariablesTest.recursiveVars: a run sees the config's globals, and envs under its prefix", async () => {
    const { runOne } = await import('../support/kestra-flows.js');
    const { report } = await runOne(
      'variables.yaml',
      {},
      {
        config: { secrets: [], variables: { globals: GLOBALS, envVarsPrefix: 'KESTRA_' } },
        env: { KESTRA_TEST1: 'true', KESTRA_TEST2: 'Pass by env', ENV_TEST1: 'not this one' },
      },
    );
    expect(report.taskRuns).toHaveLength(3);
    const value = (id: string): unknown => report.taskRuns.find((t) => t.taskId === id)?.outputs?.['value'];
    expect(value('variable')).toBe('1 > 2 > 3');
    expect(value('env')).toBe('true Pass by env');
    expect(value('global')).toBe('string 1 true 2');
  });

  test('the default prefix is ENV_, and `pebbleflow render` sees the same variables', async () => {
    const config = join(dir, 'variables.yaml');
    writeFileSync(config, 'secrets: []\nvariables:\n  globals:\n    team: data\n');
    const r = await cli(['render', '{{ globals.team }} {{ envs.test1 }}', '--config', config], { cwd: dir, env: { ENV_TEST1: 'one' } });
    expect(r.stdout).toBe('data one\n');
  });
});
