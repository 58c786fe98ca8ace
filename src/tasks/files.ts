/** The task types of the files, KV, scripts, serdes and notifications work, registered with the core ones. */
import type { TaskDefinition } from './definition.js';
import { downloadTask } from './http/download.js';
import { workingDirectoryTask } from './flow/working-directory.js';
import { kvDeleteTask, kvGetKeysTask, kvGetTask, kvSetTask, purgeKvTask } from './kv/kv.js';
import { logFetchTask } from './log/fetch.js';
import { NOTIFICATION_TASKS } from './notifications/webhooks.js';
import { LEGACY_SCRIPT_TASKS } from './scripts/legacy-scripts.js';
import { SCRIPT_TASKS } from './scripts/scripts.js';
import { SERDES_TASKS } from './serdes/serdes.js';
import { stateDeleteTask, stateGetTask, stateSetTask } from './state/state.js';
import { concatTask } from './storage/concat.js';
import { storageDeleteTask } from './storage/delete.js';
import { deduplicateItemsTask, filterItemsTask } from './storage/items.js';
import { localFilesTask } from './storage/local-files.js';
import { purgeCurrentExecutionFilesTask } from './storage/purge-current-execution-files.js';
import { reverseTask } from './storage/reverse.js';
import { sizeTask } from './storage/size.js';
import { splitTask } from './storage/split.js';
import { writeTask } from './storage/write.js';

export const FILE_TASKS: readonly TaskDefinition[] = [
  downloadTask,
  writeTask,
  concatTask,
  sizeTask,
  storageDeleteTask,
  splitTask,
  filterItemsTask,
  deduplicateItemsTask,
  reverseTask,
  localFilesTask,
  purgeCurrentExecutionFilesTask,
  workingDirectoryTask,
  kvSetTask,
  kvGetTask,
  kvGetKeysTask,
  kvDeleteTask,
  purgeKvTask,
  stateSetTask,
  stateGetTask,
  stateDeleteTask,
  logFetchTask,
  ...SCRIPT_TASKS,
  ...LEGACY_SCRIPT_TASKS,
  ...SERDES_TASKS,
  ...NOTIFICATION_TASKS,
];
