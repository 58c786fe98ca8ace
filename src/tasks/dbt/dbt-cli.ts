/**
 * `io.kestra.plugin.dbt.cli.DbtCLI` on the Process runner (kestra-io/plugin-dbt,
 * src/main/java/io/kestra/plugin/dbt/cli/DbtCLI.java, DbtLogConsumer.java, LogService.java,
 * ResultParser.java): `profiles` becomes `profiles.yml` in the working directory; each command that
 * starts with `dbt` gets `--project-dir`, `--log-format json` and `--log-path logs` unless it has them;
 * dbt's JSON log lines are logged as Kestra formats them (a `warn` line makes the task WARNING);
 * afterwards `target/manifest.json` and `target/run_results.json` are stored as output files, each
 * run result logged (`model.x => success in 0.12s`), and `storeManifest`/`loadManifest` keep the
 * manifest in the KV store.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringProp, type ScriptHooks } from '../../scripts/script-task.js';
import type { LogLevel } from '../../flow/schema.js';
import type { TaskRunContext } from '../definition.js';
import { runAsScriptTask, scriptHost } from '../scripts/scripts-run.js';
import { TaskError } from '../types.js';

const LOG_FORMATS = ['JSON', 'TEXT', 'DEBUG', 'NONE'] as const;
const DROPPED = [
  'category',
  'code',
  'invocation_id',
  'level',
  'log_version',
  'msg',
  'thread',
  'thread_name',
  'type',
  'name',
  'ts',
  'pid',
  'extra',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Java's `HashMap.toString`: `{k=v, k2=v2}`. */
function javaMap(map: Record<string, unknown>): string {
  return `{${Object.entries(map)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ')}}`;
}

/** LogService.parse: one dbt JSON log line as Kestra logs it; a line that is not JSON is logged at INFO, trimmed. */
export function dbtLogLine(line: string): { level: LogLevel; message: string; stats?: Record<string, unknown> } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { level: 'INFO', message: line.trim() };
  }
  if (!isRecord(json)) return { level: 'INFO', message: line.trim() };
  const info = isRecord(json['info']) ? json['info'] : undefined;
  const source = info ?? json;
  const level = source['level'];
  const additional: Record<string, unknown> = info === undefined ? {} : { ...info };
  for (const k of DROPPED) delete additional[k];
  const msg = source['msg'];
  const message = `[Date: ${String(source['ts'] ?? null)}] [Thread: ${String((info === undefined ? json['thread_name'] : info['thread']) ?? null)}] [Type: ${String((info === undefined ? json['type'] : info['name']) ?? null)}] ${typeof msg === 'string' ? `${msg} ` : ''}${Object.keys(additional).length > 0 ? javaMap(additional) : ''}`;
  const data = json['data'];
  const stats = isRecord(data) && isRecord(data['stats']) ? data['stats'] : undefined;
  const mapped: LogLevel = level === 'debug' ? 'DEBUG' : level === 'info' ? 'INFO' : level === 'warn' ? 'WARN' : 'ERROR';
  return { level: mapped, message, ...(stats === undefined ? {} : { stats }) };
}

/** A run result's state as Kestra's RunResult maps dbt's status. */
function resultLevel(status: unknown): LogLevel {
  switch (String(status).toLowerCase()) {
    case 'error':
    case 'fail':
    case 'runtime error':
      return 'ERROR';
    case 'warn':
      return 'WARN';
    default:
      return 'INFO';
  }
}

