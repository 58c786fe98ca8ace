/**
 * The triggers of the served flows: Schedule and ScheduleOnDates (armed on a schedule backend: the
 * embedded timer or BullMQ job schedulers), http.Trigger (polled by every server, see
 * http-trigger.ts), Webhook (`/executions/webhook/{namespace}/{flowId}/{key}`) and Flow
 * (another flow's execution reaching one of `states`), each with its conditions. A disabled
 * flow or trigger arms nothing, nor does a trigger whose stored state is disabled (a Toggle task,
 * `stopAfter`); trigger or condition types pebbleflow does not know are reported
 * once and left unarmed. Kestra's behaviour is the reference for each: see the files cited in
 * `schedule.ts`, `conditions.ts` and `core/src/main/java/io/kestra/plugin/core/trigger/{Webhook,Flow}.java`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  FLOW_TRIGGER,
  HTTP_TRIGGER,
  SCHEDULE_ON_DATES_TRIGGER,
  SCHEDULE_TRIGGER,
  TERMINATED_STATE_NAMES,
  WEBHOOK_TRIGGER,
  type ConditionDefinition,
  type TriggerDefinition,
} from '../../flow/triggers.js';
import type { FlowEngine } from '../../runner/types.js';
import type { TriggerToggleRequest, TriggerToggleResult } from '../../tasks/definition.js';
import type { FlowChange, FlowRecord, FlowRepository } from '../flows/flow-repository.js';
import { HttpError, illegalState, notFound } from '../http/errors.js';
import { mergeLabels, newState, type StoredExecution } from '../executions/model.js';
import type { ExecutionService } from '../executions/service.js';
import { triggerUid, type ExecutionStore } from '../store/types.js';
import {
  conditionFailedMessage,
  conditionsValid,
  executionVariables,
  testCondition,
  unsupportedCondition,
  type ConditionContext,
} from '../../flow/conditions.js';
import type { Execution } from '../../flow/execution.js';
import { isTerminal } from '../../flow/execution.js';
import { evaluateHttpTrigger, Pollers } from './http-trigger.js';
import {
  renderKey,
  renderScheduleDates,
  renderTriggerInputs,
  scheduleNextDate,
  scheduledExecution,
  triggerContext,
  triggerLabels,
} from './rendering.js';
import { freshWindow, isMultipleCondition, matchedKeys, multipleConditionsOf, unsupportedNested } from './multiple-conditions.js';
import { scheduleSpec, tickExecutionId, type ScheduleSpec } from './schedule.js';

/** Where schedules tick: the server's own timer (embedded) or BullMQ job schedulers (Redis). */
export interface ScheduleBackend {
  arm(record: FlowRecord, trigger: TriggerDefinition, spec: ScheduleSpec): Promise<void>;
  disarm(uid: string): Promise<void>;
  /** Uids armed now. */
  armed(): string[];
  stop(): Promise<void>;
}

export interface WebhookRequest {
  readonly method: string;
  /** Header names as received, with every value. */
  readonly headers: Readonly<Record<string, string[]>>;
  readonly parameters: Readonly<Record<string, string[]>>;
  readonly body: string | undefined;
}

export interface TriggerEngineOptions {
  readonly tenant: string;
  readonly flows: FlowRepository;
  readonly executions: ExecutionService;
  readonly store: ExecutionStore;
  readonly engine: FlowEngine;
  readonly schedules: ScheduleBackend;
  readonly log: (line: string) => void;
  /** The server key (`server.encryptionKey`): an http.Trigger's `encryptBody` needs it. */
  readonly encryptionKey?: string | undefined;
}

/** The triggers that fire on a schedule backend: Schedule's cron ticks, ScheduleOnDates' dates. */
const isScheduled = (t: TriggerDefinition): boolean => t.type === SCHEDULE_TRIGGER || t.type === SCHEDULE_ON_DATES_TRIGGER;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Kestra's `Webhook.Output.body`: a JSON object or array when the body is one, else the text. */
export function webhookBody(body: string | undefined): unknown {
  if (body === undefined || body === '') return null;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object') return parsed;
  } catch {
    // not JSON: the raw text
  }
  return body;
}

