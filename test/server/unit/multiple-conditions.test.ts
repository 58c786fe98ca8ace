/**
 * The windows of multiple conditions (a Flow trigger's `preconditions`, MultipleCondition): their
 * bounds for each type, validity, expiry, what one evaluation records, and resetOnSuccess.
 * Ported from kestra-io/kestra
 * `core/src/test/java/io/kestra/core/models/triggers/multipleflows/AbstractMultipleConditionStorageTest.java`
 * (there with the wall clock and Thread.sleep; here with fixed instants), and the semantics of
 * `core/src/main/java/io/kestra/core/services/FlowTriggerService.java`.
 */
import { preconditionsSpec, multipleConditionSpec, type TimeWindow } from '../../../src/flow/multiple-condition.js';
import {
  evaluateWindow,
  filterHolds,
  freshWindow,
  matchedKeys,
  resolveCondition,
  windowBounds,
  windowExpired,
  windowValid,
} from '../../../src/server/triggers/multiple-conditions.js';
import { FileExecutionStore } from '../../../src/server/store/file-store.js';
import type { ConditionWindow, WindowEvaluation } from '../../../src/server/store/types.js';
import type { Execution } from '../../../src/runner/execution.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCondition } from '../../../src/flow/conditions.js';
import type { ConditionDefinition } from '../../../src/flow/triggers.js';

/** The flow's condition evaluator on an upstream execution, as the trigger engine passes it. */
const tester =
  (execution: Execution) =>
  (condition: ConditionDefinition): Promise<boolean> =>
    testCondition(condition, {
      flow: { id: 'listening', namespace: 'io.kestra.tests' },
      execution,
      variables: {},
      render: () => Promise.resolve(''),
    });

const ms = (iso: string): number => Date.parse(iso);
const H = 3_600_000;
const M = 60_000;
const S = 1000;
const D = 24 * H;
const bounds = (tw: TimeWindow, now: string): [string, string] => {
  const { start, end } = windowBounds(tw, ms(now));
  return [new Date(start).toISOString(), new Date(end).toISOString()];
};
const owner = { tenantId: 'main', namespace: 'io.kestra.unit', flowId: 'multiple-flow' };
const spec = (timeWindow: TimeWindow): { id: string; timeWindow: TimeWindow } => ({ id: 'condition-multiple', timeWindow });

