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
