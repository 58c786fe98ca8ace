/** The core task types, one module each (add a module here and it is known to the loader, the runner and the JSON Schema). */
import type { TaskDefinition } from './definition.js';
import { returnTask } from './debug/return.js';
import { failTask } from './execution/fail.js';
import { ifTask } from './flow/if.js';
import { sequentialTask } from './flow/sequential.js';
import { requestTask } from './http/request.js';
import { logTask } from './log/log.js';
import { outputValuesTask } from './output/output-values.js';

export const CORE_TASKS: readonly TaskDefinition[] = [requestTask, logTask, returnTask, outputValuesTask, failTask, ifTask, sequentialTask];