describe('window bounds (MultipleConditionStorageInterface.getOrCreate)', () => {
  const now = '2024-03-10T14:37:42.250Z';

  test('allDefault / daily: a DURATION_WINDOW of one day, midnight to 23:59:59.999', () => {
    expect(bounds({ type: 'DURATION_WINDOW' }, now)).toEqual(['2024-03-10T00:00:00.000Z', '2024-03-10T23:59:59.999Z']);
    expect(bounds({ type: 'DURATION_WINDOW', window: D, windowAdvance: 0 }, now)).toEqual([
      '2024-03-10T00:00:00.000Z',
      '2024-03-10T23:59:59.999Z',
    ]);
  });

  test('dailyAdvance: windowAdvance -PT4H starts the day window at 20:00 the day before', () => {
    expect(bounds({ type: 'DURATION_WINDOW', window: D, windowAdvance: -4 * H }, now)).toEqual([
      '2024-03-09T20:00:00.000Z',
      '2024-03-10T19:59:59.999Z',
    ]);
    // Kestra's arithmetic: shifted backwards, the window does not cover the end of the day.
    expect(
      windowValid(
        freshWindow(owner, spec({ type: 'DURATION_WINDOW', window: D, windowAdvance: -4 * H }), ms('2024-03-10T21:00:00Z')),
        '2024-03-10T21:00:00.000Z',
      ),
    ).toBe(false);
  });

  test('as Kestra computes it, not as its description says: PT6H windows are aligned on the hour, then advanced', () => {
    expect(bounds({ type: 'DURATION_WINDOW', window: 6 * H, windowAdvance: 6 * H }, now)).toEqual([
      '2024-03-10T20:00:00.000Z',
      '2024-03-11T01:59:59.999Z',
    ]);
  });

  test('hourly: aligned on the hour, shifted by windowAdvance', () => {
    expect(bounds({ type: 'DURATION_WINDOW', window: H }, now)).toEqual(['2024-03-10T14:00:00.000Z', '2024-03-10T14:59:59.999Z']);
    expect(bounds({ type: 'DURATION_WINDOW', window: H, windowAdvance: -4 * H }, now)).toEqual([
      '2024-03-10T10:00:00.000Z',
      '2024-03-10T10:59:59.999Z',
    ]);
  });

  test('minutely: a PT15M window starts on a quarter, minus windowAdvance (start minutes 10/25/40/55, end 9/24/39/54)', () => {
    expect(bounds({ type: 'DURATION_WINDOW', window: 15 * M }, now)).toEqual(['2024-03-10T14:30:00.000Z', '2024-03-10T14:44:59.999Z']);
    const [start, end] = bounds({ type: 'DURATION_WINDOW', window: 15 * M, windowAdvance: -5 * M }, now);
    expect(start).toBe('2024-03-10T14:25:00.000Z');
    expect(end).toBe('2024-03-10T14:39:59.999Z');
  });

  test('a window under a minute starts at the current second', () => {
    expect(bounds({ type: 'DURATION_WINDOW', window: S, windowAdvance: 0 }, now)).toEqual([
      '2024-03-10T14:37:42.000Z',
      '2024-03-10T14:37:42.999Z',
    ]);
  });

  test('SLIDING_WINDOW starts now (to the second) and lasts its window, one day by default', () => {
    expect(bounds({ type: 'SLIDING_WINDOW', window: H }, now)).toEqual(['2024-03-10T14:37:42.000Z', '2024-03-10T15:37:42.000Z']);
    expect(bounds({ type: 'SLIDING_WINDOW' }, now)).toEqual(['2024-03-10T14:37:42.000Z', '2024-03-11T14:37:42.000Z']);
  });

  test('DAILY_TIME_WINDOW is today from startTime to endTime; DAILY_TIME_DEADLINE today from midnight to deadline', () => {
    expect(bounds({ type: 'DAILY_TIME_WINDOW', startTime: 6 * 3600, endTime: 9 * 3600 }, now)).toEqual([
      '2024-03-10T06:00:00.000Z',
      '2024-03-10T09:00:00.000Z',
    ]);
    expect(bounds({ type: 'DAILY_TIME_DEADLINE', deadline: 9 * 3600 }, now)).toEqual([
      '2024-03-10T00:00:00.000Z',
      '2024-03-10T09:00:00.000Z',
    ]);
  });

  test('validity: the start counts in, the end out', () => {
    const w = { start: '2024-03-10T06:00:00.000Z', end: '2024-03-10T09:00:00.000Z' };
    expect(windowValid(w, '2024-03-10T05:59:59.999Z')).toBe(false);
    expect(windowValid(w, '2024-03-10T06:00:00.000Z')).toBe(true);
    expect(windowValid(w, '2024-03-10T08:59:59.999Z')).toBe(true);
    expect(windowValid(w, '2024-03-10T09:00:00.000Z')).toBe(false);
    expect(windowExpired(w, '2024-03-10T09:00:00.000Z')).toBe(false);
    expect(windowExpired(w, '2024-03-10T09:00:00.001Z')).toBe(true);
  });
});

/** An in-memory store of windows applying `evaluateWindow`, as the file store does. */
function memory(): { store: Map<string, ConditionWindow>; evaluate(e: Omit<WindowEvaluation, 'now'>, now: string): boolean } {
  const store = new Map<string, ConditionWindow>();
  return {
    store,
    evaluate(e, now) {
      const { next, complete } = evaluateWindow(store.get('w'), { ...e, now });
      if (next === null) store.delete('w');
      else if (next !== undefined) store.set('w', next);
      return complete;
    },
  };
}

