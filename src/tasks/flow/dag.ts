/**
 * `io.kestra.plugin.core.flow.Dag`: tasks that start once the tasks they `dependsOn` ended, at most
 * `concurrent` at once. Unknown dependencies and cycles are refused when the flow loads.
 */
import { defineTask } from '../definition.js';

export const dagTask = defineTask({
  type: 'io.kestra.plugin.core.flow.Dag',
  aliases: ['io.kestra.core.tasks.flows.Dag'],
  title: 'Run tasks as a graph: each starts once the tasks it `dependsOn` ended.',
  properties: {
    concurrent: { kind: 'integer', dynamic: false, default: 0, schema: { type: 'integer', minimum: 0 } },
  },
  children: { tasks: { kind: 'dag', required: true, description: 'A list of `{ task, dependsOn }`.' } },
  check(task, ctx) {
    const tasks = task.children.tasks ?? [];
    const ids = new Set(tasks.map((t) => t.id));
    const index = new Map(tasks.map((t, i) => [t.id, i]));
    // Kestra's DagTaskValidator: unknown ids first (and then no cycle check), with its texts.
    const missing = tasks.flatMap((t) => (t.dependsOn ?? []).filter((d) => !ids.has(d)));
    if (missing.length > 0) {
      const firstIndex = tasks.findIndex((t) => (t.dependsOn ?? []).some((d) => !ids.has(d)));
      ctx.problem(`Not existing task id in dependency: ${missing.join(', ')}`, ['tasks', firstIndex, 'dependsOn'], 'UNKNOWN_DEPENDENCY');
      return;
    }
    // A task is on a cycle when following `dependsOn` from it leads back to it (Kestra's dagCheckCyclicDependencies).
    const deps = new Map(tasks.map((t) => [t.id, (t.dependsOn ?? []).filter((d) => ids.has(d))]));
    const cyclic: string[] = [];
    for (const t of tasks) {
      const seen = new Set<string>();
      const stack = [...(deps.get(t.id) ?? [])];
      while (stack.length > 0) {
        const id = stack.pop()!;
        if (seen.has(id)) continue;
        seen.add(id);
        stack.push(...(deps.get(id) ?? []));
      }
      if (seen.has(t.id)) cyclic.push(t.id);
    }
    if (cyclic.length > 0)
      ctx.problem(`Cyclic dependency detected: ${cyclic.join(', ')}`, ['tasks', index.get(cyclic[0]!) ?? 0, 'dependsOn'], 'DAG_CYCLE');
  },
  async run(ctx) {
    const concurrency = (await ctx.property<number>('concurrent')) ?? 0;
    return { state: await ctx.runChildren({ tasks: ctx.task.children.tasks ?? [], mode: 'dag', concurrency }) };
  },
});
