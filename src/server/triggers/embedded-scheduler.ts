/**
 * Schedules in the server process. Each armed Schedule keeps Kestra's trigger context in the
 * store (`date`: the last tick evaluated, `nextExecutionDate`), so a restart resumes where it
 * stopped: with `recoverMissedSchedules: ALL` (the default) every missed tick runs, oldest first,
 * with LAST only the latest one, with NONE none. A timer wakes at the next due tick; each tick's
 * execution has an id derived from the tick, so several servers sharing a data folder still make
 * one execution per tick.
 */
import type { TriggerDefinition } from '../../flow/triggers.js';
import type { FlowRecord } from '../flows/flow-repository.js';
import { triggerUid, type ExecutionStore, type TriggerState } from '../store/types.js';
import { isTooLate, missedTicks, type ScheduleSpec } from './schedule.js';
import type { ScheduleBackend } from './trigger-engine.js';

interface Armed {
  record: FlowRecord;
  trigger: TriggerDefinition;
  spec: ScheduleSpec;
  /** Ticks still to run, oldest first (missed ones after a restart, then the next one). */
  due: number[];
}

export type FireSchedule = (record: FlowRecord, trigger: TriggerDefinition, spec: ScheduleSpec, tickMs: number) => Promise<unknown>;
/** The tick evaluated after `tickMs` (Kestra's Schedule.nextEvaluationDate: with conditions, the next one whose conditions hold). */
export type NextTick = (record: FlowRecord, trigger: TriggerDefinition, spec: ScheduleSpec, tickMs: number) => Promise<number | undefined>;

/** At most this many ticks run per wake-up, so a long backlog does not hold the event loop. */
const BATCH = 50;

export class EmbeddedScheduler implements ScheduleBackend {
  private readonly tenant: string;
  private readonly store: ExecutionStore;
  private readonly log: (line: string) => void;
  private fire: FireSchedule | undefined;
  private nextTick: NextTick = (_record, _trigger, spec, tickMs) => Promise.resolve(spec.ticks.next(tickMs)?.getTime());
  private readonly armedTriggers = new Map<string, Armed>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(options: { tenant: string; store: ExecutionStore; log: (line: string) => void }) {
    this.tenant = options.tenant;
    this.store = options.store;
    this.log = options.log;
  }

  /** What a due tick does (the trigger engine creates its execution), and which tick comes next. */
  setFire(fire: FireSchedule, nextTick?: NextTick): void {
    this.fire = fire;
    if (nextTick !== undefined) this.nextTick = nextTick;
  }

  armed(): string[] {
    return [...this.armedTriggers.keys()];
  }

  async arm(record: FlowRecord, trigger: TriggerDefinition, spec: ScheduleSpec): Promise<void> {
    const uid = triggerUid({ tenantId: this.tenant, namespace: record.namespace, flowId: record.id, triggerId: trigger.id });
    const existing = this.armedTriggers.get(uid);
    if (existing !== undefined && existing.spec.fingerprint === spec.fingerprint) {
      Object.assign(existing, { record, trigger, spec });
      return;
    }
    const now = Date.now();
    const state = await this.store.getTrigger(this.tenant, uid);
    if (state?.disabled === true) return;
    let due: number[];
    if (state === undefined || state.fingerprint !== spec.fingerprint || state.date === undefined) {
      // A new (or changed) schedule starts at its next tick, as Kestra's scheduler does.
      const next = spec.ticks.next(now);
      due = next === undefined ? [] : [next.getTime()];
    } else {
      const last = Date.parse(state.date);
      const { ticks, capped } = missedTicks(spec, last, now);
      if (capped)
        this.log(
          `pebbleflow: ${record.namespace}.${record.id} trigger ${trigger.id}: only the ${ticks.length} most recent missed ticks are run`,
        );
      const next = spec.ticks.next(Math.max(now, ticks.at(-1) ?? now));
      due = [...ticks, ...(next === undefined ? [] : [next.getTime()])];
    }
    this.armedTriggers.set(uid, { record, trigger, spec, due });
    await this.saveState(uid, record, trigger, spec, state?.date, due[0]);
    this.wake();
  }

  async disarm(uid: string): Promise<void> {
    if (this.armedTriggers.delete(uid)) this.wake();
  }

  private async saveState(
    uid: string,
    record: FlowRecord,
    trigger: TriggerDefinition,
    spec: ScheduleSpec,
    date: string | undefined,
    next: number | undefined,
  ): Promise<void> {
    const state: TriggerState = {
      tenantId: this.tenant,
      namespace: record.namespace,
      flowId: record.id,
      triggerId: trigger.id,
      ...(date === undefined ? {} : { date }),
      ...(next === undefined ? {} : { nextExecutionDate: new Date(next).toISOString() }),
      fingerprint: spec.fingerprint,
      updatedDate: new Date().toISOString(),
    };
    await this.store.saveTrigger(state).catch((e: Error) => this.log(`pebbleflow: trigger state ${uid}: ${e.message}`));
  }

  /** Sets the timer for the earliest due tick. */
  private wake(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    let earliest = Number.POSITIVE_INFINITY;
    for (const a of this.armedTriggers.values()) if (a.due[0] !== undefined && a.due[0] < earliest) earliest = a.due[0];
    if (earliest === Number.POSITIVE_INFINITY) return;
    // setTimeout takes at most ~24.8 days; a later tick is reached through intermediate wake-ups.
    const delay = Math.min(Math.max(0, earliest - Date.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private tick(): Promise<void> {
    this.running ??= this.runDue().finally(() => {
      this.running = undefined;
      this.wake();
    });
    return this.running;
  }

  private async runDue(): Promise<void> {
    const fire = this.fire;
    if (fire === undefined) return;
    let budget = BATCH;
    for (const [uid, a] of this.armedTriggers) {
      while (budget > 0 && !this.stopped && a.due[0] !== undefined && a.due[0] <= Date.now()) {
        const tick = a.due.shift()!;
        budget--;
        if (isTooLate(a.spec, tick, Date.now())) {
          this.log(
            `pebbleflow: ${a.record.namespace}.${a.record.id} trigger ${a.trigger.id}: tick ${new Date(tick).toISOString()} skipped (later than lateMaximumDelay)`,
          );
        } else {
          try {
            await fire(a.record, a.trigger, a.spec, tick);
          } catch (e) {
            this.log(`pebbleflow: ${a.record.namespace}.${a.record.id} trigger ${a.trigger.id}: ${(e as Error).message}`);
          }
        }
        if (a.due.length === 0) {
          // Kestra's next evaluation date follows the last one: a late tick is caught up, never
          // skipped; with conditions it is the next tick whose conditions hold.
          let next: number | undefined;
          try {
            next = await this.nextTick(a.record, a.trigger, a.spec, tick);
          } catch (e) {
            this.log(`pebbleflow: ${a.record.namespace}.${a.record.id} trigger ${a.trigger.id}: ${(e as Error).message}`);
            next = a.spec.ticks.next(tick)?.getTime();
          }
          if (next !== undefined) a.due.push(next);
        }
        if (this.armedTriggers.get(uid) === a)
          await this.saveState(uid, a.record, a.trigger, a.spec, new Date(tick).toISOString(), a.due[0]);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
