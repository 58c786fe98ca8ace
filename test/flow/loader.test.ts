import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowValidationError, formatProblem } from '../../src/flow/errors.js';
import { checkFlow, loadFlow, parseFlow } from '../../src/flow/loader.js';

const minimal = `id: hello
namespace: company.team
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
`;

function problemsOf(source: string): string[] {
  return checkFlow(source, { file: 'f.yaml' }).problems.map(formatProblem);
}

describe('loadFlow', () => {
  test('loads a minimal flow and resolves old type aliases', () => {
    const flow = parseFlow(minimal.replace('io.kestra.plugin.core.log.Log', 'io.kestra.core.tasks.log.Log'));
    expect(flow.id).toBe('hello');
    expect(flow.namespace).toBe('company.team');
    expect(flow.tasks[0]).toMatchObject({
      id: 'log',
      type: 'io.kestra.plugin.core.log.Log',
      declaredType: 'io.kestra.core.tasks.log.Log',
      properties: { message: 'hi' },
    });
  });

  test('reads a file when given a path, and reports a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-loader-'));
    const file = join(dir, 'flow.yaml');
    writeFileSync(file, minimal);
    expect(loadFlow(file).file).toBe(file);
    expect(() => loadFlow(join(dir, 'nope.yaml'))).toThrow(/nope\.yaml: Cannot read flow file: no such file/);
  });

  test('reports every problem at once, each with file:line:column', () => {
    const source = `id: hello
namespace: company.team
inputs:
  - id: name
    type: STRING
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "Hi {{ inputs.nmae }}"
    mesage: typo
  - id: a
    type: io.kestra.plugin.core.nope.Nope
  - id: seq
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: a
        type: io.kestra.plugin.core.debug.Return
        format: x
id: again
`;
    const problems = problemsOf(source);
    expect(problems).toEqual([
      'f.yaml:9:21: Unknown input `nmae` in `inputs.nmae`: declared inputs are name (at tasks[0].message)',
      'f.yaml:10:5: Unknown property `mesage` (did you mean `message`?) (at tasks[0].mesage)',
      'f.yaml:11:9: Duplicate task id with name [a] (first used at line 7) (at tasks[1].id)',
      'f.yaml:12:11: Invalid type: io.kestra.plugin.core.nope.Nope (at tasks[1].type)',
      'f.yaml:16:13: Duplicate task id with name [a] (first used at line 7) (at tasks[2].tasks[0].id)',
      'f.yaml:19:1: Duplicate key `id`',
    ]);
    expect(() => parseFlow(source, { file: 'f.yaml' })).toThrow(FlowValidationError);
    try {
      parseFlow(source, { file: 'f.yaml' });
    } catch (e) {
      expect((e as FlowValidationError).code).toBe('INVALID_FLOW');
      expect((e as FlowValidationError).problems).toHaveLength(6);
      expect((e as FlowValidationError).line).toBe(9);
    }
  });

  test('a template naming an undeclared input is a warning: Kestra loads the flow and fails the task at run time', () => {
    const source = `id: f
namespace: company.team
inputs:
  - id: name
    type: STRING
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "Hi {{ inputs.nmae }} {{ inputs['name'] }} {% raw %}{{ inputs.raw }}{% endraw %}"
`;
    const { flow, problems } = checkFlow(source, { file: 'f.yaml' });
    expect(flow?.id).toBe('f');
    expect(problems).toEqual([
      {
        code: 'BAD_INPUT_REFERENCE',
        severity: 'warning',
        message: 'Unknown input `nmae` in `inputs.nmae`: declared inputs are name',
        path: 'tasks[0].message',
        file: 'f.yaml',
        line: 9,
        column: 21,
      },
    ]);
    expect(parseFlow(source).id).toBe('f');
  });

  test("sla: Kestra's two types, each with its required field, labels as a map or a list", () => {
    const flow = (sla: string): string =>
      `id: f\nnamespace: n\nsla:\n${sla}\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n`;
    expect(problemsOf(flow('  - id: d\n    type: MAX_DURATION\n    behavior: FAIL'))).toEqual([
      'f.yaml:4:5: Missing required property `duration` (at sla[0])',
    ]);
    expect(problemsOf(flow('  - id: d\n    type: MAX_DURATION\n    behavior: FAIL\n    duration: soon'))).toEqual([
      'f.yaml:7:15: Invalid value `soon` for `duration`: expected an ISO-8601 duration such as PT1H (at sla[0].duration)',
    ]);
    expect(problemsOf(flow('  - id: c\n    type: EXECUTION_ASSERTION\n    behavior: NONE'))).toEqual([
      'f.yaml:4:5: Missing required property `assert` (at sla[0])',
    ]);
    const parsed = parseFlow(
      flow("  - id: c\n    type: EXECUTION_ASSERTION\n    behavior: NONE\n    assert: '{{ true }}'\n    labels:\n      sla: violated"),
    );
    expect(parsed.sla).toEqual([
      { id: 'c', type: 'EXECUTION_ASSERTION', behavior: 'NONE', assert: '{{ true }}', labels: [{ key: 'sla', value: 'violated' }] },
    ]);
  });

  // core/src/test/java/io/kestra/core/serializers/YamlParserTest.java `listeners` (flows/invalids/listener.yaml):
  // a listener's tasks must not be empty (two violations).
  test('listeners: tasks required and not empty; conditions checked as trigger conditions; ids shared with the tasks', () => {
    expect(
      problemsOf(`id: listener
namespace: io.kestra.tests

listeners:
  - conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
    tasks: []

  - tasks: []

tasks:
  - id: date
    type: io.kestra.plugin.core.debug.Return
    format: "{{taskrun.startDate}}"
`),
    ).toEqual([
      'f.yaml:7:12: `tasks` must not be empty (at listeners[0].tasks)',
      'f.yaml:9:12: `tasks` must not be empty (at listeners[1].tasks)',
    ]);
    // FlowTest.duplicate (flows/invalids/duplicate.yaml): "Duplicate task id with name [date, listen]",
    // a listener task counting as one of the flow's tasks.
    expect(
      problemsOf(`id: d
namespace: n
listeners:
  - tasks:
      - { id: listen, type: io.kestra.plugin.core.debug.Return, format: x }
  - description: d
    conditions:
      - { type: io.kestra.plugin.core.condition.ExecutionStatus, in: [NOPE] }
    tasks:
      - { id: l2, type: io.kestra.plugin.core.debug.Return, format: x }
    other: 1
  - conditions: []
tasks:
  - { id: listen, type: io.kestra.plugin.core.debug.Return, format: x }
`),
    ).toEqual([
      'f.yaml:5:15: Duplicate task id with name [listen] (first used at line 14) (at listeners[0].tasks[0].id)',
      'f.yaml:8:71: Invalid value `NOPE` for `in`: expected one of CREATED, RUNNING, PAUSED, RESTARTED, KILLING, SUCCESS, WARNING, FAILED, KILLED, CANCELLED, QUEUED, RETRYING, RETRIED, SKIPPED (at listeners[1].conditions[0].in[0])',
      'f.yaml:11:5: Unknown property `other` (at listeners[1].other)',
      'f.yaml:12:5: Missing required property `tasks` (at listeners[2])',
    ]);
    const flow = parseFlow(`id: f
namespace: n
listeners:
  - description: on failure
    conditions:
      - { type: io.kestra.core.models.conditions.types.ExecutionStatusCondition, in: [FAILED] }
      - { type: com.example.Custom, foo: 1 }
    tasks:
      - { id: l, type: io.kestra.plugin.core.log.Log, message: x }
tasks:
  - { id: a, type: io.kestra.plugin.core.log.Log, message: hi }
`);
    expect(flow.listeners).toHaveLength(1);
    expect(flow.listeners[0]).toMatchObject({
      description: 'on failure',
      conditions: [
        {
          type: 'io.kestra.plugin.core.condition.ExecutionStatus',
          declaredType: 'io.kestra.core.models.conditions.types.ExecutionStatusCondition',
          supported: true,
          properties: { in: ['FAILED'] },
        },
        { type: 'com.example.Custom', declaredType: 'com.example.Custom', supported: false, properties: { foo: 1 } },
      ],
      tasks: [{ id: 'l', type: 'io.kestra.plugin.core.log.Log' }],
    });
  });

  test('required fields, patterns and types', () => {
    expect(problemsOf('id: "bad id"\ntasks: []\n')).toEqual([
      'f.yaml:1:1: Missing required property `namespace`',
      'f.yaml:1:5: Invalid value `bad id` for `id`: it must match `^[a-zA-Z0-9][a-zA-Z0-9._-]*$` (at id)',
      'f.yaml:2:8: `tasks` must not be empty (at tasks)',
    ]);
    expect(
      problemsOf(`id: x\nnamespace: Company\ntasks:\n  - id: a.b\n    type: io.kestra.plugin.core.debug.Return\n    disabled: "yes"\n`),
    ).toEqual([
      'f.yaml:2:12: Invalid value `Company` for `namespace`: it must match `^[a-z0-9][a-z0-9._-]*$` (at namespace)',
      'f.yaml:4:9: Invalid value `a.b` for `id`: it must match `^[a-zA-Z0-9][a-zA-Z0-9_-]*$` (at tasks[0].id)',
      'f.yaml:6:15: Invalid value for `disabled`: expected boolean, got string `yes` (at tasks[0].disabled)',
    ]);
  });

  test('YAML syntax errors are reported with their position', () => {
    const problems = problemsOf('id: x\nnamespace: [oops\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^f\.yaml:\d+:\d+: YAML syntax error: /);
  });

  test('task properties are checked per type, nested tasks too, and expressions are accepted where a typed value goes', () => {
    const source = `id: x
namespace: n
tasks:
  - id: if
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    then:
      - id: req
        type: io.kestra.plugin.core.http.Request
        uri: http://127.0.0.1/
        method: "{{ 'POST' }}"
        options:
          auth: { type: BEARER }
          followRedirects: maybe
`;
    expect(problemsOf(source)).toEqual([
      'f.yaml:13:11: Missing required property `token` (at tasks[0].then[0].options.auth)',
      'f.yaml:14:28: Invalid value for `followRedirects`: expected true or false (or an expression), got `maybe` (at tasks[0].then[0].options.followRedirects)',
    ]);
  });

  test('inputs: unknown types and properties, duplicates, dependsOn references and cycles', () => {
    const source = `id: x
namespace: n
inputs:
  - id: a
    type: BLOB
  - id: b
    type: INT
    validator: "x"
  - id: b
    type: STRING
  - id: c
    type: STRING
    dependsOn: { inputs: [d, zz] }
  - id: d
    type: STRING
    dependsOn: { inputs: [c] }
  - id: arr
    type: ARRAY
tasks:
  - id: t
    type: io.kestra.plugin.core.debug.Return
`;
    expect(problemsOf(source)).toEqual([
      // FILE is a supported type since inputs can be stored (issue 10): an unknown type stands in.
      'f.yaml:5:11: Invalid input type `BLOB`: expected one of STRING, INT, FLOAT, BOOLEAN, DATETIME, DATE, TIME, DURATION, JSON, YAML, URI, FILE, EMAIL, SELECT, MULTISELECT, ARRAY, SECRET (at inputs[0].type)',
      'f.yaml:8:5: Unknown property `validator` (at inputs[1].validator)',
      'f.yaml:9:9: Duplicate input with name [b] (at inputs[2].id)',
      "f.yaml:13:16: Cycle dependency detected for input with id 'c' (c → d → c) (at inputs[4].dependsOn)".replace(
        'inputs[4]',
        'inputs[3]',
      ),
      "f.yaml:13:26: Input with id 'c' depends on a non-existent input 'zz'. (at inputs[3].dependsOn.inputs)",
      'f.yaml:17:5: Missing required property `itemType` (at inputs[5])',
    ]);
  });

  test('labels as list or map, variables raw, dotted input ids, plugin defaults', () => {
    const flow = parseFlow(`id: x
namespace: n
labels:
  - key: team
    value: data
variables:
  greeting: "{{ inputs.who }}"
inputs:
  - id: nested.who
    type: STRING
    defaults: me
pluginDefaults:
  - type: io.kestra.plugin.core.log
    values: { level: WARN, message: default }
  - type: io.kestra.plugin.core.log.Log
    forced: true
    values: { level: ERROR }
tasks:
  - id: t
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.nested.who }}"
    level: INFO
`);
    expect(flow.labels).toEqual({ team: 'data' });
    expect(flow.variables).toEqual({ greeting: '{{ inputs.who }}' });
    expect(flow.tasks[0]!.properties).toEqual({ message: '{{ inputs.nested.who }}', level: 'ERROR' });
    expect(parseFlow(minimal.replace('tasks:', 'labels: { a: b, n: 1 }\ntasks:')).labels).toEqual({ a: 'b', n: '1' });
  });

  // Kestra's FlowValidator refuses system labels on flows except system.readOnly.
  test('system labels (but system.readOnly) and several documents are refused', () => {
    expect(problemsOf(`${minimal}labels: { system.readOnly: "true" }\n`)).toEqual([]);
    expect(problemsOf(`${minimal}labels: { system.username: "x" }\n---\nid: other\n`)).toEqual([
      'f.yaml:7:11: System labels can only be set by Kestra itself, offending label: system.username=x (at labels.system.username)',
      'f.yaml:8:1: One flow per file: found several YAML documents',
    ]);
  });
});

