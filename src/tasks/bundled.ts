/**
 * The plugin families pebbleflow ships (Kestra's most used plugins after the core): each is a list
 * of task modules whose definitions are light — schema and a `run` that imports the family's
 * implementation (and its npm driver, if any) on first use — so CLI start-up does not grow with them.
 */
import { aiFamily } from './ai/index.js';
import { ansibleFamily } from './ansible/index.js';
import { cliToolsFamily } from './tools/index.js';
import { dbtFamily } from './dbt/index.js';
import type { TaskDefinition } from './definition.js';
import { gitFamily } from './git/index.js';
import { sqlFamily } from './jdbc/index.js';
import { mailFamily } from './mail/index.js';
import { executionNotificationsFamily } from './notifications/index.js';

export interface TaskFamily {
  /** Short name shown by `pebbleflow plugins` (Kestra's plugin repository, without `plugin-`). */
  readonly name: string;
  readonly description: string;
  readonly tasks: readonly TaskDefinition[];
}

export const BUNDLED_FAMILIES: readonly TaskFamily[] = [
  gitFamily,
  mailFamily,
  aiFamily,
  executionNotificationsFamily,
  dbtFamily,
  ansibleFamily,
  cliToolsFamily,
  sqlFamily,
];

export const BUNDLED_TASKS: readonly TaskDefinition[] = BUNDLED_FAMILIES.flatMap((f) => f.tasks);