describe('one evaluation (FlowTriggerService.computeExecutionsFromFlowTriggers)', () => {
  const daily = spec({ type: 'DURATION_WINDOW' });
  const at = (iso: string, matched: string[], resetOnSuccess = true): [Omit<WindowEvaluation, 'now'>, string] => [
    { fresh: freshWindow(owner, daily, ms(iso)), matched, keys: ['flow-a', 'flow-b'], resetOnSuccess },
    iso,
  ];

  test('A alone is not enough; B then meets the condition once; the window is reset, so A again is not enough', () => {
    const m = memory();
    expect(m.evaluate(...at('2024-03-10T10:00:00.000Z', ['flow-a']))).toBe(false);
    expect(m.store.get('w')?.results).toEqual({ 'flow-a': true });
    expect(m.evaluate(...at('2024-03-10T11:00:00.000Z', ['flow-b']))).toBe(true);
    expect(m.store.has('w')).toBe(false);
    expect(m.evaluate(...at('2024-03-10T12:00:00.000Z', ['flow-a']))).toBe(false);
  });

  test('resetOnSuccess: false keeps the results: each later match fires again within the window', () => {
    const m = memory();
    expect(m.evaluate(...at('2024-03-10T10:00:00.000Z', ['flow-a'], false))).toBe(false);
    expect(m.evaluate(...at('2024-03-10T11:00:00.000Z', ['flow-b'], false))).toBe(true);
    expect(m.store.get('w')?.results).toEqual({ 'flow-a': true, 'flow-b': true });
    expect(m.evaluate(...at('2024-03-10T12:00:00.000Z', ['flow-a'], false))).toBe(true);
    // The next day's window starts empty.
    expect(m.evaluate(...at('2024-03-11T01:00:00.000Z', ['flow-a'], false))).toBe(false);
    expect(m.store.get('w')).toMatchObject({ start: '2024-03-11T00:00:00.000Z', results: { 'flow-a': true } });
  });

  test('expiration: a result from an ended window does not count in the next one', () => {
    const m = memory();
    expect(m.evaluate(...at('2024-03-10T23:59:00.000Z', ['flow-a']))).toBe(false);
    expect(m.evaluate(...at('2024-03-11T00:00:30.000Z', ['flow-b']))).toBe(false);
    expect(m.store.get('w')).toMatchObject({ start: '2024-03-11T00:00:00.000Z', results: { 'flow-b': true } });
  });

  test('an execution matching nothing records nothing (empty results are not saved)', () => {
    const m = memory();
    expect(m.evaluate(...at('2024-03-10T10:00:00.000Z', []))).toBe(false);
    expect(m.store.size).toBe(0);
  });

  test('dailyTimeDeadline_Expired: after the deadline nothing is recorded; the stored window is expired', () => {
    const deadline = spec({ type: 'DAILY_TIME_DEADLINE', deadline: 9 * 3600 });
    const m = memory();
    const e = (iso: string, matched: string[]): [Omit<WindowEvaluation, 'now'>, string] => [
      { fresh: freshWindow(owner, deadline, ms(iso)), matched, keys: ['flow-a', 'flow-b'], resetOnSuccess: true },
      iso,
    ];
    expect(m.evaluate(...e('2024-03-10T08:00:00.000Z', ['flow-a']))).toBe(false);
    expect(windowExpired(m.store.get('w')!, '2024-03-10T08:59:59.999Z')).toBe(false);
    expect(m.evaluate(...e('2024-03-10T09:30:00.000Z', ['flow-b']))).toBe(false);
    expect(m.store.get('w')?.results).toEqual({ 'flow-a': true });
    expect(windowExpired(m.store.get('w')!, '2024-03-10T09:30:00.000Z')).toBe(true);
    // The next day, before the deadline, a new window.
    expect(m.evaluate(...e('2024-03-11T01:00:00.000Z', ['flow-b']))).toBe(false);
    expect(m.store.get('w')).toMatchObject({ start: '2024-03-11T00:00:00.000Z', results: { 'flow-b': true } });
  });

  test('dailyTimeWindow: outside its hours nothing is recorded, inside it gathers', () => {
    const tw = spec({ type: 'DAILY_TIME_WINDOW', startTime: 6 * 3600, endTime: 9 * 3600 });
    const m = memory();
    const e = (iso: string, matched: string[]): [Omit<WindowEvaluation, 'now'>, string] => [
      { fresh: freshWindow(owner, tw, ms(iso)), matched, keys: ['flow-a', 'flow-b'], resetOnSuccess: true },
      iso,
    ];
    expect(m.evaluate(...e('2024-03-10T05:00:00.000Z', ['flow-a']))).toBe(false);
    expect(m.store.size).toBe(0);
    expect(m.evaluate(...e('2024-03-10T06:10:00.000Z', ['flow-a']))).toBe(false);
    expect(m.evaluate(...e('2024-03-10T08:50:00.000Z', ['flow-b']))).toBe(true);
  });

  test('slidingWindow: starts at the first match and lasts its window', () => {
    const sliding = spec({ type: 'SLIDING_WINDOW', window: H });
    const m = memory();
    const e = (iso: string, matched: string[]): [Omit<WindowEvaluation, 'now'>, string] => [
      { fresh: freshWindow(owner, sliding, ms(iso)), matched, keys: ['flow-a', 'flow-b'], resetOnSuccess: true },
      iso,
    ];
    expect(m.evaluate(...e('2024-03-10T10:20:00.500Z', ['flow-a']))).toBe(false);
    expect(m.evaluate(...e('2024-03-10T11:20:01.000Z', ['flow-b']))).toBe(false); // an hour later: a new window
    expect(m.store.get('w')).toMatchObject({ start: '2024-03-10T11:20:01.000Z', results: { 'flow-b': true } });
    expect(m.evaluate(...e('2024-03-10T11:50:00.000Z', ['flow-a']))).toBe(true);
  });

  test('no conditions: always met (Kestra tests an empty map as all validated)', () => {
    const { complete, next } = evaluateWindow(undefined, {
      fresh: freshWindow(owner, daily, ms('2024-03-10T10:00:00Z')),
      now: '2024-03-10T10:00:00.000Z',
      matched: [],
      keys: [],
      resetOnSuccess: true,
    });
    expect([complete, next]).toEqual([true, undefined]);
  });
});

