/** A condition as the loader builds it: written in a listener of a mock flow (the loader's checks apply). */
import { parseFlow } from '../../src/flow/loader.js';
import type { ConditionDefinition } from '../../src/flow/triggers.js';

export function conditionOf(condition: Record<string, unknown>): ConditionDefinition {
  const flow = parseFlow(`id: mock
namespace: io.kestra.unittest
listeners:
  - conditions:
      - ${JSON.stringify(condition)}
    tasks:
      - { id: l, type: io.kestra.plugin.core.log.Log, message: x }
tasks:
  - { id: t, type: io.kestra.plugin.core.log.Log, message: x }
`);
  return flow.listeners[0]!.conditions[0]!;
}
