/**
 * `npm run bench -- blueprints DIR`: the share of Kestra's public blueprints (a copy of
 * github.com/kestra-io/blueprints, its `flows/` folder: `git clone https://github.com/kestra-io/blueprints`)
 * that `pebbleflow validate` accepts as they are, and the most frequent reasons for a refusal.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as ApiModule from '../src/index.js';

export interface BlueprintsResult {
  readonly total: number;
  readonly accepted: number;
  /** Problem message (line and column dropped) → number of blueprints it refuses. */
  readonly reasons: readonly (readonly [string, number])[];
}

export async function benchBlueprints(api: typeof ApiModule, dir: string): Promise<BlueprintsResult> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  let accepted = 0;
  const reasons = new Map<string, number>();
  for (const file of files) {
    const { problems } = api.checkFlow(await readFile(join(dir, file), 'utf8'), { file });
    if (problems.length === 0) accepted++;
    for (const message of new Set(problems.map((p) => p.message))) reasons.set(message, (reasons.get(message) ?? 0) + 1);
  }
  return { total: files.length, accepted, reasons: [...reasons.entries()].sort((a, b) => b[1] - a[1]) };
}