describe('ScheduleOnDates and http.Trigger', () => {
  const problems = (trigger: string): string[] =>
    checkFlow(
      `id: f
namespace: n
tasks:
  - { id: t, type: io.kestra.plugin.core.log.Log, message: x }
triggers:
${trigger}`,
      { file: 'f.yaml' },
    ).problems.map(formatProblem);

  test('ScheduleOnDates: dates required (ScheduleOnDates.java: @NotNull), each a date-time with its offset; timezone checked; interval refused', () => {
    expect(problems(`  - id: s\n    type: io.kestra.plugin.core.trigger.ScheduleOnDates\n`)).toEqual([
      'f.yaml:6:5: Missing required property `dates` (at triggers[0])',
    ]);
    expect(
      problems(`  - id: s
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    timezone: Mars/Olympus
    interval: PT1M
    dates:
      - "2024-01-01T10:00:00+01:00"
      - "2024-01-01T10:00:00"
      - "{{ now() }}"
`),
    ).toEqual([
      'f.yaml:8:15: Invalid time zone `Mars/Olympus`: expected an IANA time zone id such as Europe/Paris or UTC (at triggers[0].timezone)',
      'f.yaml:9:15: Invalid value for `interval`: expected null, got string `PT1M` (at triggers[0].interval)',
      "f.yaml:12:9: Invalid date '2024-01-01T10:00:00': expected an ISO 8601 date-time with its offset, such as 2024-01-01T08:30:00Z (at triggers[0].dates[1])",
    ]);
    const loaded = checkFlow(`id: f
namespace: n
tasks:
  - { id: t, type: io.kestra.plugin.core.log.Log, message: x }
triggers:
  - id: s
    type: io.kestra.plugin.core.trigger.ScheduleOnDates
    dates: "{{ [now()] }}"
    recoverMissedSchedules: LAST
    inputs: { a: 1 }
`);
    expect(loaded.problems).toEqual([]);
    expect(loaded.flow!.triggers[0]).toMatchObject({ type: 'io.kestra.plugin.core.trigger.ScheduleOnDates', supported: true });
  });

  test('http.Trigger: uri required (Trigger.java: @NotNull); interval a duration; the fs alias resolves', () => {
    expect(problems(`  - id: h\n    type: io.kestra.plugin.core.http.Trigger\n    interval: 10s\n    responseCodition: x\n`)).toEqual([
      'f.yaml:6:5: Missing required property `uri` (at triggers[0])',
      expect.stringMatching(/^f\.yaml:8:15: .*interval/),
      expect.stringMatching(/^f\.yaml:9:5: Unknown property `responseCodition`/),
    ]);
    const loaded = checkFlow(`id: f
namespace: n
tasks:
  - { id: t, type: io.kestra.plugin.core.log.Log, message: x }
triggers:
  - id: h
    type: io.kestra.plugin.fs.http.Trigger
    uri: https://example.com
    method: POST
    body: "{}"
    headers: { a: b }
    options: { timeout: { readIdleTimeout: PT5S } }
    responseCondition: "{{ response.statusCode == 200 }}"
    interval: PT30S
    encryptBody: false
    stopAfter: [SUCCESS]
`);
    expect(loaded.problems).toEqual([]);
    expect(loaded.flow!.triggers[0]).toMatchObject({
      type: 'io.kestra.plugin.core.http.Trigger',
      declaredType: 'io.kestra.plugin.fs.http.Trigger',
    });
  });
});
