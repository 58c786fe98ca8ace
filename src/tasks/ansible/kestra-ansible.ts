/**
 * The files pebbleflow gives an Ansible run, as Kestra's AnsibleCLI does (its own implementation, not
 * Kestra's): an `ansible.cfg` that enables a callback plugin and the module library, the callback
 * plugin `kestra_logger` that prints one line per host result and, at the end, the protocol line
 * `::{"outputs": {"outputs": […], "playbooks": […]}}::`, and the `kestra` module that lets a playbook
 * declare outputs (`kestra: { outputs: { key: value } }`, read in `outputsMode: EXPLICIT`).
 */

/**
 * Kestra's default `ansibleConfig` (rendered with `workingDir`), but for the stdout callback: Kestra's
 * names `ansible.builtin.null`, which Debian's ansible-core 2.14 does not have; `kestra_null` (below,
 * written beside the callback) prints nothing on every version.
 */
export const DEFAULT_ANSIBLE_CONFIG = `[defaults]
log_path          = {{ workingDir }}/log
callback_plugins  = ./callback_plugins
callbacks_enabled = kestra_logger
stdout_callback   = kestra_null
result_format     = json
pretty_results    = true
library           = ./library
`;

export const KESTRA_CALLBACK_PLUGIN = `# pebbleflow's callback for Ansible runs: per-host result lines, then Kestra's outputs protocol line.
from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: kestra_logger
    type: aggregate
    short_description: host results as log lines, outputs as a Kestra protocol line
"""

KESTRA_ACTIONS = ("kestra", "ansible.legacy.kestra")


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "kestra_logger"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._explicit_mode = os.environ.get("KESTRA_OUTPUTS_MODE", "all").strip().lower() == "explicit"
        self._results = []
        self._declared = {}
        self._plays = []
        self._play = None
        self._task = None
        self._unnamed = 0

    def _say(self, text):
        print(text, flush=True)

    def v2_playbook_on_play_start(self, play):
        name = play.get_name().strip() or "play_%d" % (len(self._plays) + 1)
        self._play = {"name": name, "tasks": []}
        self._plays.append(self._play)
        self._say("PLAY [%s]" % name)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._end_task()
        name = task.get_name().strip()
        if not name:
            self._unnamed += 1
            name = task.action or "unnamed_task_%d" % self._unnamed
        if self._play is None:
            self.v2_playbook_on_play_start(type("P", (), {"get_name": lambda s: ""})())
        self._task = {
            "uid": "play:%s|task:%s" % (self._play["name"], name),
            "name": name,
            "startedAt": _now(),
            "endedAt": None,
            "hosts": [],
        }
        self._play["tasks"].append(self._task)
        self._say("TASK [%s]" % name)

    v2_playbook_on_handler_task_start = lambda self, task: self.v2_playbook_on_task_start(task, False)

    def _end_task(self):
        if self._task is not None and self._task["endedAt"] is None:
            self._task["endedAt"] = _now()

    def _record(self, result, status):
        host = result._host.get_name()
        payload = dict(result._result)
        if getattr(result._task, "action", None) in KESTRA_ACTIONS and isinstance(payload.get("outputs"), dict):
            self._declared.update(payload["outputs"])
        shown = {"changed": bool(payload.get("changed", False))} if self._explicit_mode else payload
        if not self._explicit_mode:
            self._results.append(payload)
        if self._task is not None:
            self._task["hosts"].append({"host": host, "status": status, "result": shown})
        self._say("[%s] %s => %s" % (host, status, json.dumps(shown, default=str, sort_keys=True)))

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._end_task()
        outputs = self._declared if self._explicit_mode else self._results
        line = {"outputs": {"outputs": outputs, "playbooks": [{"plays": self._plays}]}}
        self._say("::" + json.dumps(line, default=str) + "::")
`;

/** A stdout callback that prints nothing (the aggregate callback above does the printing). */
export const NULL_STDOUT_CALLBACK = `from __future__ import annotations

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: kestra_null
    type: stdout
    short_description: prints nothing
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "kestra_null"
`;

export const KESTRA_MODULE = `#!/usr/bin/python
# pebbleflow's \`kestra\` module: echoes the declared outputs for the kestra_logger callback.
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(outputs=dict(type="dict", required=False)), supports_check_mode=True)
    if module.params.get("outputs") is None:
        module.fail_json(msg="one of the following is required: outputs")
    module.exit_json(changed=False, outputs=module.params["outputs"])


if __name__ == "__main__":
    main()
`;