describe('the conditions of a window', () => {
  const execution = (flowId: string, state = 'SUCCESS', labels: { key: string; value: string }[] = []): Execution =>
    ({
      id: `e-${flowId}`,
      originalId: `e-${flowId}`,
      namespace: 'io.kestra.tests.trigger.preconditions',
      flowId,
      flowRevision: 1,
      taskRunList: [],
      inputs: {},
      labels,
      state: { current: state, histories: [], startDate: '2024-03-10T10:00:00Z' },
    }) as unknown as Execution;

  // core/src/test/resources/flows/valids/flow-trigger-preconditions-flow-listen.yaml
  const listen = preconditionsSpec({
    id: 'flow',
    flows: [
      {
        namespace: 'io.kestra.tests.trigger.preconditions',
        flowId: 'flow-trigger-preconditions-flow-a',
        states: ['SUCCESS', 'WARNING', 'FAILED'],
      },
      { namespace: 'io.kestra.tests.trigger.preconditions', flowId: 'flow-trigger-preconditions-flow-b', states: ['SUCCESS'] },
    ],
    where: [
      {
        id: 'flow1',
        filters: [
          { field: 'NAMESPACE', type: 'STARTS_WITH', value: 'io.kestra.tests.trigger' },
          { field: 'FLOW_ID', type: 'EQUAL_TO', value: 'flow-trigger-preconditions-flow-a' },
          { field: 'EXPRESSION', type: 'IS_TRUE', value: "{{labels.some == 'label'}}" },
        ],
      },
      {
        id: 'flow2',
        filters: [
          { field: 'NAMESPACE', type: 'ENDS_WITH', value: 'trigger.preconditions' },
          { field: 'FLOW_ID', type: 'EQUAL_TO', value: 'flow-trigger-preconditions-flow-b' },
        ],
      },
    ],
  })!;
  // A stand-in for Pebble: the test only needs the label lookup.
  const render =
    (e: Execution) =>
    (expression: string): Promise<string> =>
      Promise.resolve(
        expression === "{{labels.some == 'label'}}" ? String(e.labels.some((l) => l.key === 'some' && l.value === 'label')) : '',
      );

  test('Flow.Preconditions.getConditions keys: condition_1.. for flows, then condition_<n>_<id> for where', () => {
    expect(listen.conditions.map((c) => c.key)).toEqual(['condition_1', 'condition_2', 'condition_3_flow1', 'condition_4_flow2']);
    expect(listen.resetOnSuccess).toBe(true);
    expect(listen.timeWindow).toEqual({ type: 'DURATION_WINDOW' });
  });

  test('flow A (labelled some=label) meets its flow and where conditions; B its own', async () => {
    const a = execution('flow-trigger-preconditions-flow-a', 'SUCCESS', [{ key: 'some', value: 'label' }]);
    expect(await matchedKeys(listen, a, render(a), tester(a))).toEqual(['condition_1', 'condition_3_flow1']);
    const b = execution('flow-trigger-preconditions-flow-b');
    expect(await matchedKeys(listen, b, render(b), tester(b))).toEqual(['condition_2', 'condition_4_flow2']);
    const failedB = execution('flow-trigger-preconditions-flow-b', 'FAILED');
    expect(await matchedKeys(listen, failedB, render(failedB), tester(failedB))).toEqual(['condition_4_flow2']);
    const unlabelled = execution('flow-trigger-preconditions-flow-a');
    expect(await matchedKeys(listen, unlabelled, render(unlabelled), tester(unlabelled))).toEqual(['condition_1']);
  });

  test('filters: OR operand, IN, REGEX (whole value), IS_FALSE', async () => {
    const e = execution('nightly-load', 'FAILED');
    const none = (): Promise<string> => Promise.resolve('');
    const f = (filters: object[], operand?: 'OR'): Parameters<typeof filterHolds>[0] => ({
      id: 'x',
      filters,
      ...(operand ? { operand } : {}),
    });
    expect(await filterHolds(f([{ field: 'STATE', type: 'IN', values: ['FAILED', 'WARNING'] }]), e, none)).toBe(true);
    expect(await filterHolds(f([{ field: 'FLOW_ID', type: 'REGEX', value: 'nightly' }]), e, none)).toBe(false);
    expect(await filterHolds(f([{ field: 'FLOW_ID', type: 'REGEX', value: 'nightly-.*' }]), e, none)).toBe(true);
    expect(
      await filterHolds(
        f([
          { field: 'FLOW_ID', type: 'EQUAL_TO', value: 'other' },
          { field: 'STATE', type: 'EQUAL_TO', value: 'FAILED' },
        ]),
        e,
        none,
      ),
    ).toBe(false);
    expect(
      await filterHolds(
        f(
          [
            { field: 'FLOW_ID', type: 'EQUAL_TO', value: 'other' },
            { field: 'STATE', type: 'EQUAL_TO', value: 'FAILED' },
          ],
          'OR',
        ),
        e,
        none,
      ),
    ).toBe(true);
    expect(await filterHolds(f([{ field: 'EXPRESSION', type: 'IS_FALSE', value: '{{ false }}' }]), e, () => Promise.resolve('false'))).toBe(
      true,
    );
  });

  test('MultipleCondition (deprecated): its map of conditions, `window`/`windowAdvance` folded into the time window', async () => {
    // core/src/test/resources/flows/valids/trigger-multiplecondition-listener.yaml
    const mc = multipleConditionSpec(
      resolveCondition({
        id: 'multiple',
        type: 'io.kestra.plugin.core.condition.MultipleCondition',
        window: 'P1D',
        windowAdvance: 'P0D',
        conditions: {
          success: { type: 'io.kestra.plugin.core.condition.ExecutionStatus', in: ['SUCCESS'] },
          'flow-a': {
            type: 'io.kestra.plugin.core.condition.ExecutionFlow',
            namespace: 'io.kestra.tests.trigger',
            flowId: 'trigger-multiplecondition-flow-a',
          },
          'flow-b': {
            type: 'io.kestra.plugin.core.condition.ExecutionFlow',
            namespace: 'io.kestra.tests.trigger',
            flowId: 'trigger-multiplecondition-flow-b',
          },
        },
      }),
      resolveCondition,
    );
    expect(mc).toMatchObject({
      id: 'multiple',
      resetOnSuccess: true,
      timeWindow: { type: 'DURATION_WINDOW', window: D, windowAdvance: 0 },
    });
    const a = { ...execution('trigger-multiplecondition-flow-a'), namespace: 'io.kestra.tests.trigger' } as Execution;
    expect(await matchedKeys(mc, a, () => Promise.resolve(''), tester(a))).toEqual(['success', 'flow-a']);
  });
});

