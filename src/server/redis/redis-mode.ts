/**
 * The server side of Redis mode: executions stored in Redis and queued on BullMQ, schedules as
 * BullMQ job schedulers, live views fed by what workers publish, and Flow triggers fed by the
 * state stream through a consumer group (each state change evaluated by one server, and by a
 * later one if every server was down when it happened).
 */
import { Redis } from 'ioredis';
import type { ExecutionEvents } from '../executions/events.js';
import type { FlowRepository } from '../flows/flow-repository.js';
import type { StoredExecution } from '../executions/model.js';
import type { ExecutionService } from '../executions/service.js';
import type { StartedMode } from '../server.js';
import type { LogRecord } from '../store/types.js';
import type { TriggerEngine } from '../triggers/trigger-engine.js';
import { BullExecutionQueue, BullSchedules, createQueue } from './bull.js';
import { keys, type RedisMessage } from './keys.js';
import { RedisExecutionStore } from './redis-store.js';
import { parseJsonKeepingOrder } from '../../engine/builtins/kestra/json.js';

const GROUP = 'pebbleflow-servers';

export async function redisMode(o: {
  tenant: string;
  redisUrl: string;
  events: ExecutionEvents;
  log: (line: string) => void;
  workerId: string;
  flows: FlowRepository;
}): Promise<StartedMode> {
  const connect = (name: string): Redis => {
    const client = new Redis(o.redisUrl, { maxRetriesPerRequest: null, connectionName: `pebbleflow-server-${name}` });
    let reported = false;
    client.on('error', (e: Error) => {
      if (!reported) o.log(`pebbleflow: Redis (${name}): ${e.message}; retrying`);
      reported = true;
    });
    client.on('ready', () => (reported = false));
    return client;
  };
  const redis = connect('store');
  await redis.ping();
  const subscriber = connect('events');
  const reader = connect('states');
  const store = new RedisExecutionStore(redis);
  const queue = new BullExecutionQueue(createQueue(o.redisUrl), redis);
  const schedules = new BullSchedules(queue.queue, o.tenant);
  let stopped = false;
  let loop: Promise<void> | undefined;
  // Workers have no flows folder: the servers (which watch the same one) publish which namespaces
  // have flows, for the KV store's "namespace exists" (Kestra's NamespaceService).
  const publishNamespaces = (): void =>
    void redis
      .set(keys.flowNamespaces(o.tenant), JSON.stringify([...o.flows.namespaces()].sort()))
      .catch((e: Error) => o.log(`pebbleflow: publishing flow namespaces: ${e.message}`));
  let unwatchFlows: (() => void) | undefined;

  const consumeStates = async (triggers: TriggerEngine, executions: ExecutionService): Promise<void> => {
    const stream = keys.states(o.tenant);
    try {
      await reader.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM');
    } catch (e) {
      if (!/BUSYGROUP/.test((e as Error).message)) throw e;
    }
    const handle = async (entries: [string, string[]][]): Promise<void> => {
      for (const [id, fields] of entries) {
        const json = fields[fields.indexOf('execution') + 1];
        if (json !== undefined) {
          const execution = parseJsonKeepingOrder(json) as StoredExecution;
          try {
            await triggers.onExecution(execution);
          } catch (e) {
            o.log(`pebbleflow: Flow triggers: ${(e as Error).message}`);
          }
          // A subflow execution that ended continues the execution waiting for it (one server reads each state).
          try {
            await executions.continueParent(execution);
          } catch (e) {
            o.log(`pebbleflow: continuing the parent of ${execution.id}: ${(e as Error).message}`);
          }
        }
        await reader.xack(stream, GROUP, id);
      }
    };
    let lastClaim = 0;
    while (!stopped) {
      try {
        if (Date.now() - lastClaim > 30_000) {
          // State changes a stopped server had read but not handled.
          lastClaim = Date.now();
          const claimed = (await reader.xautoclaim(stream, GROUP, o.workerId, 60_000, '0-0', 'COUNT', 100)) as [
            string,
            [string, string[]][],
          ];
          await handle(claimed[1]);
        }
        const read = (await reader.xreadgroup('GROUP', GROUP, o.workerId, 'COUNT', 100, 'BLOCK', 2000, 'STREAMS', stream, '>')) as
          [string, [string, string[]][]][] | null;
        for (const [, entries] of read ?? []) await handle(entries);
      } catch (e) {
        if (stopped) return;
        o.log(`pebbleflow: reading execution states: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };

  return {
    store,
    queue,
    schedules,
    async start(triggers, executions) {
      schedules.setSubflows((record) => executions.subflowsOf(record));
      publishNamespaces();
      unwatchFlows = o.flows.onChange(publishNamespaces);
      await subscriber.subscribe(keys.events);
      subscriber.on('message', (_channel: string, text: string) => {
        let message: RedisMessage;
        try {
          message = parseJsonKeepingOrder(text) as RedisMessage;
        } catch {
          return;
        }
        if (message.tenant !== o.tenant) return;
        if (message.t === 'execution') o.events.emitExecution(message.execution as StoredExecution);
        else if (message.t === 'log') o.events.emitLog(message.record as LogRecord);
        else if (message.t === 'resume')
          void executions
            .resume(message.id, message.inputs)
            .catch((e: Error) => o.log(`pebbleflow: resume of ${message.id} asked by a worker: ${e.message}`));
        else if (message.t === 'toggle') {
          const { namespace, flowId, triggerId, enabled } = message;
          void triggers
            .toggle({ namespace, flowId, triggerId, enabled })
            .then((result) => {
              if (result !== 'toggled')
                o.log(
                  `pebbleflow: Toggle of trigger ${triggerId} of ${namespace}.${flowId} asked by a worker: ${result.replaceAll('-', ' ')}`,
                );
            })
            .catch((e: Error) =>
              o.log(`pebbleflow: Toggle of trigger ${triggerId} of ${namespace}.${flowId} asked by a worker: ${e.message}`),
            );
        }
      });
      loop = consumeStates(triggers, executions);
    },
    async ready() {
      await schedules.prune();
    },
    async close() {
      stopped = true;
      unwatchFlows?.();
      await queue.close();
      subscriber.disconnect();
      reader.disconnect();
      await loop;
      await redis.quit().catch(() => undefined);
    },
  };
}
