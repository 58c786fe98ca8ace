/**
 * Flowable tasks at load time: the loader walks every child list generically (lists, Switch cases,
 * Dag items) and reports every problem at once with file, line and column — Kestra's own checks
 * (DagTaskValidator's texts) included.
 */
import { formatProblem } from '../../src/flow/errors.js';
import { checkFlow, parseFlow } from '../../src/flow/loader.js';
import { createTaskRegistry } from '../../src/tasks/registry.js';
import { defineTask } from '../../src/tasks/definition.js';

const problemsOf = (source: string): string[] => checkFlow(source, { file: 'f.yaml' }).problems.map(formatProblem);

describe('flowables at load time', () => {
  test('a Dag cycle, a Dag unknown dependency, a Switch without cases and a ForEach over a non-list: every problem at once', () => {
    const source = `id: bad
namespace: company.team
tasks:
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: { id: task1, type: io.kestra.plugin.core.log.Log, message: "1" }
        dependsOn: [task2]
      - task: { id: task2, type: io.kestra.plugin.core.log.Log, message: "2" }
        dependsOn: [task1]
      - task: { id: task3, type: io.kestra.plugin.core.log.Log, message: "3" }
        dependsOn: [task2]
  - id: dag2
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: { id: x1, type: io.kestra.plugin.core.log.Log, message: "1" }
        dependsOn: [taskX]
  - id: switch
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ 1 }}"
  - id: switch2
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ 1 }}"
    cases: {}
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: { a: 1 }
    tasks: [{ id: e1, type: io.kestra.plugin.core.log.Log, message: "x" }]
  - id: each2
    type: io.kestra.plugin.core.flow.ForEach
    values: not a list
    tasks: [{ id: e2, type: io.kestra.plugin.core.log.Log, message: "x" }]
`;
    expect(problemsOf(source)).toEqual([
      'f.yaml:8:20: Cyclic dependency detected: task1, task2 (at tasks[0].tasks[0].dependsOn)',
      'f.yaml:17:20: Not existing task id in dependency: taskX (at tasks[1].tasks[0].dependsOn)',
      'f.yaml:18:5: Missing required property `cases` (at tasks[2])',
      'f.yaml:24:12: `cases` must not be empty (at tasks[3].cases)',
      'f.yaml:27:13: Invalid value for `values`: expected a list, a JSON list or an expression, got `{"a":1}` (at tasks[4].values)',
      'f.yaml:31:13: Invalid value for `values`: expected a list (or a JSON list, or an expression), got `not a list` (at tasks[5].values)',
    ]);
  });

  test('children of every list kind are checked too (unknown types and properties, duplicate ids across lists)', () => {
    const source = `id: bad
namespace: company.team
tasks:
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: x
    cases:
      A:
        - { id: a, type: io.kestra.plugin.core.log.Log, mesage: hi }
    defaults:
      - { id: a, type: com.example.Nope }
    errors:
      - { id: e, type: io.kestra.plugin.core.log.Log, message: "e" }
    finally:
      - { id: f, type: io.kestra.plugin.core.log.Log, message: "f" }
`;
    expect(problemsOf(source)).toEqual([
      'f.yaml:9:11: Missing required property `message` (at tasks[0].cases.A[0])',
      'f.yaml:9:57: Unknown property `mesage` (did you mean `message`?) (at tasks[0].cases.A[0].mesage)',
      'f.yaml:11:15: Duplicate task id with name [a] (first used at line 9) (at tasks[0].defaults[0].id)',
      'f.yaml:11:24: Invalid type: com.example.Nope (at tasks[0].defaults[0].type)',
    ]);
  });

  test('every flowable gets errors and finally; Dag items carry dependsOn; cases keep their order', () => {
    const flow = parseFlow(`id: ok
namespace: company.team
tasks:
  - id: dag
    type: io.kestra.plugin.core.flow.Dag
    tasks:
      - task: { id: a, type: io.kestra.plugin.core.log.Log, message: "1" }
      - task: { id: b, type: io.kestra.plugin.core.log.Log, message: "2" }
        dependsOn: [a]
    finally:
      - { id: f, type: io.kestra.plugin.core.log.Log, message: "f" }
  - id: sw
    type: io.kestra.plugin.core.flow.Switch
    value: x
    cases:
      Z: [{ id: z, type: io.kestra.plugin.core.log.Log, message: z }]
      A: [{ id: y, type: io.kestra.plugin.core.log.Log, message: a }]
    defaults: null
`);
    const [dag, sw] = flow.tasks;
    expect(dag?.children.tasks?.map((t) => [t.id, t.dependsOn])).toEqual([
      ['a', undefined],
      ['b', ['a']],
    ]);
    expect(dag?.children.finally?.map((t) => t.id)).toEqual(['f']);
    expect([...(sw?.childMaps?.cases?.keys() ?? [])]).toEqual(['Z', 'A']);
    expect(sw?.children.defaults).toBeUndefined();
  });

  test('a registry passed to checkFlow decides which types exist; a type without children is not flowable', () => {
    const custom = defineTask({
      type: 'com.example.Shout',
      properties: { text: { kind: 'string', required: true } },
      async run(ctx) {
        return { outputs: { loud: ((await ctx.property<string>('text')) ?? '').toUpperCase() } };
      },
    });
    const registry = createTaskRegistry([custom]);
    const source = 'id: s\nnamespace: n\ntasks:\n  - { id: s, type: com.example.Shout, text: hi }\n';
    expect(checkFlow(source, { registry }).problems).toEqual([]);
    expect(problemsOf(source)).toEqual(['f.yaml:4:20: Invalid type: com.example.Shout (at tasks[0].type)']);
  });
});
