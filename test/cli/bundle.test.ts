/**
 * The built package (issue 13): bin/pebbleflow.js and package.json's exports load dist/bundle/, one
 * esbuild build of every entry point (tools/bundle.mjs). The other suites run the source; these run
 * the bundle itself, so a path that holds only in src/ or dist/, an export the bundle lost, or a
 * second copy of the library for plugins shows up here.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtCli, runJs } from '../support/cli.js';
import { startServer } from '../server/support/processes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundle = join(root, 'dist', 'bundle');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

const built = existsSync(join(bundle, 'cli.js'));
if (!built) {
  // npm install builds (prepare); without a build there is no bundle to check.
  if (process.env.CI === 'true') throw new Error(`CI=true but ${bundle} is missing: run npm run build`);
  console.warn(`SKIPPED: the bundle checks (${bundle} missing: run npm run build)`);
}
const maybe = built ? describe : describe.skip;

let dir: string;
/** A project folder where `import 'pebbleflow'` resolves to this package, as it does once installed. */
let project: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pf-bundle-'));
  project = join(dir, 'project');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(root, join(project, 'node_modules', 'pebbleflow'), 'dir');
  writeFileSync(
    join(project, 'hello.yaml'),
    'id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: Hello {{ flow.id }}\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

maybe('the bundle', () => {
  test('each export path resolves into dist/bundle/ and exports what the compiled module does', async () => {
    const probe = join(project, 'exports.mjs');
    writeFileSync(
      probe,
      `const out = {};
for (const [path, compiled] of [['pebbleflow', 'index.js'], ['pebbleflow/errors', 'errors/index.js'], ['pebbleflow/credentials', 'credentials/index.js'], ['pebbleflow/secrets', 'secrets/index.js'], ['pebbleflow/config', 'config/index.js']]) {
  out[path] = {
    url: import.meta.resolve(path),
    bundled: Object.keys(await import(path)).sort(),
    compiled: Object.keys(await import(${JSON.stringify(join(root, 'dist'))} + '/' + compiled)).sort(),
  };
}
console.log(JSON.stringify(out));`,
    );
    const r = await runJs(probe, [], { cwd: project });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, { url: string; bundled: string[]; compiled: string[] }>;
    expect(Object.keys(out)).toHaveLength(5);
    for (const [path, { url, bundled, compiled }] of Object.entries(out)) {
      expect([path, url.startsWith(new URL('dist/bundle/', `file://${root}`).href)]).toEqual([path, true]);
      expect(bundled.length).toBeGreaterThan(0);
      expect([path, bundled]).toEqual([path, compiled]);
    }
  });

  test('error classes keep their names (an error’s `name` is its class name, which a bundler may rename)', async () => {
    const probe = join(project, 'names.mjs');
    writeFileSync(
      probe,
      `import * as errors from 'pebbleflow/errors';
const wrong = Object.entries(errors).filter(([name, value]) => typeof value === 'function' && value.prototype instanceof Error && value.name !== name);
console.log(JSON.stringify({ classes: Object.values(errors).filter((v) => typeof v === 'function' && v.prototype instanceof Error).length, wrong: wrong.map(([n, v]) => n + ' is ' + v.name) }));`,
    );
    const r = await runJs(probe, [], { cwd: project });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { classes: number; wrong: string[] };
    expect(out.classes).toBeGreaterThan(10);
    expect(out.wrong).toEqual([]);
  });

  test('the CLI runs a flow, checks one with positions, and knows its version', async () => {
    const run = await builtCli(['run', 'hello.yaml'], { cwd: project });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Hello hello');
    expect(run.stdout).toContain('SUCCESS');

    writeFileSync(
      join(project, 'bad.yaml'),
      'id: bad\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    mesage: typo\n',
    );
    const bad = await builtCli(['validate', 'bad.yaml'], { cwd: project });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.yaml\n(.*\n)*\s+6:5\s+Unknown property `mesage`/);

    const v = await builtCli(['--version'], { cwd: project });
    expect(v.stdout.trim()).toBe(`pebbleflow ${version}`);
  });

  test('a plugin that imports pebbleflow gets the same library as the CLI that loaded it', async () => {
    // The render error comes from the CLI's engine; the plugin checks it with its own import.
    writeFileSync(
      join(project, 'probe-plugin.mjs'),
      `import { errors } from 'pebbleflow';
import { isPebbleflowError } from 'pebbleflow/errors';
export default {
  name: 'probe',
  tasks: [{
    type: 'io.example.Probe',
    properties: {},
    async run(ctx) {
      try { await ctx.render('{{ 1 + }}'); } catch (e) {
        return { outputs: { shared: isPebbleflowError(e) && e instanceof errors.TemplateError, code: e.code } };
      }
      return { outputs: { shared: 'no error' } };
    },
  }],
};`,
    );
    const folder = join(project, 'with-plugin');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'pebbleflow.yaml'), 'plugins:\n  - ../probe-plugin.mjs\n');
    writeFileSync(
      join(folder, 'flow.yaml'),
      'id: probe\nnamespace: company.team\ntasks:\n  - id: probe\n    type: io.example.Probe\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: "shared={{ outputs.probe.shared }} code={{ outputs.probe.code }}"\n',
    );
    const r = await builtCli(['run', 'flow.yaml'], { cwd: folder });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('shared=true code=PARSE_ERROR');
  });

  test('the server serves the web UI from the package’s ui/ folder', async () => {
    const flows = join(project, 'flows');
    mkdirSync(flows, { recursive: true });
    const server = await startServer([flows, '--port', '0', '--data-dir', join(project, 'data')], { cwd: project, built: true });
    try {
      const page = await fetch(new URL('/ui/', server.url));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(readFileSync(join(root, 'ui', 'index.html'), 'utf8').slice(0, 200));
    } finally {
      await server.stop();
    }
  });
});