export async function runDbtCli(ctx: TaskRunContext): Promise<{ outputs: Record<string, unknown>; state?: 'WARNING' }> {
  const host = scriptHost(ctx);
  const props = ctx.task.properties;
  const projectDir = await stringProp(host, props, 'projectDir', {});
  const logFormat = ((await stringProp(host, props, 'logFormat', {})) ?? 'JSON').toUpperCase();
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat))
    throw new TaskError(
      'INVALID_PROPERTY',
      `Invalid value for \`logFormat\`: expected one of ${LOG_FORMATS.join(', ')}, got \`${logFormat}\``,
    );
  const parseRunResults =
    props['parseRunResults'] === undefined ? true : String(await stringProp(host, props, 'parseRunResults', {})) !== 'false';
  const profiles = await stringProp(host, props, 'profiles', {});
  const kvRef = async (name: string): Promise<{ key: string; namespace: string } | undefined> => {
    const raw = props[name];
    if (!isRecord(raw)) return undefined;
    const key = await stringProp(host, raw, 'key', {});
    const namespace = await stringProp(host, raw, 'namespace', {});
    if (key === undefined || namespace === undefined)
      throw new TaskError('INVALID_PROPERTY', `\`${name}\` needs \`key\` and \`namespace\``);
    return { key, namespace };
  };
  const storeManifest = await kvRef('storeManifest');
  const loadManifest = await kvRef('loadManifest');
  const storeKv = storeManifest === undefined ? undefined : await ctx.kv.namespace(storeManifest.namespace);

  let warning = false;
  let projectPath = '';
  const hooks: ScriptHooks = {
    env: { PYTHONUNBUFFERED: 'true', PIP_ROOT_USER_ACTION: 'ignore' },
    async files(extra) {
      const wd = String(extra['workingDir']);
      projectPath = projectDir === undefined ? wd : resolve(wd, projectDir);
      ctx.log('INFO', `dbt project working directory: ${projectPath}`);
      const files: Record<string, string> = {};
      if (loadManifest !== undefined) {
        const found = await (await ctx.kv.namespace(loadManifest.namespace)).getValue(loadManifest.key);
        if (found === undefined || found.value === null || String(found.value).trim() === '')
          ctx.log('WARN', 'Property `loadManifest` has been used but no manifest has been found in the KV Store.');
        else
          files[join(projectDir ?? '', 'target/manifest.json')] =
            typeof found.value === 'string' ? found.value : JSON.stringify(found.value);
      }
      if (profiles !== undefined && profiles !== '') files['profiles.yml'] = profiles;
      return files;
    },
    commands: (commands) =>
      commands.map((command) => {
        if (!command.startsWith('dbt')) return command;
        let c = command;
        if (projectDir !== undefined && !c.includes('--project-dir')) c += ` --project-dir ${projectDir}`;
        if (logFormat !== 'NONE' && !c.includes('--log-format')) c += ` --log-format ${logFormat.toLowerCase()}`;
        if (!c.includes('--log-path')) c += ' --log-path logs';
        return c;
      }),
    line(line) {
      if (line.startsWith('::{') && line.endsWith('}::')) return false;
      const parsed = dbtLogLine(line);
      if (parsed.level === 'WARN') warning = true;
      for (const [name, value] of Object.entries(parsed.stats ?? {})) ctx.log('DEBUG', `metric counter ${name} = ${JSON.stringify(value)}`);
      ctx.log(parsed.level, parsed.message);
      return true;
    },
    async after(_wd, outputs) {
      const manifestPath = join(projectPath, 'target/manifest.json');
      let manifest: unknown;
      try {
        manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
      } catch {
        manifest = undefined;
      }
      if (manifest === undefined) ctx.log('WARN', `dbt manifest not found at ${manifestPath} (assets will NOT be emitted)`);
      else {
        ctx.log('INFO', `dbt manifest found at ${manifestPath}`);
        if (storeManifest !== undefined && storeKv !== undefined) await storeKv.put(storeManifest.key, manifest);
        const uri = await host.storage.putFile(manifestPath, 'manifest.json');
        const m = isRecord(manifest) ? manifest : {};
        const count = (v: unknown): number => (isRecord(v) ? Object.keys(v).length : -1);
        ctx.log('INFO', `Manifest parse done. uri=${uri}, metadata=${count(m['metadata'])}, nodes=${count(m['nodes'])}`);
        outputs.outputFiles['manifest.json'] = uri;
      }
      const resultsPath = join(projectPath, 'target/run_results.json');
      if (!parseRunResults) return;
      let results: unknown;
      try {
        results = JSON.parse(await readFile(resultsPath, 'utf8'));
      } catch {
        return;
      }
      for (const r of isRecord(results) && Array.isArray(results['results']) ? (results['results'] as unknown[]) : []) {
        if (!isRecord(r)) continue;
        const level = resultLevel(r['status']);
        const time = typeof r['execution_time'] === 'number' ? ` in ${r['execution_time'].toFixed(2)}s` : '';
        const failures =
          typeof r['failures'] === 'number' && r['failures'] > 0
            ? ` (${r['failures']} ${r['failures'] === 1 ? 'failure' : 'failures'})`
            : '';
        ctx.log(level, `${String(r['unique_id'])} => ${String(r['status'])}${time}${failures}`);
        if (typeof r['message'] === 'string' && r['message'].trim() !== '') ctx.log(level, r['message']);
      }
      outputs.outputFiles['run_results.json'] = await host.storage.putFile(resultsPath, 'run_results.json');
    },
  };
  const result = await runAsScriptTask(ctx, { language: 'dbt', mode: 'commands', hooks }, host);
  return warning ? { ...result, state: 'WARNING' } : result;
}
