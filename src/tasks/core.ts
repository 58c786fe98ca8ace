/** The core task types, one module each (add a module here and it is known to the loader, the runner and the JSON Schema). */
import type { TaskDefinition } from './definition.js';
import { echoTask } from './debug/echo.js';
import { returnTask } from './debug/return.js';
import { assertTask } from './execution/assert.js';
import { exitTask } from './execution/exit.js';
import { failTask } from './execution/fail.js';
import { labelsTask } from './execution/labels.js';
import { resumeTask } from './execution/resume.js';
import { setVariablesTask } from './execution/set-variables.js';
import { unsetVariablesTask } from './execution/unset-variables.js';
import { allowFailureTask } from './flow/allow-failure.js';
import { dagTask } from './flow/dag.js';
import { eachParallelTask } from './flow/each-parallel.js';
import { eachSequentialTask } from './flow/each-sequential.js';
import { forEachTask } from './flow/for-each.js';
import { forEachItemTask } from './flow/for-each-item.js';
import { ifTask } from './flow/if.js';
import { parallelTask } from './flow/parallel.js';
import { pauseTask } from './flow/pause.js';
import { sequentialTask } from './flow/sequential.js';
import { sleepTask } from './flow/sleep.js';
import { subflowTask } from './flow/subflow.js';
import { switchTask } from './flow/switch.js';
import { waitForTask } from './flow/wait-for.js';
import { requestTask } from './http/request.js';
import { logTask } from './log/log.js';
import { toggleTask } from './trigger/toggle.js';
import { outputValuesTask } from './output/output-values.js';
import { FILE_TASKS } from './files.js';
import { BUNDLED_TASKS } from './bundled.js';

export const CORE_TASKS: readonly TaskDefinition[] = [
  // flow
  sequentialTask,
  parallelTask,
  ifTask,
  switchTask,
  forEachTask,
  eachSequentialTask,
  eachParallelTask,
  dagTask,
  allowFailureTask,
  subflowTask,
  forEachItemTask,
  pauseTask,
  sleepTask,
  waitForTask,
  // execution
  failTask,
  exitTask,
  labelsTask,
  assertTask,
  setVariablesTask,
  unsetVariablesTask,
  resumeTask,
  // trigger
  toggleTask,
  // debug, log, output, http
  returnTask,
  echoTask,
  logTask,
  outputValuesTask,
  requestTask,
  // files, KV, state, scripts, serdes, notifications
  ...FILE_TASKS,
  // bundled plugin families (git, mail, AI chat, execution notifications): their heavy parts load on first use
  ...BUNDLED_TASKS,
];