describe('the file store keeps windows across a restart and purges ended ones', () => {
  test('evaluateConditionWindow, listConditionWindows, deleteExpiredConditionWindows', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pebbleflow-windows-'));
    try {
      const now = Date.now();
      const e = (matched: string[]): WindowEvaluation => ({
        fresh: freshWindow(owner, spec({ type: 'DURATION_WINDOW', window: H }), now),
        now: new Date(now).toISOString(),
        matched,
        keys: ['a', 'b'],
        resetOnSuccess: true,
      });
      const first = new FileExecutionStore(root);
      expect(await first.evaluateConditionWindow(e(['a']))).toBe(false);
      await first.close();
      const second = new FileExecutionStore(root);
      expect((await second.listConditionWindows('main')).map((w) => w.results)).toEqual([{ a: true }]);
      expect(await second.deleteExpiredConditionWindows('main', new Date(now).toISOString())).toBe(0);
      expect(await second.evaluateConditionWindow(e(['b']))).toBe(true);
      expect(await second.listConditionWindows('main')).toEqual([]);
      expect(await second.evaluateConditionWindow(e(['a']))).toBe(false);
      expect(await second.deleteExpiredConditionWindows('main', new Date(now + 2 * H).toISOString())).toBe(1);
      expect(await second.listConditionWindows('main')).toEqual([]);
      await second.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
