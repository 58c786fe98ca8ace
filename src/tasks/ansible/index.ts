/** The Ansible family (plugin-ansible): the definition; `run` imports the implementation on first use. */
import type { TaskFamily } from '../bundled.js';
import { defineTask } from '../definition.js';
import { EXEC_PROPERTIES, scriptProperty, SCRIPT_SCHEMAS } from '../scripts/scripts.js';

const { stringList, flag } = SCRIPT_SCHEMAS;

export const ansibleCliTask = defineTask({
  type: 'io.kestra.plugin.ansible.cli.AnsibleCLI',
  title: 'Run ansible-playbook (or any Ansible command) as a local process; outputs vars.outputs, vars.playbooks, exitCode, outputFiles.',
  properties: {
    commands: scriptProperty(stringList, 'The commands (ansible-playbook -i inventory.ini playbook.yml…).', { required: true }),
    beforeCommands: EXEC_PROPERTIES['beforeCommands']!,
    env: EXEC_PROPERTIES['env']!,
    inputFiles: EXEC_PROPERTIES['inputFiles']!,
    outputFiles: EXEC_PROPERTIES['outputFiles']!,
    namespaceFiles: EXEC_PROPERTIES['namespaceFiles']!,
    containerImage: scriptProperty({ type: 'string' }, "Kestra's default `cytopia/ansible:latest-tools`; not used locally."),
    taskRunner: EXEC_PROPERTIES['taskRunner']!,
    docker: EXEC_PROPERTIES['docker']!,
    ansibleConfig: scriptProperty(
      { type: 'string' },
      'The ansible.cfg written in the working directory (default: enables the callback that gives the outputs).',
    ),
    outputsMode: scriptProperty(
      { enum: ['ALL', 'EXPLICIT'] },
      'ALL: every host result in `vars.outputs`; EXPLICIT: what the playbook declares with the `kestra` module.',
    ),
    outputLogFile: scriptProperty(flag, "Store Ansible's log as `outputFiles.log`; default false."),
    autoInstallPythonRequirements: scriptProperty(flag, '`pip install -r requirements.txt` first when there is one; default true.'),
    autoInstallGalaxyRequirements: scriptProperty(
      flag,
      '`ansible-galaxy install -r requirements.yml` first when there is one; default true.',
    ),
  },
  outputs: { vars: { kind: 'map' }, exitCode: { kind: 'integer' }, outputFiles: { kind: 'map' }, playbooks: { kind: 'list' } },
  async run(ctx) {
    const { runAnsibleCli } = await import('./ansible-cli.js');
    return runAnsibleCli(ctx);
  },
});

export const ansibleFamily: TaskFamily = {
  name: 'ansible',
  description: 'Ansible playbooks with the ansible-playbook program on the PATH',
  tasks: [ansibleCliTask],
};
