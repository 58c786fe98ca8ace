import { flowJsonSchema } from '../../src/flow/loader.js';
import { listTaskTypes, registerTaskType, resolveTaskType } from '../../src/tasks/registry.js';
import { messages, runYaml, taskStates } from '../support/flows.js';

describe('core tasks', () => {
  test('Log: a string or one line per list element, at the given level; an unknown level fails', async () => {
    const report = await runYaml(`id: l
namespace: n
tasks:
  - { id: one, type: io.kestra.core.tasks.log.Log, message: "a {{ 1 + 1 }}", level: WARN }
  - { id: many, type: io.kestra.plugin.core.log.Log, message: [x, "{{ 'y' }}"], level: "{{ 'debug' }}" }
  - { id: quiet, type: io.kestra.plugin.core.log.Log, message: hidden, level: DEBUG, logLevel: INFO }
  - { id: bad, type: io.kestra.plugin.core.log.Log, message: z, level: "{{ 'LOUD' }}", allowFailure: true }
`);
    expect(messages(report)).toEqual([
      'one WARN a 2',
      'many DEBUG x',
      'many DEBUG y',
      'bad ERROR Invalid log level `LOUD`: expected one of TRACE, DEBUG, INFO, WARN, ERROR',
    ]);
    expect(report.taskRuns.map((t) => t.type)).toEqual(Array(4).fill('io.kestra.plugin.core.log.Log'));
  });

  test('Return outputs value; Fail fails only when its condition is truthy, with errorMessage', async () => {
    const report = await runYaml(`id: r
namespace: n
tasks:
  - { id: ret, type: io.kestra.core.tasks.debugs.Return, format: "{{ [1, 2] }}" }
  - { id: notYet, type: io.kestra.plugin.core.execution.Fail, condition: "{{ outputs.ret.value == '[3]' }}" }
  - { id: now, type: io.kestra.core.tasks.executions.Fail, condition: "0", errorMessage: never }
  - { id: stop, type: io.kestra.plugin.core.execution.Fail, condition: "{{ outputs.ret.value }}", errorMessage: "stopped at {{ task.id }}" }
`);
    expect(report.outputs.ret).toEqual({ value: '[1,2]' });
    expect(taskStates(report)).toEqual({ ret: 'SUCCESS', notYet: 'SUCCESS', now: 'SUCCESS', stop: 'FAILED' });
    expect(report.taskRuns.at(-1)?.error).toBe('stopped at stop');
  });

  test('If: Kestra truthiness ("false", "0", "-0" and "" are false), else branch, errors branch', async () => {
    for (const [condition, branch] of [
      ['false', 'else'],
      ['0', 'else'],
      ['-0', 'else'],
      ['" "', 'then'],
      ['"no"', 'then'],
      ['"{{ null }}"', 'else'],
    ] as const) {
      const report = await runYaml(`id: i
namespace: n
tasks:
  - id: if
    type: io.kestra.plugin.core.flow.If
    condition: ${condition}
    then: [{ id: then, type: io.kestra.plugin.core.log.Log, message: then }]
    else: [{ id: else, type: io.kestra.plugin.core.log.Log, message: else }]
`);
      expect([condition, messages(report).filter((m) => !m.includes('DEBUG'))]).toEqual([condition, [`${branch} INFO ${branch}`]]);
    }
  });

  test('the task table: old aliases resolve; embedders add types that the loader, runner and JSON Schema all see', async () => {
    expect(resolveTaskType('io.kestra.plugin.fs.http.Request')?.type).toBe('io.kestra.plugin.core.http.Request');
    registerTaskType({
      type: 'com.acme.Greet',
      aliases: ['com.acme.legacy.Greet'],
      required: ['who'],
      properties: { who: { type: 'string' } },
      async run(ctx) {
        return { outputs: { greeting: `hi ${await ctx.render(String(ctx.task.properties.who))}` } };
      },
    });
    expect(() => registerTaskType({ type: 'com.acme.Greet', properties: {}, run: async () => undefined })).toThrow(/already registered/);
    expect(listTaskTypes().map((t) => t.type)).toContain('com.acme.Greet');
    expect(JSON.stringify(flowJsonSchema())).toContain('com.acme.legacy.Greet');
    const report = await runYaml('id: g\nnamespace: n\ntasks: [{ id: g, type: com.acme.legacy.Greet, who: "{{ flow.id }}" }]\n');
    expect(report.outputs.g).toEqual({ greeting: 'hi g' });
    await expect(runYaml('id: g\nnamespace: n\ntasks: [{ id: g, type: com.acme.Greet }]\n')).rejects.toThrow(
      'Missing required property `who`',
    );
  });
});