export class TriggerEngine {
  private readonly o: TriggerEngineOptions;
  private unsubscribe: (() => void) | undefined;
  private readonly warned = new Set<string>();
  private readonly pollers: Pollers;
  /** The last execution each polling trigger created: no poll while it runs (Kestra's isExecutionNotRunning). */
  private readonly lastPolled = new Map<string, string>();
  /** (execution, state) pairs already evaluated for Flow triggers. */
  private readonly seenStates = new Set<string>();

  constructor(options: TriggerEngineOptions) {
    this.o = options;
    this.pollers = new Pollers(async (record, t, slot, signal) => {
      await this.pollHttp(record, t, slot, signal);
    }, options.log);
  }

  get schedules(): ScheduleBackend {
    return this.o.schedules;
  }

  async start(): Promise<void> {
    for (const record of this.o.flows.list()) await this.armFlow(record);
    this.unsubscribe = this.o.flows.onChange((change) => void this.onFlowChange(change));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.pollers.stop();
    await this.o.schedules.stop();
  }

  /** Uids of the polling triggers (http.Trigger) this process polls. */
  polling(): string[] {
    return this.pollers.armed();
  }

  private async onFlowChange(change: FlowChange): Promise<void> {
    try {
      if (change.kind === 'delete') {
        for (const t of change.record.flow.triggers) await this.disarm(change.record, t.id);
        return;
      }
      const before = change.previous?.flow.triggers ?? [];
      for (const t of before) if (!change.record.flow.triggers.some((n) => n.id === t.id)) await this.disarm(change.record, t.id);
      await this.armFlow(change.record);
    } catch (e) {
      this.o.log(`pebbleflow: triggers of ${change.record.namespace}.${change.record.id}: ${(e as Error).message}`);
    }
  }

  private uid(record: FlowRecord, triggerId: string): string {
    return triggerUid({ tenantId: this.o.tenant, namespace: record.namespace, flowId: record.id, triggerId });
  }

  private async disarm(record: FlowRecord, triggerId: string): Promise<void> {
    const uid = this.uid(record, triggerId);
    await this.o.schedules.disarm(uid);
    this.pollers.disarm(uid);
    await this.o.store.deleteTrigger(this.o.tenant, uid);
  }

