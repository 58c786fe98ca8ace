/** Redis keys and channels of a pebbleflow deployment (one prefix per deployment). */
export const PREFIX = 'pebbleflow';
export const QUEUE_NAME = 'pebbleflow-executions';

export const keys = {
  execution: (tenant: string, id: string): string => `${PREFIX}:${tenant}:execution:${id}`,
  summaries: (tenant: string): string => `${PREFIX}:${tenant}:summaries`,
  logs: (tenant: string, id: string): string => `${PREFIX}:${tenant}:logs:${id}`,
  triggers: (tenant: string): string => `${PREFIX}:${tenant}:triggers`,
  /** Multiple condition windows (a Flow trigger's preconditions), by flow and condition id. */
  windows: (tenant: string): string => `${PREFIX}:${tenant}:windows`,
  kill: (tenant: string, id: string): string => `${PREFIX}:${tenant}:kill:${id}`,
  /** The namespaces that have flows, as a JSON list the servers keep current (workers have no flows folder). */
  flowNamespaces: (tenant: string): string => `${PREFIX}:${tenant}:flow-namespaces`,
  /** A stream of execution state changes, read by servers for Flow triggers (each change once per server group). */
  states: (tenant: string): string => `${PREFIX}:${tenant}:states`,
  /** A flow's `concurrency` slots and QUEUE line (redis-concurrency.ts adds `:holders`, `:line`, `:tickets`, `:seq`). */
  concurrency: (tenant: string, namespace: string, flowId: string): string => `${PREFIX}:${tenant}:concurrency:${namespace}:${flowId}`,
  /** A flow's concurrency slot was released (the message is its `concurrency` key): wakes the waiters. */
  concurrencyReleased: `${PREFIX}:concurrency-released`,
  /** Every saved execution and log line, for the servers' live views. */
  events: `${PREFIX}:events`,
  /** Kill requests to workers. */
  control: `${PREFIX}:control`,
};

export type RedisMessage =
  | { readonly t: 'execution'; readonly tenant: string; readonly execution: unknown }
  | { readonly t: 'log'; readonly tenant: string; readonly record: unknown }
  | { readonly t: 'kill'; readonly tenant: string; readonly id: string }
  /** A Resume task on a worker asks the servers (which have the flows) to resume an execution. */
  | { readonly t: 'resume'; readonly tenant: string; readonly id: string; readonly inputs: Record<string, unknown> }
  /** A Toggle task on a worker asks the servers (which have the flows and arm the schedules) to enable or disable a trigger. */
  | {
      readonly t: 'toggle';
      readonly tenant: string;
      readonly namespace: string;
      readonly flowId: string;
      readonly triggerId: string;
      readonly enabled: boolean;
    };
