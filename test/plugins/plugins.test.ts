/**
 * The public plugin interface: a package of task modules listed in the config, loaded at start by
 * the CLI and the runner — tested with the example plugin under examples/plugin-checksum, by path
 * and by package name, and with broken plugins for each error code.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load-config.js';
import { checkFlow, parseFlow } from '../../src/flow/loader.js';
import { PluginError, pluginRegistry } from '../../src/plugins/load-plugins.js';
import { runFlow } from '../../src/runner/runner.js';
import { importOptional } from '../../src/tasks/optional.js';
import { defaultTaskRegistry } from '../../src/tasks/registry.js';
import { defineTask } from '../../src/tasks/definition.js';
import { TaskError } from '../../src/tasks/types.js';
import { cli } from '../support/cli.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/plugin-checksum/', import.meta.url));
const FLOW = readFileSync(join(EXAMPLE, 'flow.yaml'), 'utf8');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-plugins-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A project folder with a config listing `plugins` and the example flow. */
function project(name: string, plugins: readonly string[], extra = ''): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'pebbleflow.yaml'), `plugins:\n${plugins.map((p) => `  - ${JSON.stringify(p)}\n`).join('')}${extra}`);
  writeFileSync(join(folder, 'flow.yaml'), FLOW);
  return folder;
}

/** A plugin module file whose source is `source`. */
function pluginFile(name: string, source: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source);
  return file;
}

describe('the example plugin (examples/plugin-checksum)', () => {
  test('pebbleflow run loads it from a path relative to the config and runs its task types', async () => {
    const folder = project('by-path', [EXAMPLE]);
    const r = await cli(['run', 'flow.yaml', '-i', 'text=pebble'], { cwd: folder });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`sha256 of pebble: ${sha256('pebble')}`);
    expect(r.stdout).toMatch(/✔ verify SUCCESS/);
  });

  test('pebbleflow run finds it as an installed package (node_modules beside the config, or above)', async () => {
    const folder = project('by-name/app', ['pebbleflow-plugin-checksum']);
    mkdirSync(join(dir, 'by-name', 'node_modules'), { recursive: true });
    symlinkSync(EXAMPLE, join(dir, 'by-name', 'node_modules', 'pebbleflow-plugin-checksum'), 'dir');
    const r = await cli(['run', 'flow.yaml', '--json'], { cwd: folder });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { state: string; outputs: Record<string, Record<string, unknown>> };
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.hash).toEqual({ hash: sha256('hello'), algorithm: 'sha256' });
    expect(report.outputs.verify).toEqual({ matches: true });
  });

  test('pebbleflow validate reads flows with the config’s plugins, and refuses their types without them', async () => {
    const folder = project('validate', [EXAMPLE]);
    const ok = await cli(['validate', 'flow.yaml'], { cwd: folder });
    expect(ok.stdout).toContain('✓ company.team / checksum');
    expect(ok.code).toBe(0);
    const without = await cli(['validate', join(folder, 'flow.yaml')], { cwd: dir });
    expect(without.code).toBe(1);
    expect(without.stdout).toContain('com.example.checksum.Hash');
  });

  test('pebbleflow plugins lists the plugin with its version, file and task types (aliases too)', async () => {
    const folder = project('list', [EXAMPLE]);
    const r = await cli(['plugins', '--json'], { cwd: folder });
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout) as {
      groups: { name: string; kind: string; version?: string; types: { type: string; aliases: string[] }[] }[];
    };
    const plugin = listed.groups.find((g) => g.kind === 'plugin');
    expect(plugin).toMatchObject({ name: 'checksum', version: '1.0.0' });
    expect(plugin?.types).toEqual([
      { type: 'com.example.checksum.Hash', aliases: ['com.example.checksum.Digest'] },
      { type: 'com.example.checksum.Verify', aliases: [] },
    ]);
    expect(listed.groups[0]).toMatchObject({ name: 'core', kind: 'core' });
    const text = await cli(['plugins'], { cwd: folder });
    expect(text.stdout).toContain('checksum 1.0.0 (plugin, 2 types)');
    expect(text.stdout).toContain('com.example.checksum.Hash  (also com.example.checksum.Digest)');
  });

  test('through the API: pluginRegistry for the loader, and runFlow loads the config’s plugins itself', async () => {
    const config = { secrets: [], plugins: [EXAMPLE] };
    const { registry, plugins } = await pluginRegistry(config);
    expect(plugins.map((p) => p.name)).toEqual(['checksum']);
    // The default registry is left as it was: plugins go into a copy.
    expect(defaultTaskRegistry.resolve('com.example.checksum.Hash')).toBeUndefined();
    expect(
      checkFlow(FLOW)
        .problems.map((p) => p.message)
        .join('\n'),
    ).toContain('com.example.checksum.Hash');
    const flow = parseFlow(FLOW, { registry });
    const report = await runFlow(flow, { config, env: {}, inputs: { text: 'x' } });
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.hash).toEqual({ hash: sha256('x'), algorithm: 'sha256' });
  });

  test('a task of the plugin fails as any task does (Verify with the wrong hash)', async () => {
    const { registry } = await pluginRegistry({ secrets: [], plugins: [EXAMPLE] });
    const flow = parseFlow(
      'id: v\nnamespace: company.team\ntasks:\n  - id: verify\n    type: com.example.checksum.Verify\n    content: a\n    expected: "00"\n',
      { registry },
    );
    const report = await runFlow(flow, { registry, env: {} });
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns[0]?.error).toBe("The content's sha256 is not the expected one");
  });
});

