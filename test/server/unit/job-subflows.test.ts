/**
 * What a queued job carries for a Redis worker (which has no flows folder): the flows its tasks
 * start. ForEachItem starts its `namespace`/`flowId` once per batch, as Subflow does once.
 */
import { parseFlow } from '../../../src/flow/loader.js';
import type { FlowRecord } from '../../../src/server/flows/flow-repository.js';
import { ExecutionService, type ExecutionServiceOptions } from '../../../src/server/executions/service.js';

const record = (source: string): FlowRecord => {
  const flow = parseFlow(source);
  return { tenant: 'main', namespace: flow.namespace, id: flow.id, revision: 1, source, deleted: false, updated: '', flow };
};

const CHILD = record(`id: child
namespace: company.team
tasks:
  - { id: log, type: io.kestra.plugin.core.log.Log, message: hi }
`);

function subflowsOf(parent: FlowRecord): string[] {
  const flows: ExecutionServiceOptions['flows'] = {
    get: (namespace, id) => (namespace === 'company.team' && id === 'child' ? CHILD : undefined),
  };
  // Only the flows are read by subflowsOf.
  const service = new ExecutionService({ tenant: 'main', flows } as ExecutionServiceOptions);
  return service.subflowsOf(parent).map((f) => `${f.namespace}.${f.flowId}@${f.revision}`);
}

test.each([
  ['io.kestra.plugin.core.flow.Subflow', ''],
  ['io.kestra.plugin.core.flow.ForEachItem', ', items: "{{ inputs.file }}"'],
])('a job carries the flow a %s task starts', (type, extra) => {
  const parent = record(`id: parent
namespace: company.team
tasks:
  - { id: start, type: ${type}, namespace: company.team, flowId: child${extra} }
`);
  expect(subflowsOf(parent)).toEqual(['company.team.child@1']);
});