  /** Whether a trigger can fire; the reason is logged once when not. */
  private usable(record: FlowRecord, t: TriggerDefinition): boolean {
    const problem = !t.supported
      ? `trigger type ${t.declaredType} is not supported by pebbleflow server; it does not fire`
      : unsupportedCondition(t.conditions) !== undefined
        ? `condition type ${unsupportedCondition(t.conditions)!.declaredType} is not supported; the trigger does not fire`
        : t.type === FLOW_TRIGGER && unsupportedNested(multipleConditionsOf(t)) !== undefined
          ? `condition type ${unsupportedNested(multipleConditionsOf(t))!.declaredType} is not supported in a MultipleCondition; the trigger does not fire`
          : undefined;
    if (problem === undefined) return true;
    const key = `${this.uid(record, t.id)}|${record.revision}`;
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.o.log(`pebbleflow: ${record.namespace}.${record.id} trigger ${t.id}: ${problem}`);
    }
    return false;
  }

  private async armFlow(record: FlowRecord): Promise<void> {
    for (const t of record.flow.triggers) {
      if (isScheduled(t)) await this.armSchedule(record, t);
      else if (t.type === HTTP_TRIGGER) this.armPolling(record, t);
    }
    for (const t of record.flow.triggers) if (!isScheduled(t) && !record.flow.disabled && !t.disabled) this.usable(record, t);
  }

  /** Arms a Schedule or ScheduleOnDates (its dates rendered now), or disarms it when it cannot fire. */
  private async armSchedule(record: FlowRecord, t: TriggerDefinition): Promise<void> {
    const uid = this.uid(record, t.id);
    if (record.flow.disabled || t.disabled || !this.usable(record, t)) {
      await this.o.schedules.disarm(uid);
      return;
    }
    let spec: ScheduleSpec;
    try {
      spec = t.type === SCHEDULE_ON_DATES_TRIGGER ? scheduleSpec(t, await renderScheduleDates(this.o.engine, record, t)) : scheduleSpec(t);
    } catch (e) {
      this.o.log(`pebbleflow: ${record.namespace}.${record.id} trigger ${t.id}: ${(e as Error).message}; it does not fire`);
      await this.o.schedules.disarm(uid);
      return;
    }
    await this.o.schedules.arm(record, t, spec);
  }

  /** Starts (or stops) polling an http.Trigger; its stored state (Toggle, stopAfter) is read at each poll. */
  private armPolling(record: FlowRecord, t: TriggerDefinition): void {
    const uid = this.uid(record, t.id);
    if (record.flow.disabled || t.disabled || !this.usable(record, t)) {
      this.pollers.disarm(uid);
      return;
    }
    try {
      this.pollers.arm(uid, record, t);
    } catch (e) {
      this.o.log(`pebbleflow: ${record.namespace}.${record.id} trigger ${t.id}: ${(e as Error).message}; it does not fire`);
    }
  }

  /** Whether a trigger's stored state says it is disabled (a Toggle task, `stopAfter`). */
  private async stateDisabled(record: FlowRecord, triggerId: string): Promise<boolean> {
    return (await this.o.store.getTrigger(this.o.tenant, this.uid(record, triggerId)))?.disabled === true;
  }

  /**
   * Kestra's Toggle task: saves the trigger's state with `disabled = !enabled`, and disarms a
   * disabled Schedule or arms an enabled one again (from its next tick: the ticks it missed while
   * disabled do not run). Webhook and Flow triggers read the state when they would fire.
   */
  async toggle(request: TriggerToggleRequest): Promise<TriggerToggleResult> {
    const record = this.o.flows.get(request.namespace, request.flowId);
    if (record === undefined) return 'flow-not-found';
    const t = record.flow.triggers.find((x) => x.id === request.triggerId);
    if (t === undefined) return 'trigger-not-found';
    const uid = this.uid(record, t.id);
    const state = await this.o.store.getTrigger(this.o.tenant, uid);
    const disabled = !request.enabled;
    const { date: _date, nextExecutionDate: _next, ...kept } = state ?? {};
    await this.o.store.saveTrigger({
      // Re-enabled: armed from its next tick. Otherwise the dates are kept (a restart resumes from them).
      ...(disabled || state?.disabled !== true ? state : kept),
      tenantId: this.o.tenant,
      namespace: record.namespace,
      flowId: record.id,
      triggerId: t.id,
      disabled,
      updatedDate: new Date().toISOString(),
    });
    if (isScheduled(t)) {
      if (disabled) await this.o.schedules.disarm(uid);
      else await this.armSchedule(record, t);
    }
    this.o.log(`pebbleflow: ${record.namespace}.${record.id} trigger ${t.id} ${disabled ? 'disabled' : 'enabled'} (Toggle)`);
    return 'toggled';
  }

  // --- Schedule ---------------------------------------------------------------------------------

  /**
   * Creates the execution of one tick (its id derived from the trigger and the tick, so a second
   * process that fires the same tick makes nothing). Undefined when it existed already.
   */
  async fireSchedule(record: FlowRecord, t: TriggerDefinition, spec: ScheduleSpec, tickMs: number): Promise<StoredExecution | undefined> {
    const request = await scheduledExecution(this.o.engine, record, t, spec, tickMs, this.o.log);
    return request === undefined ? undefined : this.o.executions.create(record, request);
  }

  /** The tick a Schedule evaluates after `tickMs` (its `nextExecutionDate`): Kestra's nextEvaluationDate. */
  scheduleNextDate(record: FlowRecord, t: TriggerDefinition, spec: ScheduleSpec, tickMs: number): Promise<number | undefined> {
    return scheduleNextDate(this.o.engine, record, t, spec, tickMs, this.o.log);
  }

  // --- http.Trigger -----------------------------------------------------------------------------

  /**
   * One poll of an http.Trigger (see http-trigger.ts): skipped while its state is disabled or its
   * last execution runs; when the response meets `responseCondition` and the trigger's
   * `conditions` hold, an execution with the response as `trigger` — its id derived from the
   * poll's slot, so servers polling the same trigger make one.
   */
  async pollHttp(record: FlowRecord, t: TriggerDefinition, slotMs: number, signal: AbortSignal): Promise<StoredExecution | undefined> {
    const uid = this.uid(record, t.id);
    if (await this.stateDisabled(record, t.id)) return undefined;
    const last = this.lastPolled.get(uid);
    if (last !== undefined) {
      const execution = await this.o.store.get(this.o.tenant, last);
      if (execution !== undefined && !isTerminal(execution.state.current)) return undefined;
    }
    const variables = await evaluateHttpTrigger({
      engine: this.o.engine,
      record,
      trigger: t,
      signal,
      encryptionKey: this.o.encryptionKey,
      log: this.o.log,
    });
    if (variables === undefined) return undefined;
    const id = tickExecutionId(uid, slotMs);
    const about: Execution = {
      id,
      originalId: id,
      namespace: record.namespace,
      flowId: record.id,
      flowRevision: record.revision,
      taskRunList: [],
      inputs: {},
      labels: mergeLabels(record.flow),
      state: newState(),
      trigger: { id: t.id, type: t.declaredType, variables },
    };
    if (!(await this.conditionsValid(record, t, about))) return undefined;
    const labels = await triggerLabels(this.o.engine, record, t, { trigger: variables });
    this.lastPolled.set(uid, id);
    return this.o.executions.create(record, { id, labels, trigger: { id: t.id, type: t.declaredType, variables } });
  }

  // --- Webhook ----------------------------------------------------------------------------------

  /** Kestra's webhook endpoint: 404 for an unknown flow or key (nothing started), 409 for a disabled flow. */
  async webhook(namespace: string, flowId: string, key: string, request: WebhookRequest): Promise<StoredExecution | 'conditions-not-met'> {
    const record = this.o.flows.get(namespace, flowId);
    if (record === undefined) throw new HttpError(404, 'Not Found: Flow not found');
    if (record.flow.disabled) throw illegalState('Cannot execute a disabled flow');
    let match: TriggerDefinition | undefined;
    for (const t of record.flow.triggers) {
      if (t.type !== WEBHOOK_TRIGGER || t.disabled) continue;
      let expected: string;
      try {
        expected = await renderKey(this.o.engine, record, t.properties.key);
      } catch (e) {
        this.o.log(
          `pebbleflow: ${namespace}.${flowId} webhook ${t.id}: the key does not render (${(e as Error).message}); the webhook is ignored`,
        );
        continue;
      }
      if (timingSafeEqual(digest(expected), digest(key))) match = match ?? t;
    }
    if (match === undefined) throw notFound('Webhook not found');
    if (!this.usable(record, match)) throw notFound('Webhook not found');
    if (await this.stateDisabled(record, match.id)) throw notFound('Webhook not found');
    const variables = { body: webhookBody(request.body), headers: request.headers, parameters: request.parameters };
    // Kestra checks the conditions against the execution it is about to start: CREATED, of this
    // flow, with the flow's labels and the request as `trigger`.
    const about: Execution = {
      id: '',
      originalId: '',
      namespace,
      flowId,
      flowRevision: record.revision,
      taskRunList: [],
      inputs: {},
      labels: mergeLabels(record.flow),
      state: newState(),
      trigger: { id: match.id, type: match.declaredType, variables },
    };
    if (!(await this.conditionsValid(record, match, about))) return 'conditions-not-met';
    const labels = await triggerLabels(this.o.engine, record, match, { trigger: variables });
    const execution = await this.o.executions.create(record, { labels, trigger: { id: match.id, type: match.declaredType, variables } });
    if (execution === undefined) throw new HttpError(500, 'Internal Server Error: the execution could not be created');
    return execution;
  }

  // --- Flow -------------------------------------------------------------------------------------

  /**
   * Called with each version of each execution: when it enters a state a Flow trigger listens to
   * (terminal states by default) and the conditions hold, the listening flow gets an execution —
   * once per (execution, state, trigger), whichever process sees it first. Multiple conditions
   * (`preconditions`, MultipleCondition) gather results in stored windows first, as Kestra's
   * FlowTriggerService.computeExecutionsFromFlowTriggers does (see multiple-conditions.ts): the
   * trigger fires once every one of them is met.
   */
  async onExecution(execution: StoredExecution): Promise<void> {
    const state = execution.state.current;
    const seenKey = `${execution.id}|${state}`;
    if (this.seenStates.has(seenKey)) return;
    this.seenStates.add(seenKey);
    if (this.seenStates.size > 50_000) this.seenStates.clear();
    await this.stopAfter(execution);
    let windowsEvaluated = false;
    for (const record of this.o.flows.list()) {
      if (record.flow.disabled) continue;
      if (record.namespace === execution.namespace && record.id === execution.flowId) continue; // no recursion (Kestra's removeUnwanted)
      for (const t of record.flow.triggers) {
        if (t.type !== FLOW_TRIGGER || t.disabled) continue;
        const states = Array.isArray(t.properties.states) ? t.properties.states.map(String) : TERMINATED_STATE_NAMES;
        if (!states.includes(state)) continue;
        if (!this.usable(record, t)) continue;
        if (!(await this.conditionsValid(record, t, execution))) continue;
        if (await this.stateDisabled(record, t.id)) continue;
        windowsEvaluated = true;
        let met: boolean;
        try {
          met = await this.multipleConditionsMet(record, t, execution);
        } catch (e) {
          this.o.log(`pebbleflow: ${record.namespace}.${record.id} trigger ${t.id}: preconditions not evaluated: ${(e as Error).message}`);
          continue;
        }
        if (!met) continue;
        await this.fireFlowTrigger(record, t, execution).catch((e: Error) =>
          this.o.log(`pebbleflow: Failed to trigger flow ${record.namespace}.${record.id} for trigger ${t.id}: ${e.message}`),
        );
      }
    }
    // FlowTriggerService purges the ended windows after each evaluation.
    if (windowsEvaluated)
      await this.o.store
        .deleteExpiredConditionWindows(this.o.tenant, new Date().toISOString())
        .catch((e: Error) => this.o.log(`pebbleflow: ended precondition windows not purged: ${e.message}`));
  }

  /**
   * Records the execution in the window of each multiple condition of the trigger (all of them,
   * as Kestra saves every window before it tests any) and says whether each is met.
   */
  private async multipleConditionsMet(record: FlowRecord, t: TriggerDefinition, execution: StoredExecution): Promise<boolean> {
    const owner = { tenantId: this.o.tenant, namespace: record.namespace, flowId: record.id };
    const render = (expression: string): Promise<string> => this.renderFor(record, execution, expression);
    const context = this.conditionContext(record, execution);
    const test = (condition: ConditionDefinition): Promise<boolean> => testCondition(condition, context);
    let met = true;
    for (const spec of multipleConditionsOf(t)) {
      const matched = await matchedKeys(spec, execution, render, test);
      const nowMs = Date.now();
      const complete = await this.o.store.evaluateConditionWindow({
        fresh: freshWindow(owner, spec, nowMs),
        now: new Date(nowMs).toISOString(),
        matched,
        keys: spec.conditions.map((c) => c.key),
        resetOnSuccess: spec.resetOnSuccess,
      });
      met &&= complete;
    }
    return met;
  }

  /** A `where` filter's EXPRESSION, rendered as Kestra's runContextFactory.of(flow, execution) would: the listening flow, the upstream execution. */
  private async renderFor(record: FlowRecord, execution: StoredExecution, expression: string): Promise<string> {
    const labels: Record<string, string> = {};
    for (const l of execution.labels) labels[l.key] = l.value;
    const context = triggerContext(record, {
      execution: {
        id: execution.id,
        startDate: execution.state.startDate,
        originalId: execution.originalId,
        state: execution.state.current,
      },
      labels,
      inputs: execution.inputs,
      ...(execution.trigger?.variables === undefined ? {} : { trigger: execution.trigger.variables }),
    });
    return this.o.engine.render(expression, context, { tenant: record.tenant, namespace: record.namespace });
  }

  /**
   * ConditionService.valid for a Webhook or Flow trigger: the conditions see the trigger's flow and
   * the execution (the upstream one for a Flow trigger), rendering with Kestra's run variables of
   * both; one that cannot be evaluated is logged and counts as false.
   */
  private conditionsValid(record: FlowRecord, t: TriggerDefinition, execution: Execution): Promise<boolean> {
    return conditionsValid(
      // A MultipleCondition is a window of several executions, recorded by multipleConditionsMet.
      t.conditions.filter((c) => !isMultipleCondition(c)),
      this.conditionContext(record, execution),
      (condition, error) => this.o.log(`pebbleflow: trigger ${t.id}: ${conditionFailedMessage(record, condition, error)}`),
    );
  }

  /** What a trigger's conditions are tested with: the trigger's flow and the execution, with Kestra's run variables of both. */
  private conditionContext(record: FlowRecord, execution: Execution): ConditionContext {
    const flow = { ...record.flow, revision: record.revision, tenantId: record.tenant };
    return {
      flow,
      execution,
      variables: executionVariables(flow, execution),
      render: (template, variables) => this.o.engine.render(template, variables, { tenant: record.tenant, namespace: record.namespace }),
    };
  }

  private async fireFlowTrigger(record: FlowRecord, t: TriggerDefinition, upstream: StoredExecution): Promise<void> {
    const variables = {
      executionId: upstream.id,
      namespace: upstream.namespace,
      flowId: upstream.flowId,
      flowRevision: upstream.flowRevision,
      state: upstream.state.current,
    };
    const outputs = upstream.outputs ?? {};
    const extra = { trigger: Object.keys(outputs).length > 0 ? { ...variables, outputs } : variables };
    const inputs = await renderTriggerInputs(this.o.engine, record, t.properties.inputs, extra);
    const labels = await triggerLabels(this.o.engine, record, t, extra);
    await this.o.executions.create(record, {
      id: tickExecutionId(
        `${this.uid(record, t.id)}|${upstream.id}`,
        Date.parse(upstream.state.histories.at(-1)?.date ?? upstream.state.startDate),
      ),
      inputs,
      labels,
      trigger: { id: t.id, type: t.declaredType, variables },
    });
  }

  /** `stopAfter`: a schedule whose execution ends in one of these states stops firing (Kestra disables the trigger). */
  private async stopAfter(execution: StoredExecution): Promise<void> {
    const triggerId = execution.trigger?.id;
    if (triggerId === undefined) return;
    const record = this.o.flows.get(execution.namespace, execution.flowId);
    const t = record?.flow.triggers.find((x) => x.id === triggerId);
    if (record === undefined || t === undefined || !Array.isArray(t.properties.stopAfter)) return;
    if (!t.properties.stopAfter.map(String).includes(execution.state.current)) return;
    const uid = this.uid(record, t.id);
    const state = await this.o.store.getTrigger(this.o.tenant, uid);
    if (state?.disabled === true) return;
    await this.o.store.saveTrigger({
      tenantId: this.o.tenant,
      namespace: record.namespace,
      flowId: record.id,
      triggerId: t.id,
      ...state,
      disabled: true,
      updatedDate: new Date().toISOString(),
    });
    await this.o.schedules.disarm(uid);
    this.o.log(
      `pebbleflow: ${record.namespace}.${record.id} trigger ${t.id} stopped after an execution ended ${execution.state.current} (stopAfter)`,
    );
  }
}
