/**
 * Kestra's `io.kestra.plugin.core.http.Trigger`, a polling trigger: every `interval` (PT60S by
 * default) it sends the request its Request-task properties describe, with failed status codes
 * allowed, and when `responseCondition` (`{{ response.statusCode < 400 }}` by default) renders
 * truthy (TruthUtils: anything but `false`, `0`, `-0` and ``) the flow gets an execution whose
 * `trigger` variables are the Request's outputs (`uri`, `code`, `headers`, `body`, or
 * `encryptedBody` with `encryptBody`). A poll that fails (the server unreachable, a template that
 * does not render) is logged and creates nothing; the next one comes an interval later, as
 * Kestra's Worker.handleTriggerError does.
 *
 * Polls happen at multiples of the interval (epoch-aligned), and a poll's execution id is derived
 * from the trigger and its slot (`tickExecutionId`), so servers sharing a data folder or a Redis
 * make one execution per slot however many of them poll. As Kestra's scheduler does, a trigger
 * whose last execution is still running is not evaluated.
 *
 * Reference: `core/src/main/java/io/kestra/plugin/core/http/Trigger.java`,
 * `core/src/main/java/io/kestra/core/models/triggers/PollingTriggerInterface.java`,
 * `core/src/main/java/io/kestra/core/schedulers/AbstractScheduler.java`.
 */
import { parseDuration } from '../../flow/duration.js';
import type { TriggerDefinition } from '../../flow/triggers.js';
import { encryptedString } from '../../runner/encrypted-outputs.js';
import type { FlowEngine } from '../../runner/types.js';
import { isTruthy } from '../../tasks/coerce.js';
import { runRequest, type RequestContext } from '../../tasks/http/request-run.js';
import type { FlowRecord } from '../flows/flow-repository.js';
import { triggerContext } from './rendering.js';

export const DEFAULT_INTERVAL_MS = 60_000;
export const DEFAULT_RESPONSE_CONDITION = '{{ response.statusCode < 400 }}';

/** The trigger's `interval` in ms (PT60S when absent). */
export function pollInterval(t: TriggerDefinition): number {
  const raw = t.properties.interval;
  const ms = typeof raw === 'string' ? parseDuration(raw) : DEFAULT_INTERVAL_MS;
  if (ms === undefined || !(ms > 0)) throw new Error(`trigger ${t.id}: \`interval\` must be a positive duration`);
  return ms;
}

/**
 * Http Trigger.evaluate: sends the request and renders `responseCondition` with `response`
 * ({statusCode, body, headers}). The Request's outputs when the condition holds, else undefined.
 * Throws when the request cannot be sent or a property does not render.
 */
export async function evaluateHttpTrigger(o: {
  engine: FlowEngine;
  record: FlowRecord;
  trigger: TriggerDefinition;
  signal: AbortSignal;
  encryptionKey?: string | undefined;
  log: (line: string) => void;
}): Promise<Record<string, unknown> | undefined> {
  const { engine, record, trigger: t } = o;
  const scope = { tenant: record.tenant, namespace: record.namespace };
  const context = triggerContext(record);
  const p = t.properties;
  // "we allow failed status code as it is the condition that must determine whether we trigger the flow"
  const options = p.options !== null && typeof p.options === 'object' && !Array.isArray(p.options) ? p.options : {};
  let plainBody: string | undefined;
  const ctx: RequestContext = {
    task: { properties: { ...p, allowFailed: true, options: { ...options, allowFailed: true } } },
    render: (template, extra) => engine.render(template, { ...context, ...extra }, scope),
    renderValue: (value, extra) => engine.renderValue(value, { ...context, ...extra }, scope),
    sensitive: () => undefined,
    fetch: globalThis.fetch,
    signal: o.signal,
    log: (level, message) => {
      if (level !== 'DEBUG' && level !== 'TRACE') o.log(`pebbleflow: ${record.namespace}.${record.id} trigger ${t.id}: ${message}`);
    },
    // encryptBody: the condition sees the body in clear (Kestra decrypts it), the execution only encrypted.
    encrypt: (plain) => {
      plainBody = plain;
      return encryptedString(o.encryptionKey, plain, "an http.Trigger's encryptBody");
    },
  };
  const { outputs } = await runRequest(ctx);
  const out = (outputs ?? {}) as Record<string, unknown>;
  const body = 'encryptedBody' in out ? (plainBody ?? null) : (out.body ?? null);
  const response = { statusCode: out.code, body, headers: out.headers };
  const condition = typeof p.responseCondition === 'string' ? p.responseCondition : DEFAULT_RESPONSE_CONDITION;
  const rendered = await engine.render(condition, { ...context, response }, scope);
  return isTruthy(rendered) ? out : undefined;
}

interface Armed {
  record: FlowRecord;
  trigger: TriggerDefinition;
  intervalMs: number;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

/** What one poll does: the trigger engine evaluates and fires. `slotMs` names the poll's slot. */
export type Poll = (record: FlowRecord, t: TriggerDefinition, slotMs: number, signal: AbortSignal) => Promise<void>;

/** The armed polling triggers of this process: one timer each, one poll at a time each. */
export class Pollers {
  private readonly armedTriggers = new Map<string, Armed>();
  private readonly controller = new AbortController();
  private stopped = false;

  constructor(
    private readonly poll: Poll,
    private readonly log: (line: string) => void,
  ) {}

  armed(): string[] {
    return [...this.armedTriggers.keys()];
  }

  /** Starts polling (the first poll at once, as Kestra evaluates a new polling trigger immediately). */
  arm(uid: string, record: FlowRecord, trigger: TriggerDefinition): void {
    if (this.stopped) return;
    const intervalMs = pollInterval(trigger);
    const existing = this.armedTriggers.get(uid);
    if (existing !== undefined && existing.intervalMs === intervalMs) {
      Object.assign(existing, { record, trigger });
      return;
    }
    if (existing !== undefined) clearTimeout(existing.timer);
    const armed: Armed = { record, trigger, intervalMs };
    this.armedTriggers.set(uid, armed);
    this.run(uid, armed, Math.floor(Date.now() / intervalMs) * intervalMs);
  }

  disarm(uid: string): void {
    const a = this.armedTriggers.get(uid);
    if (a === undefined) return;
    clearTimeout(a.timer);
    this.armedTriggers.delete(uid);
  }

  private run(uid: string, a: Armed, slotMs: number): void {
    if (this.stopped || this.armedTriggers.get(uid) !== a) return;
    a.running = this.poll(a.record, a.trigger, slotMs, this.controller.signal)
      .catch((e: Error) => {
        if (!this.stopped)
          this.log(`pebbleflow: ${a.record.namespace}.${a.record.id} trigger ${a.trigger.id}: evaluation failed: ${e.message}`);
      })
      .finally(() => {
        a.running = undefined;
        this.schedule(uid, a);
      });
  }

  /** The next poll at the next slot boundary: servers polling one trigger poll in the same slots. */
  private schedule(uid: string, a: Armed): void {
    if (this.stopped || this.armedTriggers.get(uid) !== a) return;
    const next = (Math.floor(Date.now() / a.intervalMs) + 1) * a.intervalMs;
    a.timer = setTimeout(() => this.run(uid, a, next), Math.min(next - Date.now(), 2 ** 31 - 1));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller.abort();
    const running: Promise<void>[] = [];
    for (const a of this.armedTriggers.values()) {
      clearTimeout(a.timer);
      if (a.running !== undefined) running.push(a.running);
    }
    await Promise.all(running);
  }
}
