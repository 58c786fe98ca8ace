/**
 * Runs the flows of Kestra's own test suite (copied under `test/runner/kestra/flows/`, each citing its source) the way
 * Kestra's Java tests run them, with helpers that mirror `Execution`'s lookups, so that each ported
 * test keeps the Java assertions as they are.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFlow } from '../../src/flow/loader.js';
import type { Flow } from '../../src/flow/model.js';
import { DirectoryFlowRepository } from '../../src/flow/repository.js';
import { runExecution, type RunResult } from '../../src/runner/runner.js';
import type { RunFlowOptions, RunReport, TaskRunReport } from '../../src/runner/types.js';

/** Kestra's test flows, copied under test/runner/kestra/flows/ with their source. */
export const FLOWS_DIR = fileURLToPath(new URL('../runner/kestra/flows/', import.meta.url));
export const flows = new DirectoryFlowRepository(FLOWS_DIR);

export function loadKestraFlow(file: string): Flow {
  const { flow, problems } = checkFlow(readFileSync(join(FLOWS_DIR, file), 'utf8'), { file });
  if (flow === undefined) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
  return flow;
}

/** `runnerUtils.runOne(...)`: the flow file with these inputs, the flows folder for subflows. */
export async function runOne(file: string, inputs: Record<string, unknown> = {}, options: RunFlowOptions = {}): Promise<RunResult> {
  return runExecution(loadKestraFlow(file), { env: {}, flows, inputs, ...options });
}

export async function run(file: string, inputs: Record<string, unknown> = {}, options: RunFlowOptions = {}): Promise<RunReport> {
  return (await runOne(file, inputs, options)).report;
}

/** `execution.findTaskRunsByTaskId(id)`. */
export function byTaskId(report: RunReport, taskId: string): TaskRunReport[] {
  return report.taskRuns.filter((t) => t.taskId === taskId);
}

export function first(report: RunReport, taskId: string): TaskRunReport {
  const found = byTaskId(report, taskId)[0];
  if (found === undefined) throw new Error(`no task run of ${taskId}`);
  return found;
}

/** `execution.findTaskRunByTaskIdAndValue(id, values)`: the values of its parents that have one, then its own. */
export function byTaskIdAndValue(report: RunReport, taskId: string, values: readonly string[]): TaskRunReport {
  const byId = new Map(report.taskRuns.map((t) => [t.id, t]));
  const valuesOf = (t: TaskRunReport): string[] => {
    const out: string[] = [];
    for (
      let cur: TaskRunReport | undefined = t;
      cur !== undefined;
      cur = cur.parentTaskRunId === undefined ? undefined : byId.get(cur.parentTaskRunId)
    )
      if (cur.value !== undefined) out.unshift(cur.value);
    return out;
  };
  const found = report.taskRuns.find((t) => t.taskId === taskId && JSON.stringify(valuesOf(t)) === JSON.stringify(values));
  if (found === undefined) throw new Error(`no task run of ${taskId} with values ${values.join(', ')}`);
  return found;
}

export function value(taskRun: TaskRunReport): string {
  return String(taskRun.outputs.value);
}
