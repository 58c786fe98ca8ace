/**
 * `io.kestra.plugin.ansible.cli.AnsibleCLI` on the Process runner (kestra-io/plugin-ansible,
 * src/main/java/io/kestra/plugin/ansible/cli/AnsibleCLI.java): the commands run with `/bin/bash -c`
 * in a working directory that gets the `ansible.cfg` (the rendered `ansibleConfig`, unless
 * `inputFiles` has one), the callback plugin and the `kestra` module; `requirements.txt` and
 * `requirements.yml` are installed first when present; the callback's protocol lines are merged as
 * Kestra merges its per-command runs (`vars.outputs` a list of host results, or with
 * `outputsMode: EXPLICIT` the map the playbook declared; `vars.playbooks` the plays, tasks and host
 * results); `outputLogFile` stores Ansible's log as `outputFiles.log`.
 */
import { parseProtocolLine } from '../../scripts/protocol.js';
import { boolProp, stringProp, storeOutputFiles, type ScriptHooks } from '../../scripts/script-task.js';
import type { TaskRunContext } from '../definition.js';
import { runAsScriptTask, scriptHost } from '../scripts/scripts-run.js';
import { TaskError } from '../types.js';
import { DEFAULT_ANSIBLE_CONFIG, KESTRA_CALLBACK_PLUGIN, KESTRA_MODULE, NULL_STDOUT_CALLBACK } from './kestra-ansible.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export async function runAnsibleCli(ctx: TaskRunContext): Promise<{ outputs: Record<string, unknown> }> {
  const host = scriptHost(ctx);
  const props = ctx.task.properties;
  const mode = ((await stringProp(host, props, 'outputsMode', {})) ?? 'ALL').trim().toUpperCase();
  if (mode !== 'ALL' && mode !== 'EXPLICIT')
    throw new TaskError('INVALID_PROPERTY', `Invalid value for \`outputsMode\`: expected ALL or EXPLICIT, got \`${mode}\``);
  const logFile = await boolProp(host, props, 'outputLogFile', false);
  const pip = await boolProp(host, props, 'autoInstallPythonRequirements', true);
  const galaxy = await boolProp(host, props, 'autoInstallGalaxyRequirements', true);

  const rawResults: unknown[] = [];
  const declared: Record<string, unknown> = {};
  const playbooks: unknown[] = [];
  const hooks: ScriptHooks = {
    interpreter: ['/bin/bash', '-c'],
    env: { KESTRA_OUTPUTS_MODE: mode.toLowerCase() },
    beforeCommands: [
      ...(pip ? ['[ ! -f requirements.txt ] || pip install --no-cache-dir -r requirements.txt'] : []),
      ...(galaxy ? ['[ ! -f requirements.yml ] || ansible-galaxy install -r requirements.yml'] : []),
    ],
    async files(extra) {
      const files: Record<string, string> = {
        'callback_plugins/kestra_logger.py': KESTRA_CALLBACK_PLUGIN,
        'callback_plugins/kestra_null.py': NULL_STDOUT_CALLBACK,
        'library/kestra.py': KESTRA_MODULE,
      };
      if (isRecord(props['inputFiles']) && props['inputFiles']['ansible.cfg'] !== undefined)
        ctx.log('WARN', 'Found an existing ansible.cfg file. Ignoring creation of a new ansible.cfg file.');
      else {
        const template =
          props['ansibleConfig'] === undefined || props['ansibleConfig'] === null ? DEFAULT_ANSIBLE_CONFIG : String(props['ansibleConfig']);
        files['ansible.cfg'] = await host.render(template, extra);
      }
      return files;
    },
    // The callback's line: `outputs` lists are concatenated (maps merged) and `playbooks` appended, one per ansible-playbook run.
    line(line, _isStdErr, vars) {
      const parsed = parseProtocolLine(line);
      if (parsed.kind !== 'data' || !('playbooks' in parsed.outputs)) return false;
      for (const [key, value] of Object.entries(parsed.outputs)) {
        if (key === 'outputs') {
          if (Array.isArray(value)) rawResults.push(...(value as unknown[]));
          else if (isRecord(value)) Object.assign(declared, value);
        } else if (key === 'playbooks') {
          if (Array.isArray(value)) playbooks.push(...(value as unknown[]));
        } else vars[key] = value;
      }
      return true;
    },
    async after(wd, outputs) {
      outputs.vars['outputs'] = mode === 'EXPLICIT' ? declared : rawResults;
      outputs.vars['playbooks'] = playbooks;
      if (logFile) Object.assign(outputs.outputFiles, await storeOutputFiles(host.storage, wd, ['log']));
    },
  };
  const result = await runAsScriptTask(ctx, { language: 'ansible', mode: 'commands', hooks }, host);
  return { outputs: { ...result.outputs, playbooks } };
}
