/** Running flow YAML through the real runner, and reading its report. */
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunFlowOptions, RunReport } from '../../src/runner/types.js';

export async function runYaml(yaml: string, options: RunFlowOptions = {}): Promise<RunReport> {
  return runFlow(parseFlow(yaml), { env: {}, ...options });
}

export function taskStates(report: RunReport): Record<string, string> {
  return Object.fromEntries(report.taskRuns.map((t) => [t.taskId, t.state]));
}

export function messages(report: RunReport): string[] {
  return report.logs.map((l) => `${l.taskId ?? '-'} ${l.level} ${l.message}`);
}
