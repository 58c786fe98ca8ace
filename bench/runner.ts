/**
 * The flow runner's own cost: task runs per second for a ForEach over 1 000 values with a Return
 * child (one value after the other, and all at once), a flow of 8 000 tasks (linear, not
 * quadratic), and the runner's overhead per task run against a bare `engine.render` of the same
 * property with the same kind of context. Medians of interleaved rounds, after a warm-up.
 */
import type * as ApiModule from '../src/index.js';

type Api = typeof ApiModule;

export interface RunnerBenchResult {
  readonly sequentialTaskRunsPerSec: number;
  readonly concurrentTaskRunsPerSec: number;
  readonly bareRenderMicros: number;
  readonly taskRunMicros: number;
  readonly flatTasks: number;
  readonly flatMillis: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchRunner(api: Api, rounds = 7): Promise<RunnerBenchResult> {
  const { engine } = await api.createFlowEngine({ env: {} });
  const forEach = (limit: number) =>
    api.loadFlow(`id: bench
namespace: company.team
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{ range(1, 1000) }}"
    concurrencyLimit: ${limit}
    tasks:
      - { id: ret, type: io.kestra.plugin.core.debug.Return, format: "{{ taskrun.value }}" }
`);
  const sequential = forEach(1);
  const concurrent = forEach(0);
  const count = 1001;
  const time = async (flow: ApiModule.Flow): Promise<number> => {
    const t = performance.now();
    const report = await api.runFlow(flow, { env: {}, engine });
    if (report.state !== 'SUCCESS' || report.taskRuns.length !== count) throw new Error(`bench flow ended ${report.state}`);
    return performance.now() - t;
  };
  // The same property rendered alone, with a context of the same shape.
  const context = {
    flow: { id: 'bench', namespace: 'company.team', tenantId: 'main' },
    envs: {},
    globals: {},
    vars: {},
    task: { id: 'ret', type: 'io.kestra.plugin.core.debug.Return' },
    taskrun: { id: 'x', startDate: new Date().toISOString(), attemptsCount: 0, value: '1' },
    parents: [],
    execution: { id: 'e', startDate: new Date().toISOString(), originalId: 'e', state: 'RUNNING' },
    outputs: {},
    tasks: {},
    labels: {},
  };
  const bare = async (): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < count; i++)
      await engine.render('{{ taskrun.value }}', { ...context, taskrun: { ...context.taskrun, value: String(i) } });
    return performance.now() - t;
  };
  for (let i = 0; i < 3; i++) {
    await time(sequential);
    await time(concurrent);
    await bare();
  }
  const seq: number[] = [];
  const conc: number[] = [];
  const renders: number[] = [];
  for (let i = 0; i < rounds; i++) {
    seq.push(await time(sequential));
    conc.push(await time(concurrent));
    renders.push(await bare());
  }
  const flatTasks = 8000;
  let yaml = 'id: flat\nnamespace: company.team\ntasks:\n';
  for (let i = 0; i < flatTasks; i++) yaml += `  - { id: t${i}, type: io.kestra.plugin.core.debug.Return, format: "{{ task.id }}" }\n`;
  const flat = api.loadFlow(yaml);
  const flatStart = performance.now();
  const flatReport = await api.runFlow(flat, { env: {}, engine });
  const flatMillis = performance.now() - flatStart;
  if (flatReport.taskRuns.length !== flatTasks) throw new Error('flat flow did not run every task');
  return {
    sequentialTaskRunsPerSec: Math.round((count / median(seq)) * 1000),
    concurrentTaskRunsPerSec: Math.round((count / median(conc)) * 1000),
    bareRenderMicros: (median(renders) / count) * 1000,
    taskRunMicros: (median(seq) / count) * 1000,
    flatTasks,
    flatMillis,
  };
}
