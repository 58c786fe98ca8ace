/**
 * Conditions on an execution, as Kestra's `ExecutionStatus`, `ExecutionFlow` and
 * `ExecutionNamespace` test them (all must hold): a Flow trigger's conditions in the server, a
 * flow listener's in the runner. Reference:
 * `core/src/main/java/io/kestra/plugin/core/condition/Execution{Status,Flow,Namespace}.java`.
 */
import {
  EXECUTION_FLOW_CONDITION,
  EXECUTION_NAMESPACE_CONDITION,
  EXECUTION_STATUS_CONDITION,
  type ConditionDefinition,
} from './triggers.js';
import { isTerminal, type Execution } from './execution.js';
import type { Flow, ListenerDefinition } from './model.js';

const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);

export function conditionHolds(condition: ConditionDefinition, execution: Execution): boolean {
  const p = condition.properties;
  switch (condition.type) {
    case EXECUTION_STATUS_CONDITION: {
      const state = execution.state.current;
      const inList = list(p.in);
      const notIn = list(p.notIn);
      if (inList !== undefined && !inList.includes(state)) return false;
      if (notIn?.includes(state) === true) return false;
      return true;
    }
    case EXECUTION_FLOW_CONDITION:
      return execution.namespace === p.namespace && execution.flowId === p.flowId;
    case EXECUTION_NAMESPACE_CONDITION: {
      const namespace = String(p.namespace);
      const comparison = typeof p.comparison === 'string' ? p.comparison : p.prefix === true ? 'PREFIX' : 'EQUALS';
      if (comparison === 'PREFIX') return execution.namespace.startsWith(namespace);
      if (comparison === 'SUFFIX') return execution.namespace.endsWith(namespace);
      return execution.namespace === namespace;
    }
    default:
      return false;
  }
}

export const allConditionsHold = (conditions: readonly ConditionDefinition[], execution: Execution): boolean =>
  conditions.every((c) => conditionHolds(c, execution));

/**
 * ConditionService.findValidListeners, for one listener: all its conditions hold on the execution.
 * A condition pebbleflow cannot evaluate counts as false, as Kestra counts one that throws
 * (`onUnsupported` is told, to log it).
 */
export function listenerHolds(
  listener: ListenerDefinition,
  execution: Execution,
  onUnsupported?: (condition: ConditionDefinition) => void,
): boolean {
  return listener.conditions.every((condition) => {
    if (condition.supported) return conditionHolds(condition, execution);
    onUnsupported?.(condition);
    return false;
  });
}

/**
 * ConditionService.isTerminatedWithListeners: the execution ended and every task of the listeners
 * that hold on it has a task run that ended (what Kestra's `wait=true` and follow wait for).
 */
export function endedWithListeners(flow: Flow, execution: Execution): boolean {
  if (!isTerminal(execution.state.current)) return false;
  return flow.listeners
    .filter((l) => listenerHolds(l, execution))
    .flatMap((l) => l.tasks)
    .filter((t) => !t.disabled)
    .every((t) => execution.taskRunList.some((r) => r.parentTaskRunId === undefined && r.taskId === t.id && isTerminal(r.state.current)));
}