describe('plugin errors', () => {
  const load = (plugins: string[]) => pluginRegistry({ secrets: [], plugins });

  test('PLUGIN_NOT_FOUND: a path with nothing there, a package that is not installed (with the npm command)', async () => {
    await expect(load(['./nowhere'])).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND', plugin: './nowhere' });
    const missing = load(['pebbleflow-plugin-does-not-exist']);
    await expect(missing).rejects.toBeInstanceOf(PluginError);
    await expect(missing).rejects.toThrow(/not installed \(run `npm install pebbleflow-plugin-does-not-exist` in /);
  });

  test('PLUGIN_INVALID: a module without task types, or with something that is not one', async () => {
    await expect(load([pluginFile('empty', 'export const x = 1;\n')])).rejects.toMatchObject({ code: 'PLUGIN_INVALID' });
    await expect(load([pluginFile('empty', 'export const x = 1;\n')])).rejects.toThrow(
      /exports no task types: export default definePlugin/,
    );
    await expect(load([pluginFile('bad-task', 'export const tasks = [{ type: "com.example.X" }];\n')])).rejects.toThrow(
      /tasks\[0\] is not a task type/,
    );
    await expect(
      load([pluginFile('bad-name', 'export const tasks = [{ type: "nodots", properties: {}, run: async () => {} }];\n')]),
    ).rejects.toMatchObject({ code: 'PLUGIN_INVALID', message: expect.stringContaining('Invalid task type name `nodots`') });
  });

  test('PLUGIN_CONFLICT: a type that core (or an earlier plugin) already has', async () => {
    const clash = pluginFile(
      'clash',
      'export default { tasks: [{ type: "io.kestra.plugin.core.log.Log", properties: {}, run: async () => {} }] };\n',
    );
    await expect(load([clash])).rejects.toMatchObject({ code: 'PLUGIN_CONFLICT' });
    await expect(load([EXAMPLE, EXAMPLE])).rejects.toThrow(/com\.example\.checksum\.Hash` is already registered/);
  });

  test('PLUGIN_LOAD_FAILED: the module throws on import; the CLI says so and exits 2 before running anything', async () => {
    const broken = pluginFile('broken', 'throw new Error("plugin exploded");\n');
    await expect(load([broken])).rejects.toMatchObject({ code: 'PLUGIN_LOAD_FAILED', message: expect.stringContaining('plugin exploded') });
    const folder = project('broken', [broken]);
    const r = await cli(['run', 'flow.yaml'], { cwd: folder });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('plugin exploded');
    expect(r.stdout).toBe('');
  });

  test('the config checks plugins is a list of names or paths', () => {
    expect(() => loadConfig({ plugins: 'pebbleflow-plugin-checksum' })).toThrow(ConfigError);
    expect(() => loadConfig({ plugins: [''] })).toThrow(/plugins\[0\]/);
    expect(loadConfig({ plugins: ['a', './b'] }).plugins.map((p) => p.specifier)).toEqual(['a', './b']);
  });
});

describe('optional weight', () => {
  test('importOptional names the missing package and how to install it', async () => {
    const failure = importOptional('pebbleflow-driver-not-installed', 'com.example.db.Query');
    await expect(failure).rejects.toBeInstanceOf(TaskError);
    await expect(failure).rejects.toMatchObject({
      code: 'DEPENDENCY_MISSING',
      message:
        'com.example.db.Query needs the npm package `pebbleflow-driver-not-installed`, which is not installed: run `npm install pebbleflow-driver-not-installed` next to pebbleflow',
    });
    await expect(importOptional<{ join: unknown }>('node:path', 'x')).resolves.toHaveProperty('join');
  });

  test('a task whose driver is missing fails with that message, not a loader stack', async () => {
    const registry = defaultTaskRegistry.clone().register(
      defineTask({
        type: 'com.example.db.Query',
        properties: {},
        async run() {
          await importOptional('pebbleflow-driver-not-installed', 'com.example.db.Query');
        },
      }),
    );
    const flow = parseFlow('id: q\nnamespace: n\ntasks:\n  - id: q\n    type: com.example.db.Query\n', { registry });
    const report = await runFlow(flow, { registry, env: {} });
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns[0]?.error).toContain('needs the npm package `pebbleflow-driver-not-installed`, which is not installed');
  });

  test('the config’s url is Kestra’s kestra.url variable', async () => {
    const report = await runFlow(
      parseFlow('id: u\nnamespace: n\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.debug.Return\n    format: "{{ kestra.url }}"\n'),
      { config: { secrets: [], url: 'http://localhost:8080/' }, env: {} },
    );
    expect(report.outputs.l).toEqual({ value: 'http://localhost:8080' });
  });
});
